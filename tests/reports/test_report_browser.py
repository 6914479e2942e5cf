"""The HTML report opens in a real Chromium with no network and draws its charts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from baimo.config import load_config
from baimo.models.mockserver import MockConfig, MockServer
from baimo.reports.build import write_report
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.task import load_task
from support import write_models, write_task

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.browser
def test_report_renders_offline_in_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with MockServer(MockConfig(fault_rate=0.3, fault_kinds=["500"], max_faults_per_request=9)
                    ) as srv:
        write_models(tmp_path, srv.base_url, [
            {"name": "a", "limits": {"max_retries": 1},
             "pricing": {"input_per_1m": 2, "output_per_1m": 8}}, {"name": "b"}])
        cfg = load_config(tmp_path / "baimo.yaml")
        store = Store()
        out = run_eval(store, [cfg.get("a"), cfg.get("b")], [load_task(write_task(tmp_path, 20))])
    html = write_report(store, [out.run_id], tmp_path / "report.html", "html")
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html.as_uri())
        page.wait_for_function("window.baimoReady === true", timeout=20000)
        charts = page.locator(".chart svg").count()
        headings = page.locator("section h2").all_inner_texts()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert not errors, errors
    assert [u for u in requests if not u.startswith("file://")] == []
    assert charts >= 3
    assert {"Overview", "Score per task", "Failures by reason", "Cost"} <= set(headings)
