"""Measured stability in the methodologies: ``model-selection``'s optional ``stability`` and
the vendor methodology's ``service_stability``, from monitor probes in a real SQLite store.

Eval and perf runs go against loopback mock servers (as in ``test_measured``); the monitor's
probes are written through ``MonitorRepository`` with known outcomes and TTFTs, so uptime, the
coefficient of variation of TTFT and every normalised value are recomputed here by hand.
``mock-d`` is never monitored: it must be scored without stability, with the speed weights
renormalised, and every output must say so.
"""

from __future__ import annotations

import csv
import json
import shutil
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from baimo.advise import CriteriaSpec, ModelMeasurements, Profile, advise
from baimo.advise.advisor import HIGHER_IS_BETTER, STABILITY_SHARES
from baimo.cli.score import app as score_app
from baimo.config import load_config
from baimo.perf.loads import Level
from baimo.perf.runner import PerfSpec, run_perf
from baimo.runs.eval import run_eval
from baimo.scores.methodology import MeasuredSource, load_methodology
from baimo.store import schema
from baimo.store.monitor import CycleRecord, MonitorRepository, ProbeRecord
from baimo.store.store import Store
from baimo.tasks.registry import SuiteOptions, build_suite
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer
from support import write_models, write_task

# TTFTs of the 1000-token latency probes, one per hour back from now; None is a failed probe.
PROBES: dict[str, list[float | None]] = {
    "mock-a": [0.10, 0.12, 0.11, 0.13, 0.10, 0.12],
    "mock-b": [0.05, None, 0.09, 0.05, 0.07, 0.06],
    "mock-c": [0.20, 0.21, None, 0.20, None, 0.26],
}


def _write_probes(store: Store, model: str, ttfts: Sequence[float | None], now: float) -> None:
    """One monitor cycle of ``model`` holding its latency probes, committed by the repository."""
    repo = MonitorRepository(store.engine)
    slot = now - (len(ttfts) + 1) * 3600
    cycle = repo.open_cycle(
        CycleRecord(
            id=f"test-{model}",
            model_name=model,
            slot=slot,
            status="running",
            owner="test",
            started_at=slot,
            finished_at=None,
            plan=[],
        )
    )
    repo.write_probes(
        [
            ProbeRecord(
                cycle_id=cycle.id,
                model_name=model,
                identity="test",
                family=None,
                kind="latency",
                probe=f"latency-1000-{i}",
                at=now - (i + 1) * 3600,
                input_tokens=1000,
                status="ok" if t is not None else "error",
                error_kind=None if t is not None else "server",
                ttft_s=t,
            )
            for i, t in enumerate(ttfts)
        ]
    )
    repo.finish_cycle(cycle.id, now, {})


def _uptime(ttfts: Sequence[float | None]) -> float:
    return sum(t is not None for t in ttfts) / len(ttfts)


def _cv(ttfts: Sequence[float | None]) -> float:
    ok = [t for t in ttfts if t is not None]
    return statistics.stdev(ok) / statistics.mean(ok)


def _minmax(x: dict[str, float], name: str, higher: bool) -> float:
    lo, hi = min(x.values()), max(x.values())
    v = (x[name] - lo) / (hi - lo)
    return v if higher else 1 - v


@dataclass(frozen=True)
class Built:
    url: str
    config: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    tmp = tmp_path_factory.mktemp("stability")
    url = f"sqlite:///{tmp / 'store.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BAIMO_HOME", str(tmp / "home"))
        store = Store(url)
        with (
            MockServer(MockConfig(ttft_s=0.08, itl_s=0.01)) as a,
            MockServer(MockConfig(ttft_s=0.02, itl_s=0.002, output_tokens=2)) as b,
        ):
            path = write_models(
                tmp,
                a.base_url,
                [
                    {"name": "mock-a", "pricing": {"input_per_1m": 4, "output_per_1m": 12}},
                    {
                        "name": "mock-b",
                        "base_url": b.base_url,
                        "pricing": {"input_per_1m": 1, "output_per_1m": 2},
                    },
                    {"name": "mock-c", "pricing": {"input_per_1m": 2, "output_per_1m": 6}},
                    {
                        "name": "mock-d",
                        "base_url": b.base_url,
                        "pricing": {"input_per_1m": 3, "output_per_1m": 3},
                    },
                ],
            )
            data = yaml.safe_load(path.read_text())
            data["dimensions"] = {"synthetic": "reasoning"}
            path.write_text(yaml.safe_dump(data))
            cfg = load_config(path)
            models = [cfg.get(n) for n in ("mock-a", "mock-b", "mock-c", "mock-d")]
            opts = SuiteOptions(limit=2)
            tasks = [
                *build_suite("demo", SuiteOptions(limit=3)),
                load_task(write_task(tmp, 4)),
                *build_suite("ifeval", opts),
                *build_suite("safety", opts),
                *build_suite("humaneval", SuiteOptions(limit=1)),
            ]
            run_eval(store, models, tasks)
            run_perf(
                store,
                PerfSpec(
                    levels=[Level("concurrency", 1.0)],
                    requests=4,
                    warmup="1",
                    input_tokens=16,
                    output_tokens=8,
                    ignore_eos="on",
                    tokenizer="words",
                    timeout_s=10.0,
                ),
                models,
            )
        now = time.time()
        for model, ttfts in PROBES.items():
            _write_probes(store, model, ttfts, now)
        store.close()
        yield Built(url, path)


@pytest.fixture()
def db_env(built: Built, monkeypatch: pytest.MonkeyPatch) -> Built:
    monkeypatch.setenv("BAIMO_DB", built.url)
    monkeypatch.setenv("COLUMNS", "240")
    return built


def test_stability_is_one_definition_in_advisor_and_methodologies() -> None:
    """Both methodologies' stability indicators are the advisor's criterion: the same two
    monitor keys, directions, shares and min-max normalisation."""
    for mid, ind_id in (
        ("model-selection", "stability"),
        ("eo-five-forces-2024", "service_stability"),
    ):
        ind = load_methodology(mid).indicators()[ind_id]
        assert ind.optional
        keys = {}
        for sub in ind.sub_indicators:
            assert isinstance(sub.source, MeasuredSource) and sub.source.kind == "monitor"
            keys[sub.source.key] = sub
        assert set(keys) == set(STABILITY_SHARES) == {"uptime", "ttft_cv"}
        weights = ind.sub_weights()
        for key, sub in keys.items():
            assert weights[sub.id] == pytest.approx(STABILITY_SHARES[key])
            assert (sub.direction == "benefit") == HIGHER_IS_BETTER[key]
            assert sub.effective_normalisation.kind == "minmax"


def test_model_selection_scores_measured_stability_by_hand(db_env: Built, tmp_path: Path) -> None:
    report = tmp_path / "score.html"
    res = CliRunner().invoke(
        score_app,
        [
            "-m",
            "model-selection",
            "--latest",
            "--config",
            str(db_env.config),
            "--no-store",
            "--json",
            "-",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    rows = {r["entity"]: r for r in data["ranking"]}
    assert set(rows) == {"mock-a", "mock-b", "mock-c", "mock-d"} and data["incomplete"] == {}

    # stability of the monitored three, from the probes written above
    up = {m: _uptime(t) for m, t in PROBES.items()}
    cv = {m: _cv(t) for m, t in PROBES.items()}
    assert up == {"mock-a": 1.0, "mock-b": 5 / 6, "mock-c": 4 / 6}
    stab = {m: 0.5 * _minmax(up, m, True) + 0.5 * _minmax(cv, m, False) for m in PROBES}
    for m in PROBES:
        ind = rows[m]["indicators"]
        assert ind["uptime"]["raw"] == pytest.approx(up[m], abs=1e-12)
        assert ind["ttft_cv"]["raw"] == pytest.approx(cv[m], abs=1e-12)
        assert ind["stability"]["normalised"] == pytest.approx(stab[m], abs=1e-12)
        assert rows[m]["scored_without"] == {} and rows[m]["weights_used"] == {}

    # speed: TTFT p95 and output speed min-max over all four, stability over the three
    ttft = {m: r["indicators"]["ttft_p95"]["raw"] for m, r in rows.items()}
    tps = {m: r["indicators"]["output_tokens_per_s"]["raw"] for m, r in rows.items()}
    for m, r in rows.items():
        t, s = _minmax(ttft, m, False), _minmax(tps, m, True)
        want = (t + s + stab[m]) / 3 if m in PROBES else 0.5 * t + 0.5 * s
        assert r["dimensions"]["speed"] == pytest.approx(want, abs=1e-12)
        assert r["overall"] == pytest.approx(sum(r["dimensions"].values()) / 4, abs=1e-12)

    d = rows["mock-d"]
    assert set(d["scored_without"]) == {"stability"}
    assert "no measured value 'monitor:uptime'" in d["scored_without"]["stability"]
    assert d["weights_used"] == {
        "dimension:speed": pytest.approx({"ttft_p95": 0.5, "output_tokens_per_s": 0.5})
    }
    assert not {"stability", "uptime", "ttft_cv"} & set(d["indicators"])
    assert any("mock-d without stability" in n for n in data["notes"])

    # the advisor's stability criterion on the same measurements gives the same numbers
    advice = advise(
        [ModelMeasurements(name=m, metrics={"uptime": up[m], "ttft_cv": cv[m]}) for m in PROBES],
        Profile(id="steady", criteria=CriteriaSpec(weights={"stability": 1.0})),
    )
    for r in advice.ranked:
        assert r.criterion_scores["stability"] == pytest.approx(stab[r.name], abs=1e-12)

    # the table output and the HTML report say who was scored without what, and why
    res = CliRunner().invoke(
        score_app,
        [
            "-m",
            "model-selection",
            "--latest",
            "--config",
            str(db_env.config),
            "--report",
            str(report),
        ],
    )
    assert res.exit_code == 0, res.output
    out = res.output
    assert "mock-d *" in out and "* scored without an optional indicator" in out
    assert "Scored without optional indicators" in out
    assert "mock-d: without stability (稳定性): indicator uptime" in out
    assert "weights used in dimension:speed: ttft_p95 50.00%, output_tokens_per_s 50.00%" in out
    assert (
        "mock-d: monitor:uptime: no monitor probes of mock-d in the last 72 h (run: baimo "
        "monitor once -m mock-d)"
    ) in out
    assert "mock-a: monitor" not in out
    html = report.read_text(encoding="utf-8")
    assert "<h2>Scored without optional indicators</h2>" in html
    assert "mock-d *" in html and "baimo monitor once -m mock-d" in html
    assert "dimension:speed: ttft_p95 50.0%, output_tokens_per_s 50.0%" in html


def test_without_monitor_data_model_selection_scores_as_before(
    db_env: Built, tmp_path: Path
) -> None:
    """The same runs scored against a store with no monitor probes: nobody has stability, so
    the speed dimension is 1/2 TTFT p95 + 1/2 output speed for everyone, as before stability
    existed, and every model lists what it was scored without."""
    empty = tmp_path / "empty.db"
    shutil.copyfile(db_env.url.removeprefix("sqlite:///"), empty)
    store = Store(f"sqlite:///{empty}")
    try:
        with store.engine.begin() as conn:
            conn.execute(schema.monitor_probes.delete())
        assert MonitorRepository(store.engine).probes() == []
    finally:
        store.close()
    res = CliRunner(env={"BAIMO_DB": f"sqlite:///{empty}"}).invoke(
        score_app,
        [
            "-m",
            "model-selection",
            "--latest",
            "--config",
            str(db_env.config),
            "--no-store",
            "--json",
            "-",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["weights"]["indicators"]["ttft_p95"] == 0.5
    assert "stability" not in data["weights"]["indicators"]
    rows = {r["entity"]: r for r in data["ranking"]}
    ttft = {m: r["indicators"]["ttft_p95"]["raw"] for m, r in rows.items()}
    tps = {m: r["indicators"]["output_tokens_per_s"]["raw"] for m, r in rows.items()}
    for m, r in rows.items():
        assert set(r["scored_without"]) == {"stability"} and r["weights_used"] == {}
        assert r["dimensions"]["speed"] == pytest.approx(
            0.5 * _minmax(ttft, m, False) + 0.5 * _minmax(tps, m, True), abs=1e-12
        )
    assert any("stability (稳定性) left out for every entity" in n for n in data["notes"])


# --------------------------------------------------------------------------- vendors

VENDOR_ENDPOINTS: dict[str, list[str]] = {
    "VendorOne": ["v1-chat", "v1-code"],
    "VendorTwo": ["v2-chat"],
    "VendorThree": ["v3-chat"],
    "VendorFour": ["v4-chat"],  # configured, never probed
}
VENDOR_PROBES: dict[str, list[float | None]] = {
    "v1-chat": [0.30, 0.32, 0.31, 0.35],
    "v1-code": [0.50, None, 0.40, 0.45],
    "v2-chat": [0.20, 0.40, None, 0.30, 0.20],
    "v3-chat": [0.60, 0.61, 0.62, 0.60, 0.59, 0.61],
}
VENDORS = ["VendorOne", "VendorTwo", "VendorThree", "VendorFour", "VendorFive"]


def _vendor_facts(path: Path) -> dict[str, dict[str, float]]:
    """An EO facts CSV for the five vendors; returns the infrastructure facts written."""
    eo = load_methodology("eo-five-forces-2024")
    infra: dict[str, dict[str, float]] = {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["entity", "indicator", "value", "source", "as_of"])
        for k, ent in enumerate(VENDORS):
            w.writerow([ent, "released_general_model", "true", "test", "2024"])
            w.writerow([ent, "filed_beian", "true", "test", "2024"])
            for j, (dim, leaf) in enumerate(eo.required_leaves()):
                value = {"caict_trusted_ai": 1 + k % 5, "miit_conformance": k % 2}.get(
                    leaf.id, (k * 7 + j * 3) % 10 + 1
                )
                w.writerow([ent, leaf.id, value, "test", "2024"])
                if dim.id == "infrastructure":
                    infra.setdefault(ent, {})[leaf.id] = float(value)
    return infra


def test_vendor_methodology_takes_measured_stability(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'vendors.db'}"
    monkeypatch.setenv("BAIMO_DB", url)
    monkeypatch.setenv("COLUMNS", "240")
    store = Store(url)
    now = time.time()
    for endpoint, ttfts in VENDOR_PROBES.items():
        _write_probes(store, endpoint, ttfts, now)
    store.close()
    models = tmp_path / "baimo.yaml"
    models.write_text(
        yaml.safe_dump(
            {
                "models": [
                    {
                        "name": n,
                        "provider": "openai-compatible",
                        "base_url": "http://127.0.0.1:9/v1",
                        "vendor": vendor,
                    }
                    for vendor, names in VENDOR_ENDPOINTS.items()
                    for n in names
                ]
            }
        )
    )
    facts = tmp_path / "facts.csv"
    infra = _vendor_facts(facts)

    base = ["-m", "eo-five-forces-2024", "-i", str(facts), "--config", str(models), "--no-store"]
    res = CliRunner().invoke(score_app, [*base, "--monitor-vendors", "--json", "-"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    rows = {r["entity"]: r for r in data["ranking"]}
    assert set(rows) == set(VENDORS)

    # pooled uptime and the mean of the endpoints' TTFT CVs, by hand
    up: dict[str, float] = {}
    cv: dict[str, float] = {}
    for vendor in ("VendorOne", "VendorTwo", "VendorThree"):
        probes = [t for e in VENDOR_ENDPOINTS[vendor] for t in VENDOR_PROBES[e]]
        up[vendor] = _uptime(probes)
        cv[vendor] = statistics.mean(_cv(VENDOR_PROBES[e]) for e in VENDOR_ENDPOINTS[vendor])
    assert up["VendorOne"] == 7 / 8 and up["VendorTwo"] == 4 / 5
    stab = {v: 0.5 * _minmax(up, v, True) + 0.5 * _minmax(cv, v, False) for v in up}
    seed = ("compute_centres", "chips", "data")
    norm = {
        i: {v: _minmax({e: infra[e][i] for e in VENDORS}, v, True) for v in VENDORS} for i in seed
    }
    for vendor, r in rows.items():
        three = sum(norm[i][vendor] for i in seed)
        if vendor in stab:
            assert r["indicators"]["uptime"]["raw"] == pytest.approx(up[vendor], abs=1e-12)
            assert r["indicators"]["ttft_cv"]["raw"] == pytest.approx(cv[vendor], abs=1e-12)
            assert r["indicators"]["service_stability"]["normalised"] == pytest.approx(
                stab[vendor], abs=1e-12
            )
            want = (three + stab[vendor]) / 4
            assert r["scored_without"] == {}
        else:
            want = three / 3
            assert set(r["scored_without"]) == {"service_stability"}
            assert r["weights_used"]["dimension:infrastructure"] == pytest.approx(
                dict.fromkeys(seed, 1 / 3)
            )
        assert r["dimensions"]["infrastructure"] == pytest.approx(want, abs=1e-12)

    # the table says where each vendor's stability came from, or why there is none
    res = CliRunner().invoke(score_app, [*base, "--monitor-vendors"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Vendor stability from baimo monitor" in out
    assert "VendorOne: uptime 87.50% over 8 probes" in out and "v1-chat, v1-code" in out
    assert "VendorFour: none of its endpoints was probed in the last 72 h" in out
    assert "VendorFive: no endpoint in the models file has `vendor: VendorFive`" in out
    assert "VendorFour: without service_stability" in out

    # without --monitor-vendors the scores are those of the seed's three indicators
    res = CliRunner().invoke(score_app, [*base, "--json", "-"])
    plain = {r["entity"]: r for r in json.loads(res.output)["ranking"]}
    for vendor, r in plain.items():
        assert r["dimensions"]["infrastructure"] == pytest.approx(
            sum(norm[i][vendor] for i in seed) / 3, abs=1e-12
        )
        assert set(r["scored_without"]) == {"service_stability"}
