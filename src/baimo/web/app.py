"""The ``baimo serve`` application: FastAPI, server-rendered Jinja pages, JSON twins.

Every page is one function that returns plain data. It is registered twice: at its page path
(rendered by a template) and under ``/api/v1`` (returned as JSON and described by the OpenAPI
schema at ``/api/v1/openapi.json``), so what a person sees and what a script reads cannot
drift apart.

What keeps model output inert (it is other people's text, and so are model, task and
category names): Jinja autoescape on every template, and no ``|safe`` on data; chart data
travels as ``<script type="application/json">`` (``|tojson`` escapes ``<``, ``>``, ``&``
and quotes) read by ``JSON.parse``; the Content-Security-Policy allows no inline script; link
targets in charts are filtered by ``baimo.reports.html.safe_option``.
"""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from baimo import __version__
from baimo.store.store import Store
from baimo.web import arena, monitor, pages
from baimo.web.data import Workspace
from baimo.web.errors import problems
from baimo.web.http import AuthRequired, Forbidden, Settings, render
from baimo.web.jobs import JobManager
from baimo.web.security import CSRF_COOKIE, SECURITY_HEADERS, RateLimiter, new_csrf

log = logging.getLogger(__name__)


def _dumps(obj: Any, **_kw: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY,
                        default=str).decode()


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("baimo.web", "templates"),
                      autoescape=select_autoescape(["html"], default=True),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.policies["json.dumps_function"] = _dumps
    return env


class _Headers(BaseHTTPMiddleware):
    """Security headers on every response, and the CSRF cookie on first visit."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        csrf = request.cookies.get(CSRF_COOKIE)
        if not csrf:
            csrf = new_csrf()
            request.state.new_csrf = csrf
        request.state.csrf = csrf
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if getattr(request.state, "new_csrf", None):
            response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="strict",
                                secure=request.app.state.settings.secure_cookies, path="/")
        return response


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The app over ``store`` (opened from ``settings.db_url`` when not given)."""
    settings = settings or Settings()
    own_store = store is None
    store = store or Store(settings.db_url)
    ws = Workspace(store, config_path=str(settings.config_path) if settings.config_path
                   else None)
    jobs_dir = settings.jobs_dir or Path(store.url.replace("sqlite:///", "")).parent / "jobs" \
        if store.is_sqlite else (settings.jobs_dir or Path.cwd() / "baimo-jobs")
    manager = JobManager(ws.web, store.url, Path(jobs_dir), settings.config_path,
                         slots=settings.job_slots)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import threading

        def warm() -> None:
            ws.warm()
            from baimo.web.views import _score_measured

            _score_measured(ws.leaderboards())

        threading.Thread(target=warm, name="baimo-warm", daemon=True).start()
        if settings.start_jobs:
            manager.start()
        try:
            yield
        finally:
            manager.stop()
            if own_store:
                store.close()

    app = FastAPI(title="baimo workspace", version=__version__, lifespan=lifespan,
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs",
                  redoc_url=None,
                  description="The JSON twins of the baimo serve pages, and the job API.")
    app.state.settings = settings
    app.state.ws = ws
    app.state.jobs = manager
    app.state.env = _environment()
    app.state.limiter = RateLimiter(settings.write_per_minute, settings.write_burst)
    app.add_middleware(_Headers)
    static = importlib.resources.files("baimo.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.exception_handler(AuthRequired)
    async def _auth(request: Request, exc: AuthRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "authentication required: send "
                                 "'Authorization: Bearer <token>'"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(nxt)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        msg = f"this needs the {exc.role} role"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": msg}, status_code=403)
        return render(request, "error.html", {"status": 403, "message_key": "forbidden",
                                              "role": exc.role}, status=403)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """The API answers JSON (``{"detail": ...}``, as FastAPI does); a page answers the
        error page in the reader's language, so a person is not shown raw JSON."""
        if request.url.path.startswith("/api/") or exc.status_code < 400:
            return await http_exception_handler(request, exc)
        return render(request, "error.html", {"status": exc.status_code,
                                              "detail": str(exc.detail)},
                      status=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        """Every invalid parameter, form field or body, said without echoing it.

        FastAPI's own handler returns each error's ``input``: a 20,000-character prompt came
        back whole, and a token typed into a too-long field came back in clear. This one names
        the field, the limit and the size (``baimo.web.errors.problems``) and nothing else."""
        detail, items = problems(exc.errors())
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": detail, "errors": items}, status_code=422)
        return render(request, "error.html", {"status": 422, "detail": detail}, status=422)

    @app.get("/vendor/echarts.min.js", include_in_schema=False)
    def echarts() -> Response:
        from baimo.reports.html import echarts_js

        return Response(echarts_js(), media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    app.include_router(pages.router)
    app.include_router(arena.router)  # blind battles, votes, arena leaderboard
    app.include_router(monitor.router)  # baimo monitor: stability, incidents, vendors
    return app


