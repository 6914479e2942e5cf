"""A self-contained HTML report: one file, no network, charts by a vendored ECharts.

ECharts comes from the npm registry at build time (``make vendor`` copies
``echarts/dist/echarts.min.js`` into ``baimo/reports/static/``); it is inlined into every
report so the file opens anywhere, offline. Sections are added by each layer (eval, perf,
score, advise) through ``Report.section``; chart options are plain JSON.

Everything in a report (model, task and dimension names, answers, catalog entries) is text
someone else wrote, so the page has one safe way in for each kind of output:

* HTML text goes through ``esc`` (``table`` does it for every cell not wrapped in ``Raw``).
* Chart data never becomes script: each option is serialised by ``script_json`` into a
  ``<script type="application/json">`` block, with ``<``, ``>``, ``&`` and U+2028/2029
  written as ``\\u`` escapes, and read back with ``JSON.parse``. Nothing in the data can end
  the block (``</script>``) or switch the HTML parser into the state where ``<!--<script>``
  hides the rest of the page's scripts.
* Tooltips are HTML in ECharts. ``safe_option`` keeps only a few formatting tags (``<b>``,
  ``<i>``, ``<br>``...) in tooltip templates and turns every other ``<`` into text, so a name
  pasted into a template by Python code is shown, not run; the page turns each template into a
  function that fills ``{a}``, ``{b}``, ``{c}``, ``{@[n]}`` with HTML-escaped values. Link
  fields (``link``, ``sublink``) are kept only for ``http(s)`` and ``#`` targets.
"""

from __future__ import annotations

import html
import importlib.resources
import re
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from baimo import __version__
from baimo.errors import BaimoError


def echarts_js() -> str:
    """The vendored ECharts bundle, or a clear error on how to vendor it."""
    res = importlib.resources.files("baimo.reports") / "static" / "echarts.min.js"
    try:
        return res.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaimoError("ECharts is not vendored into this install. Run 'make vendor' in the "
                         "baimo checkout (it installs echarts from npm and copies "
                         "echarts.min.js to src/baimo/reports/static/).") from None


def esc(value: Any) -> str:
    """Text for HTML content or a quoted attribute value."""
    return html.escape(str(value), quote=True)


_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                   0x2028: "\\u2028", 0x2029: "\\u2029"}


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element of an HTML page.

    ``<``, ``>`` and ``&`` can only occur inside JSON strings, where ``\\u003c`` means the
    same character to ``JSON.parse`` but nothing to the HTML parser; U+2028/2029 are escaped
    too because older JavaScript parsers end a line there.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
                        ).decode().translate(_SCRIPT_ESCAPES)


def json_block(block_id: str, value: Any, **attrs: str) -> str:
    """A ``<script type="application/json">`` data block, for the page to ``JSON.parse``."""
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    return (f'<script type="application/json" id="{esc(block_id)}"{extra}>'
            f"{script_json(value)}</script>")


_ALLOWED_TAG = re.compile(r"</?(?:b|i|em|strong|small|br)\s*/?>", re.IGNORECASE)
_SAFE_LINK = re.compile(r"(?:https?://|#)", re.IGNORECASE)


def safe_template(template: str) -> str:
    """A tooltip template with only harmless formatting tags: every other ``<`` is text."""
    parts = []
    last = 0
    for m in _ALLOWED_TAG.finditer(template):
        parts.append(template[last:m.start()].replace("<", "&lt;"))
        parts.append(m.group(0))
        last = m.end()
    parts.append(template[last:].replace("<", "&lt;"))
    return "".join(parts)


def safe_option(option: dict[str, Any]) -> dict[str, Any]:
    """A copy of an ECharts option that cannot run script (see the module docstring)."""
    out: dict[str, Any] = _safe(option, in_tooltip=False)
    return out


def _safe(value: Any, *, in_tooltip: bool) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "formatter" and in_tooltip and isinstance(item, str):
                out[key] = safe_template(item)
            elif key in ("link", "sublink") and isinstance(item, str):
                if _SAFE_LINK.match(item.strip()):
                    out[key] = item
            else:
                out[key] = _safe(item, in_tooltip=in_tooltip or key == "tooltip")
        return out
    if isinstance(value, list | tuple):
        return [_safe(v, in_tooltip=in_tooltip) for v in value]
    return value


def table(headers: list[str], rows: list[list[Any]], *, numeric_from: int = 1) -> str:
    """An HTML table; cells are escaped unless wrapped in ``Raw``."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i >= numeric_from else ""
            text = cell.html if isinstance(cell, Raw) else esc("" if cell is None else cell)
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


@dataclass(frozen=True)
class Raw:
    """Trusted HTML (already escaped) for a table cell."""

    html: str


@dataclass
class Section:
    title: str
    body: str
    charts: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)
    anchor: str = ""


class Report:
    """Collects sections and renders one HTML file."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.sections: list[Section] = []
        self._n = 0

    def section(self, title: str, body: str = "",
                charts: list[tuple[dict[str, Any], int]] | None = None) -> None:
        """Add a section; each chart is (ECharts option, height in px)."""
        ids = []
        for option, height in charts or []:
            self._n += 1
            ids.append((f"chart{self._n}", option, height))
        self.sections.append(Section(title, body, ids, anchor=f"s{len(self.sections) + 1}"))

    def order(self, first: list[str]) -> None:
        """Put the named sections first, in that order; the rest keep their order."""
        rank = {title: i for i, title in enumerate(first)}
        self.sections.sort(key=lambda s: rank.get(s.title, len(first)))
        for i, s in enumerate(self.sections):
            s.anchor = f"s{i + 1}"

    def render(self) -> str:
        nav = "".join(f'<a href="#{s.anchor}">{esc(s.title)}</a>' for s in self.sections)
        parts = []
        scripts = []
        for s in self.sections:
            charts = "".join(
                f'<div class="chart" id="{cid}" style="height:{int(h)}px"></div>'
                for cid, _, h in s.charts)
            parts.append(f'<section id="{s.anchor}"><h2>{esc(s.title)}</h2>{charts}{s.body}'
                         "</section>")
            for cid, option, _ in s.charts:
                scripts.append(json_block(f"{cid}-option", safe_option(option),
                                          data_chart=cid))
        stamp = time.strftime("%Y-%m-%d %H:%M")
        return _PAGE.format(
            title=esc(self.title), subtitle=esc(self.subtitle), nav=nav,
            body="".join(parts), echarts=echarts_js(), data="\n".join(scripts),
            footer=esc(f"baimo {__version__} · generated {stamp} · works offline"))


_PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
:root {{ --ink:#1d2433; --muted:#687089; --line:#e3e6ee; --accent:#c2410c; --bg:#f7f7f4; }}
* {{ box-sizing:border-box; }}
body {{ margin:0; font:15px/1.55 -apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",
  "Microsoft YaHei",sans-serif; color:var(--ink); background:var(--bg); }}
header {{ padding:28px 40px 18px; background:#fff; border-bottom:1px solid var(--line); }}
header h1 {{ margin:0; font-size:26px; letter-spacing:.2px; }}
header h1 span {{ color:var(--accent); }}
header p {{ margin:6px 0 0; color:var(--muted); }}
nav {{ position:sticky; top:0; z-index:5; background:#fff; border-bottom:1px solid var(--line);
  padding:8px 40px; display:flex; gap:18px; flex-wrap:wrap; }}
nav a {{ color:var(--muted); text-decoration:none; font-size:14px; }}
nav a:hover {{ color:var(--accent); }}
main {{ max-width:1200px; margin:0 auto; padding:12px 40px 40px; }}
section {{ background:#fff; border:1px solid var(--line); border-radius:10px; padding:18px 22px;
  margin:18px 0; }}
section h2 {{ margin:0 0 12px; font-size:18px; }}
.chart {{ width:100%; }}
table {{ border-collapse:collapse; width:100%; margin:10px 0; font-size:13.5px; }}
th, td {{ border-bottom:1px solid var(--line); padding:6px 8px; text-align:left;
  vertical-align:top; }}
th {{ color:var(--muted); font-weight:600; background:#fafafa; }}
td.num {{ text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }}
.note {{ color:var(--muted); font-size:13px; }}
.sig {{ color:#15803d; font-weight:600; }}
.bad {{ color:#b91c1c; }}
.kpis {{ display:flex; gap:14px; flex-wrap:wrap; margin:6px 0 12px; }}
.kpi {{ border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:150px; }}
.kpi b {{ display:block; font-size:20px; }}
.kpi span {{ color:var(--muted); font-size:12.5px; }}
footer {{ color:var(--muted); text-align:center; font-size:12px; padding:20px; }}
</style></head>
<body>
<header><h1><span>百模</span> baimo · {title}</h1><p>{subtitle}</p></header>
<nav>{nav}</nav>
<main>{body}</main>
<footer>{footer}</footer>
{data}
<script>{echarts}</script>
<script>
const palette = ['#c2410c','#2563eb','#15803d','#7c3aed','#db2777','#0891b2','#ca8a04','#4b5563'];
const escHtml = (v) => String(v).replace(/[&<>"']/g, (c) =>
  ({{'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}})[c]);
// A tooltip template ("<b>{{b}}</b> {{@[1]}}%") as a function: the markup is the report's own
// (already limited to a few tags), every value filled in is escaped.
function template(tpl) {{
  return (params) => {{
    const list = Array.isArray(params) ? params : [params];
    const value = (p) => Array.isArray(p.value) ? p.value.join(', ') : p.value;
    return tpl.replace(/\{{([abcd])(\d*)\}}|\{{@\[(\d+)\]\}}/g, (m, key, idx, dim) => {{
      const p = list[idx ? Number(idx) : 0];
      if (!p) return '';
      let v;
      if (dim !== undefined) v = Array.isArray(p.value) ? p.value[Number(dim)] : p.value;
      else v = {{a: p.seriesName, b: p.name, c: value(p), d: p.percent}}[key];
      return v === undefined || v === null ? '' : escHtml(v);
    }});
  }};
}}
function withTemplates(node, inTooltip) {{
  if (Array.isArray(node)) {{ node.forEach((n) => withTemplates(n, inTooltip)); return; }}
  if (!node || typeof node !== 'object') return;
  for (const key of Object.keys(node)) {{
    if (key === 'formatter' && inTooltip && typeof node[key] === 'string') {{
      node[key] = template(node[key]);
    }} else {{
      withTemplates(node[key], inTooltip || key === 'tooltip');
    }}
  }}
}}
function draw(id, option) {{
  const el = document.getElementById(id);
  const chart = echarts.init(el, null, {{renderer: 'svg'}});
  option.color = option.color || palette;
  option.animation = false;
  withTemplates(option, false);
  chart.setOption(option);
  window.addEventListener('resize', () => chart.resize());
}}
const chartErrors = [];
for (const block of document.querySelectorAll('script[type="application/json"][data-chart]')) {{
  try {{
    draw(block.dataset.chart, JSON.parse(block.textContent));
  }} catch (err) {{
    chartErrors.push(err);  // one broken chart must not stop the others from drawing
  }}
}}
window.baimoReady = true;
if (chartErrors.length) setTimeout(() => {{ throw chartErrors[0]; }});
</script>
</body></html>
"""
