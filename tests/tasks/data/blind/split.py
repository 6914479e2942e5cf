"""Split the blind corpus into dev (tune on it) and test (measure only), once.

The raw files were written by three helpers who never saw the extraction code or its tests.
Each item goes to a split by a salted hash of its id, within each (file, kind, language)
stratum, so both splits cover every writer and style. Run once; the splits are committed and
the raw files removed, so nobody can tune on the test items by reading the raw files.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent
SALT = "baimo-blind-2026-12"


def main() -> None:
    strata: dict[tuple[str, str, str], list[dict[str, object]]] = defaultdict(list)
    for raw in sorted(HERE.glob("raw-*.jsonl")):
        for line in raw.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                strata[(raw.stem, str(item["kind"]), str(item["lang"]))].append(item)
    dev: list[dict[str, object]] = []
    test: list[dict[str, object]] = []
    for items in strata.values():
        items.sort(key=lambda it: hashlib.sha256(f"{SALT}:{it['id']}".encode()).hexdigest())
        for i, item in enumerate(items):
            (test if i % 2 == 0 else dev).append(item)
    for name, rows in (("dev", dev), ("test", test)):
        rows.sort(key=lambda it: str(it["id"]))
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(name, len(rows))


if __name__ == "__main__":
    main()
