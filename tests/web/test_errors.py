"""What the workspace says when a request is wrong, over real HTTP to ``baimo serve``.

Each test talks to the server as a subprocess on a loopback port (``webtools.LiveServer``)
over the store the other web tests use: a wrong job spec names the shape it expects; an
unknown job, run, task, model or dimension is a 404 naming it (with the closest known name);
an error never echoes a large input or a secret; ``--workers`` below 1 is refused; the
monitor pages check the settings against the models file as ``baimo monitor`` does.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from webtools import LiveServer, free_port


@pytest.fixture(scope="module")
def http(live: LiveServer) -> Iterator[httpx.Client]:
    """A client of the live server holding its CSRF cookie (as a browser would)."""
    with httpx.Client(base_url=live.url, timeout=60) as c:
        assert c.get("/jobs").status_code == 200
        assert c.cookies.get("baimo_csrf")
        yield c


def _csrf(c: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": c.cookies["baimo_csrf"]}


def _runs(c: httpx.Client, kind: str) -> list[str]:
    return [r["id"] for r in c.get("/api/v1/runs", params={"kind": kind}).json()["runs"]]


def test_a_job_body_or_spec_of_the_wrong_shape_is_refused_with_the_shape(
        http: httpx.Client) -> None:
    before = http.get("/api/v1/jobs").json()["jobs"]
    # a spec of [] was read as {} and refused as "spec.models: Field required"
    r = http.post("/api/v1/jobs", json={"kind": "eval", "spec": []}, headers=_csrf(http))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith("spec must be a JSON object of the eval job's options ("), detail
    assert "models (required)" in detail and "suites" in detail and "got an array" in detail
    r = http.post("/api/v1/jobs", json={"kind": "perf", "spec": "alpha"}, headers=_csrf(http))
    assert r.status_code == 422
    assert "perf job's options" in r.json()["detail"] and "concurrency" in r.json()["detail"]
    assert r.json()["detail"].endswith("got a string")
    # the body itself: an array, and options put beside "kind" instead of inside "spec"
    r = http.post("/api/v1/jobs", json=[], headers=_csrf(http))
    assert r.status_code == 422
    assert r.json()["detail"].startswith('the request body must be a JSON object {"kind": '
                                         '"eval" or "perf", "spec": ')
    assert r.json()["detail"].endswith("got an array")
    r = http.post("/api/v1/jobs", json={"kind": "eval", "models": ["alpha"]},
                  headers=_csrf(http))
    assert r.status_code == 422
    assert r.json()["detail"].startswith("unknown field 'models' in the request body: ")
    assert "the job's options go inside spec" in r.json()["detail"]
    assert http.get("/api/v1/jobs").json()["jobs"] == before  # nothing was queued


def test_every_job_route_says_404_for_a_job_that_does_not_exist(http: httpx.Client) -> None:
    said = "no job 'nope-123'. List the jobs with GET /api/v1/jobs"
    # a cancel was a 409 "job nope-123 is not queued or running", as if it existed
    r = http.post("/api/v1/jobs/nope-123/cancel", headers=_csrf(http))
    assert r.status_code == 404 and r.json()["detail"].startswith(said), r.text
    r = http.get("/api/v1/jobs/nope-123")
    assert r.status_code == 404 and r.json()["detail"].startswith(said)
    # the progress stream was a 200 carrying an error event
    r = http.get("/api/v1/jobs/nope-123/events")
    assert r.status_code == 404 and r.json()["detail"].startswith(said)
    # the page's cancel button was a redirect to /jobs, as if it had cancelled something
    r = http.post("/jobs/nope-123/cancel", data={"csrf_token": http.cookies["baimo_csrf"]},
                  headers={"Cookie": f"baimo_csrf={http.cookies['baimo_csrf']}; "
                                     "baimo_lang=zh-CN"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "未找到" in r.text and "no job &#39;nope-123&#39;" in r.text


def test_errors_name_the_field_the_limit_and_the_size_never_the_input(
        http: httpx.Client) -> None:
    prompt = "Tell me a story. " * 1200  # 20,400 characters, over the 20,000 allowed
    r = http.post("/arena/battles", data={"prompt": prompt,
                                          "csrf_token": http.cookies["baimo_csrf"]})
    assert r.status_code == 422
    assert "Tell me a story" not in r.text
    assert ("prompt: String should have at most 20000 characters (got 20,400 characters)"
            in r.text), r.text[-1500:]
    # a query parameter of the API: the same words, and the numbers for a script
    r = http.get("/api/v1/runs", params={"q": "needle" * 1000})
    assert r.status_code == 422 and "needle" not in r.text
    assert r.json()["errors"] == [{"field": "query.q", "problem": "String should have at most "
                                   "200 characters (got 6,000 characters)", "limit": 200,
                                   "size": 6000}]
    # a secret typed into a field: never sent back
    secret = "bm_" + "s3cr3t" * 50
    r = http.post("/login", data={"token": secret, "csrf_token": http.cookies["baimo_csrf"]})
    assert r.status_code == 422 and "s3cr3t" not in r.text
    assert "token: String should have at most 200 characters (got 303 characters)" in r.text
    # a job's model name: cut short with its length
    r = http.post("/api/v1/jobs", json={"kind": "eval", "spec": {"models": ["a b" * 5000]}},
                  headers=_csrf(http))
    assert r.status_code == 422 and len(r.text) < 600, r.text[:600]
    assert "not a valid name: 'a ba b" in r.text and "(15,000 characters)" in r.text


def test_unknown_runs_tasks_models_and_dimensions_are_404_with_the_closest_name(
        http: httpx.Client) -> None:
    perf_run, eval_run = _runs(http, "perf")[0], _runs(http, "eval")[0]
    cases = [
        ("/api/v1/perf", {"run": "nosuch"}, "no perf run 'nosuch'. Known perf runs: "
                                            f"{perf_run}"),
        ("/api/v1/perf", {"run": perf_run[:-1] + "x"}, f"Did you mean '{perf_run}'?"),
        ("/api/v1/perf", {"run": eval_run},
         f"run '{eval_run}' is an eval run, not a perf run."),
        ("/api/v1/compare", {"task": "plian"}, "no task 'plian' among the measured tasks. "
                                               "Did you mean 'plain'? Known tasks: hostile, "
                                               "plain."),
        ("/api/v1/compare", {"task": "plain", "models": ["alpha", "gama"]},
         "no model 'gama' in this store. Did you mean 'gamma'?"),
        ("/api/v1/leaderboards", {"dimension": "maths"},
         "no dimension 'maths' among the measured dimensions. Did you mean 'math'?"),
        ("/api/v1/runs", {"model": "betta"}, "no model 'betta' in this store. Did you mean "
                                             "'beta'?"),
        (f"/api/v1/runs/{eval_run}", {"task": "hostle"},
         f"no task 'hostle' in run '{eval_run}'. Did you mean 'hostile'?"),
        # filters with a misspelt value listed nothing, as if nothing matched
        ("/api/v1/runs", {"status": "don"}, "no status 'don' for runs. Did you mean 'done'?"),
        (f"/api/v1/runs/{eval_run}", {"status": "wrnog"},
         "no status 'wrnog' for samples. Did you mean 'wrong'?"),
        (f"/api/v1/runs/{eval_run}", {"category": "no-such-category"},
         f"no category 'no-such-category' in run '{eval_run}'."),
        ("/api/v1/compare", {"task": "plain", "status": "eror"},
         "no status 'eror' for samples. Did you mean 'error'?"),
    ]
    for path, params, said in cases:
        r = http.get(path, params=params)
        assert r.status_code == 404, (path, params, r.text[:300])
        assert said in r.json()["detail"], (path, params, r.json()["detail"])
    # what is known still answers, by full id or by prefix
    assert http.get("/api/v1/perf", params={"run": perf_run[:-2]}).json()["selected"] == [
        perf_run]
    assert http.get("/api/v1/leaderboards", params={"dimension": "math"}).status_code == 200
    ok = http.get("/api/v1/compare", params={"task": "plain", "models": ["alpha", "gamma"]})
    assert ok.status_code == 200 and ok.json()["models"] == ["alpha", "gamma"]
    # the page: an error page in the reader's language, with the server's words
    page = http.get("/leaderboards", params={"dimension": "maths"},
                    headers={"Cookie": "baimo_lang=zh-CN"})
    assert page.status_code == 404 and "未找到" in page.text
    assert "Did you mean &#39;math&#39;?" in page.text


def test_serve_refuses_fewer_than_one_worker() -> None:
    for workers in ("0", "-2"):
        port = free_port()
        proc = subprocess.run([sys.executable, "-m", "baimo", "serve", "--port", str(port),
                               f"--workers={workers}"], capture_output=True, text=True,
                              timeout=30)
        assert proc.returncode == 2, proc.stderr
        assert "Invalid value for '--workers'" in proc.stderr
        assert "greater than or equal to 1" in proc.stderr
        with pytest.raises(httpx.ConnectError):  # and nothing listens
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_the_monitor_pages_check_references_against_the_models_file_like_the_cli(
        web_home: dict[str, Any], tmp_path: Path) -> None:
    config = tmp_path / "baimo.yaml"
    doc = yaml.safe_load(Path(web_home["config"]).read_text())
    doc["monitor"] = {"references": {"deepseek-v3": "alpah"}}
    config.write_text(yaml.safe_dump(doc))
    cli = subprocess.run([sys.executable, "-m", "baimo", "monitor", "plan", "--config",
                          str(config)], capture_output=True, text=True, timeout=60)
    assert cli.returncode != 0
    problem = ("monitor.references.deepseek-v3: no model named 'alpah' in the models file; "
               "the reference of a family is one of its configured endpoints")
    assert problem in " ".join(cli.stderr.split()), cli.stderr
    srv = LiveServer(web_home["db"], config)
    try:
        for path in ("/api/v1/monitor", "/api/v1/monitor/endpoint/alpha"):
            r = httpx.get(srv.url + path, timeout=60)
            assert r.status_code == 503, (path, r.text[:300])
            assert problem in r.json()["detail"] and f"{config}:" in r.json()["detail"]
        page = httpx.get(srv.url + "/monitor", headers={"Cookie": "baimo_lang=zh-CN"},
                         timeout=60)
        assert page.status_code == 503
        assert "服务器的配置需要修正" in page.text
        assert problem.replace("'", "&#39;") in page.text
    finally:
        srv.close()
