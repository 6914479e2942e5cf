"""Three simulated days against deployments that degrade at a known time.

One loopback server plays eight deployments (``vendor_server``); the monitor's clock and the
server's "known time" are the same fake clock, advanced one 3-hour slot per tick, so 24
cycles of real HTTP probes take seconds. Every degradation must open exactly the expected
incident, starting at the first cycle after the change, be notified once by webhook, and
the slowdown must recover (and the recovery be notified once) at the first cycle after it
ends. The healthy deployment must raise nothing.
"""

from __future__ import annotations

import math
import sqlite3
import statistics
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from aiohttp import web
from vendor_server import Behaviour, VendorServer

from baimo.config import Limits, ModelConfig, Pricing
from baimo.monitor.scheduler import Monitor
from baimo.monitor.settings import MonitorSettings
from baimo.monitor.stability import stability
from baimo.perf.tokenizer import WordTokenizer
from baimo.store.monitor import MonitorRepository
from baimo.store.store import Store

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
SLOT = 3 * 3600.0
CHANGE_SLOT = 10  # day 1, 06:00
RECOVER_SLOT = 18  # day 2, 06:00 (the slow deployment only)
TICK_OFFSET = 60.0
DAYS = 3
MODELS = ["healthy", "slow", "flappy", "swapped", "ignores-max", "ignores-stop", "overreports",
          "bad-tools"]
EXPECTED = {
    "healthy": set(),
    "slow": {"ttft_s"},
    "flappy": {"uptime"},
    "swapped": {"canary_accuracy", "check:canary_drift"},
    "ignores-max": {"check:max_tokens"},
    "ignores-stop": {"check:stop"},
    "overreports": {"check:usage"},
    "bad-tools": {"check:tool_args"},
}


class FakeClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


class Hook:
    """A webhook receiver on loopback (its own thread and loop)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.port = 0
        self._loop: asyncio_loop | None = None
        ready = threading.Event()

        def main() -> None:
            import asyncio

            loop = asyncio.new_event_loop()
            self._loop = loop

            async def receive(request: web.Request) -> web.Response:
                self.events.append(orjson.loads(await request.read()))
                return web.Response(text="ok")

            app = web.Application()
            app.router.add_post("/hook", receive)
            runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


asyncio_loop = Any


def model(name: str, url: str) -> ModelConfig:
    return ModelConfig(name=name, base_url=url, model=name, family="demo-model",
                       pricing=Pricing(input_per_1m=1.0, output_per_1m=2.0),
                       limits=Limits(concurrency=8, max_retries=4, timeout_s=20))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the three days once for the module (every test reads the same store)."""
    db = tmp_path_factory.mktemp("monitor") / "monitor.db"
    clock = FakeClock(T0 + TICK_OFFSET)
    behaviour = Behaviour(change_at=T0 + CHANGE_SLOT * SLOT,
                          recover_at={"slow": T0 + RECOVER_SLOT * SLOT})
    server = VendorServer(clock.now, behaviour).start()
    hook = Hook()
    settings = MonitorSettings.model_validate({
        "every": "3h", "sizes": [100, 1000, 10000], "headline_size": 1000,
        "output_tokens": 32, "parallel": 4, "fidelity_every": "3h", "tokenizer": "words",
        "lease": "60s", "references": {"demo-model": "healthy"},
        "thresholds": {"ttft_s": {"max": 0.15, "consecutive": 2}, "uptime": {"min": 0.99, "window": "24h"}},
        "alerts": [{"webhook": f"http://127.0.0.1:{hook.port}/hook"}]})
    store = Store(f"sqlite:///{db}")
    models = [model(n, server.url) for n in MODELS]
    mon = Monitor(store, models, settings, clock=clock, tokenizer=WordTokenizer())
    outcomes = []
    try:
        for k in range(DAYS * 8):
            clock.t = T0 + k * SLOT + TICK_OFFSET
            outcomes.append(mon.tick())
            # A second tick in the same slot (cron beside the daemon) runs nothing.
            if k in (0, CHANGE_SLOT):
                before = sum(server.requests.values())
                again = mon.tick()
                assert {o.status for o in again} == {"skipped"}
                assert sum(server.requests.values()) == before
        yield {"store": store, "db": db, "server": server, "hook": hook, "clock": clock,
               "settings": settings, "models": models, "outcomes": outcomes}
    finally:
        mon.close()
        server.stop()
        hook.stop()
        store.close()


def test_every_cycle_ran_once(simulated: dict[str, Any]) -> None:
    repo = MonitorRepository(simulated["store"].engine)
    for name in MODELS:
        cycles = repo.cycles(name)
        assert len(cycles) == DAYS * 8
        assert all(c.status == "done" for c in cycles)
        assert [c.slot for c in cycles] == [T0 + k * SLOT for k in range(DAYS * 8)]
    # Parallel probes: once per day per endpoint, 4 requests each.
    par = repo.probes("healthy", kinds=["parallel"])
    assert len(par) == 4 * DAYS
    assert len({math.floor((p.at - T0) / 86400) for p in par}) == DAYS


def test_every_degradation_opens_one_incident_at_the_change(simulated: dict[str, Any]
                                                            ) -> None:
    repo = MonitorRepository(simulated["store"].engine)
    change = T0 + CHANGE_SLOT * SLOT + TICK_OFFSET
    for name, metrics in EXPECTED.items():
        incidents = repo.incidents(name)
        assert {i.metric for i in incidents} == metrics, (name, [
            (i.metric, i.detail) for i in incidents])
        assert len(incidents) == len(metrics), name  # once per incident, never re-opened
        for i in incidents:
            assert i.started_at == change, (name, i.metric)
            if name == "slow":
                assert i.status == "resolved"
                assert i.resolved_at == T0 + RECOVER_SLOT * SLOT + TICK_OFFSET
            else:
                assert i.status == "open" and i.resolved_at is None


def test_each_incident_and_recovery_is_notified_once(simulated: dict[str, Any]) -> None:
    events = simulated["hook"].events
    seen = [(e["event"], e["model"], e["metric"]) for e in events]
    want = [("incident", m, metric) for m, ms in EXPECTED.items() for metric in ms]
    assert sorted(x for x in seen if x[0] == "incident") == sorted(want)
    assert [x for x in seen if x[0] == "recovery"] == [("recovery", "slow", "ttft_s")]
    ev = next(e for e in events if e["model"] == "slow" and e["event"] == "incident")
    assert ev["started_at"] == "2026-01-02T06:01:00+00:00"
    assert ev["threshold"] == {"max": 0.15, "consecutive": 2}
    # Two cycles in a row had to cross: detected one cycle later, started at the first.
    inc = MonitorRepository(simulated["store"].engine).incidents("slow")[0]
    assert inc.detected_at == T0 + (CHANGE_SLOT + 1) * SLOT + TICK_OFFSET


def test_fidelity_rows_carry_their_evidence(simulated: dict[str, Any]) -> None:
    repo = MonitorRepository(simulated["store"].engine)
    change = T0 + CHANGE_SLOT * SLOT + TICK_OFFSET
    mt = [c for c in repo.checks("ignores-max") if c.check_name == "max_tokens"]
    assert {c.status for c in mt if c.at < change} == {"pass"}
    bad = [c for c in mt if c.at >= change]
    assert bad and all(c.status == "fail" for c in bad)
    assert bad[0].evidence["usage_completion_tokens"] == 48
    assert bad[0].evidence["client_tokens"] == 48
    stop = [c for c in repo.checks("ignores-stop") if c.check_name == "stop" and c.at >= change]
    assert "gamma" in stop[0].evidence["answer"]
    use = [c for c in repo.checks("overreports") if c.check_name == "usage" and c.at >= change]
    assert use[0].value == pytest.approx(2.0)
    tools = [c for c in repo.checks("bad-tools") if c.check_name == "tool_args"
             and c.at >= change]
    assert any("kelvin" in p for p in tools[0].evidence["problems"])
    drift = [c for c in repo.checks("swapped") if c.check_name == "canary_drift"]
    assert all(c.status == "pass" for c in drift if c.at < change)
    after = [c for c in drift if c.at >= change]
    assert after[0].value == 0.0 and after[0].evidence["reference"] == "healthy"
    # Healthy passes everything it was checked on.
    assert {c.status for c in repo.checks("healthy")} == {"pass"}


def _hand(db: Path, name: str) -> list[sqlite3.Row]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return list(con.execute("select * from monitor_probes where model_name = ? "
                                "order by at, id", (name,)))
    finally:
        con.close()


@pytest.mark.parametrize("name", ["flappy", "slow", "healthy"])
def test_stability_metrics_equal_hand_computed_values(simulated: dict[str, Any], name: str
                                                      ) -> None:
    """Every number of ``stability`` recomputed here from the raw rows (SQL, not the
    repository)."""
    end = T0 + (DAYS * 8 - 1) * SLOT + TICK_OFFSET + 1.0
    window = 72 * 3600.0
    repo = MonitorRepository(simulated["store"].engine)
    got = stability(repo.probes(name), end=end, window_s=window, sizes=(100, 1000, 10000))
    rows = [r for r in _hand(simulated["db"], name) if end - window <= r["at"] <= end]
    avail = [r for r in rows if r["kind"] in ("latency", "parallel")]
    ok = [r for r in avail if r["status"] == "ok"]
    assert got["requests"] == len(avail) and got["ok"] == len(ok)
    assert got["uptime"] == pytest.approx(len(ok) / len(avail))
    kinds: dict[str, int] = {}
    for r in avail:
        if r["status"] != "ok":
            kinds[r["error_kind"]] = kinds.get(r["error_kind"], 0) + 1
    assert got["errors_by_kind"] == kinds
    assert got["error_rate_by_kind"] == {k: pytest.approx(v / len(avail))
                                         for k, v in kinds.items()}
    # Outages: runs of consecutive failures, from the first failure to the next success.
    outs: list[tuple[float, float]] = []
    start: float | None = None
    for r in avail:
        if r["status"] != "ok" and start is None:
            start = r["at"]
        elif r["status"] == "ok" and start is not None:
            outs.append((start, r["at"]))
            start = None
    if start is not None:
        outs.append((start, end))
    assert [(o["start"], o["end"]) for o in got["outages"]] == outs
    span = end - max(end - window, avail[0]["at"])
    down = sum(b - a for a, b in outs)
    assert got["failures_per_day"] == pytest.approx(len(outs) / (span / 86400))
    assert got["mtbf_s"] == (pytest.approx((span - down) / len(outs)) if outs else None)
    assert got["longest_outage_s"] == max((b - a for a, b in outs), default=0.0)
    for size in (100, 1000, 10000):
        ttft = [r["ttft_s"] for r in rows if r["kind"] == "latency"
                and r["input_tokens"] == size and r["status"] == "ok"]
        d = got["by_size"][str(size)]["ttft_s"]
        assert d["n"] == len(ttft)
        for q in (5, 25, 50, 75, 95):
            key = "median" if q == 50 else f"p{q}"
            assert d[key] == pytest.approx(float(np.percentile(ttft, q)))
        assert d["cv"] == pytest.approx(statistics.stdev(ttft) / statistics.mean(ttft))
    can = [r for r in rows if r["kind"] == "canary" and r["status"] == "ok"]
    assert got["canary_accuracy"] == pytest.approx(sum(r["correct"] for r in can) / len(can))
    if name == "flappy":
        assert got["failed"] > 0 and got["errors_by_kind"] == {"server": got["failed"]}
        # Every failure is after the change.
        assert min(r["at"] for r in avail if r["status"] != "ok") >= T0 + CHANGE_SLOT * SLOT
    if name == "healthy":
        assert got["uptime"] == 1.0 and got["outages"] == [] and got["mtbf_s"] is None


def test_the_scorecard_compares_the_family(simulated: dict[str, Any]) -> None:
    from baimo.monitor.scorecard import vendor_scorecard

    repo = MonitorRepository(simulated["store"].engine)
    end = T0 + (DAYS * 8 - 1) * SLOT + TICK_OFFSET + 1.0
    card = vendor_scorecard(repo, simulated["models"], simulated["settings"], end)
    rows = {r["model"]: r for r in card["demo-model"]}
    assert set(rows) == set(MODELS)
    assert rows["healthy"]["reference"] and rows["healthy"]["canary_agreement"] == 1.0
    assert rows["swapped"]["canary_agreement"] == 0.0
    assert rows["overreports"]["checks_failed"] == ["usage"]
    assert rows["flappy"]["uptime"] < 1.0 and rows["healthy"]["uptime"] == 1.0
    assert rows["healthy"]["blended_price_per_1m"] == pytest.approx(0.75 * 1 + 0.25 * 2)
    assert rows["healthy"]["checks_passed"] == rows["healthy"]["checks_judged"] == 7


def test_the_advisor_ranks_on_measured_stability(simulated: dict[str, Any]) -> None:
    """``stability`` = mean of normalised uptime (higher better) and TTFT CV (lower better),
    both read from the monitor's probes; checked against values recomputed here."""
    from baimo.advise import CriteriaSpec, ModelMeasurements, Profile, advise
    from baimo.monitor.scorecard import stability_measurement

    end = T0 + (DAYS * 8 - 1) * SLOT + TICK_OFFSET + 1.0
    engine = simulated["store"].engine
    ms = {n: stability_measurement(engine, n, now=end) for n in ("healthy", "flappy", "slow")}
    for name, m in ms.items():
        assert m is not None
        rows = [r for r in _hand(simulated["db"], name) if end - 72 * 3600 <= r["at"] <= end
                and r["kind"] in ("latency", "parallel")]
        assert m.uptime == pytest.approx(sum(r["status"] == "ok" for r in rows) / len(rows))
        ttft = [r["ttft_s"] for r in rows if r["kind"] == "latency" and r["status"] == "ok"
                and r["input_tokens"] == 1000]
        assert m.ttft_cv == pytest.approx(statistics.stdev(ttft) / statistics.mean(ttft))
    profile = Profile(id="steady", criteria=CriteriaSpec(weights={"stability": 1.0}))
    advice = advise([ModelMeasurements(name=n, metrics={"uptime": m.uptime,
                                                        "ttft_cv": float(m.ttft_cv or 0)})
                     for n, m in ms.items() if m is not None], profile)
    by = {r.name: r for r in advice.ranked}
    u = {n: m.uptime for n, m in ms.items() if m}
    c = {n: float(m.ttft_cv or 0) for n, m in ms.items() if m}

    def mm(x: dict[str, float], n: str, higher: bool) -> float:
        lo, hi = min(x.values()), max(x.values())
        v = (x[n] - lo) / (hi - lo) if hi > lo else 1.0
        return v if higher else 1 - v

    for n in ms:
        want = 0.5 * mm(u, n, True) + 0.5 * mm(c, n, False)
        assert by[n].criterion_scores["stability"] == pytest.approx(want)
    assert min(u, key=lambda n: u[n]) == "flappy"


def test_the_workspace_shows_series_incidents_and_the_scorecard(
        simulated: dict[str, Any], tmp_path: Path) -> None:
    import re

    import yaml
    from fastapi.testclient import TestClient

    from baimo.web.app import create_app
    from baimo.web.http import Settings

    cfg = tmp_path / "baimo.yaml"
    cfg.write_text(yaml.safe_dump({
        "models": [m.public_dict() for m in simulated["models"]],
        "monitor": {"references": {"demo-model": "healthy"}, "headline_size": 1000}}))
    until = T0 + (DAYS * 8 - 1) * SLOT + TICK_OFFSET + 1.0
    app = create_app(Settings(db_url=f"sqlite:///{simulated['db']}", config_path=cfg,
                              start_jobs=False))
    with TestClient(app) as client:
        home = client.get("/api/v1/monitor", params={"until": until}).json()
        assert {e["model"] for e in home["endpoints"]} == set(MODELS)
        slow = next(i for i in home["incidents"] if i["model"] == "slow")
        assert slow["metric"] == "ttft_s" and slow["started_at"] == T0 + CHANGE_SLOT * SLOT + 60
        rows = {r["model"]: r for r in home["scorecard"]["demo-model"]}
        assert rows["swapped"]["canary_agreement"] == 0.0 and rows["healthy"]["reference"]
        page = client.get("/monitor", params={"until": until})
        assert page.status_code == 200 and "ignores-stop" in page.text
        for tag in re.findall(r"<script\b[^>]*>", page.text):
            assert "src=" in tag or 'type="application/json"' in tag
        client.cookies.set("baimo_lang", "zh-CN")
        zh = client.get("/monitor", params={"until": until})
        assert "同一模型在不同厂商" in zh.text and "故障事件" in zh.text
        client.cookies.delete("baimo_lang")
        ep = client.get("/api/v1/monitor/endpoint/slow", params={"until": until, "days": 3})
        data = ep.json()
        assert data["points"] == DAYS * 8
        (ttft,) = [c for c in data["charts"] if c["id"] == "ttft"]
        series = ttft["option"]["series"]
        line = series[-1]["data"]
        assert [p[0] for p in line][CHANGE_SLOT] == round((T0 + CHANGE_SLOT * SLOT + 60) * 1000)
        assert line[CHANGE_SLOT][1] > 0.15 > line[CHANGE_SLOT - 1][1]
        html = client.get("/monitor/endpoint/slow", params={"until": until, "days": 3})
        assert 'data-chart="monitor-ttft"' in html.text and "max_tokens" in html.text
        assert client.get("/monitor/endpoint/nope").status_code == 404


STABILITY_METHODOLOGY = """
id: stability-demo
title: Stability from baimo monitor
version: 1
description: Uptime and the coefficient of variation of TTFT, both measured by baimo monitor.
provenance:
  publisher: baimo tests
  title: stability indicators
  date: "2026"
  notes: test only
combine:
  mode: weighted
dimensions:
  - id: stability
    name: 稳定性
    name_en: Stability
    weight: 100%
    indicators:
      - id: uptime
        name: 可用率
        name_en: Uptime over 72 h
        weight: 50%
        normalisation: {kind: scale, min: 0, max: 1}
        source: {measured: "monitor:uptime"}
      - id: ttft_cv
        name: 首字延迟波动
        name_en: Coefficient of variation of TTFT
        weight: 50%
        direction: cost
        normalisation: minmax
        source: {measured: "monitor:ttft_cv"}
"""


def test_methodologies_read_measured_stability(simulated: dict[str, Any]) -> None:
    from baimo.monitor.scorecard import stability_measurement
    from baimo.scores.measured import Measurements, explain_missing, to_methodology_inputs
    from baimo.scores.methodology import parse_methodology, score_methodology

    end = T0 + (DAYS * 8 - 1) * SLOT + TICK_OFFSET + 1.0
    engine = simulated["store"].engine
    ms = {n: Measurements(model=n, config={}, config_source="test",
                          stability=stability_measurement(engine, n, now=end))
          for n in ("healthy", "flappy")}
    ms["never"] = Measurements(model="never", config={}, config_source="test")
    inputs = to_methodology_inputs(ms)
    assert inputs["flappy"]["monitor:uptime"] < 1.0 == inputs["healthy"]["monitor:uptime"]
    assert "monitor:uptime" not in inputs["never"]
    assert "baimo monitor once -m never" in explain_missing(ms["never"], "monitor:uptime")
    result = score_methodology(parse_methodology(STABILITY_METHODOLOGY), None, inputs)
    assert "never" in result.incomplete
    scored = {r.entity: r for r in result.scores if r.overall is not None}
    assert set(scored) == {"healthy", "flappy"}
