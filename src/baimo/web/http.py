"""Request helpers shared by the routes: identity and roles, CSRF and rate limits, rendering,
and ``twin`` (one page function registered as an HTML page and a JSON API route)."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from baimo import __version__
from baimo.web.i18n import COOKIE, LANGS, Formats, negotiate, translations
from baimo.web.security import CSRF_COOKIE, LOCAL, TOKEN_COOKIE, Identity, csrf_ok, token_hash


@dataclass
class Settings:
    """How the app runs (``baimo serve`` options)."""

    db_url: str | None = None
    auth: bool = False
    config_path: Path | None = None
    jobs_dir: Path | None = None
    job_slots: int = 1
    write_per_minute: float = 30.0
    write_burst: int = 10
    secure_cookies: bool = False
    start_jobs: bool = True


class AuthRequired(Exception):
    """No valid token (team mode)."""


class Forbidden(Exception):
    """A valid token whose role is too low."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role




def lang_of(request: Request) -> str:
    return negotiate(request.cookies.get(COOKIE), request.headers.get("accept-language"))


def identity(request: Request) -> Identity:
    """The user of this request (raises ``AuthRequired`` in team mode without a token)."""
    settings: Settings = request.app.state.settings
    if not settings.auth:
        return LOCAL
    token = None
    via = "bearer"
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    elif request.cookies.get(TOKEN_COOKIE):
        token = request.cookies[TOKEN_COOKIE]
        via = "cookie"
    if not token:
        raise AuthRequired()
    user = request.app.state.ws.web.user_for_token(token_hash(token))
    if user is None:
        raise AuthRequired()
    return Identity(user.name, user.role, via)


def role(needed: str) -> Callable[[Request], Identity]:
    def dep(request: Request) -> Identity:
        ident = identity(request)
        if not ident.can(needed):
            raise Forbidden(needed)
        return ident

    dep.__name__ = f"needs_{needed}"
    return dep


Viewer = Annotated[Identity, Depends(role("viewer"))]
Runner = Annotated[Identity, Depends(role("runner"))]


async def check_write(request: Request, ident: Identity, form_token: str | None = None) -> None:
    """CSRF (for cookie-borne sessions) and the per-user write rate limit."""
    if ident.via != "bearer":
        sent = form_token or request.headers.get("x-csrf-token")
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), sent):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try "
                                "again")
    key = ident.name if ident.via != "local" else (request.client.host if request.client
                                                   else "local")
    wait = request.app.state.limiter.take(key)
    if wait > 0:
        raise HTTPException(429, f"too many writes: try again in {wait:.0f} s",
                            headers={"Retry-After": str(max(1, round(wait)))})


def render(request: Request, template: str, data: dict[str, Any], status: int = 200,
           headers: Mapping[str, str] | None = None) -> HTMLResponse:
    lang = lang_of(request)
    env: Environment = request.app.state.env
    trans = translations(lang)
    tpl = env.get_template(template)
    try:
        ident: Identity | None = identity(request)
    except AuthRequired:
        ident = None
    settings: Settings = request.app.state.settings

    def url_with(**changes: Any) -> str:
        """This page's URL with some query parameters changed (None removes one)."""
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
        for k, v in changes.items():
            if v is None or v == "" or v is False:
                continue
            if isinstance(v, list | tuple):
                params += [(k, str(x)) for x in v]
            else:
                params.append((k, str(v)))
        return request.url.path + ("?" + urlencode(params) if params else "")

    # gettext per render: the Jinja i18n extension reads these from the context
    html = tpl.render(
        **data, gettext=trans.gettext, ngettext=trans.ngettext, _=trans.gettext,
        lang=lang, langs=LANGS, fmt=Formats(lang), ident=ident, auth=settings.auth,
        csrf=request.state.csrf, path=request.url.path,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        url_with=url_with, version=__version__)
    return HTMLResponse(html, status_code=status, headers=headers)


def twin(router: APIRouter, path: str, template: str, *, api: str | None = None,
         summary: str = "") -> Callable[[Callable[..., dict[str, Any]]],
                                        Callable[..., dict[str, Any]]]:
    """Register a page function at ``path`` (HTML) and ``/api/v1{api or path}`` (JSON)."""

    def deco(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        api_path = "/api/v1" + (api if api is not None else (path if path != "/" else
                                                               "/overview"))
        router.add_api_route(api_path, fn, methods=["GET"], summary=summary or fn.__doc__,
                             tags=["pages"])

        @functools.wraps(fn)
        def html(**kw: Any) -> HTMLResponse:
            request: Request = kw["request"]
            t0 = time.perf_counter()
            data = fn(**kw)
            data["elapsed_ms"] = (time.perf_counter() - t0) * 1e3
            return render(request, template, data)

        html.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
        router.add_api_route(path, html, methods=["GET"], include_in_schema=False,
                             response_class=HTMLResponse)
        return fn

    return deco


FormToken = Annotated[str | None, Form(alias="csrf_token")]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
