"""The runner's solver seam: conversations held through the shared client, stored, resumed,
and a broken solver kept to its sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loopback import Reply, models_file, serve

from baimo.config import load_config
from baimo.models.client import Answer, ModelClient
from baimo.runs.eval import run_eval
from baimo.store.store import Store
from baimo.tasks.outcome import decide
from baimo.tasks.suites.conversation import combine
from baimo.tasks.task import Task
from baimo.tasks.types import ModelOutput, Sample, Score


async def two_asks(sample: Sample, messages: list[dict[str, Any]], params: dict[str, Any],
                   client: ModelClient) -> Answer:
    if sample.id == "broken":
        raise ValueError("the solver has a bug")
    first = await client.complete(messages, params)
    turn = {"role": "assistant", "content": first.completion.text}
    again = {"role": "user", "content": "again"}
    second = await client.complete([*messages, turn, again], params)
    return combine([first, second], [turn, again,
                                     {"role": "assistant", "content": second.completion.text}],
                   {"note": sample.id})


def score(sample: Sample, output: ModelOutput) -> Score:
    texts = [m["content"] for m in output.transcript if m["role"] == "assistant"]
    return decide(output, texts == ["1", "2"] and output.notes == {"note": sample.id},
                  "|".join(texts), method="transcript")


def test_solver_turns_are_one_stored_answer(tmp_path: Path) -> None:
    def reply(body: dict[str, Any]) -> Reply:
        return Reply(text=str(sum(1 for m in body["messages"] if m["role"] == "user")))

    samples = [Sample(i, ({"role": "user", "content": "go"},)) for i in ("a", "b", "broken")]
    task = Task("two", "1", samples, score, {"max_tokens": 8}, solver=two_asks)
    with serve(reply) as srv:
        cfg = load_config(models_file(tmp_path, srv.base_url, [{"name": "m", "model": "m-1",
                                                                 "stream": False}]))
        store = Store()
        out = run_eval(store, [cfg.get("m")], [task])
        asked = len(srv.bodies)
        again = run_eval(store, [cfg.get("m")], [task])
        asked_again = len(srv.bodies) - asked
    rows = {r.sample_id: r for r in store.runs.results([out.run_id])}
    assert asked == 4  # two turns each for a and b; the broken solver asked nothing
    assert rows["a"].status == rows["b"].status == "ok" and rows["a"].extracted == "1|2"
    assert rows["a"].prompt_tokens == 20 and rows["a"].completion_tokens == 10  # both turns
    assert rows["broken"].status == "error"
    assert "solver failed: ValueError: the solver has a bug" in rows["broken"].reason
    second = {r.sample_id: r for r in store.runs.results([again.run_id])}
    assert second["a"].cached and second["a"].status == "ok"  # rescored from the store
    assert asked_again == 0
