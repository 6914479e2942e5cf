"""How often answer extraction reads a response right: old corpus, blind dev and blind test.

The extraction rules were tuned on ``tests/tasks/data/extraction_corpus.jsonl``; accuracy on
that corpus overstates what they do on text nobody tuned for (issue 11). The blind corpus in
``tests/tasks/data/blind/`` was written by people who never saw the code, and split once:
``dev.jsonl`` may be read and tuned on, ``test.jsonl`` is frozen and only ever *measured*.
So this script prints counts and accuracies for the test split and nothing per item; only dev
misses can be listed (``--misses dev|dev2|…|dev33``). ``dev2.jsonl`` is a second dev batch
written blind by another writer; ``dev3.jsonl`` (1,020 items, four writers asked for the hard
cases) and ``dev4.jsonl`` (600 items, three writers asked for everyday model output) came in the
third round, ``dev5.jsonl`` (640 items, four writers given the style mix of the first
writers, mostly multiple choice) in the fourth, and ``dev6.jsonl`` (450 items) in the fifth: variants of
dev and dev2 items (the first writers' own phenomena, new questions and wording), written
without the code. ``dev7``–``dev9`` came from four new writers a round; ``dev10`` (520 items:
hosted assistants, reasoning models, small local models, exam-prep products) and ``dev11``
(520: the issue's full style mix, Chinese models in everyday use, maths and quantitative
work, messy production logs) and ``dev12`` (520: strong assistants on multiple choice, Chinese
question-bank apps, the full style mix, everyday quantitative questions) from the writers of
the 2026-12-03 session; ``dev13`` (519: the first three writers' styles again, school and exam
tutors, terse everyday arithmetic, long structured replies, a spread of named models; half
numbers) and ``dev14`` (518: answers with caveats and estimates, Chinese exam-prep working,
reasoning and chat models on multiple choice, the full style mix) from the writers of the
next, and ``dev15`` (520: variants of the trickiest dev items, the first writers' own phenomena
in new questions and words, written without the code) and ``dev16`` (509: four or five variants
of each dev item that shows a phenomenon found at most twice in dev); ``dev17`` (520: two writers,
one asked for replies that go on after their answer, the other for two new variants of each of
130 dev items drawn at random) came in the 2026-12-04 evening session and was first read by
that session's starting revision; ``dev18`` (520: two more writers, one asked for everyday
replies in the full style mix, the other for variants of 130 other dev items) came after that
session's round on dev17 and was first read by the round's commit; ``dev19`` (600: three
writers in the 2026-12-04 night session, two asked for new items a reader could not tell
apart from the dev split as a whole, which is the test split's own distribution, one for two
variants of each of 100 dev items drawn at random) was first read by that session's starting
revision; ``dev20`` (600: three more writers with the same three briefs) came after the round
on dev19 and was first read by the round's commit; ``dev21`` (600 multiple-choice items, the
same three briefs on the dev split's multiple-choice items) after the round on dev20, first read
by that round's commit; ``dev22`` (500: two writers asked for plain replies whose answer is
clear to any reader, with the text real models put around it: caveats, notes on wrong options,
tips, sign-offs, restatements in other units, asides; 90% answers) after the round on dev21,
first read by the commit after it. The 2026-12-05 session added six multiple-choice batches,
each first read by the commit of the round before it: ``dev23`` (600: two writers in the dev
split's own distribution, one of plain replies with text around a clear answer), then
``dev24`` to ``dev28`` (400 each: two writers in the dev split's own distribution). The
second session that day added ``dev29`` (600: three writers in the dev split's own
distribution, each with a topic leaning), first read by the commit of a round fitted to what
the first reads of ``dev19``–``dev28`` had missed most, and ``dev30`` (600: three more, asked
for the dev split's own status mix as well), first read after the ``dev29`` round, and
``dev31`` (400: two more), first read after the ``dev30`` round. The third session that day
added ``dev32`` (600: three writers in the dev split's own distribution and status mix, each
with a topic leaning), first read by that session's starting revision, and ``dev33`` (400: two
more), first read by the commit of the round on ``dev32`` and only measured. Each new
batch is measured once, blind, before anything is tuned on it: that first figure is the honest
estimate of what the rules do on unseen text.

Usage::

    python benchmarks/extraction.py                      # the working tree
    python benchmarks/extraction.py --before 33c0e00     # the same figures for a revision too
    python benchmarks/extraction.py --first-blind        # each batch as first read, and now
    python benchmarks/extraction.py --misses dev         # every dev miss, with what was read
    python benchmarks/extraction.py --misses dev3        # the same for another dev batch
    python benchmarks/extraction.py --splits old,dev,dev2,dev3,dev4,dev5,dev6,dev7,dev8,dev9,dev10,dev11,dev12,dev13,dev14,dev15,dev16,dev17,dev18,dev19,dev20,dev21,dev22,dev23,dev24,dev25,dev26,dev27,dev28,dev29,dev30,dev31,dev32,dev33
                                                         # while tuning: no test

A row is judged as in ``tests/tasks/test_extract.py``: the status must match, and the value
must equal the expected letters, or the expected number by value (``numbers_equal``). When a
row has ``reasoning_content`` it is the separate reasoning field of the API reply: it is *not*
passed to the extractor, which reads the answer text only (as the runner does).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "tasks" / "data"
SPLITS = {
    "old": DATA / "extraction_corpus.jsonl",
    "dev": DATA / "blind" / "dev.jsonl",
    "dev2": DATA / "blind" / "dev2.jsonl",
    "dev3": DATA / "blind" / "dev3.jsonl",
    "dev4": DATA / "blind" / "dev4.jsonl",
    "dev5": DATA / "blind" / "dev5.jsonl",
    "dev6": DATA / "blind" / "dev6.jsonl",
    "dev7": DATA / "blind" / "dev7.jsonl",
    "dev8": DATA / "blind" / "dev8.jsonl",
    "dev9": DATA / "blind" / "dev9.jsonl",
    "dev10": DATA / "blind" / "dev10.jsonl",
    "dev11": DATA / "blind" / "dev11.jsonl",
    "dev12": DATA / "blind" / "dev12.jsonl",
    "dev13": DATA / "blind" / "dev13.jsonl",
    "dev14": DATA / "blind" / "dev14.jsonl",
    "dev15": DATA / "blind" / "dev15.jsonl",
    "dev16": DATA / "blind" / "dev16.jsonl",
    "dev17": DATA / "blind" / "dev17.jsonl",
    "dev18": DATA / "blind" / "dev18.jsonl",
    "dev19": DATA / "blind" / "dev19.jsonl",
    "dev20": DATA / "blind" / "dev20.jsonl",
    "dev21": DATA / "blind" / "dev21.jsonl",
    "dev22": DATA / "blind" / "dev22.jsonl",
    "dev23": DATA / "blind" / "dev23.jsonl",
    "dev24": DATA / "blind" / "dev24.jsonl",
    "dev25": DATA / "blind" / "dev25.jsonl",
    "dev26": DATA / "blind" / "dev26.jsonl",
    "dev27": DATA / "blind" / "dev27.jsonl",
    "dev28": DATA / "blind" / "dev28.jsonl",
    "dev29": DATA / "blind" / "dev29.jsonl",
    "dev30": DATA / "blind" / "dev30.jsonl",
    "dev31": DATA / "blind" / "dev31.jsonl",
    "dev32": DATA / "blind" / "dev32.jsonl",
    "dev33": DATA / "blind" / "dev33.jsonl",
    "test": DATA / "blind" / "test.jsonl",
    # rule-aware, not blind (tests/tasks/data/stress/README.md): how far the rules overreach
    "stress": DATA / "stress",
}
EXTRACT = "src/baimo/tasks/extract.py"
# The revision whose rules first read each blind batch: the commit that added the batch,
# before anything was tuned on it (dev, dev2, dev3 and test came in with tuning, so their
# parents). Those first readings are the honest estimates of what the rules did on unseen
# text; ``--first-blind`` prints them next to the working tree's.
FIRST_BLIND = {
    "dev": "90b9443^", "dev2": "0e979d1^", "dev3": "9b27320^", "dev4": "e33a37d",
    "dev5": "c38e5ef", "dev6": "107f12a", "dev7": "bdadb73", "dev8": "6ac72bb",
    "dev9": "f327a21", "dev10": "92ef3db", "dev11": "11a4714",
    "dev12": "fdcdf9c", "dev13": "a8bbe9b", "dev14": "5dc12ad", "dev15": "f1977b5", "dev16": "10033a5",
    "dev17": "8ff0efc", "dev18": "4fde5f0", "dev19": "ab61da4", "dev20": "a3c18d6", "dev21": "45f29d3", "dev22": "6705239",
    "dev23": "c04bd86", "dev24": "fac6789", "dev25": "70f7833",
    "dev26": "385ea6b", "dev27": "4e33750",
    "dev28": "570709e", "dev29": "47075bb", "dev30": "b695205", "dev31": "1d2ba45",
    "dev32": "56a90ba", "dev33": "252eec6", "test": "90b9443^",
}


def _load(path: Path) -> list[dict[str, Any]]:
    """The rows of a split: one JSONL file, or every ``*.jsonl`` in a directory."""
    rows: list[dict[str, Any]] = []
    for file in sorted(path.glob("*.jsonl")) if path.is_dir() else [path]:
        with file.open(encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def _module_at(rev: str | None) -> ModuleType:
    """``baimo.tasks.extract`` of the working tree, or of a git revision as a temporary module."""
    if rev is None:
        sys.path.insert(0, str(ROOT / "src"))
        import baimo.tasks.extract as current

        return current
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:{EXTRACT}"],
        check=True, capture_output=True, text=True,
    ).stdout
    # The file is needed only while it executes; the module lives on in sys.modules.
    with tempfile.TemporaryDirectory(prefix="baimo-extract-") as folder:
        tmp = Path(folder) / f"extract_{rev}.py"
        tmp.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(f"_extract_{rev}", tmp)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses resolve their module by name
        spec.loader.exec_module(module)
    return module


def _runner(mod: ModuleType) -> Callable[[dict[str, Any]], Any]:
    # The question breaks ties where the revision's extract_number accepts it.
    takes_question = "question" in inspect.signature(mod.extract_number).parameters
    choice_takes_question = "question" in inspect.signature(mod.extract_choice).parameters

    def run(row: dict[str, Any]) -> Any:
        if row["kind"] == "choice":
            asked = ({"question": row["question"]}
                     if choice_takes_question and row.get("question") else {})
            return mod.extract_choice(
                row["response"], row["n_choices"], row.get("choices"),
                multi=row.get("multi", False), finish_reason=row.get("finish_reason"), **asked,
            )
        if takes_question and row.get("question"):
            return mod.extract_number(row["response"], finish_reason=row.get("finish_reason"),
                                      question=row["question"])
        return mod.extract_number(row["response"], finish_reason=row.get("finish_reason"))

    return run


def _correct(mod: ModuleType, row: dict[str, Any], ex: Any) -> bool:
    if ex.status != row["expected_status"]:
        return False
    if row["expected"] is None:
        return ex.value is None
    if ex.value is None:
        return False
    if row["kind"] == "choice":
        return bool(ex.value == row["expected"])
    return bool(mod.numbers_equal(ex.value, str(row["expected"])))


def _score(mod: ModuleType, rows: list[dict[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    run = _runner(mod)
    total: Counter[str] = Counter()
    ok: Counter[str] = Counter()
    for row in rows:
        try:
            good = _correct(mod, row, run(row))
        except Exception:  # a crash on an item is a miss, not a crashed benchmark
            good = False
        for group in ("all", f"kind={row['kind']}", f"lang={row.get('lang', '?')}"):
            total[group] += 1
            ok[group] += good
    return total, ok


def _fmt(ok: int, n: int) -> str:
    return f"{ok}/{n} = {ok / n:7.2%}" if n else "-"


def _report(label: str, mods: dict[str, ModuleType], splits: dict[str, list[dict[str, Any]]],
            ) -> None:
    print(f"== {label}")
    for split, rows in splits.items():
        results = {name: _score(mod, rows) for name, mod in mods.items()}
        groups = sorted(next(iter(results.values()))[0], key=lambda g: (g != "all", g))
        header = "".join(f"{name:>24}" for name in results)
        print(f"{split} ({len(rows)} items){header}")
        for g in groups:
            cells = "".join(f"{_fmt(ok[g], total[g]):>24}" for total, ok in results.values())
            print(f"  {g:<18}{cells}")


def _report_one(split: str, rows: list[dict[str, Any]], mods: dict[str, ModuleType]) -> None:
    results = {name: _score(mod, rows) for name, mod in mods.items()}
    groups = sorted(next(iter(results.values()))[0], key=lambda g: (g != "all", g))
    print(f"{split} ({len(rows)} items)" + "".join(f"{name:>26}" for name in results))
    for g in groups:
        print(f"  {g:<18}" + "".join(f"{_fmt(ok[g], total[g]):>26}"
                                     for total, ok in results.values()))


def _misses(mod: ModuleType, rows: list[dict[str, Any]]) -> None:
    run = _runner(mod)
    n = 0
    for row in rows:
        ex = run(row)
        if _correct(mod, row, ex):
            continue
        n += 1
        print(f"--- {row['id']} [{row['kind']}/{row.get('lang')}/{row.get('style', '')}] "
              f"finish={row.get('finish_reason')}")
        if row.get("question"):
            print(f"Q: {row['question'][:300]}")
        if row.get("choices"):
            print(f"choices: {row['choices']}")
        print(f"response: {row['response']}")
        print(f"expected {row['expected_status']} {row['expected']!r}; "
              f"got {ex.status} {ex.value!r} via {ex.method}")
    print(f"{n} misses of {len(rows)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", metavar="REV",
                    help="also measure src/baimo/tasks/extract.py at this git revision")
    ap.add_argument("--splits", default=",".join(SPLITS),
                    help="comma-separated splits to measure (default: all)")
    ap.add_argument("--misses", choices=[s for s in SPLITS if s != "test"],
                    help="list the misses of the working tree on this split (never test)")
    ap.add_argument("--first-blind", action="store_true",
                    help="each blind split as first read (FIRST_BLIND) next to the working tree")
    args = ap.parse_args(argv)
    after = _module_at(None)
    wanted = [w.strip() for w in args.splits.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in SPLITS]
    if unknown:
        ap.error(f"unknown split(s) {', '.join(unknown)}; use {', '.join(SPLITS)}")
    if args.misses and args.misses not in wanted:
        wanted.append(args.misses)
    splits = {n: _load(p) for n, p in SPLITS.items() if n in wanted and p.exists()}
    missing = [n for n, p in SPLITS.items() if n in wanted and not p.exists()]
    if args.misses:
        if args.misses not in splits:
            print(f"{SPLITS[args.misses]} does not exist yet", file=sys.stderr)
            return 2
        _misses(after, splits[args.misses])
        return 0
    if args.first_blind:
        print("== answer extraction accuracy: each blind batch as first read, and now")
        for name, rows in splits.items():
            rev = FIRST_BLIND.get(name)
            if rev is None:
                continue
            _report_one(name, rows, {f"first blind ({rev})": _module_at(rev),
                                     "now (working tree)": after})
        return 0
    mods = {"after (working tree)": after}
    if args.before:
        mods = {f"before ({args.before})": _module_at(args.before), **mods}
    _report("answer extraction accuracy (status and value must both match)", mods, splits)
    if missing:
        print("not yet present: " + ", ".join(missing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
