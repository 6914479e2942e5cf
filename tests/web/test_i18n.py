"""Every string of the web UI is a message of both catalogs, and locale formats differ."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from babel.messages.pofile import read_po

from baimo.web.i18n import Formats, negotiate, translations

WEB = Path(__file__).resolve().parents[2] / "src" / "baimo" / "web"


def _extract() -> list[str]:
    spec = importlib.util.spec_from_file_location("locales_update", WEB / "locales" / "update.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return list(mod.extract())


def test_every_ui_message_is_translated_in_both_catalogs() -> None:
    ids = _extract()
    assert len(ids) > 150  # the templates really are gettext'd
    for loc in ("en", "zh_CN"):
        cat = read_po((WEB / "locales" / loc / "LC_MESSAGES" / "messages.po").open("rb"))
        missing = [m for m in ids if not (cat.get(m) and cat.get(m).string)]
        assert not missing, f"{loc}: untranslated {missing[:10]} (run locales/update.py)"
    zh = translations("zh-CN")
    assert zh.gettext("Leaderboards") == "排行榜"
    assert translations("en").gettext("Leaderboards") == "Leaderboards"


def test_templates_carry_no_untranslated_prose() -> None:
    import re

    for tpl in (WEB / "templates").glob("*.html"):
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]+>|&[a-z]+;", " ", tpl.read_text(),
                      flags=re.S)
        words = [w for w in re.findall(r"[A-Za-z]{4,}", text)
                 if w not in {"baimo", "CSV", "RPM", "TTFT", "API", "eval", "perf"}]
        assert not words, f"{tpl.name}: text outside gettext: {words[:8]}"


def test_language_negotiation_and_locale_formats() -> None:
    assert negotiate(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert negotiate(None, "en-GB,zh;q=0.5") == "en"
    assert negotiate(None, "fr-FR, zh-TW;q=0.7") == "zh-CN"
    assert negotiate(None, "fr-FR") == "en"
    assert negotiate("zh-CN", "en") == "zh-CN"  # the saved switch wins
    assert negotiate("xx", "zh") == "zh-CN"
    en, zh = Formats("en"), Formats("zh-CN")
    assert en.num(12345.678) == "12,345.7" and zh.num(12345.678) == "12,345.7"
    assert en.pct(0.4567) == "45.7%" and zh.pct(0.4567) == "45.7%"
    assert en.date(0) == "Jan 1, 1970, 12:00:00\u202fAM" or en.date(0).startswith("Jan 1, 1970")
    assert zh.date(0).startswith("1970年1月1日")
    assert en.sig(0.000123456) == "0.000123" and en.sig(None) == "—"
