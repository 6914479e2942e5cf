"""Refresh the message catalogs from the sources (a maintainer tool, not used at run time).

    .venv/bin/python src/baimo/web/locales/update.py

Extracts every ``_("...")`` of the web templates and code, adds new ids to both catalogs
(English: translated as itself; Chinese: left empty for a translator, which
``tests/web/test_i18n.py`` then reports) and drops ids no longer used.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
WEB = HERE.parent
METHODS = [("**/templates/**.html", "jinja2.ext.babel_extract"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract() -> list[str]:
    ids: dict[str, None] = {}
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(WEB), METHODS, options_map=OPTIONS, keywords={"_": None, "gettext": None}):
        if isinstance(message, str) and message:
            ids[message] = None
    return list(ids)


def update(locale: str, ids: list[str], translate: dict[str, str] | None = None) -> None:
    path = HERE / locale / "LC_MESSAGES" / "messages.po"
    old = read_po(path.open("rb")) if path.exists() else Catalog(locale=locale)
    cat = Catalog(locale=locale, project="baimo", domain="messages", fuzzy=False)
    for mid in ids:
        prev = old.get(mid)
        text = prev.string if prev is not None and prev.string else ""
        if locale == "en":
            text = mid
        elif translate and not text:
            text = translate.get(mid, "")
        cat.add(mid, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, cat, width=100, omit_header=False)


if __name__ == "__main__":
    found = extract()
    update("en", found)
    update("zh_CN", found)
    print(f"{len(found)} messages")
