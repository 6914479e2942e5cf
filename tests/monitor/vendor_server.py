"""A loopback OpenAI-compatible server whose deployments degrade at known times.

The request's ``model`` picks the deployment; each one behaves well until ``change_at`` (read
from a clock shared with the monitor under test, so a fake clock moves both) and then:

* ``slow``: waits ``slow_ttft_s`` before the first chunk of a prompt of 100 words or more
  (a slowed prefill), until its ``recover_at``;
* ``flappy``: answers HTTP 500 to every ``flap_every``-th request;
* ``swapped``: answers the canaries as another model would (wrong, and differently);
* ``ignores-max``: ignores ``max_tokens`` (writes three times as much);
* ``ignores-stop``: ignores ``stop``;
* ``overreports``: reports twice the tokens it sent in ``usage``;
* ``bad-tools``: calls the tool with arguments outside its schema;
* ``healthy``: never changes.

Tokens are whitespace words (``baimo.perf.tokenizer.word_pieces``), so the ``words`` client
tokenizer counts exactly what the server counts. It is a script of
``baimo.testing.scripted.ScriptedServer``, which runs in a thread with its own event loop,
because the monitor under test runs ``asyncio.run`` per tick in the test's thread.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from baimo.perf.tokenizer import word_pieces
from baimo.testing.scripted import ChatRequest, Reply, ScriptedServer, tool_call

CANARY_ANSWERS = {
    "17 multiplied by 23": "391", "capital of France": "Paris", "中国的首都": "北京",
    "'stressed' backwards": "desserts", "greater than 13": "17", "一年有几个月": "12",
    "symbol of gold": "Au", "legs does a spider": "8",
}
SWAPPED_ANSWERS = {
    "17 multiplied by 23": "381", "capital of France": "Lyon", "中国的首都": "上海",
    "'stressed' backwards": "stresses", "greater than 13": "19", "一年有几个月": "10",
    "symbol of gold": "Ag", "legs does a spider": "6",
}


@dataclass
class Behaviour:
    change_at: float = float("inf")
    recover_at: dict[str, float] = field(default_factory=dict)  # model -> when it recovers
    slow_ttft_s: float = 0.3
    base_ttft_s: float = 0.002
    flap_every: int = 3
    hang_on: int | None = None  # hang on the N-th request (1-based) of any model
    hang_seconds: float = 60.0


@dataclass
class VendorServer:
    clock: Callable[[], float]
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: Counter[str] = field(default_factory=Counter)
    log: list[dict[str, Any]] = field(default_factory=list)
    hung: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    _server: ScriptedServer | None = None
    _total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _degraded(self, model: str) -> bool:
        t = self.clock()
        b = self.behaviour
        return b.change_at <= t < b.recover_at.get(model, float("inf"))

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> VendorServer:
        self._server = ScriptedServer(self._chat).start()
        self.port = self._server.port
        return self

    def stop(self) -> None:
        """Stop the server; a request still hanging is cut off."""
        if self._server is not None:
            self._server.stop()

    # -- the API --------------------------------------------------------------------------
    async def _chat(self, request: ChatRequest) -> Reply:
        body = request.body
        model = str(body.get("model"))
        with self._lock:
            self._total += 1
            n_total = self._total
            self.requests[model] += 1
            n = self.requests[model]
        prompt = "".join(str(m.get("content", "")) for m in body.get("messages", []))
        self.log.append({"model": model, "n": n, "prompt_head": prompt[:60],
                         "prompt_words": len(word_pieces(prompt)), "at": self.clock()})
        b = self.behaviour
        if b.hang_on is not None and n_total == b.hang_on:
            self.hung.set()
            await asyncio.sleep(b.hang_seconds)  # cut short by stop()
        degraded = self._degraded(model)
        if model == "flappy" and degraded and n % b.flap_every == 0:
            return Reply.fail(500, "upstream overloaded")
        max_tokens = int(body.get("max_tokens") or 64)
        if model == "ignores-max" and degraded:
            max_tokens *= 3
        text, finish = self._answer(model, prompt, body, max_tokens, degraded)
        stop = body.get("stop") or []
        if stop and not (model == "ignores-stop" and degraded):
            for s in stop:
                if s in text:
                    text, finish = text[:text.index(s)], "stop"
        out_tokens = len(word_pieces(text)) if text else 0
        usage = {"prompt_tokens": len(word_pieces(prompt)), "completion_tokens": out_tokens,
                 "total_tokens": 0}
        if model == "overreports" and degraded:
            usage = {k: 2 * v for k, v in usage.items()}
        served = "other-model-v2" if model == "swapped" and degraded else model
        if body.get("tools"):
            args = ('{"city": "Beijing", "unit": "kelvin"}' if model == "bad-tools" and degraded
                    else '{"city": "Beijing", "unit": "celsius"}')
            return Reply(tool_calls=[tool_call("get_weather", args, "call_1")], model=served,
                         usage=usage)
        # The slowdown is in prefill: prompts of 100 words or more (the timing probes).
        slow = model == "slow" and degraded and len(word_pieces(prompt)) >= 100
        pieces = word_pieces(text) if text else []
        return Reply(text, finish_reason=finish, model=served, usage=usage,
                     chunks=["".join(pieces[i:i + 4]) for i in range(0, len(pieces), 4)],
                     delay_s=(b.slow_ttft_s if slow else b.base_ttft_s) if request.stream else 0)

    def _answer(self, model: str, prompt: str, body: dict[str, Any], max_tokens: int,
                degraded: bool) -> tuple[str, str]:
        for key, answer in CANARY_ANSWERS.items():
            if key in prompt:
                if model == "swapped" and degraded:
                    return SWAPPED_ANSWERS[key], "stop"
                return answer, "stop"
        if (body.get("response_format") or {}).get("type") == "json_object":
            return '{"name": "Li Lei", "age": 30}', "stop"
        m = re.match(r"Repeat exactly, with nothing else: (.*)$", prompt)
        if m:
            return m.group(1), "stop"
        words = [f" w{i}" for i in range(max_tokens)]
        words[0] = words[0].lstrip()
        return "".join(words), "length"


def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
