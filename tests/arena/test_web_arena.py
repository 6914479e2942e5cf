"""The arena pages: blind battles, streams, votes, the reveal, limits, and a whole battle
played in Chromium.

The models answer from a loopback server (``arena_servers.ArenaServer``) through the shared
model client; the app is the real ``baimo serve`` application over a real SQLite store.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from arena_servers import ArenaServer, model_answer
from fastapi.testclient import TestClient

from baimo.store.store import Store
from baimo.web.app import create_app
from baimo.web.http import Settings
from support import CHROMIUM, CHROMIUM_ARGS

SCRIPT = "<script>window.__pwned=1</script>"
IMG = "<img src=x onerror=window.__pwned=1>"


def _models(tmp: Path, base_url: str, names: tuple[str, ...] = ("good-1", "bad-1")) -> Path:
    path = tmp / "baimo.yaml"
    path.write_text(yaml.safe_dump({"models": [
        {"name": n, "provider": "openai-compatible", "base_url": base_url, "model": n,
         "pricing": {"input_per_1m": 1.0, "output_per_1m": 2.0}, "limits": {"max_retries": 1}}
        for n in names]}))
    return path


@pytest.fixture
def client(tmp_path: Path, arena_server: ArenaServer) -> Iterator[TestClient]:
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'web.db'}",
                              config_path=_models(tmp_path, arena_server.base_url),
                              start_jobs=False))
    with TestClient(app) as c:
        c.get("/arena")  # the CSRF cookie
        yield c


def _csrf(c: TestClient) -> str:
    return str(c.cookies.get("baimo_csrf"))


def _events(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def _start(c: TestClient, prompt: str) -> str:
    r = c.post("/arena/battles", data={"prompt": prompt, "csrf_token": _csrf(c)},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).rsplit("/", 1)[1]


def test_a_battle_is_blind_until_the_vote(client: TestClient) -> None:
    r = client.post("/arena/battles", data={"prompt": "hi [[answer:1]]"})
    assert r.status_code == 403  # no CSRF token
    prompt = "What is 6 times 7? [[answer:42]]"
    bid = _start(client, prompt)
    page = client.get(f"/arena/battle/{bid}").text
    assert "good-1" not in page and "bad-1" not in page
    assert f'data-stream="/arena/battle/{bid}/stream"' in page
    events = _events(client.get(f"/arena/battle/{bid}/stream").text)
    finals = {e["side"]: e["final"] for e in events if "final" in e}
    assert events[-1] == {"done": True, "status": "answered", "error": None}
    assert sorted(finals.values()) == sorted([model_answer("good-1", prompt),
                                              model_answer("bad-1", prompt)])
    # the relayed deltas add up to the stored answers
    for side in ("a", "b"):
        deltas = "".join(e.get("delta", "") for e in events if e.get("side") == side)
        assert deltas in ("", finals[side])
    assert "good-1" not in str(events) and "bad-1" not in str(events)
    api = client.get(f"/api/v1/arena/battle/{bid}").json()["battle"]
    assert api["revealed"] is False and "model" not in api["a"] and api["can_vote"] is True
    assert "good-1" not in str(api)
    page = client.get(f"/arena/battle/{bid}").text
    assert "good-1" not in page and 'id="arena-vote" hidden' not in page

    r = client.post(f"/arena/battle/{bid}/vote", data={"winner": "model_a",
                                                       "csrf_token": _csrf(client)},
                    follow_redirects=False)
    assert r.status_code == 303
    api = client.get(f"/api/v1/arena/battle/{bid}").json()["battle"]
    assert api["revealed"] is True and api["my_vote"] == "model_a"
    assert {api["a"]["model"], api["b"]["model"]} == {"good-1", "bad-1"}
    assert api["a"]["completion_tokens"] > 0 and api["a"]["latency_s"] > 0
    page = client.get(f"/arena/battle/{bid}").text
    assert 'id="arena-reveal"' in page and "good-1" in page
    r = client.post(f"/arena/battle/{bid}/vote", data={"winner": "model_b",
                                                       "csrf_token": _csrf(client)})
    assert r.status_code == 409
    board = client.get("/api/v1/arena/leaderboard").json()
    assert board["roles"]["human"]["votes"] == 1
    assert {r["model"] for r in board["roles"]["human"]["board"]["ratings"]} == {
        "good-1", "bad-1"}


def test_follow_up_turns_and_vote_rules(client: TestClient) -> None:
    prompt = "2 + 2? [[answer:4]]"
    bid = _start(client, prompt)
    client.get(f"/arena/battle/{bid}/stream")
    r = client.post(f"/arena/battle/{bid}/follow-up", data={"text": "Sure?",
                                                            "csrf_token": _csrf(client)},
                    follow_redirects=False)
    assert r.status_code == 303
    events = _events(client.get(f"/arena/battle/{bid}/stream").text)
    finals = sorted(e["final"] for e in events if "final" in e)
    assert all(f.startswith("Follow-up 1: ") for f in finals)
    api = client.get(f"/api/v1/arena/battle/{bid}").json()["battle"]
    assert api["turns"] == 2 and api["prompts"] == [prompt, "Sure?"]
    r = client.post(f"/arena/battle/{bid}/vote", data={"winner": "A",
                                                       "csrf_token": _csrf(client)})
    assert r.status_code == 400
    # A battle id that does not exist is a 404 on every route that takes one (the follow-up
    # was a 500 with a traceback, the vote a 400).
    for path, data in (("follow-up", {"text": "Sure?"}), ("vote", {"winner": "model_a"})):
        r = client.post(f"/arena/battle/nope/{path}", data={**data, "csrf_token": _csrf(client)})
        assert r.status_code == 404 and "no battle &#39;nope&#39;" in r.text, (path, r.text)
    assert client.get("/arena/battle/nope/stream").status_code == 404
    # An id of any length comes back cut short, not whole.
    long_id = "x" * 5000
    r = client.get(f"/api/v1/arena/battle/{long_id}")
    assert r.status_code == 404 and "5,000 characters" in r.text and long_id not in r.text, r.text


def test_model_output_is_inert_and_unaltered(client: TestClient) -> None:
    prompt = f"[[echo]] {SCRIPT} {IMG}"
    bid = _start(client, prompt)
    client.get(f"/arena/battle/{bid}/stream")
    page = client.get(f"/arena/battle/{bid}").text
    assert SCRIPT not in page and IMG not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    csp = client.get(f"/arena/battle/{bid}").headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", page)


def test_battles_per_hour_are_limited(client: TestClient) -> None:
    client.app.state.arena_battles_per_hour = 2  # type: ignore[attr-defined]
    _start(client, "1? [[answer:1]]")
    _start(client, "2? [[answer:2]]")
    r = client.post("/arena/battles", data={"prompt": "3? [[answer:3]]",
                                            "csrf_token": _csrf(client)})
    assert r.status_code == 429 and "battles per hour" in r.text


def test_pages_in_both_languages(client: TestClient) -> None:
    for lang, home, battle, board in (
            ("en", "New blind battle", "Blind battle", "Human votes"),
            ("zh-CN", "新的盲测对战", "盲测对战", "人工投票")):
        client.cookies.set("baimo_lang", lang)
        assert home in client.get("/arena").text
        bid = _start(client, "3 × 3? [[answer:9]]")
        assert battle in client.get(f"/arena/battle/{bid}").text
        assert board in client.get("/arena/leaderboard").text


# ------------------------------------------------------------------------- in Chromium


class _Uvicorn:
    """The app on a loopback port, in a thread, for the browser."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Uvicorn:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.mark.browser
def test_a_whole_battle_in_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    db = f"sqlite:///{tmp_path / 'web.db'}"
    with ArenaServer(delay=0.15) as srv, _Uvicorn(create_app(Settings(
            db_url=db, config_path=_models(tmp_path, srv.base_url), start_jobs=False))) as web:
        base = f"http://127.0.0.1:{web.port}"
        errors: list[str] = []
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/arena")
            prompt = f"[[echo]] {SCRIPT} What is 6 × 7? [[answer:42]]"
            page.fill("#arena-prompt", prompt)
            page.click("#arena-start")
            page.wait_for_url(re.compile(r".*/arena/battle/battle-.*"))
            # both sides stream: text appears on each side before the battle is answered
            # (selectors, not wait_for_function: the page's CSP forbids evaluating strings)
            page.wait_for_selector("#live-a[data-chars]", timeout=15000)
            page.wait_for_selector("#live-b[data-chars]", timeout=15000)
            assert page.get_attribute("#arena-battle", "data-state") == "streaming"
            partial = len(page.inner_text("#live-a"))
            assert 0 < partial < len(f"Echo: {prompt}")
            page.wait_for_selector("#arena-battle[data-state='answered']", timeout=30000)
            texts = [page.inner_text("#live-a"), page.inner_text("#live-b")]
            assert texts == [f"Echo: {prompt}"] * 2  # shown as text, unaltered
            assert page.evaluate("window.__pwned") is None
            body = page.inner_text("body")
            assert "good-1" not in body and "bad-1" not in body  # blind
            assert page.is_visible("#arena-vote")
            page.click("button[data-vote='model_b']")
            page.wait_for_selector("#arena-reveal")
            reveal = page.inner_text("#arena-reveal")
            assert "good-1" in reveal and "bad-1" in reveal
            assert page.inner_text("#name-a") in ("good-1", "bad-1")
            assert not page.is_visible("#arena-vote")  # one vote per user per battle
            winner = page.inner_text("#name-b")
            page.goto(base + "/arena/leaderboard")
            board = page.inner_text("#board-human")
            assert "1 votes" in board and winner in board
            rows = page.locator("#board-human tbody tr").all_inner_texts()
            assert rows[0].split("\t")[1] == winner  # the vote's winner leads
            browser.close()
        assert not errors, errors
    store = Store(db)
    (vote,) = store.battles.votes()
    assert (vote.voter, vote.role, vote.winner) == ("local", "human", "model_b")
    store.close()


def test_team_mode_roles_and_one_vote_per_user(tmp_path: Path,
                                               arena_server: ArenaServer) -> None:
    from baimo.store.web import WebRepository
    from baimo.web.security import new_token, token_hash

    db = f"sqlite:///{tmp_path / 'team.db'}"
    store = Store(db)
    web = WebRepository(store.engine)
    tokens = {}
    for name, role in (("vera", "viewer"), ("val", "voter"), ("vic", "voter")):
        user = web.add_user(name, role)
        tokens[name] = new_token()
        web.add_token(user.id, token_hash(tokens[name]))
    app = create_app(Settings(db_url=db, config_path=_models(tmp_path, arena_server.base_url),
                              auth=True, start_jobs=False), store)

    def h(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    with TestClient(app) as c:
        prompt = {"prompt": "5 + 5? [[answer:10]]"}
        r = c.post("/arena/battles", data=prompt, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert c.post("/arena/battles", data=prompt, headers=h("vera"),
                      follow_redirects=False).status_code == 403  # viewers do not battle
        r = c.post("/arena/battles", data=prompt, headers=h("val"), follow_redirects=False)
        assert r.status_code == 303  # a bearer token needs no CSRF token
        bid = str(r.headers["location"]).rsplit("/", 1)[1]
        assert c.get(f"/arena/battle/{bid}/stream", headers=h("vic")).status_code == 403
        assert _events(c.get(f"/arena/battle/{bid}/stream", headers=h("val")).text)[-1][
            "status"] == "answered"
        for who, winner in (("val", "model_a"), ("vic", "tie")):
            r = c.post(f"/arena/battle/{bid}/vote", data={"winner": winner}, headers=h(who),
                       follow_redirects=False)
            assert r.status_code == 303
        assert c.post(f"/arena/battle/{bid}/vote", data={"winner": "model_b"},
                      headers=h("vic")).status_code == 409
        seen = c.get(f"/api/v1/arena/battle/{bid}", headers=h("vera")).json()["battle"]
        assert seen["revealed"] is False and "model" not in seen["a"]
        mine = c.get(f"/api/v1/arena/battle/{bid}", headers=h("vic")).json()["battle"]
        assert mine["revealed"] is True and mine["my_vote"] == "tie"
    assert sorted((v.voter, v.winner) for v in store.battles.votes()) == [
        ("val", "model_a"), ("vic", "tie")]
    store.close()


def test_imported_hostile_names_render_inert(tmp_path: Path, arena_server: ArenaServer) -> None:
    from baimo.arena.interchange import import_battles

    db = f"sqlite:///{tmp_path / 'hostile.db'}"
    rows = [{"question_id": f"q{i}", "model_a": SCRIPT if i % 2 else IMG,
             "model_b": "plain-model", "winner": ("model_a", "model_b", "tie")[i % 3],
             "category": SCRIPT, "judge": f"u{i}",
             "conversation_a": [{"role": "user", "content": IMG},
                                {"role": "assistant", "content": SCRIPT}],
             "conversation_b": [{"role": "user", "content": IMG},
                                {"role": "assistant", "content": "fine"}]}
            for i in range(40)]
    src = tmp_path / "hostile.json"
    src.write_bytes(orjson.dumps(rows))
    store = Store(db)
    import_battles(store, src)
    app = create_app(Settings(db_url=db, config_path=_models(tmp_path, arena_server.base_url),
                              start_jobs=False), store)
    with TestClient(app) as c:
        page = c.get("/arena/leaderboard").text
        assert SCRIPT not in page and IMG not in page
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page  # shown, as text
        data = c.get("/api/v1/arena/leaderboard").json()
        assert SCRIPT in {r["model"] for r in data["roles"]["human"]["board"]["ratings"]}
    store.close()
