"""``baimo serve`` in Debian's Chromium (Playwright, never a downloaded browser): every page in
both languages with screenshots in build/web/, filters and compare, jobs started, watched and
cancelled, and script payloads in model output that never run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webtools import LiveServer

from baimo.testing.mockserver import MockConfig, MockServer
from support import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "build" / "web"
PAGES = {"overview": "/", "leaderboards": "/leaderboards", "runs": "/runs",
         "compare": "/compare?task=hostile&models=alpha&models=beta&models=gamma",
         "perf": "/perf", "decide": "/decide", "landscape": "/landscape", "jobs": "/jobs"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser: Any, lang: str) -> tuple[Any, Any, list[str]]:
    ctx = browser.new_context(viewport={"width": 1360, "height": 900}, locale=lang,
                              extra_http_headers={"Accept-Language": lang})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "favicon" not in m.text else None)
    return ctx, page, errors


def _ready(page: Any) -> None:
    page.wait_for_function("() => window.baimoReady === true", timeout=30000)


def _charts(page: Any) -> tuple[int, int]:
    return page.evaluate("""() => {
        const els = [...document.querySelectorAll('.chart')];
        return [els.length, els.filter((e) => e.querySelector('svg path, svg text')).length];
    }""")


def _eval_run(live: LiveServer) -> str:
    import httpx

    runs = httpx.get(live.url + "/api/v1/runs?kind=eval").json()["runs"]
    return str(next(r["id"] for r in runs if "alpha" in r["models"]))


def test_every_page_in_both_languages(browser: Any, live: LiveServer) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = {**PAGES, "run": f"/runs/{_eval_run(live)}?task=hostile"}
    for lang in ("en", "zh-CN"):
        ctx, page, errors = _page(browser, lang)
        for name, path in pages.items():
            page.goto(live.url + path)
            _ready(page)
            page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = true)")
            page.wait_for_timeout(150)
            n, drawn = _charts(page)
            assert n == drawn, f"{name} ({lang}): {drawn} of {n} charts drawn"
            assert page.evaluate("document.documentElement.lang") == lang
            nav = page.inner_text("nav.main-nav")
            assert ("排行榜" in nav) == (lang == "zh-CN"), (name, lang, nav)
            page.screenshot(path=str(SHOTS / f"{name}-{lang}.png"), full_page=True)
            assert page.evaluate("typeof window.__pwned") == "undefined", (name, lang)
        assert not errors, errors
        ctx.close()


def test_script_payloads_in_model_output_never_run(browser: Any, live: LiveServer) -> None:
    run = _eval_run(live)
    ctx, page, errors = _page(browser, "en")
    for path in [f"/runs/{run}?task=hostile", f"/runs/{run}?task=hostile&page=1&model=alpha",
                 "/compare?task=hostile&models=alpha&models=beta&models=gamma",
                 "/compare?task=hostile&models=alpha&models=gamma&diff=true", "/runs",
                 "/leaderboards", "/"]:
        page.goto(live.url + path)
        _ready(page)
        page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = true)")
        # hover every chart point (tooltips are HTML) and click every link a payload could be
        for el in page.query_selector_all(".chart svg path")[:30]:
            el.hover(force=True)
        shown = page.inner_text("main")
        assert page.evaluate("typeof window.__pwned") == "undefined", path
        assert page.evaluate(
            "[...document.querySelectorAll('a[href]')].filter((a) => "
            "a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length"
        ) == 0, path
        if "hostile" in path and "diff" not in path:
            assert "<script>window.__pwned=1</script>" in shown  # shown as text, unaltered
            assert "<img src=x onerror=window.__pwned=1>" in shown
    assert not errors, errors
    ctx.close()


def test_filter_runs_and_compare_models(browser: Any, live: LiveServer) -> None:
    ctx, page, errors = _page(browser, "en")
    page.goto(live.url + "/runs")
    _ready(page)
    assert page.locator("#results tbody tr").count() == 3
    page.select_option("select[name=kind]", "perf")
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 1")
    assert "perf" in page.inner_text("#results tbody tr")
    assert "kind=perf" in page.url  # the filter is in the address, so the link can be shared
    page.goto(live.url + "/compare")
    _ready(page)
    page.select_option("select[name=task]", "plain")
    page.select_option("select[name=models]", ["alpha", "gamma"])
    page.click("#compare-form button")
    _ready(page)
    all_rows = page.locator("table.matrix tbody tr").count()
    assert all_rows == 40
    assert page.locator("text=Paired significance").count() == 1
    page.check("input[name=diff]")
    page.click("#compare-form button")
    _ready(page)
    diff_rows = page.locator("table.matrix tbody tr").count()
    assert 0 < diff_rows < all_rows
    page.screenshot(path=str(SHOTS / "compare-diff-en.png"), full_page=True)
    assert not errors, errors
    ctx.close()


@pytest.fixture(scope="module")
def job_server(tmp_path_factory: pytest.TempPathFactory, mock: MockServer
               ) -> Iterator[LiveServer]:
    """A server on a store of its own (the other servers of this module run jobs too)."""
    import yaml

    tmp = tmp_path_factory.mktemp("jobs")
    with MockServer(MockConfig(ttft_s=2.0)) as slow:
        cfg = tmp / "jobs-models.yaml"
        cfg.write_text(yaml.safe_dump({"models": [
            {"name": "alpha", "provider": "openai-compatible", "base_url": mock.base_url,
             "model": "alpha"},
            {"name": "slow", "provider": "openai-compatible", "base_url": slow.base_url,
             "model": "slow", "limits": {"concurrency": 1}}]}))
        srv = LiveServer(f"sqlite:///{tmp / 'jobs.db'}", cfg)
        yield srv
        srv.close()


def _job_row(page: Any, timeout: float, want: tuple[str, ...]) -> str:
    """The first job row's status once it is one of ``want``. The page reloads itself 300 ms
    after a job ends, so a read that meets that navigation is simply tried again."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        try:
            status = page.evaluate("""() => {
                const row = document.querySelector('tr[data-job]');
                return row ? (row.dataset.status || row.querySelector('.job-status').innerText)
                           : '';
            }""")
        except PlaywrightError:  # the execution context went with the self-reload
            page.wait_for_timeout(250)
            continue
        if any(w in status for w in want):
            return str(status)
        page.wait_for_timeout(250)
    raise AssertionError(f"job did not reach {want}; last status {status!r}")


def _settled_screenshot(page: Any, name: str, timeout: float = 60) -> None:
    """A screenshot once the page has reloaded itself after its jobs ended. The page reloads
    300 ms after a job ends; a screenshot or a navigation that meets that reload hangs or is
    aborted (CI once timed out there). A row is followed (``data-job-events``) only while its
    job is unfinished when the page is served, so no followed row left means the reload came."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate("() => window.baimoReady === true"
                             " && !document.querySelector('[data-job-events]')"):
                break
        except PlaywrightError:  # the execution context went with the reload
            pass
        assert time.monotonic() < deadline, "the jobs page never reloaded after its jobs ended"
        page.wait_for_timeout(250)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_start_a_job_watch_it_finish_and_cancel_another(browser: Any,
                                                        job_server: LiveServer) -> None:
    import httpx

    ctx, page, errors = _page(browser, "en")
    page.goto(job_server.url + "/jobs")
    _ready(page)
    page.select_option("select[name=kind]", "eval")
    page.select_option("select[name=models]", ["alpha"])
    page.select_option("select[name=suites]", ["demo"])
    page.fill("input[name=limit]", "4")
    page.click("#job-form button")
    _ready(page)
    _job_row(page, 120, ("done",))
    job = httpx.get(job_server.url + "/api/v1/jobs").json()["jobs"][0]
    assert job["status"] == "done" and job["run_id"]
    run = httpx.get(job_server.url + f"/api/v1/runs/{job['run_id']}").json()
    assert run["run"]["status"] == "done" and run["total"] == 4
    _settled_screenshot(page, "jobs-done-en.png")

    # a slow job (one request at a time, 2 s each, 32 samples): cancel it once some samples
    # are stored, long before it could finish even on a loaded machine
    page.select_option("select[name=kind]", "eval")
    page.select_option("select[name=suites]", ["demo"])
    page.select_option("select[name=models]", ["slow"])
    page.fill("input[name=limit]", "")
    before = {j["id"] for j in httpx.get(job_server.url + "/api/v1/jobs").json()["jobs"]}
    page.click("#job-form button")
    _ready(page)
    deadline = time.monotonic() + 120
    while True:  # the new job (the form may still be on its way when this first asks)
        new = [j for j in httpx.get(job_server.url + "/api/v1/jobs").json()["jobs"]
               if j["id"] not in before]
        if not new:
            assert time.monotonic() < deadline, "the slow job was never created"
            time.sleep(0.3)
            continue
        slow = new[0]
        prog = httpx.get(job_server.url + f"/api/v1/jobs/{slow['id']}").json()["progress"]
        if prog["done"] >= 2:
            break
        assert time.monotonic() < deadline, prog
        time.sleep(0.3)
    cancel = page.locator(f"#job-{slow['id']} button:has-text('Cancel')")
    for _ in range(5):  # the page may have been served before the job's row had a run
        page.reload()
        _ready(page)
        if cancel.count():
            break
        time.sleep(0.5)
    assert cancel.count(), httpx.get(job_server.url + f"/api/v1/jobs/{slow['id']}").json()
    cancel.click()
    _ready(page)
    _job_row(page, 60, ("interrupted",))
    final = httpx.get(job_server.url + f"/api/v1/jobs/{slow['id']}").json()
    assert final["status"] == "interrupted"
    run = httpx.get(job_server.url + f"/api/v1/runs/{final['run_id']}").json()
    assert run["run"]["status"] == "interrupted"
    assert 2 <= run["total"] < 32  # it kept what it finished, and did not finish
    _settled_screenshot(page, "jobs-cancelled-en.png")
    assert not errors, errors
    ctx.close()
