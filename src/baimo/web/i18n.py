"""Languages of the workspace: Babel message catalogs, locale choice, locale formats.

Every string of the UI is a gettext message (``_("...")`` in templates and code) with an
entry in ``locales/<locale>/LC_MESSAGES/messages.po``; English is the message id language, so
its catalog maps each id to itself and exists to be checked (``tests/web/test_i18n.py``
extracts every message and requires both catalogs to translate it). The ``.po`` files are
compiled in memory when the app starts, so no binary ``.mo`` file is kept in the source tree.

The language is the ``baimo_lang`` cookie (set by the switch in the page header), else the
best match of ``Accept-Language``, else English. Numbers, percentages and dates are formatted
with Babel for that locale. Model output is data, never a message: it is shown as stored.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from markupsafe import Markup, escape

LANGS = ("en", "zh-CN")
"""Languages offered, as BCP 47 tags (the switch, the cookie and ``<html lang>``)."""

_BABEL = {"en": "en", "zh-CN": "zh_CN"}
COOKIE = "baimo_lang"


@cache
def translations(lang: str) -> Translations:
    """The compiled catalog of ``lang`` (one of ``LANGS``)."""
    loc = _BABEL[lang]
    res = importlib.resources.files("baimo.web") / "locales" / loc / "LC_MESSAGES" / "messages.po"
    with res.open("rb") as fh:
        catalog = read_po(fh, locale=loc)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language for a request: the saved choice, else ``Accept-Language``, else English."""
    if cookie in LANGS:
        return str(cookie)
    wanted: list[tuple[float, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        if not tag:
            continue
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        wanted.append((q - i * 1e-6, tag))
    for _, tag in sorted(wanted, reverse=True):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en") or tag == "*":
            return "en"
    return "en"


@cache
def _symbols(lang: str) -> tuple[str, str]:
    """(group, decimal) separators of ``lang`` from CLDR, checked against Babel itself."""
    loc = Locale.parse(_BABEL[lang])
    sample = str(format_decimal(1234.5, format="#,##0.0", locale=loc))
    return sample[1], sample[-2]


@cache
def _percent(lang: str) -> str:
    sample = str(format_percent(0.5, format="0%", locale=Locale.parse(_BABEL[lang])))
    return sample.replace("50", "")


@dataclass(frozen=True)
class Formats:
    """Locale-aware formatting for templates (``fmt.num``, ``fmt.pct``, ``fmt.date``)."""

    lang: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(_BABEL[self.lang])

    def num(self, value: Any, digits: int = 1) -> str:
        """Grouped, fixed decimals, with the locale's symbols (read once from CLDR: a page
        formats thousands of numbers, and Babel's pattern engine costs ~30 µs a call)."""
        if value is None:
            return "—"
        group, decimal = _symbols(self.lang)
        text = f"{float(value):,.{max(0, digits)}f}"
        if (group, decimal) == (",", "."):
            return text
        return text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)

    def sig(self, value: Any, digits: int = 3) -> str:
        """A number with ``digits`` significant digits (prices, latencies of any scale)."""
        if value is None:
            return "—"
        v = float(value)
        if v == 0:
            return "0"
        import math

        decimals = max(0, digits - 1 - math.floor(math.log10(abs(v))))
        return self.num(v, min(decimals, 6))

    def pct(self, value: Any, digits: int = 1) -> str:
        if value is None:
            return "—"
        return self.num(100 * float(value), digits) + _percent(self.lang)

    def ci(self, v: Any) -> Markup:
        """A score with its 95% interval, as markup (numbers only, so nothing to escape but
        ``Markup.format`` escapes anyway). A function, not a template macro: a leaderboard
        shows ~1,000 of these and a macro call costs more than the formatting."""
        if not v or v.get("score") is None:
            return Markup('<span class="muted">—</span>')
        score = escape(self.pct(v["score"]))
        lo, hi = escape(self.num(100 * v["ci_low"])), escape(self.num(100 * v["ci_high"]))
        return Markup(f'<b>{score}</b> <span class="ci">{lo}–{hi}</span>')

    def int(self, value: Any) -> str:
        return "—" if value is None else self.num(int(value), 0)

    def date(self, ts: float | None) -> str:
        if ts is None:
            return "—"
        when = dt.datetime.fromtimestamp(float(ts), tz=dt.UTC)
        return str(format_datetime(when, "medium", tzinfo=dt.UTC, locale=self.locale))
