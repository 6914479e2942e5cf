"""``baimo serve`` in-process, through an ASGI client over a real store: pages and their JSON
twins, both languages, security headers, escaping, CSRF, roles, rate limits, exports."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webtools import FORMULA, IMG, SCRIPT, plain_task, write_models

from baimo.config import load_config
from baimo.errors import BaimoError
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.store.web import WebRepository
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockConfig, MockServer
from baimo.web.app import create_app
from baimo.web.data import tie_ranks
from baimo.web.http import Settings
from baimo.web.security import is_loopback, new_token, token_hash
from baimo.web.serve import check_host

PAGES = ["/", "/leaderboards", "/leaderboards?dimension=math", "/runs", "/runs?kind=eval",
         "/compare", "/compare?task=hostile&models=alpha&models=beta&models=gamma",
         "/perf", "/decide", "/decide?w_capability=80&w_cost=20", "/landscape",
         "/landscape?q=qwen", "/jobs"]


@pytest.fixture(scope="module")
def client(web_home: dict[str, Any]) -> Iterator[TestClient]:
    app = create_app(Settings(db_url=web_home["db"], config_path=web_home["config"],
                              start_jobs=False))
    with TestClient(app) as c:
        yield c


def _run_ids(client: TestClient, kind: str) -> list[str]:
    return [r["id"] for r in client.get(f"/api/v1/runs?kind={kind}").json()["runs"]]


def test_every_page_and_its_twin_answer_in_both_languages(client: TestClient) -> None:
    eval_run = _run_ids(client, "eval")[-1]
    for path in [*PAGES, f"/runs/{eval_run}", f"/runs/{eval_run}?status=wrong"]:
        en = client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"})
        zh = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
        assert en.status_code == 200 and zh.status_code == 200, (path, en.text[:300])
        assert '<html lang="en">' in en.text and '<html lang="zh-CN">' in zh.text
        assert "排行榜" in zh.text and "Leaderboards" in en.text
        assert "排行榜" not in en.text
        api = "/api/v1" + (path if path != "/" else "/overview")
        twin = client.get(api)
        assert twin.status_code == 200, (api, twin.text[:300])
        assert twin.headers["content-type"].startswith("application/json")


def test_the_openapi_schema_documents_every_twin(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in ["/api/v1/overview", "/api/v1/leaderboards", "/api/v1/runs",
              "/api/v1/runs/{run_id}", "/api/v1/compare", "/api/v1/perf", "/api/v1/decide",
              "/api/v1/landscape", "/api/v1/jobs", "/api/v1/jobs/{job_id}/events"]:
        assert p in paths, p
    assert not any(not p.startswith("/api/v1") for p in paths)


def test_the_language_switch_persists_and_numbers_follow_the_locale(client: TestClient) -> None:
    r = client.get("/lang/zh-CN?next=/runs", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/runs"
    assert "baimo_lang=zh-CN" in r.headers["set-cookie"]
    page = client.get("/runs", headers={"Accept-Language": "en", "Cookie": "baimo_lang=zh-CN"})
    assert '<html lang="zh-CN">' in page.text and "运行记录" in page.text
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page.text)  # dates in the Chinese format
    en = client.get("/runs", headers={"Cookie": "baimo_lang=en"})
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", en.text)
    # an off-site "next" is never followed
    assert client.get("/lang/en?next=//evil.example/x",
                      follow_redirects=False).headers["location"] == "/"


def test_pages_send_a_csp_without_inline_script_and_carry_none(client: TestClient) -> None:
    eval_run = _run_ids(client, "eval")[-1]
    for path in [*PAGES, f"/runs/{eval_run}"]:
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1
                                                                                    ].split(";")[0]
        for tag in re.findall(r"<script\b[^>]*>", r.text):
            assert 'src="/' in tag or 'type="application/json"' in tag, (path, tag)
        assert r.headers["x-frame-options"] == "DENY"


def test_model_output_and_names_are_escaped_and_unaltered(client: TestClient) -> None:
    eval_run = next(r for r in _run_ids(client, "eval")
                    if "alpha" in client.get(f"/api/v1/runs/{r}").json()["run"]["models"][0][
                        "name"])
    page = client.get(f"/runs/{eval_run}?task=hostile&model=alpha")
    assert SCRIPT not in page.text and IMG not in page.text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page.text
    data = client.get(f"/api/v1/runs/{eval_run}?task=hostile&model=alpha").json()
    answers = [s["answer"] for s in data["samples"]]
    assert any(SCRIPT in (a or "") for a in answers)  # the JSON twin returns the text as is
    zh = client.get(f"/runs/{eval_run}?task=hostile&model=alpha",
                    headers={"Accept-Language": "zh-CN"})
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in zh.text  # not translated
    cmp = client.get("/compare?task=hostile&models=alpha&models=beta")
    assert SCRIPT not in cmp.text and "&lt;img src=x onerror=window.__pwned=1&gt;" in cmp.text


def test_csv_exports_cannot_become_formulas(client: TestClient) -> None:
    eval_run = _run_ids(client, "eval")[-1]
    text = client.get(f"/api/v1/runs/{eval_run}/samples.csv").text
    rows = list(csv.reader(io.StringIO(text)))
    ids = [r[2] for r in rows[1:]]
    assert "'" + FORMULA in ids and FORMULA not in ids
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    board = client.get("/api/v1/leaderboards.csv")
    assert board.status_code == 200 and board.text.startswith("rank,model,capability")


def test_leaderboard_numbers_match_the_store(client: TestClient,
                                             web_home: dict[str, Any]) -> None:
    board = client.get("/api/v1/leaderboards").json()
    store = Store(web_home["db"])
    try:
        rows = [r for rid in _run_ids(client, "eval") for r in store.runs.results([rid])]
    finally:
        store.close()
    by_model = {m["model"]: m for m in board["capability"]}
    for name in ("alpha", "beta", "gamma"):
        plain = [r for r in rows if r.model_name == name and r.task == "plain"
                 and r.status in ("ok", "wrong", "no-answer", "truncated")]
        acc = sum(r.score for r in plain) / len(plain)
        task = by_model[name]["tasks"]["plain"]
        assert task["accuracy"] == pytest.approx(acc)
        assert task["ci_low"] < acc < task["ci_high"]
        cap = by_model[name]["capability"]
        assert cap["ci_low"] <= cap["score"] <= cap["ci_high"]
    assert {m["model"] for m in board["speed"]} == {"alpha", "beta"}
    assert all(m["speed"]["ttft_p50_s"] is not None for m in board["speed"])


def test_a_model_whose_every_sample_failed_is_not_counted_as_measured(
        tmp_path: Path) -> None:
    # "ghost" is refused by the endpoint (404), so every one of its rows is a failed row
    with MockServer(MockConfig(models=["alpha"])) as srv:
        cfg = load_config(write_models(tmp_path, srv.base_url, ["alpha", "ghost"]))
        db = f"sqlite:///{tmp_path / 'baimo.db'}"
        store = Store(db)
        try:
            run_eval(store, [cfg.get("alpha"), cfg.get("ghost")],
                     [load_task(plain_task(tmp_path), cfg)], command="test eval")
            rows = store.runs.results([store.runs.resolve("latest")])
        finally:
            store.close()
    assert {r.status for r in rows if r.model_name == "ghost"} == {"error"}
    app = create_app(Settings(db_url=db, config_path=tmp_path / "baimo.yaml",
                              start_jobs=False))
    with TestClient(app) as c:
        counts = c.get("/api/v1/overview").json()["counts"]
        assert counts["models"] == 1 and counts["models_tried"] == 1
        for lang, said in (("en", "1 more tried, no scored results"),
                           ("zh-CN", "另有 1 个已尝试，无计分结果")):
            page = c.get("/", headers={"Cookie": f"baimo_lang={lang}"})
            kpi = page.text.split('<div class="kpi">', 2)[1]
            assert kpi.startswith("<b>1</b>"), kpi[:200]
            assert said in kpi, (lang, kpi[:300])


def test_statistically_tied_models_share_a_rank() -> None:
    ranks = tie_ranks([("a", 0.80, 0.90), ("b", 0.78, 0.88), ("c", 0.50, 0.60),
                       ("d", 0.55, 0.79)])
    assert ranks == {"a": 1, "b": 1, "c": 3, "d": 2}


def test_compare_differences_only_and_significance(client: TestClient) -> None:
    full = client.get("/api/v1/compare?task=plain&models=alpha&models=gamma").json()
    diff = client.get("/api/v1/compare?task=plain&models=alpha&models=gamma&diff=true").json()
    assert full["total"] == 40
    for row in diff["rows"]:
        a, g = row["cells"]
        assert a["score"] != g["score"] or a["status"] != g["status"]
    assert diff["total"] <= full["total"]
    sig = full["significance"][0]
    assert sig["n"] == 40 and sig["ci_low"] <= sig["diff"] <= sig["ci_high"]
    wrong = client.get("/api/v1/compare?task=plain&models=alpha&models=gamma&status=wrong"
                       ).json()
    assert wrong["total"] > 0
    assert all(any(c["status"] == "wrong" for c in r["cells"]) for r in wrong["rows"])


def test_forms_without_the_csrf_token_are_rejected(client: TestClient) -> None:
    client.get("/jobs")  # sets the CSRF cookie
    token = client.cookies.get("baimo_csrf")
    assert token
    bad = client.post("/jobs", data={"kind": "eval", "models": "alpha"},
                      follow_redirects=False)
    assert bad.status_code == 403 and "CSRF" in bad.text
    wrong = client.post("/jobs", data={"kind": "eval", "models": "alpha",
                                       "csrf_token": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403
    api = client.post("/api/v1/jobs", json={"kind": "eval", "spec": {"models": ["alpha"]}})
    assert api.status_code == 403  # cookie-borne session without the header
    ok = client.post("/jobs", data={"kind": "eval", "models": "alpha", "suites": "demo",
                                    "limit": "2", "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    jobs = client.get("/api/v1/jobs").json()["jobs"]
    assert jobs[0]["status"] == "queued" and jobs[0]["spec"]["models"] == ["alpha"]
    cancel = client.post(f"/api/v1/jobs/{jobs[0]['id']}/cancel",
                         headers={"X-CSRF-Token": token})
    assert cancel.status_code == 200
    assert client.get(f"/api/v1/jobs/{jobs[0]['id']}").json()["status"] == "cancelled"


def test_bad_job_specs_get_a_clear_error(client: TestClient) -> None:
    token = client.cookies.get("baimo_csrf") or ""
    r = client.post("/api/v1/jobs", json={"kind": "eval", "spec": {"models": ["a b;rm"]}},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "not a valid name" in r.text
    r = client.post("/api/v1/jobs", json={"kind": "shell", "spec": {}},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "eval or perf" in r.text


def test_a_job_for_a_model_that_is_not_configured_is_refused_up_front(
        web_home: dict[str, Any]) -> None:
    # an app of its own, so these writes do not spend the shared client's rate limit
    app = create_app(Settings(db_url=web_home["db"], config_path=web_home["config"],
                              start_jobs=False, write_burst=50))
    with TestClient(app) as client:
        _refuses_unknown_models(client)


def _refuses_unknown_models(client: TestClient) -> None:
    client.get("/jobs")
    token = client.cookies.get("baimo_csrf") or ""
    before = {j["id"] for j in client.get("/api/v1/jobs").json()["jobs"]}
    for kind in ("eval", "perf"):
        r = client.post("/api/v1/jobs", json={"kind": kind, "spec": {"models": ["alpha",
                                                                               "delta"]}},
                        headers={"X-CSRF-Token": token})
        assert r.status_code == 422, (kind, r.text)
        detail = r.json()["detail"]
        assert "no model named 'delta'" in detail
        assert "alpha, beta, gamma" in detail and "smollm2-135m" in detail
    # the form says so in the reader's language, next to the form
    for lang, said in (("en", "No model named &#39;delta&#39; is configured. Configured "
                              "models: smollm2-135m, alpha, beta, gamma"),
                       ("zh-CN", "未配置名为 &#39;delta&#39; 的模型。已配置的模型：smollm2-135m, "
                                 "alpha, beta, gamma")):
        page = client.post("/jobs", data={"kind": "eval", "models": ["delta"], "limit": "2",
                                          "csrf_token": token},
                           headers={"Cookie": f"baimo_csrf={token}; baimo_lang={lang}"})
        assert page.status_code == 422 and said in page.text, (lang, page.text[-3000:])
    page = client.post("/jobs", data={"kind": "perf", "models": ["delta", "omega"],
                                      "csrf_token": token})
    assert page.status_code == 422
    assert "No models named &#39;delta&#39;, &#39;omega&#39; are configured." in page.text
    # nothing was queued, and a configured model still is
    assert {j["id"] for j in client.get("/api/v1/jobs").json()["jobs"]} == before
    ok = client.post("/api/v1/jobs", json={"kind": "eval", "spec": {"models": ["gamma"]}},
                     headers={"X-CSRF-Token": token})
    assert ok.status_code == 201
    client.post(f"/api/v1/jobs/{ok.json()['id']}/cancel", headers={"X-CSRF-Token": token})


def test_a_job_for_a_suite_that_does_not_exist_is_refused_up_front(
        web_home: dict[str, Any], tmp_path: Path) -> None:
    """Like an unknown model: 422 at submission, in both languages on the form, nothing
    queued. A suite that a plugin of the models file registers counts as known."""
    plugin = tmp_path / "web_job_suites.py"
    plugin.write_text("from baimo.tasks.registry import SUITES, Suite, register\n"
                      "if 'plugged-in' not in SUITES:\n"
                      "    register(Suite('plugged-in', 'from a plugin', lambda opts: []))\n")
    config = tmp_path / "baimo.yaml"
    config.write_text(Path(web_home["config"]).read_text()
                      + f"plugins: [{plugin.name}]\n")
    app = create_app(Settings(db_url=web_home["db"], config_path=config, start_jobs=False,
                              write_burst=50))
    with TestClient(app) as client:
        client.get("/jobs")
        token = client.cookies.get("baimo_csrf") or ""
        before = {j["id"] for j in client.get("/api/v1/jobs").json()["jobs"]}
        r = client.post("/api/v1/jobs", json={"kind": "eval", "spec": {
            "suites": ["nosuch"], "models": ["smollm2-135m"]}}, headers={"X-CSRF-Token": token})
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail.startswith("no suite named 'nosuch'. Known suites: ")
        assert "demo" in detail and "plugged-in" in detail
        r = client.post("/api/v1/jobs", json={"kind": "eval", "spec": {
            "suites": ["demo", "nosuch", "nope"], "models": ["alpha"]}},
                        headers={"X-CSRF-Token": token})
        assert r.status_code == 422 and "no suites named 'nosuch', 'nope'" in r.json()["detail"]
        for lang, said in (("en", "There is no suite named &#39;nosuch&#39;. Available "
                                  "suites: "),
                           ("zh-CN", "没有名为 &#39;nosuch&#39; 的评测套件。可用的评测套件：")):
            page = client.post("/jobs", data={"kind": "eval", "models": ["alpha"],
                                              "suites": ["nosuch"], "csrf_token": token},
                               headers={"Cookie": f"baimo_csrf={token}; baimo_lang={lang}"})
            assert page.status_code == 422 and said in page.text, (lang, page.text[-3000:])
            assert "plugged-in" in page.text
        page = client.post("/jobs", data={"kind": "eval", "models": ["alpha"],
                                          "suites": ["nosuch", "nope"], "csrf_token": token})
        assert "There are no suites named &#39;nosuch&#39;, &#39;nope&#39;." in page.text
        assert {j["id"] for j in client.get("/api/v1/jobs").json()["jobs"]} == before
        # the plugin's suite is offered by the form and accepted
        assert 'value="plugged-in"' in client.get("/jobs").text
        ok = client.post("/api/v1/jobs", json={"kind": "eval", "spec": {
            "suites": ["plugged-in"], "models": ["alpha"]}}, headers={"X-CSRF-Token": token})
        assert ok.status_code == 201, ok.text
        client.post(f"/api/v1/jobs/{ok.json()['id']}/cancel", headers={"X-CSRF-Token": token})


def test_job_errors_name_the_field_without_pydantic_noise(client: TestClient) -> None:
    token = client.cookies.get("baimo_csrf") or ""
    r = client.post("/api/v1/jobs", json={"kind": "eval", "spec": {"models": ["alpha"],
                                                                    "limit": -5}},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail.startswith("spec.limit: ") and "errors.pydantic.dev" not in detail
    # The form: a field that is not a number is named, not "invalid literal for int()".
    r = client.post("/jobs", data={"kind": "perf", "models": "alpha", "concurrency": "4,x",
                                   "csrf_token": token})
    assert r.status_code == 422
    assert "concurrency: &#39;x&#39; is not a whole number" in r.text
    assert "invalid literal" not in r.text


@pytest.fixture(scope="module")
def team(web_home: dict[str, Any]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store = Store(web_home["db"])
    web = WebRepository(store.engine)
    tokens = {}
    for name, role in (("vera", "viewer"), ("rui", "runner"), ("ada", "admin")):
        user = web.user_by_name(name) or web.add_user(name, role)
        tokens[role] = new_token()
        web.add_token(user.id, token_hash(tokens[role]))
    app = create_app(Settings(db_url=web_home["db"], config_path=web_home["config"],
                              auth=True, start_jobs=False, write_burst=3,
                              write_per_minute=1), store)
    with TestClient(app) as c:
        yield c, tokens
    store.close()


def test_team_mode_needs_a_token(team: tuple[TestClient, dict[str, str]]) -> None:
    c, tokens = team
    assert c.get("/api/v1/leaderboards").status_code == 401
    r = c.get("/leaderboards", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert c.get("/api/v1/leaderboards",
                 headers={"Authorization": "Bearer bm_not-a-token"}).status_code == 401
    who = c.get("/api/v1/whoami", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert who.json() == {"name": "vera", "role": "viewer"}


def test_tokens_are_stored_hashed(team: tuple[TestClient, dict[str, str]],
                                  web_home: dict[str, Any]) -> None:
    import sqlite3

    _, tokens = team
    db = web_home["tmp"] / "baimo.db"
    raw = b"".join(p.read_bytes() for p in db.parent.glob("baimo.db*") if p.is_file())
    con = sqlite3.connect(db)
    stored = {r[0] for r in con.execute("select token_hash from tokens")}
    con.close()
    for tok in tokens.values():
        assert tok.encode() not in raw  # neither in the database nor in its WAL
        assert token_hash(tok) in stored


def test_a_viewer_token_cannot_start_a_job(team: tuple[TestClient, dict[str, str]]) -> None:
    c, tokens = team
    spec = {"kind": "eval", "spec": {"models": ["alpha"], "limit": 1}}
    r = c.post("/api/v1/jobs", json=spec, headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert r.status_code == 403 and "runner" in r.text
    r = c.post("/api/v1/jobs", json=spec, headers={"Authorization": f"Bearer {tokens['runner']}"})
    assert r.status_code == 201, r.text
    c.post(f"/api/v1/jobs/{r.json()['id']}/cancel",
           headers={"Authorization": f"Bearer {tokens['runner']}"})


def test_sign_in_sets_a_cookie_session_that_still_needs_csrf(
        team: tuple[TestClient, dict[str, str]]) -> None:
    c, tokens = team
    c.get("/login")
    csrf = c.cookies.get("baimo_csrf")
    bad = c.post("/login", data={"token": "bm_wrong", "csrf_token": csrf})
    assert bad.status_code == 401
    ok = c.post("/login", data={"token": tokens["runner"], "csrf_token": csrf, "next": "/jobs"},
                follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/jobs"
    assert c.get("/jobs").status_code == 200
    r = c.post("/api/v1/jobs", json={"kind": "eval", "spec": {"models": ["alpha"]}})
    assert r.status_code == 403  # cookie session, no CSRF header
    c.cookies.delete("baimo_token")


def test_writes_are_rate_limited(team: tuple[TestClient, dict[str, str]]) -> None:
    c, tokens = team
    head = {"Authorization": f"Bearer {tokens['admin']}"}
    codes = []
    for _ in range(6):
        r = c.post("/api/v1/jobs/nope/cancel", headers=head)
        codes.append(r.status_code)
    assert 429 in codes and codes[0] == 404  # an unknown job: the limit counts it too
    limited = next(r for r in [c.post("/api/v1/jobs/nope/cancel", headers=head)]
                   if r.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1


def test_non_loopback_without_auth_is_refused() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    with pytest.raises(BaimoError, match="--auth"):
        check_host("0.0.0.0", auth=False)
    check_host("0.0.0.0", auth=True)
    proc = subprocess.run([sys.executable, "-m", "baimo", "serve", "--host", "0.0.0.0",
                           "--port", "1"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0" in proc.stderr and "--add-user" in proc.stderr


def test_the_advisor_says_what_it_cannot_use_instead_of_the_defaults(
        client: TestClient) -> None:
    r = client.get("/api/v1/decide?scenario=nope")
    assert r.status_code == 422 and "no scenario named 'nope'. Built-in scenarios: " in r.text
    r = client.get("/api/v1/decide?w_capability=0&w_speed=0&w_cost=0&w_safety=0")
    assert r.status_code == 422 and "the weights are all zero" in r.text
    page = client.get("/decide?scenario=nope")
    assert page.status_code == 422 and "no scenario named" in page.text
    known = client.get("/api/v1/decide").json()["scenarios"][0]["id"]
    assert client.get(f"/api/v1/decide?scenario={known}&w_cost=5").status_code == 200
