"""Team mode on PostgreSQL (``BAIMO_DB``): the same pages, aggregates and token checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webtools import SCRIPT, write_hostile_task, write_models

from baimo.config import load_config
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.store.web import WebRepository
from baimo.tasks.task import load_task
from baimo.testing.mockserver import MockServer
from baimo.web.app import create_app
from baimo.web.http import Settings
from baimo.web.security import new_token, token_hash

pytestmark = pytest.mark.postgres


def test_team_mode_on_postgresql(pg_db: str, tmp_path: Path, mock: MockServer) -> None:
    cfg_path = write_models(tmp_path, mock.base_url, ["alpha", "beta"])
    cfg = load_config(cfg_path)
    store = Store(pg_db)
    try:
        run_eval(store, [cfg.get("alpha"), cfg.get("beta")],
                 [load_task(write_hostile_task(tmp_path), cfg)], command="pg eval")
        web = WebRepository(store.engine)
        viewer = web.add_user("vera", "viewer")
        token = new_token()
        web.add_token(viewer.id, token_hash(token))
        app = create_app(Settings(db_url=pg_db, config_path=cfg_path, auth=True,
                                  start_jobs=False), store)
        head = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as c:
            assert c.get("/api/v1/leaderboards").status_code == 401
            board = c.get("/api/v1/leaderboards", headers=head).json()
            assert {m["model"] for m in board["capability"]} == {"alpha", "beta"}
            run_id = c.get("/api/v1/runs", headers=head).json()["runs"][0]["id"]
            for path in ["/", "/leaderboards", "/runs", f"/runs/{run_id}?status=wrong",
                         "/compare?task=hostile&models=alpha&models=beta&diff=true",
                         "/decide", "/jobs"]:
                r = c.get(path, headers=head)
                assert r.status_code == 200, (path, r.text[:300])
                assert SCRIPT not in r.text
            detail = c.get(f"/api/v1/runs/{run_id}?q=s1", headers=head).json()
            assert detail["total"] >= 1
            job = c.post("/api/v1/jobs", headers=head,
                         json={"kind": "eval", "spec": {"models": ["alpha"]}})
            assert job.status_code == 403
    finally:
        store.close()
