"""A loopback OpenAI-compatible server playing three candidate models and a judge.

Every prompt carries its correct answer as ``[[answer:X]]`` (``support.write_task``). The
models answer by name:

* ``good-1``: "The answer is X." (correct, plain);
* ``wordy-1``: a markdown answer with a header, a list and bold, also correct, and longer;
* ``bad-1``: "The answer is X+1." (wrong).

A prompt containing ``[[echo]]`` is echoed back, to carry script
payloads into answers.

The judge (``judge-1``) reads the ``<answer_a>``/``<answer_b>`` sections of the pairwise prompt
and rules by correctness: ``[[A]]``/``[[B]]`` for the only correct answer, ``[[C]]`` when both
are wrong, and, when both are correct, always ``[[A]]``: a judge with a pure position bias, so
those battles flip with the order and must end as ties. For prompts whose answer is a
multiple of 11·7 it replies without any verdict (a parse failure). Everything is decided by the
request, so the tests can compute the expected outcome of each battle on their own.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from baimo.testing.scripted import ChatRequest, Reply, ScriptedServer, usage


def truth(prompt: str) -> int:
    m = re.search(r"\[\[answer:(-?\d+)\]\]", prompt)
    assert m, prompt
    return int(m.group(1))


def model_answer(model: str, prompt: str) -> str:
    if "[[echo]]" in prompt:  # hostile output: the prompt's payload comes back verbatim
        return f"Echo: {prompt}"
    x = truth(prompt)
    if model == "good-1":
        return f"The answer is {x}."
    if model == "wordy-1":
        return (f"# Answer\n\nAfter careful thought:\n\n- the value is **{x}**\n"
                f"- checked twice\n\nSo the answer is {x}, as computed above.")
    if model == "bad-1":
        return f"The answer is {x + 1}."
    raise AssertionError(f"unknown model {model}")


def correct(answer: str, x: int) -> bool:
    return re.search(rf"(?<![\d-]){x}(?!\d)", answer) is not None


def section(prompt: str, tag: str) -> str:
    m = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", prompt, re.DOTALL)
    assert m, tag
    return m.group(1)


def judge_reply(prompt: str) -> str:
    x = truth(section(prompt, "question"))
    if x % 77 == 0:
        return "Both answers have merit; I cannot choose."
    ca = correct(section(prompt, "answer_a"), x)
    cb = correct(section(prompt, "answer_b"), x)
    if ca and cb:
        return "Both are right; the first reads better. [[A]]"
    if ca:
        return "A is right. [[A]]"
    if cb:
        return "B is right. [[B]]"
    return "Both are wrong. [[C]]"


def arena_reply(request: ChatRequest, delay: float = 0.0) -> Reply:
    """The answer of the model (or judge) the request names, streamed word by word."""
    users = request.texts("user")
    model = request.model
    reply = judge_reply(users[-1]) if model == "judge-1" else model_answer(model, users[0])
    if len(users) > 1 and model != "judge-1":
        reply = f"Follow-up {len(users) - 1}: {reply}"
    words = reply.split(" ")
    return Reply(reply, chunks=[w if i == 0 else " " + w for i, w in enumerate(words)],
                 usage=usage(20, len(words)), chunk_delay_s=delay)


class ArenaServer(ScriptedServer):
    """The scripted server playing the arena; ``bodies`` records every request.

    ``delay`` waits after each streamed word, so that a page can be seen filling in.
    """

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(functools.partial(arena_reply, delay=delay))


def models_yaml(base_url: str) -> list[dict[str, Any]]:
    """The three candidates and the judge, priced so that costs show."""
    price = {"input_per_1m": 1.0, "output_per_1m": 2.0}
    return [{"name": name, "model": name, "base_url": base_url, "pricing": price,
             "limits": {"max_retries": 1}}
            for name in ("good-1", "wordy-1", "bad-1", "judge-1")]
