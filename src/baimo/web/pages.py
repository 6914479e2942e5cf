"""The pages and their JSON twins (see ``baimo.web.app`` for the pattern and the rules)."""

from __future__ import annotations

import asyncio
import math
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from baimo.errors import BaimoError
from baimo.store.records import RUN_STATUSES
from baimo.store.web import JobRecord
from baimo.web import views
from baimo.web.errors import json_type, problems, shown, unknown
from baimo.web.http import (
    FormToken,
    PageNo,
    Runner,
    Viewer,
    check_write,
    identity,
    lang_of,
    render,
    twin,
)
from baimo.web.i18n import COOKIE, LANGS
from baimo.web.jobs import JOB_EXAMPLE, UnknownNames
from baimo.web.security import TOKEN_COOKIE, token_hash

router = APIRouter()
PAGE_SIZE = 50
SAMPLES_PAGE = 25  # each sample carries its request, answer and score details


def _pages(total: int, page: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    last = max(1, math.ceil(total / size))
    return {"page": min(page, last), "pages": last, "total": total, "size": size}


# -- overview and leaderboards ---------------------------------------------------------------
@twin(router, "/", "overview.html", summary="Overview: what the store holds, leaders, recent runs")
def overview(request: Request, ident: Viewer) -> dict[str, Any]:
    return views.overview(request.app.state.ws, request.app.state.jobs)


@twin(router, "/leaderboards", "leaderboards.html",
      summary="Leaderboards: capability (with intervals and tie groups), speed, cost, value, "
              "safety")
def leaderboards(request: Request, ident: Viewer,
                 dimension: Annotated[str | None, Query(max_length=100)] = None
                 ) -> dict[str, Any]:
    return views.leaderboards(request.app.state.ws, dimension)


@router.get("/api/v1/leaderboards.csv", tags=["exports"],
            summary="The capability leaderboard as CSV (cells neutralised against formulas)")
def leaderboards_csv(request: Request, ident: Viewer) -> Response:
    text = views.leaderboards_csv(request.app.state.ws)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="leaderboard.csv"'})


# -- runs ------------------------------------------------------------------------------------
@twin(router, "/runs", "runs.html", summary="Runs, newest first, with filters (paged)")
def runs(request: Request, ident: Viewer,
         kind: Annotated[str | None, Query(pattern="^(eval|perf)?$")] = None,
         status: Annotated[str | None, Query(max_length=24)] = None,
         model: Annotated[str | None, Query(max_length=200)] = None,
         q: Annotated[str | None, Query(max_length=200)] = None,
         page: PageNo = 1) -> dict[str, Any]:
    ws = request.app.state.ws
    if model and model not in (names := ws.web.model_names()):
        raise unknown("model", model, names, where=" in this store")
    if status and status not in RUN_STATUSES:
        # (a misspelt filter listed no runs, as if there were none)
        raise unknown("status", status, list(RUN_STATUSES), where=" for runs")
    items, total = ws.web.list_runs(kind=kind or None, status=status or None,
                                    model=model or None, q=q or None,
                                    offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                                    count_results=False)
    known = ws.rows_per_run([r.id for r in items if r.kind == "eval"])
    out = [views.run_item(r) for r in items]
    for item in out:
        item["rows"] = known.get(item["id"], item["rows"])
    return {"runs": out, **_pages(total, page),
            "filters": {"kind": kind, "status": status, "model": model, "q": q},
            "models": ws.web.model_names(),
            "statuses": list(RUN_STATUSES)}


@twin(router, "/runs/{run_id}", "run.html", api="/runs/{run_id}",
      summary="One run: per-model summary and per-sample rows (paged, filtered)")
def run(request: Request, ident: Viewer, run_id: str,
        model: Annotated[str | None, Query(max_length=200)] = None,
        task: Annotated[str | None, Query(max_length=200)] = None,
        status: Annotated[str | None, Query(max_length=24)] = None,
        category: Annotated[str | None, Query(max_length=200)] = None,
        q: Annotated[str | None, Query(max_length=300)] = None,
        page: PageNo = 1) -> dict[str, Any]:
    return views.run_detail(request.app.state.ws, run_id, model=model, task=task,
                            status=status, category=category, q=q, page=page,
                            size=SAMPLES_PAGE)


@router.get("/api/v1/runs/{run_id}/samples.csv", tags=["exports"],
            summary="A run's per-sample rows as CSV (cells neutralised against formulas)")
def run_csv(request: Request, ident: Viewer, run_id: str) -> Response:
    ws = request.app.state.ws
    rid = views.resolve_run(ws, run_id)
    return StreamingResponse(views.run_csv(ws, rid), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f'attachment; filename="{rid}.csv"'})


# -- compare ---------------------------------------------------------------------------------
@twin(router, "/compare", "compare.html",
      summary="Samples × models on one task, differences only, paired significance")
def compare(request: Request, ident: Viewer,
            task: Annotated[str | None, Query(max_length=200)] = None,
            models: Annotated[list[str] | None, Query(max_length=8)] = None,
            status: Annotated[str | None, Query(max_length=24)] = None,
            category: Annotated[str | None, Query(max_length=200)] = None,
            diff: bool = False, page: PageNo = 1) -> dict[str, Any]:
    return views.compare(request.app.state.ws, task=task, models=models or [], status=status,
                         category=category, diff=diff, page=page, size=PAGE_SIZE)


# -- perf, decide, landscape -------------------------------------------------------------------
@twin(router, "/perf", "perf.html", summary="Perf charts across runs (the perf report's charts)")
def perf(request: Request, ident: Viewer,
         runs: Annotated[list[str] | None, Query(alias="run", max_length=10)] = None
         ) -> dict[str, Any]:
    return views.perf(request.app.state.ws, runs or [])


@twin(router, "/decide", "decide.html",
      summary="Advisor with an editable scenario profile; methodologies and sensitivity")
def decide(request: Request, ident: Viewer,
           scenario: Annotated[str | None, Query(max_length=100)] = None,
           w_capability: Annotated[float | None, Query(ge=0, le=100)] = None,
           w_speed: Annotated[float | None, Query(ge=0, le=100)] = None,
           w_cost: Annotated[float | None, Query(ge=0, le=100)] = None,
           w_safety: Annotated[float | None, Query(ge=0, le=100)] = None,
           max_price: Annotated[float | None, Query(ge=0)] = None,
           max_ttft: Annotated[float | None, Query(ge=0)] = None) -> dict[str, Any]:
    from baimo.advise import builtin_scenarios

    # Said, not replaced by the defaults: an advice for another scenario than the one asked
    # for, or for weights that were all zero, would look like an answer to the question.
    known = builtin_scenarios()
    if scenario and scenario not in known:
        raise HTTPException(422, f"no scenario named '{scenario}'. Built-in scenarios: "
                                 f"{', '.join(known)}")
    given = [w for w in (w_capability, w_speed, w_cost, w_safety) if w is not None]
    if given and not sum(given) > 0:
        raise HTTPException(422, "the weights are all zero: at least one must be positive")
    return views.decide(request.app.state.ws, scenario=scenario,
                        weights={"capability": w_capability, "speed": w_speed, "cost": w_cost,
                                 "safety": w_safety},
                        max_price=max_price, max_ttft=max_ttft, lang=lang_of(request))


@twin(router, "/landscape", "landscape.html",
      summary="The market map, the census, catalog search and the vertical-industry chart")
def landscape(request: Request, ident: Viewer,
              q: Annotated[str | None, Query(max_length=200)] = None,
              page: PageNo = 1) -> dict[str, Any]:
    return views.landscape(q=q, page=page, size=PAGE_SIZE)


# -- jobs ------------------------------------------------------------------------------------
@twin(router, "/jobs", "jobs.html", summary="Jobs: queued, running and finished eval/perf runs")
def jobs(request: Request, ident: Viewer) -> dict[str, Any]:
    return views.jobs(request.app.state.ws, request.app.state.jobs,
                      request.app.state.settings)


def _job(request: Request, job_id: str) -> JobRecord:
    """The job ``job_id``, or HTTP 404 naming it: every route that takes a job id (a cancel
    of an unknown id was a 409 "not queued or running", as if it existed)."""
    try:
        rec: JobRecord = request.app.state.jobs.web.job(job_id)
    except KeyError:
        raise HTTPException(404, f"no job {shown(job_id)}. List the jobs with GET "
                                 "/api/v1/jobs (or the Jobs page).") from None
    return rec


@router.get("/api/v1/jobs/{job_id}", tags=["jobs"], summary="One job and its progress")
def job(request: Request, ident: Viewer, job_id: str) -> dict[str, Any]:
    rec = _job(request, job_id)
    return {**views.job_item(rec), "progress": request.app.state.jobs.progress(rec)}


def _http_error(exc: Exception) -> HTTPException:
    """A refused job spec as an HTTP error whose detail says what is wrong."""
    if isinstance(exc, HTTPException):
        return exc
    if isinstance(exc, ValidationError):
        # "field: what is wrong" per problem, not pydantic's multi-line dump with its URLs,
        # said as a request's invalid fields are (the same function, so no input is echoed).
        return HTTPException(422, problems(exc.errors(), ("spec",))[0])
    if isinstance(exc, UnknownNames | ValueError):
        return HTTPException(422, str(exc))
    if isinstance(exc, BaimoError):  # the server's own models file does not load
        return HTTPException(503, f"cannot check the job's models and suites: {exc}")
    raise exc


def _submit(request: Request, ident: Any, kind: str, spec: Any) -> dict[str, Any]:
    try:
        rec = request.app.state.jobs.submit(kind, spec, ident.name)
    except (ValueError, BaimoError) as exc:
        raise _http_error(exc) from None
    return views.job_item(rec)


def _whole(field: str, text: str) -> int:
    """A form field that must be a whole number; the error names the field."""
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{field}: {text[:40]!r} is not a whole number") from None


@router.post("/api/v1/jobs", tags=["jobs"], status_code=201,
             summary="Queue an eval or perf job (runner role)")
async def job_create(request: Request, ident: Runner,
                     payload: Annotated[Any, Body(examples=[JOB_EXAMPLE])]) -> dict[str, Any]:
    """The body is ``{"kind": "eval" | "perf", "spec": {...}}``; a body of another shape is
    refused with that shape (the spec's own shape is checked by ``parse_spec``)."""
    await check_write(request, ident)
    shape = ('the request body must be a JSON object {"kind": "eval" or "perf", "spec": '
             '{the job\'s options}}, e.g. ' + orjson.dumps(JOB_EXAMPLE).decode())
    if not isinstance(payload, dict):
        raise HTTPException(422, f"{shape}; got {json_type(payload)}")
    extra = [k for k in payload if k not in ("kind", "spec")]
    if extra:
        raise HTTPException(422, f"unknown field{'s' if len(extra) > 1 else ''} "
                                 f"{', '.join(shown(str(k)) for k in extra[:5])} in the request "
                                 f"body: {shape} (the job's options go inside spec)")
    kind = payload.get("kind", "")
    if not isinstance(kind, str):
        raise HTTPException(422, f"kind must be the string \"eval\" or \"perf\"; got "
                                 f"{json_type(kind)}")
    return await asyncio.to_thread(_submit, request, ident, kind, payload.get("spec", {}))


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").replace("\n", ",").split(",") if x.strip()]


@router.post("/jobs", include_in_schema=False)
async def job_form(request: Request, ident: Runner, csrf_token: FormToken = None,
                   kind: Annotated[str, Form()] = "eval",
                   models: Annotated[list[str] | None, Form()] = None,
                   suites: Annotated[list[str] | None, Form()] = None,
                   limit: Annotated[str | None, Form()] = None,
                   concurrency: Annotated[str | None, Form()] = None,
                   requests: Annotated[str | None, Form()] = None,
                   output_tokens: Annotated[str | None, Form()] = None) -> Response:
    await check_write(request, ident, csrf_token)
    try:
        if kind == "eval":
            spec: dict[str, Any] = {"suites": suites or ["demo"], "models": models or []}
            if limit:
                spec["limit"] = _whole("limit", limit)
        else:
            spec = {"models": models or [],
                    "concurrency": [_whole("concurrency", c)
                                    for c in _split(concurrency)] or [1]}
            if requests:
                spec["requests"] = _whole("requests", requests)
            if output_tokens:
                spec["output_tokens"] = _whole("output_tokens", output_tokens)
        await asyncio.to_thread(request.app.state.jobs.submit, kind, spec, ident.name)
    except (ValueError, BaimoError, HTTPException) as exc:
        http = _http_error(exc)
        data = views.jobs(request.app.state.ws, request.app.state.jobs,
                          request.app.state.settings)
        data["form_error"] = str(http.detail)
        if isinstance(exc, UnknownNames):  # said again in the page's language
            data[f"unknown_{exc.kind}s"] = {"unknown": exc.unknown, "known": exc.known,
                                            "names": ", ".join(f"'{n}'" for n in exc.unknown)}
        return render(request, "jobs.html", data, status=http.status_code)
    return RedirectResponse("/jobs", status_code=303)


@router.post("/api/v1/jobs/{job_id}/cancel", tags=["jobs"],
             summary="Cancel a job: a queued job is dropped, a running one is interrupted "
                     "(its run keeps what it finished)")
async def job_cancel(request: Request, ident: Runner, job_id: str) -> dict[str, Any]:
    await check_write(request, ident)
    await asyncio.to_thread(_job, request, job_id)
    ok = await asyncio.to_thread(request.app.state.jobs.cancel, job_id)
    if not ok:
        rec = await asyncio.to_thread(_job, request, job_id)
        raise HTTPException(409, f"job {shown(job_id)} is {rec.status}: only a queued or "
                                 "running job can be cancelled")
    return {"id": job_id, "cancelled": True}


@router.post("/jobs/{job_id}/cancel", include_in_schema=False)
async def job_cancel_form(request: Request, ident: Runner, job_id: str,
                          csrf_token: FormToken = None) -> Response:
    await check_write(request, ident, csrf_token)
    await asyncio.to_thread(_job, request, job_id)
    # A job that ended meanwhile is not an error here: the jobs page shows how it ended.
    await asyncio.to_thread(request.app.state.jobs.cancel, job_id)
    return RedirectResponse("/jobs", status_code=303)


@router.get("/api/v1/jobs/{job_id}/events", tags=["jobs"],
            summary="Server-sent events: the job's progress until it ends")
async def job_events(request: Request, ident: Viewer, job_id: str) -> StreamingResponse:
    manager = request.app.state.jobs
    await asyncio.to_thread(_job, request, job_id)  # 404 before the stream starts

    async def stream() -> Any:
        last = None
        while True:
            rec = await asyncio.to_thread(manager.web.job, job_id)
            prog = await asyncio.to_thread(manager.progress, rec)
            body = orjson.dumps(prog)
            if body != last:
                yield b"data: " + body + b"\n\n"
                last = body
            if prog["finished"] or await request.is_disconnected():
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- sign-in and language ------------------------------------------------------------------------
def _next(url: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _next(next), "error": None})


@router.post("/login", include_in_schema=False)
async def login(request: Request, token: Annotated[str, Form(max_length=200)],
                csrf_token: FormToken = None,
                next: Annotated[str | None, Form()] = None) -> Response:
    from baimo.web.security import CSRF_COOKIE, csrf_ok

    if not csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    client = request.client.host if request.client else "?"
    wait = request.app.state.limiter.take(f"login:{client}")
    if wait > 0:
        raise HTTPException(429, f"too many sign-in attempts: try again in {wait:.0f} s",
                            headers={"Retry-After": str(max(1, round(wait)))})
    user = await asyncio.to_thread(request.app.state.ws.web.user_for_token, token_hash(token))
    if user is None:
        return render(request, "login.html", {"next": _next(next), "error": "bad_token"},
                      status=401)
    resp = RedirectResponse(_next(next), status_code=303)
    resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="lax",
                    secure=request.app.state.settings.secure_cookies, path="/",
                    max_age=30 * 86400)
    return resp


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, csrf_token: FormToken = None) -> Response:
    ident = identity(request)
    await check_write(request, ident, csrf_token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(TOKEN_COOKIE, path="/")
    return resp


@router.get("/lang/{lang}", include_in_schema=False)
def set_lang(lang: str, next: str | None = None) -> Response:
    if lang not in LANGS:
        raise HTTPException(404, f"language must be one of {', '.join(LANGS)}")
    resp = RedirectResponse(_next(next), status_code=303)
    resp.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return resp


@router.get("/api/v1/whoami", tags=["auth"], summary="The user and role of this token")
def whoami(ident: Viewer) -> dict[str, Any]:
    return {"name": ident.name, "role": ident.role}

