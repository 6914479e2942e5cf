"""Fidelity checks: does the endpoint do what its API says, and is it still the same model?

Each check is one row (``monitor_checks``) with a status (``pass``/``fail``; ``error`` when
the request itself failed; ``skipped`` when the answer could not test the property), a value
(1/0, or the measured ratio/agreement) and its evidence (what was sent, what came back, and
the rule applied), so a vendor can be shown exactly why it failed.

Request checks (once per ``fidelity_every``, through the shared model client):

* ``determinism``: the same prompt twice at temperature 0 with a fixed seed; the two answers
  must be identical.
* ``max_tokens``: a prompt that wants hundreds of tokens with ``max_tokens=16``; the client
  tokenizer's count of the answer may not exceed 16 × ``usage_tolerance`` (the server's usage
  decides only when there is no client tokenizer).
  A client that stopped reading because the answer ran far past the cap (``over-length``)
  is a failure with that evidence.
* ``stop``: the model is asked to repeat five words with the middle one as ``stop``; the
  answer must not contain it.
* ``json_mode``: ``response_format: {type: json_object}``; the answer must parse as a JSON
  object.
* ``tool_args``: one function tool (``tools`` in the request); the call's arguments must parse
  and validate against the tool's JSON schema. The calls are the shared client's
  ``Completion.tool_calls`` (whole or merged from a stream, as the endpoint is configured).

Free checks (every cycle, from the cycle's own probes):

* ``usage``: server-reported prompt and output tokens of the latency probes against the
  client tokenizer's counts; every ratio must lie within ``[1/usage_tolerance,
  usage_tolerance]``.
* ``canary_drift``: agreement of this cycle's canary answers with the reference deployment's
  latest answers (``references`` in the settings), or with the endpoint's own first answers
  when it is the reference or has none. Agreement below ``agreement_min`` fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jsonschema
import orjson

from baimo.models.client import CallFailed
from baimo.monitor.probes import Endpoint, normalize_answer
from baimo.perf.tokenizer import Tokenizer
from baimo.store.monitor import CheckRecord, ProbeRecord

__all__ = ["REQUEST_CHECKS", "TOOL_SCHEMA", "canary_agreement", "canary_drift_check",
           "run_check", "usage_check"]

REQUEST_CHECKS: tuple[str, ...] = ("determinism", "max_tokens", "stop", "json_mode",
                                   "tool_args")

MAX_TOKENS_CAP = 16
STOP_WORD = "gamma"

TOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "minLength": 1},
                   "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city", "unit"],
    "additionalProperties": False,
}
_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city.",
    "parameters": TOOL_SCHEMA}}

_PROMPTS = {
    "determinism": "Write two sentences about the sea.",
    "max_tokens": "Count from 1 to 300, separated by spaces. Do not stop early.",
    "stop": "Repeat exactly, with nothing else: alpha beta gamma delta epsilon",
    "json_mode": "Return a JSON object with the keys name (a string) and age (an integer) "
                 "for a person called Li Lei who is 30 years old.",
    "tool_args": "What is the weather in Beijing right now, in celsius? Use the tool.",
}


def _cut(text: str | None, n: int = 600) -> str | None:
    return None if text is None else (text if len(text) <= n else text[:n] + "…")


class _Asker:
    """Runs a check's requests and keeps each as a probe row of kind ``fidelity``."""

    def __init__(self, ep: Endpoint, cycle_id: str, at: float, check: str) -> None:
        self.ep, self.cycle_id, self.at, self.check = ep, cycle_id, at, check
        self.probes: list[ProbeRecord] = []

    async def ask(self, prompt: str, params: dict[str, Any]) -> tuple[Any, CallFailed | None]:
        cfg = self.ep.cfg
        base: dict[str, Any] = {"cycle_id": self.cycle_id, "model_name": cfg.name,
                                "identity": cfg.identity(), "family": cfg.family,
                                "kind": "fidelity",
                                "probe": f"fid:{self.check}:{len(self.probes)}",
                                "at": self.at, "currency": cfg.pricing.currency}
        try:
            ans = await self.ep.client.complete([{"role": "user", "content": prompt}], params)
        except CallFailed as exc:
            self.probes.append(ProbeRecord(**base, status="error",
                                           error_kind=exc.error.kind if exc.error else "failed",
                                           reason=exc.reason))
            return None, exc
        comp = ans.completion
        u = comp.usage
        self.probes.append(ProbeRecord(
            **base, status="ok", e2e_s=ans.latency_s, ttft_s=ans.ttft_s,
            prompt_tokens=None if u.estimated else u.prompt_tokens,
            output_tokens=None if u.estimated else u.completion_tokens,
            usage_from_server=not u.estimated, finish_reason=comp.finish_reason,
            cost=ans.cost, answer=_cut(comp.text, 2000)))
        return ans, None


def _row(ep: Endpoint, cycle_id: str, at: float, check: str, status: str,
         value: float | None, evidence: dict[str, Any]) -> CheckRecord:
    return CheckRecord(cycle_id=cycle_id, model_name=ep.name, check_name=check, at=at,
                       status=status, value=value, evidence=evidence)


async def run_check(ep: Endpoint, check: str, *, cycle_id: str, at: float,
                    tok: Tokenizer | None, usage_tolerance: float
                    ) -> tuple[CheckRecord, list[ProbeRecord]]:
    """Run one request check; returns its row and the probe rows of its requests."""
    asker = _Asker(ep, cycle_id, at, check)
    prompt = _PROMPTS[check]
    ev: dict[str, Any] = {"prompt": prompt}
    params: dict[str, Any]

    def done(status: str, value: float | None, **more: Any) -> tuple[CheckRecord,
                                                                     list[ProbeRecord]]:
        ev.update(more)
        return _row(ep, cycle_id, at, check, status, value, ev), asker.probes

    def failed(exc: CallFailed) -> tuple[CheckRecord, list[ProbeRecord]]:
        return done("error", None, error=exc.reason,
                    error_kind=exc.error.kind if exc.error else None)

    if check == "determinism":
        params = {"temperature": 0, "seed": 1234, "max_tokens": 64}
        ev["params"] = params
        texts = []
        for _ in range(2):
            ans, exc = await asker.ask(prompt, params)
            if exc is not None:
                return failed(exc)
            texts.append(ans.completion.text)
        same = texts[0] == texts[1]
        return done("pass" if same else "fail", 1.0 if same else 0.0,
                    answers=[_cut(t) for t in texts],
                    rule="both answers at temperature 0 and seed 1234 must be identical")

    if check == "max_tokens":
        params = {"temperature": 0, "max_tokens": MAX_TOKENS_CAP}
        ev["params"] = params
        ans, exc = await asker.ask(prompt, params)
        if exc is not None:
            if exc.error is not None and exc.error.kind == "over-length":
                return done("fail", 0.0, error=exc.reason,
                            rule="the answer ran far past max_tokens (the client stopped it)")
            return failed(exc)
        comp = ans.completion
        server = None if comp.usage.estimated else comp.usage.completion_tokens
        client_n = tok.count(comp.reasoning + comp.text) if tok is not None else None
        limit_client = MAX_TOKENS_CAP * usage_tolerance
        # What was delivered decides: the client's count when there is a tokenizer (a server
        # that over-reports usage is the usage check's finding, not this one's), else usage.
        if client_n is not None:
            bad = client_n > limit_client
            rule = (f"client tokenizer count ≤ {limit_client:g} (max_tokens "
                    f"{MAX_TOKENS_CAP} × usage_tolerance)")
        else:
            bad = server is not None and server > MAX_TOKENS_CAP
            rule = f"server usage ≤ {MAX_TOKENS_CAP} (no client tokenizer)"
        return done("fail" if bad else "pass", 0.0 if bad else 1.0,
                    answer=_cut(comp.text), finish_reason=comp.finish_reason,
                    usage_completion_tokens=server, client_tokens=client_n,
                    tokenizer=tok.name if tok is not None else None, rule=rule)

    if check == "stop":
        params = {"temperature": 0, "max_tokens": 32, "stop": [STOP_WORD]}
        ev["params"] = params
        ans, exc = await asker.ask(prompt, params)
        if exc is not None:
            return failed(exc)
        text = ans.completion.text
        low = text.lower()
        rule = f"the answer must not contain the stop string '{STOP_WORD}' (case-sensitive)"
        if STOP_WORD in text:
            return done("fail", 0.0, answer=_cut(text),
                        finish_reason=ans.completion.finish_reason, rule=rule)
        if "alpha" not in low or STOP_WORD in low:
            # Not repeated, or written in another case ("Gamma"): a server that honours stop
            # had nothing to stop on, so the answer cannot tell.
            return done("skipped", None, answer=_cut(text), rule=rule + "; the model did not "
                        "write the stop string exactly, so stop was not tested")
        return done("pass", 1.0, answer=_cut(text), finish_reason=ans.completion.finish_reason,
                    rule=rule)

    if check == "json_mode":
        params = {"temperature": 0, "max_tokens": 96,
                  "response_format": {"type": "json_object"}}
        ev["params"] = params
        ans, exc = await asker.ask(prompt, params)
        if exc is not None:
            return failed(exc)
        text = ans.completion.text
        try:
            obj = orjson.loads(text)
            ok = isinstance(obj, dict)
            why = None if ok else f"parsed as {type(obj).__name__}, not an object"
        except orjson.JSONDecodeError as e:
            ok, why = False, f"not JSON: {e}"
        return done("pass" if ok else "fail", 1.0 if ok else 0.0, answer=_cut(text),
                    problem=why, rule="the whole answer must parse as one JSON object")

    if check == "tool_args":
        params = {"temperature": 0, "max_tokens": 128, "tools": [_TOOL],
                  "tool_choice": "auto"}
        ev["params"] = {"tools": ["get_weather"], "tool_choice": "auto", "schema": TOOL_SCHEMA}
        ans, exc = await asker.ask(prompt, params)
        if exc is not None:
            return failed(exc)
        return _tool_verdict(done, ans.completion.tool_calls)

    raise ValueError(f"unknown check {check!r}")


def _tool_verdict(done: Callable[..., tuple[CheckRecord, list[ProbeRecord]]],
                  calls: list[dict[str, Any]]) -> tuple[CheckRecord, list[ProbeRecord]]:
    if not calls:
        return done("fail", 0.0, tool_calls=None, problem="no tool call in the answer",
                    rule="one call of get_weather whose arguments satisfy the schema")
    problems: list[str] = []
    shown = []
    for c in calls:
        fn = c.get("function") if isinstance(c, dict) else None
        name = fn.get("name") if isinstance(fn, dict) else None
        args = fn.get("arguments") if isinstance(fn, dict) else None
        shown.append({"name": name, "arguments": _cut(str(args), 400)})
        if name != "get_weather":
            problems.append(f"called {name!r}, not get_weather")
            continue
        try:
            parsed = orjson.loads(args) if isinstance(args, str) else args
        except orjson.JSONDecodeError as e:
            problems.append(f"arguments are not JSON: {e}")
            continue
        errors = sorted(jsonschema.Draft202012Validator(TOOL_SCHEMA).iter_errors(parsed),
                        key=lambda e: list(e.path))
        problems += [f"{'/'.join(map(str, e.path)) or '(arguments)'}: {e.message}"
                     for e in errors]
    ok = not problems
    return done("pass" if ok else "fail", 1.0 if ok else 0.0, tool_calls=shown,
                problems=problems,
                rule="every call names get_weather and its arguments satisfy the schema")


def usage_check(model_name: str, cycle_id: str, at: float, probes: Sequence[ProbeRecord],
                tolerance: float) -> CheckRecord | None:
    """Server usage against the client tokenizer, over the cycle's successful timed probes;
    None when no probe has both counts."""
    ratios: list[dict[str, Any]] = []
    for p in probes:
        if p.status != "ok" or not p.usage_from_server or p.kind not in ("latency", "parallel"):
            continue
        if p.output_tokens is not None and p.output_tokens_client:
            ratios.append({"probe": p.probe, "field": "output", "server": p.output_tokens,
                           "client": p.output_tokens_client,
                           "ratio": p.output_tokens / p.output_tokens_client})
        if p.prompt_tokens is not None and p.prompt_tokens_client:
            ratios.append({"probe": p.probe, "field": "prompt", "server": p.prompt_tokens,
                           "client": p.prompt_tokens_client,
                           "ratio": p.prompt_tokens / p.prompt_tokens_client})
    if not ratios:
        return None
    worst = max(ratios, key=lambda r: max(r["ratio"], 1 / r["ratio"] if r["ratio"] else 1e9))
    bad = [r for r in ratios if not (1 / tolerance <= r["ratio"] <= tolerance)]
    return CheckRecord(cycle_id=cycle_id, model_name=model_name, check_name="usage", at=at,
                       status="fail" if bad else "pass", value=float(worst["ratio"]),
                       evidence={"ratios": ratios, "outside": bad, "tolerance": tolerance,
                                 "rule": f"server usage / client count within "
                                         f"[{1 / tolerance:.3g}, {tolerance:g}]"})


def canary_agreement(mine: Sequence[ProbeRecord], theirs: Sequence[ProbeRecord]
                     ) -> tuple[float | None, list[dict[str, Any]]]:
    """Share of canaries (answered by both) whose normalised answers are identical."""
    a = {p.probe: p.answer for p in mine if p.status == "ok" and p.answer is not None}
    b = {p.probe: p.answer for p in theirs if p.status == "ok" and p.answer is not None}
    both = sorted(set(a) & set(b))
    if not both:
        return None, []
    rows = [{"canary": k.removeprefix("canary:"), "answer": _cut(a[k], 120),
             "reference": _cut(b[k], 120),
             "same": normalize_answer(a[k] or "") == normalize_answer(b[k] or "")}
            for k in both]
    return sum(1 for r in rows if r["same"] is True) / len(rows), rows


def canary_drift_check(model_name: str, cycle_id: str, at: float,
                       mine: Sequence[ProbeRecord], reference: Sequence[ProbeRecord],
                       reference_name: str, minimum: float) -> CheckRecord | None:
    """Agreement of this cycle's canaries with the reference's (see the module docstring)."""
    value, rows = canary_agreement(mine, reference)
    if value is None:
        return None
    ok = value >= minimum
    return CheckRecord(cycle_id=cycle_id, model_name=model_name, check_name="canary_drift",
                       at=at, status="pass" if ok else "fail", value=value,
                       evidence={"reference": reference_name, "agreement": value,
                                 "minimum": minimum, "canaries": rows,
                                 "rule": "share of canaries answered identically (after "
                                         "normalising case, width and spaces)"})
