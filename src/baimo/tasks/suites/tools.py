"""Tool use (function calling) in the OpenAI ``tools`` format, zh and en.

Categories follow the Berkeley Function-Calling Leaderboard's published ones (the cases are
written here): ``simple`` (one tool, one call), ``multiple`` (several tools, pick one),
``parallel`` (several calls in one turn, any order), ``irrelevance`` (no offered tool fits:
the model must not call one) and ``multi_step`` (call, read the result, call again, answer).

Scoring is BFCL's AST check, by parsing rather than string match:

1. the function name must be the expected one;
2. ``arguments`` must parse as a JSON object;
3. every parameter the schema requires is present; none outside the schema, and none the
   expected call does not list (BFCL's "unexpected parameter");
4. each value has the schema's type (an integer is accepted for ``number``, never a bool
   for a number, never a string for an integer), is in its ``enum`` when there is one, and
   array items have the item type;
5. each value is one of the expected values: strings compared after BFCL's standardisation
   (lower case, spaces and ``,./-_*^`` dropped, ``'`` read as ``"``), numbers by value, lists
   element by element in order, objects key by key; a parameter whose expected values include
   ``""`` may be left out (an optional one);
6. parallel calls match the expected ones in any order, one to one, with nothing extra.

Which of BFCL's rules are followed and which are not, one by one, is listed above
``check_call``.

Multi-step samples run through the suite's solver: the model's calls are answered by
deterministic local functions (``TOOLS`` below) until it answers in text (four turns at most);
each turn's calls are checked as above and the final answer must state the expected figure.

Two ways of asking, two tasks:

* ``tools`` — native function calling (``tools``/``tool_choice`` in the request, calls read
  from ``message.tool_calls``). Before the first sample, the endpoint is asked once for a
  forced call (``tool_choice`` naming a function). If it rejects the request with a 400 that
  mentions tools, or ignores the forced choice, every sample of that model is ``unsupported``:
  the endpoint cannot be measured this way, which is not the same as scoring zero.
* ``tools-prompt`` — the tools described in the system prompt and calls written as JSON in
  the answer (BFCL's "prompting" mode): any chat model can attempt it, the embedded one too.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.resources
import json
import math
import operator
import re
import unicodedata
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Any

import orjson

from baimo.errors import DatasetError
from baimo.models.client import Answer, CallFailed, ModelClient
from baimo.tasks.outcome import decide
from baimo.tasks.registry import Figure
from baimo.tasks.scorers import scorer
from baimo.tasks.suites.conversation import UNSUPPORTED, combine, unsupported_answer
from baimo.tasks.types import ModelOutput, Sample, Score

__all__ = [
    "CATEGORIES",
    "TOOLS",
    "Tool",
    "check_call",
    "check_calls",
    "headline_facts",
    "headline_figures",
    "load_tools",
    "parse_prompt_calls",
    "run_tool",
    "tool_solver",
    "tool_support",
    "tools_scorer",
]

CATEGORIES = ("simple", "multiple", "parallel", "irrelevance", "multi_step")
MAX_TURNS = 4

# ----------------------------------------------------------------- local tools and schemas

_CITY = {"paris": "Paris", "巴黎": "Paris", "london": "London", "伦敦": "London",
         "madrid": "Madrid", "马德里": "Madrid", "tokyo": "Tokyo", "东京": "Tokyo",
         "beijing": "Beijing", "北京": "Beijing", "shanghai": "Shanghai", "上海": "Shanghai",
         "guangzhou": "Guangzhou", "广州": "Guangzhou", "shenzhen": "Shenzhen",
         "深圳": "Shenzhen", "canberra": "Canberra"}
_WEATHER_C = {"Paris": 18, "London": 14, "Madrid": 25, "Tokyo": 22, "Beijing": 9,
              "Shanghai": 16, "Guangzhou": 27, "Shenzhen": 28, "Canberra": 12}
_CAPITAL = {"france": "Paris", "法国": "Paris", "japan": "Tokyo", "日本": "Tokyo",
            "china": "Beijing", "中国": "Beijing", "uk": "London", "united kingdom": "London",
            "英国": "London", "spain": "Madrid", "西班牙": "Madrid"}
_PER_USD = {"USD": 1.0, "EUR": 0.92, "CNY": 7.2, "JPY": 150.0, "GBP": 0.8}
_POPULATION = {"Shanghai": 24_870_000, "Guangzhou": 18_830_000, "Shenzhen": 17_660_000,
               "Beijing": 21_890_000, "Tokyo": 14_090_000}
_PRODUCTS = {"P-1001": (120.0, "USD"), "P-2002": (50.0, "EUR")}
_STOCKS = {"0700.HK": 372.4, "AAPL": 189.9, "600519.SS": 1688.0}


def _city(value: Any) -> str | None:
    return _CITY.get(str(value).strip().lower()) if isinstance(value, str) else None


def _weather(args: Mapping[str, Any]) -> Any:
    city = _city(args.get("city"))
    if city is None:
        return {"error": f"unknown city {args.get('city')!r}"}
    unit = args.get("unit") or "celsius"
    temp: float = _WEATHER_C[city]
    if unit == "fahrenheit":
        temp = round(temp * 9 / 5 + 32, 1)
    return {"city": city, "temperature": temp, "unit": unit, "condition": "clear"}


def _capital(args: Mapping[str, Any]) -> Any:
    country = str(args.get("country", "")).strip().lower()
    cap = _CAPITAL.get(country)
    return {"capital": cap} if cap else {"error": f"unknown country {args.get('country')!r}"}


def _convert(args: Mapping[str, Any]) -> Any:
    src, dst = str(args.get("from_currency", "")).upper(), str(args.get("to_currency", "")).upper()
    amount = args.get("amount")
    if src not in _PER_USD or dst not in _PER_USD or not isinstance(amount, int | float):
        return {"error": "unknown currency or amount"}
    return {"amount": round(amount / _PER_USD[src] * _PER_USD[dst], 2), "currency": dst}


def _product(args: Mapping[str, Any]) -> Any:
    found = _PRODUCTS.get(str(args.get("product_id", "")).strip().upper())
    if found is None:
        return {"error": f"unknown product {args.get('product_id')!r}"}
    return {"product_id": str(args["product_id"]).upper(), "price": found[0],
            "currency": found[1]}


def _population(args: Mapping[str, Any]) -> Any:
    city = _city(args.get("city"))
    return {"city": city, "population": _POPULATION[city]} if city in _POPULATION else {
        "error": f"unknown city {args.get('city')!r}"}


_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv}


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_arith(node.left), _arith(node.right)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arith(node.operand)
    raise ValueError("only + - * / on numbers")


def _calculate(args: Mapping[str, Any]) -> Any:
    expr = str(args.get("expression", "")).replace("×", "*").replace("÷", "/")
    try:
        return {"result": _arith(ast.parse(expr, mode="eval"))}
    except (SyntaxError, ValueError, ZeroDivisionError) as exc:
        return {"error": f"cannot evaluate: {exc}"}


@dataclass(frozen=True)
class Tool:
    """A local tool: its OpenAI schema and a deterministic implementation."""

    schema: dict[str, Any]
    run: Callable[[Mapping[str, Any]], Any]

    @property
    def name(self) -> str:
        return str(self.schema["function"]["name"])


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str],
        run: Callable[[Mapping[str, Any]], Any]) -> Tool:
    return Tool({"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required}}},
        run)


TOOLS: dict[str, Tool] = {t.name: t for t in (
    _fn("get_weather", "Current weather of a city.",
        {"city": {"type": "string", "description": "City name"},
         "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
                  "description": "Temperature unit (default celsius)"}}, ["city"], _weather),
    _fn("get_capital", "The capital city of a country.",
        {"country": {"type": "string"}}, ["country"], _capital),
    _fn("convert_currency", "Convert an amount between currencies (ISO 4217 codes).",
        {"amount": {"type": "number"}, "from_currency": {"type": "string"},
         "to_currency": {"type": "string"}}, ["amount", "from_currency", "to_currency"],
        _convert),
    _fn("get_product_price", "The list price of a product by its id.",
        {"product_id": {"type": "string"}}, ["product_id"], _product),
    _fn("get_population", "The population of a city.", {"city": {"type": "string"}},
        ["city"], _population),
    _fn("calculate", "Evaluate an arithmetic expression.",
        {"expression": {"type": "string"}}, ["expression"], _calculate),
    _fn("search_flights", "Search flights between two cities on a date.",
        {"origin": {"type": "string"}, "destination": {"type": "string"},
         "date": {"type": "string", "description": "YYYY-MM-DD"},
         "passengers": {"type": "integer"}}, ["origin", "destination", "date"],
        lambda a: {"flights": [{"flight": "MU523", "origin": a.get("origin"),
                                "destination": a.get("destination"), "date": a.get("date")}]}),
    _fn("set_alarm", "Set an alarm.",
        {"time": {"type": "string", "description": "HH:MM, 24-hour"},
         "label": {"type": "string"}, "days": {"type": "array", "items": {"type": "string"}}},
        ["time"], lambda a: {"ok": True, "time": a.get("time")}),
    _fn("get_stock_price", "Latest price of a stock by ticker.",
        {"ticker": {"type": "string"}}, ["ticker"],
        lambda a: {"ticker": a.get("ticker"), "price": _STOCKS.get(str(a.get("ticker")))}),
    _fn("translate_text", "Translate text into a target language.",
        {"text": {"type": "string"}, "target_language": {"type": "string"}},
        ["text", "target_language"],
        lambda a: {"translation": f"[{a.get('target_language')}] {a.get('text')}"}),
)}


def run_tool(name: str, arguments: str) -> str:
    """The deterministic result of one call, as the JSON text a tool message carries."""
    tool = TOOLS.get(name)
    if tool is None:
        return orjson.dumps({"error": f"no tool named {name!r}"}).decode()
    try:
        args = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return orjson.dumps({"error": "arguments are not valid JSON"}).decode()
    if not isinstance(args, dict):
        return orjson.dumps({"error": "arguments must be a JSON object"}).decode()
    return orjson.dumps(tool.run(args)).decode()


# ----------------------------------------------------------------------- the AST checker
#
# Compared with the Berkeley Function-Calling Leaderboard's AST checker (gorilla repository,
# berkeley-function-call-leaderboard/bfcl_eval/eval_checker/ast_eval/ast_checker.py, and
# eval_runner.py for the irrelevance rule), read to learn its rules; nothing copied.
#
# Followed:
# - simple / multiple: exactly one call, with the expected function's name;
# - required parameters present; a parameter outside the schema, or outside the expected
#   call's parameters, is "unexpected" and fails;
# - types: an int is accepted where a float (JSON ``number``) is wanted, nothing else is
#   converted (no float for an integer, no string for a number, no bool for either);
# - strings: lower case, spaces and , . / - _ * ^ dropped, ' read as " (BFCL's
#   standardize_string), then one of the possible answers; "" in the possible answers marks
#   an optional parameter that may be left out, and is never itself a match;
# - numbers and booleans: equal to one of the possible answers;
# - lists: element by element, in order, strings standardised;
# - objects: keys within the possible object's keys, each value one of that key's possible
#   values, keys whose possible values include "" may be left out; lists of objects element
#   by element;
# - parallel: as many calls as expected, matched in any order, one call per expected call;
# - irrelevance: correct exactly when no call can be read (text, an empty answer, or JSON
#   that does not parse as a call all count as "no call").
#
# Deliberately not followed:
# - BFCL's matching of parallel calls is greedy (the first unmatched call that fits each
#   expected call); this one tries every assignment, so it finds a one-to-one match whenever
#   one exists. They differ only when one call fits two expected calls;
# - BFCL accepts a value of the possible answer's type in place of the schema's type (a
#   variable name written in Python syntax); JSON arguments have no variables, so not here;
# - NFKC is applied before the string rule, so full-width forms (，／ＡＢＣ and the
#   ideographic space) count as their ASCII forms: a bilingual extension for zh answers;
# - the schema's ``enum`` is checked (after the same standardisation); BFCL leaves it to
#   the possible answers, which only differs when an expected value is outside the enum;
# - an int is accepted for a number inside arrays too (BFCL converts only at the top level);
# - multi-step: BFCL's agentic and multi-turn checks look at the final message or the
#   executed state; here every step's calls get the AST check and the final answer must
#   state the expected figure, which is stricter.

_PUNCT = re.compile(r"[ ,./\-_*^]")


def _norm_str(value: str) -> str:
    """BFCL's string standardisation, after NFKC (see above)."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", value)).lower().replace("'", '"')


def _type_ok(value: Any, schema: Mapping[str, Any]) -> str | None:
    """Why ``value`` does not have the schema's type (None when it does)."""
    kind = schema.get("type")
    ok = {"string": isinstance(value, str),
          "integer": isinstance(value, int) and not isinstance(value, bool),
          "number": isinstance(value, int | float) and not isinstance(value, bool)
          and math.isfinite(value),
          "boolean": isinstance(value, bool), "array": isinstance(value, list),
          "object": isinstance(value, dict)}.get(str(kind), True)
    if not ok:
        return f"expected {kind}, got {type(value).__name__}"
    if "enum" in schema and not any(_value_ok(value, e) for e in schema["enum"]):
        return f"{value!r} is not one of {schema['enum']}"
    if kind == "array" and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            why = _type_ok(item, schema["items"])
            if why:
                return f"item {i}: {why}"
    return None


def _value_ok(value: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return math.isclose(float(value), float(expected), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, str) and isinstance(value, str):
        return _norm_str(value) == _norm_str(expected)
    if isinstance(expected, list) and isinstance(value, list):
        return len(value) == len(expected) and all(_value_ok(v, e)
                                                   for v, e in zip(value, expected, strict=True))
    if isinstance(expected, dict) and isinstance(value, dict):
        # BFCL's form: each key maps to its possible values; "" marks an optional key.
        def accepted(key: str) -> list[Any]:
            vals = expected[key]
            return vals if isinstance(vals, list) else [vals]

        return (all(k in expected and any(_value_ok(v, a) for a in accepted(k) if a != "")
                    for k, v in value.items())
                and all(k in value or "" in accepted(k) for k in expected))
    return False


def check_call(call: Mapping[str, Any], expected: Mapping[str, Any],
               schema: Mapping[str, Any]) -> str | None:
    """BFCL-style AST check of one call; the first problem found, or None when it matches.

    Args:
        call: ``{"name": str, "arguments": str | dict}`` as the model made it.
        expected: ``{"name": str, "arguments": {param: [acceptable values]}}``.
        schema: The function's ``parameters`` JSON schema.
    """
    if call.get("name") != expected["name"]:
        return f"called {call.get('name')!r}, expected {expected['name']!r}"
    args: Any = call.get("arguments")
    if isinstance(args, str):
        try:
            args = orjson.loads(args or "{}")
        except orjson.JSONDecodeError:
            return f"{expected['name']}: arguments are not valid JSON"
    if not isinstance(args, dict):
        return f"{expected['name']}: arguments must be a JSON object"
    props: Mapping[str, Any] = schema.get("properties", {})
    possible: Mapping[str, Any] = expected.get("arguments", {})
    for req in schema.get("required", []):
        if req not in args:
            return f"{expected['name']}: missing required parameter {req!r}"
    for key, value in args.items():
        if key not in props or key not in possible:
            return f"{expected['name']}: unexpected parameter {key!r}"
        why = _type_ok(value, props[key])
        if why:
            return f"{expected['name']}.{key}: {why}"
    for key, accepted in possible.items():
        if key not in args:
            if "" in accepted:
                continue
            return f"{expected['name']}: missing parameter {key!r}"
        if not any(_value_ok(args[key], a) for a in accepted if a != ""):
            return f"{expected['name']}.{key}: {args[key]!r} is not an expected value"
    return None


def check_calls(calls: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]],
                schemas: Mapping[str, Mapping[str, Any]]) -> str | None:
    """All ``expected`` calls matched one to one by ``calls`` in any order, nothing extra."""
    if len(calls) != len(expected):
        return f"made {len(calls)} call(s), expected {len(expected)}"
    first_problem: str | None = None
    for order in permutations(range(len(calls))):
        problems = [check_call(calls[i], exp, schemas.get(exp["name"], {}))
                    for i, exp in zip(order, expected, strict=True)]
        if all(p is None for p in problems):
            return None
        if first_problem is None:
            first_problem = next(p for p in problems if p is not None)
    return first_problem


# --------------------------------------------------------------------------- prompting mode

_PROMPT_EN = ("You can use these tools (JSON schemas):\n{tools}\n\nTo call tools, reply with "
              "only a JSON object: {{\"tool_calls\": [{{\"name\": \"TOOL\", \"arguments\": "
              "{{...}}}}]}} (several calls go in the same list). Tool results come back in the "
              "next message. If no tool fits, answer normally without JSON.")
_PROMPT_ZH = ("你可以使用以下工具（JSON schema）：\n{tools}\n\n需要调用工具时，只回复一个 JSON 对象："
              "{{\"tool_calls\": [{{\"name\": \"工具名\", \"arguments\": {{...}}}}]}}（多个调用放在同一个"
              "列表里）。工具结果会在下一条消息中返回。如果没有合适的工具，请直接正常回答，不要输出 JSON。")


def parse_prompt_calls(text: str) -> list[dict[str, Any]] | None:
    """Tool calls written as JSON in a prompting-mode answer; None when there are none.

    Reads the first JSON object in the text (code fences allowed) that is either
    ``{"tool_calls": [...]}`` or a single ``{"name": ..., "arguments": ...}``. Arguments are
    kept as JSON text, as a native call carries them.
    """
    decoder_start = [m.start() for m in re.finditer(r"\{", text)]
    dec = json.JSONDecoder()
    for pos in decoder_start:
        try:
            obj, _ = dec.raw_decode(text[pos:])
        except ValueError:
            continue
        items: Any = None
        if isinstance(obj, dict) and isinstance(obj.get("tool_calls"), list):
            items = obj["tool_calls"]
        elif isinstance(obj, dict) and isinstance(obj.get("name"), str) and "arguments" in obj:
            items = [obj]
        if items is None:
            continue
        calls = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            args = item.get("arguments", {})
            calls.append({"id": f"call_{i}", "type": "function", "function": {
                "name": item["name"],
                "arguments": args if isinstance(args, str) else json.dumps(args)}})
        return calls or None
    return None


# ------------------------------------------------------------------------------ the data


def _case_tools(sample: Sample) -> list[dict[str, Any]]:
    return [TOOLS[n].schema for n in sample.metadata["tools"]]


def load_tools(*, prompting: bool = False) -> list[Sample]:
    """The built-in cases (``tools.jsonl``), as native or prompting-mode samples."""
    res = importlib.resources.files("baimo.tasks.suites") / "tools.jsonl"
    samples = []
    for i, line in enumerate(res.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        case = orjson.loads(line)
        unknown = [n for n in case["tools"] if n not in TOOLS]
        if unknown or case["category"] not in CATEGORIES:
            raise DatasetError(f"tools.jsonl:{i}: unknown tool(s) {unknown} or category "
                               f"{case['category']!r}")
        meta = {"tools": case["tools"], "expected": case.get("expected", []),
                "final": case.get("final"), "language": case["lang"], "prompting": prompting}
        messages: list[dict[str, str]] = []
        if prompting:
            listing = "\n".join(orjson.dumps(TOOLS[n].schema["function"]).decode()
                                for n in case["tools"])
            template = _PROMPT_ZH if case["lang"] == "zh" else _PROMPT_EN
            messages.append({"role": "system", "content": template.format(tools=listing)})
        messages.append({"role": "user", "content": case["question"]})
        samples.append(Sample(case["id"], tuple(messages), case.get("expected"),
                              category=case["category"], metadata=meta))
    return samples


# ----------------------------------------------------------------------------- the solver

_SUPPORT: weakref.WeakKeyDictionary[ModelClient, tuple[asyncio.Lock, list[str | None]]] = \
    weakref.WeakKeyDictionary()
_PROBE_TOOL = _fn("record_number", "Record a number.", {"value": {"type": "integer"}},
                  ["value"], lambda a: {"ok": True})


def _mentions_tools(reason: str) -> bool:
    low = reason.lower()
    return "bad-request" in low and any(w in low for w in ("tool", "function"))


async def tool_support(client: ModelClient) -> str | None:
    """Why the endpoint cannot do native tool calls (None when it can); asked once per client.

    A forced call (``tool_choice`` naming the function) is the test: an endpoint that
    supports tools must call it. Transient failures are not remembered.
    """
    lock, found = _SUPPORT.setdefault(client, (asyncio.Lock(), []))
    async with lock:
        if found:
            return found[0]
        params = {"temperature": 0, "max_tokens": 64, "tools": [_PROBE_TOOL.schema],
                  "tool_choice": {"type": "function", "function": {"name": "record_number"}}}
        try:
            answer = await client.complete(
                [{"role": "user", "content": "Record the number 7."}], params)
        except CallFailed as exc:
            if exc.fatal or not _mentions_tools(exc.reason):
                raise
            found.append(f"the endpoint rejects tools: {exc.reason}")
            return found[0]
        if not answer.completion.tool_calls:
            found.append("the endpoint ignored a forced tool_choice (no tool call came back): "
                         "it does not support native tool calls")
        else:
            found.append(None)
        return found[0]


def _calls_of(comp_calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(c) for c in comp_calls]


async def tool_solver(sample: Sample, messages: list[dict[str, Any]], params: dict[str, Any],
                      client: ModelClient) -> Answer:
    """Ask, run the tools the model calls, feed the results back, until it answers in text."""
    prompting = bool(sample.metadata.get("prompting"))
    if not prompting:
        why = await tool_support(client)
        if why is not None:
            return unsupported_answer(why, client.cfg.pricing.currency)
        params = {**params, "tools": _case_tools(sample), "tool_choice": "auto"}
    convo: list[dict[str, Any]] = list(messages)
    transcript: list[dict[str, Any]] = []
    answers: list[Answer] = []
    turns = MAX_TURNS if sample.category == "multi_step" else 1
    for _turn in range(turns):
        answer = await client.complete(convo, params)
        answers.append(answer)
        comp = answer.completion
        calls = _calls_of(comp.tool_calls) if not prompting else (
            parse_prompt_calls(comp.text) or [])
        if prompting:
            turn: dict[str, Any] = {"role": "assistant", "content": comp.text}
            if calls:
                turn["tool_calls"] = calls
        else:
            turn = {"role": "assistant", "content": comp.text or None}
            if calls:
                turn["tool_calls"] = calls
        transcript.append(turn)
        convo.append(turn if not prompting else {"role": "assistant", "content": comp.text})
        if not calls or comp.finish_reason == "length" or _turn == turns - 1:
            break
        results = [(c, run_tool(c["function"]["name"], c["function"]["arguments"]))
                   for c in calls]
        if prompting:
            msg = {"role": "user", "content": "Tool results:\n" + "\n".join(
                f"{c['function']['name']}: {r}" for c, r in results)}
            transcript.append(msg)
            convo.append(msg)
        else:
            for c, r in results:
                msg = {"role": "tool", "tool_call_id": c["id"], "content": r}
                transcript.append(msg)
                convo.append(msg)
    return combine(answers, transcript)


# ----------------------------------------------------------------------------- the scorer

_NUM = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


def _states(text: str, figure: float) -> bool:
    return any(math.isclose(float(m.group().replace(",", "")), figure, rel_tol=1e-3)
               for m in _NUM.finditer(text))


def _turn_calls(turn: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for c in turn.get("tool_calls") or []:
        fn = c.get("function", {}) if isinstance(c, dict) else {}
        out.append({"name": fn.get("name"), "arguments": fn.get("arguments")})
    return out


@scorer("tool-calls")
def tools_scorer(sample: Sample, output: ModelOutput) -> Score:
    """BFCL AST scoring of the calls each assistant turn made (see the module docstring)."""
    if output.finish_reason == UNSUPPORTED:
        return Score("unsupported", 0.0, None, output.text, {"unsupported": True})
    schemas = {n: TOOLS[n].schema["function"]["parameters"] for n in sample.metadata["tools"]}
    turns = [m for m in output.transcript if m.get("role") == "assistant"]
    if not turns:  # stored before solvers existed, or a solver-less run: the single answer
        turns = [{"role": "assistant", "content": output.text,
                  "tool_calls": list(output.tool_calls)}]
    calls = [_turn_calls(t) for t in turns]
    category = sample.category or ""
    expected: list[Any] = sample.metadata.get("expected") or []
    details: dict[str, Any] = {"category": category, "calls": calls,
                               "language": sample.metadata.get("language")}
    shown = orjson.dumps(calls[0] if len(calls) == 1 else calls).decode()[:200]
    if category == "irrelevance":
        made = [c for t in calls for c in t]
        return decide(output, not made, shown if made else None, method="ast",
                      reason=f"called {made[0]['name']!r} although no offered tool fits"
                      if made else None, **details)
    steps: list[list[dict[str, Any]]] = expected if category == "multi_step" else [expected]
    if not any(calls):  # a choice to answer in text (or cut off first: decide says truncated)
        return decide(output, False, None, method="ast",
                      reason="the model answered in text without calling a tool", **details)
    for i, step in enumerate(steps):
        if i >= len(calls) or not calls[i]:
            return decide(output, False, shown, method="ast",
                          reason=f"step {i + 1}: no tool call (expected {len(step)})", **details)
        problem = check_calls(calls[i], step, schemas)
        if problem is not None:
            where = f"step {i + 1}: " if category == "multi_step" else ""
            return decide(output, False, shown, method="ast", reason=where + problem,
                          **details)
    if category == "multi_step":
        if len(calls) > len(steps) and calls[len(steps)]:
            return decide(output, False, shown, method="ast",
                          reason="more tool calls than the task needs", **details)
        final = float(sample.metadata["final"])
        last = turns[-1].get("content") or ""
        if len(turns) <= len(steps):
            return decide(output, None, shown, method="ast",
                          reason="no final answer after the tool results", **details)
        return decide(output, _states(str(last), final), str(last)[:200], method="ast",
                      reason=None if _states(str(last), final) else
                      f"the final answer does not state {final:g}", **details)
    return decide(output, True, shown, method="ast", **details)


# ----------------------------------------------------------------------------- the report


def headline_figures(rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
    """Accuracy per BFCL category (rows the endpoint could not take are left out)."""
    out = []
    for cat in CATEGORIES:
        graded = [r for r in rows if r["details"] and r["details"].get("category") == cat
                  and r["status"] in ("ok", "wrong", "no-answer", "truncated")]
        out.append(Figure(cat.replace("_", "-"), sum(r["status"] == "ok" for r in graded),
                          len(graded)))
    return out


def headline_facts(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    unsupported = [r for r in rows if r["status"] == "unsupported"]
    if unsupported:
        return [("tool support", f"unsupported ({len(unsupported)} of {len(rows)} samples "
                 "not scored): the endpoint rejects or ignores tools")]
    return [("tool support", "yes")]
