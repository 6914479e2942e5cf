"""Long context: needle-in-a-haystack and multi-needle retrieval, zh and en.

A *haystack* is filler prose generated here from shipped word lists (seeded, so the same
options give the same text, and nothing comes from the network or a copyrighted corpus). A
*needle* is one sentence stating a six-digit code for a coloured locker; the model is asked
for the code. Single-needle samples put one needle at each depth (0%, 25%, 50%, 75%, 100% of
the haystack); multi-needle samples hide three needles at 20%, 50% and 80% and ask for all
three (right only when all three are).

Lengths are token targets (counted with ``estimate_tokens``, ~1 token per CJK character and
~4 bytes otherwise: a real tokenizer may count ±20%): powers of two from 1,024 up to the
context window the run targets (``SuiteOptions.context_window``, else 32,768), the largest
being the window less 1,024 tokens for the question and the answer.

Per model, a sample longer than the model's *claimed* window (``context_window`` in its
config) is not sent: it is ``unsupported``, as is one the endpoint refuses as too long. What
the report shows: accuracy by length × depth (a heatmap), and the longest length up to which
every length keeps ≥ 90% single-needle accuracy (the *effective* window, as RULER defines
it), next to the claimed window.
"""

from __future__ import annotations

import functools
import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from baimo.models.base import estimate_tokens
from baimo.models.client import Answer, CallFailed, ModelClient
from baimo.tasks.outcome import decide
from baimo.tasks.registry import Figure, Grid
from baimo.tasks.scorers import scorer
from baimo.tasks.suites.conversation import UNSUPPORTED, combine, unsupported_answer
from baimo.tasks.types import ModelOutput, Sample, Score

__all__ = ["DEPTHS", "build_longctx", "effective_length", "haystack", "headline_facts",
           "headline_figures", "headline_grid", "lengths_for", "longctx_scorer",
           "longctx_solver"]

DEPTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
MULTI_DEPTHS = (0.2, 0.5, 0.8)
DEFAULT_WINDOW = 32_768
RESERVE = 1_024
THRESHOLD = 0.9
NON_GRADED = {"error", "judge-parse-error", "unsupported"}

_EN = {
    "when": ["In early spring", "Every autumn", "On quiet mornings", "During the long winter",
             "At the end of each harvest", "Before the rains came", "On market days",
             "Late in the evening", "Once the river froze", "After the festival"],
    "who": ["the farmers of the valley", "the old ferryman", "the weavers by the mill",
            "the children of the village", "a travelling potter", "the keeper of the lighthouse",
            "the baker's two daughters", "the shepherds on the ridge", "the schoolteacher",
            "a family of beekeepers"],
    "did": ["mended the stone walls", "counted the geese on the pond",
            "carried baskets of apples to town", "painted the wooden bridge",
            "planted rows of cabbages", "repaired the fishing nets", "swept the chapel steps",
            "traded wool for salt", "sang while they worked", "wrote long letters home"],
    "how": ["with great patience", "as their parents had done", "without complaint",
            "while the wind rose", "under a pale sky", "before anyone else awoke",
            "as the bells rang", "in no particular hurry", "by lantern light",
            "while the kettle boiled"],
}
_ZH = {
    "when": ["早春时节", "每到秋天", "在安静的清晨", "漫长的冬天里", "每次收获之后", "雨季来临之前",
             "逢集的日子", "傍晚时分", "河面结冰以后", "节日过后"],
    "who": ["山谷里的农人", "老船夫", "磨坊边的织工", "村里的孩子们", "一位走村串户的陶匠",
            "灯塔的看守人", "面包师的两个女儿", "山岭上的牧羊人", "教书先生", "一家养蜂人"],
    "did": ["修补石墙", "数池塘里的大雁", "挑着苹果进城", "给木桥刷漆", "种下一行行白菜",
            "修补渔网", "打扫祠堂的台阶", "用羊毛换盐", "一边干活一边唱歌", "给家里写长信"],
    "how": ["很有耐心", "像父辈那样", "从不抱怨", "任凭风越刮越大", "在灰白的天空下",
            "赶在别人醒来之前", "伴着钟声", "不慌不忙", "借着灯笼的光", "等着水壶烧开"],
}
COLORS_EN = ["red", "blue", "green", "yellow", "purple", "orange", "black", "white"]
COLORS_ZH = ["红", "蓝", "绿", "黄", "紫", "橙", "黑", "白"]


def _sentence(rng: random.Random, lang: str) -> str:
    words = _ZH if lang == "zh" else _EN
    when, who, did, how = (rng.choice(words[k]) for k in ("when", "who", "did", "how"))
    if lang == "zh":
        return f"{when}，{who}{did}，{how}。"
    return f"{when}, {who} {did} {how}. "


@functools.lru_cache(maxsize=20_000)
def _tokens(sentence: str) -> int:
    return estimate_tokens(sentence)


def _needle(lang: str, color: str, code: str) -> str:
    if lang == "zh":
        return f"{color}色储物柜的密码是{code}。"
    return f"The access code for the {color} locker is {code}. "


def haystack(tokens: int, lang: str, needles: Sequence[tuple[float, str]], seed: int) -> str:
    """Filler of about ``tokens`` tokens with each needle inserted at its depth (0…1)."""
    rng = random.Random(f"{seed}:{lang}:{tokens}")
    budget = tokens - sum(estimate_tokens(n) for _, n in needles)
    parts: list[str] = []
    used = 0
    while used < budget:
        s = _sentence(rng, lang)
        parts.append(s)
        used += _tokens(s)
    for depth, text in sorted(needles, key=lambda x: x[0], reverse=True):
        parts.insert(round(depth * len(parts)), text)
    return "".join(parts)


def lengths_for(window: int | None) -> list[int]:
    """Token lengths to test for a context window (see the module docstring)."""
    top = (window or DEFAULT_WINDOW) - RESERVE
    out = []
    n = 1024
    while n < top:
        out.append(n)
        n *= 2
    if top >= 1024:
        out.append(top)
    return out


def _question(lang: str, colors: Sequence[str]) -> str:
    if lang == "zh":
        if len(colors) == 1:
            return f"根据上面的文字，{colors[0]}色储物柜的密码是多少？只回答密码。"
        names = "、".join(f"{c}色" for c in colors)
        return f"根据上面的文字，{names}储物柜的密码分别是多少？每行写一个：颜色：密码。"
    if len(colors) == 1:
        return (f"According to the text above, what is the access code for the {colors[0]} "
                "locker? Reply with the code only.")
    names = ", ".join(colors[:-1]) + f" and {colors[-1]}"
    return (f"According to the text above, what are the access codes for the {names} lockers? "
            "Reply one per line as colour: code.")


def build_longctx(window: int | None = None, seed: int = 0) -> list[Sample]:
    """Every sample, shortest first: per length, single needles at each depth in zh and en,
    then the multi-needle sample in each language."""
    rng = random.Random(seed)
    samples = []
    for length in lengths_for(window):
        for kind in ("single", "multi"):
            for lang in ("en", "zh"):
                palette = COLORS_ZH if lang == "zh" else COLORS_EN
                depth_sets: list[tuple[float, ...]] = (
                    [(d,) for d in DEPTHS] if kind == "single" else [MULTI_DEPTHS])
                for depths in depth_sets:
                    colors = rng.sample(palette, len(depths))
                    codes = [f"{rng.randrange(100_000, 1_000_000)}" for _ in depths]
                    text = haystack(length, lang, [(d, _needle(lang, c, k)) for d, c, k in
                                                   zip(depths, colors, codes, strict=True)],
                                    seed)
                    depth_label = f"{round(100 * depths[0])}" if kind == "single" else "multi"
                    samples.append(Sample(
                        f"{kind}-{lang}-{length}-{depth_label}",
                        ({"role": "user", "content": f"{text}\n\n{_question(lang, colors)}"},),
                        codes, category=f"{kind}-{lang}",
                        metadata={"length": length, "depth": depths[0] if kind == "single"
                                  else None, "kind": kind, "language": lang,
                                  "colors": colors}))
    return samples


# ---------------------------------------------------------------------------- asking


def _too_long(reason: str) -> bool:
    low = reason.lower()
    return "bad-request" in low and any(w in low for w in (
        "context", "too long", "maximum", "token limit", "length"))


async def longctx_solver(sample: Sample, messages: list[dict[str, Any]],
                         params: dict[str, Any], client: ModelClient) -> Answer:
    """Ask once, unless the haystack is beyond the model's claimed window."""
    window = client.cfg.context_window
    notes = {"context_window": window}
    cur = client.cfg.pricing.currency
    need = int(sample.metadata["length"]) + int(params.get("max_tokens") or 0)
    if window is not None and need > window:
        return unsupported_answer(f"{sample.metadata['length']:,} tokens plus the answer are "
                                  f"beyond the model's claimed window of {window:,}", cur,
                                  notes=notes)
    try:
        answer = await client.complete(messages, params)
    except CallFailed as exc:
        if exc.fatal or not _too_long(exc.reason):
            raise
        return unsupported_answer(f"the endpoint refused the length: {exc.reason}", cur,
                                  notes=notes)
    return combine([answer], [], notes)


# ---------------------------------------------------------------------------- scoring

_DIGITS = re.compile(r"\d+")


@scorer("needle")
def longctx_scorer(sample: Sample, output: ModelOutput) -> Score:
    """Right when every needle's code appears in the answer as a whole number."""
    details: dict[str, Any] = {"length": sample.metadata["length"],
                               "depth": sample.metadata["depth"],
                               "kind": sample.metadata["kind"],
                               "claimed_window": output.notes.get("context_window")}
    if output.finish_reason == UNSUPPORTED:
        return Score("unsupported", 0.0, None, output.text, {**details, "unsupported": True})
    found = set(_DIGITS.findall(output.text.replace(",", "")))
    codes: list[str] = list(sample.reference)
    hits = [c for c in codes if c in found]
    details["found"] = len(hits)
    if not found:
        return decide(output, None, None, method="digits", **details)
    return decide(output, len(hits) == len(codes), " ".join(sorted(found))[:80],
                  method="digits",
                  reason=None if len(hits) == len(codes) else
                  f"found {len(hits)} of {len(codes)} code(s)", **details)


# ---------------------------------------------------------------------------- the report


def _graded(rows: Sequence[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [r for r in rows if r["details"] and r["details"].get("kind") == kind
            and r["status"] not in NON_GRADED]


def effective_length(rows: Sequence[Mapping[str, Any]], threshold: float = THRESHOLD
                     ) -> int | None:
    """The longest length up to which every tested length keeps ≥ ``threshold`` accuracy
    on single needles (None when even the shortest does not)."""
    by_len: dict[int, list[float]] = defaultdict(list)
    for r in _graded(rows, "single"):
        by_len[int(r["details"]["length"])].append(float(r["score"]))
    best = None
    for length in sorted(by_len):
        scores = by_len[length]
        if sum(scores) / len(scores) < threshold:
            break
        best = length
    return best


def headline_figures(rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
    single, multi = _graded(rows, "single"), _graded(rows, "multi")
    return [Figure("single needle", sum(r["status"] == "ok" for r in single), len(single)),
            Figure("multi-needle (all 3)", sum(r["status"] == "ok" for r in multi), len(multi))]


def headline_facts(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    eff = effective_length(rows)
    claimed = next((r["details"].get("claimed_window") for r in rows
                    if r["details"] and r["details"].get("claimed_window")), None)
    tested = max((int(r["details"]["length"]) for r in _graded(rows, "single")), default=None)
    return [("longest length ≥ 90%", "—" if eff is None else f"{eff:,} tokens"),
            ("longest tested", "—" if tested is None else f"{tested:,} tokens"),
            ("claimed window", "not configured" if claimed is None
             else f"{int(claimed):,} tokens")]


def headline_grid(rows: Sequence[Mapping[str, Any]]) -> Grid | None:
    single = [r for r in rows if r["details"] and r["details"].get("kind") == "single"]
    if not single:
        return None
    lengths = sorted({int(r["details"]["length"]) for r in single})
    cols = [f"{round(100 * d)}%" for d in DEPTHS]
    cells: dict[tuple[str, str], tuple[int, int]] = {}
    notes: dict[str, str] = {}
    for length in lengths:
        at = [r for r in single if int(r["details"]["length"]) == length]
        label = f"{length:,}"
        for col, depth in zip(cols, DEPTHS, strict=True):
            graded = [r for r in at if r["details"]["depth"] == depth
                      and r["status"] not in NON_GRADED]
            if graded:
                cells[(label, col)] = (sum(r["status"] == "ok" for r in graded), len(graded))
        if all(r["status"] == "unsupported" for r in at):
            notes[label] = "not asked: beyond the claimed window"
    return Grid("tokens", "needle depth", [f"{n:,}" for n in lengths], cols, cells, notes)
