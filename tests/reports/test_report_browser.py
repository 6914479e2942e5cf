"""The HTML report opens in a real Chromium with no network and draws its charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from baimo.config import load_config
from baimo.reports.build import write_report
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer
from support import render_in_chromium, write_models, write_task


@pytest.mark.browser
def test_report_renders_offline_in_chromium(tmp_path: Path) -> None:
    with MockServer(MockConfig(fault_rate=0.3, fault_kinds=["500"], max_faults_per_request=9)
                    ) as srv:
        write_models(tmp_path, srv.base_url, [
            {"name": "a", "limits": {"max_retries": 1},
             "pricing": {"input_per_1m": 2, "output_per_1m": 8}}, {"name": "b"}])
        cfg = load_config(tmp_path / "baimo.yaml")
        store = Store()
        out = run_eval(store, [cfg.get("a"), cfg.get("b")], [load_task(write_task(tmp_path, 20))])
    html = write_report(store, [out.run_id], tmp_path / "report.html", "html")
    shown = render_in_chromium(html, tmp_path / "report.png")
    assert not shown.errors, shown.errors
    assert shown.network == []
    assert shown.charts >= 3
    assert {"Overview", "Score per task", "Failures by reason", "Cost"} <= set(shown.headings)
