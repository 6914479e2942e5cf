"""``baimo landscape``: browse, summarise, export and extend the catalog of Chinese LLMs.

Read commands merge the built-in catalog with the user's file (``$BAIMO_HOME/landscape/
catalog.yaml``) and, with ``--catalog FILE``, one more file. ``add`` and ``update`` write only
the user's file and always require ``--source``: the catalog's value is that every fact says
where it came from.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from baimo.cli.console import (
    add_row,
    emit_json,
    emit_table,
    error_exit,
    new_app,
    plain,
    safe,
)
from baimo.cli.console import out as stdout_console
from baimo.errors import BaimoError
from baimo.landscape.catalog import (
    FILING_LABELS,
    KIND_LABELS,
    STAGE_LABELS,
    WEIGHT_LABELS,
    Catalog,
    CatalogRecord,
    add_record,
    catalog_stats,
    census_report,
    load_catalog,
    load_census,
    update_record,
    user_catalog_path,
)
from baimo.tabular import csv_text, md_table, write_user_file

app = new_app("The Chinese LLM landscape (百模大战): a sourced catalog of models and vendors.",
              name="landscape")

CatalogOpt = Annotated[Path | None, typer.Option(
    "--catalog", help="An extra catalog file merged over the built-in and user catalogs.")]
KindOpt = Annotated[str | None, typer.Option(
    "--kind", help=f"Vendor kind: {', '.join(KIND_LABELS)}.")]
StageOpt = Annotated[str | None, typer.Option(
    "--stage", help="deployed (业务落地), pilot (业务试点) or research (概念与研发).")]
OpenOpt = Annotated[bool | None, typer.Option(
    "--open/--closed", help="Open-weight (or mixed) families / closed (or mixed) families.")]
VerticalOpt = Annotated[bool | None, typer.Option(
    "--vertical/--general", help="Vertical (垂类) or general (通用) models.")]
IndustryOpt = Annotated[str | None, typer.Option(
    "--industry", help="Industry substring for vertical models, e.g. education.")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Region, e.g. Beijing.")]
FiledOpt = Annotated[bool | None, typer.Option(
    "--filed/--not-filed", help="Holds a generative-AI service filing (备案) / known not to.")]
VendorOpt = Annotated[str | None, typer.Option(
    "--vendor", help="Vendor name substring (Chinese or English).")]
MarketOpt = Annotated[str | None, typer.Option("--market", help="domestic or overseas.")]


def _console() -> Console:
    return stdout_console()


@contextmanager
def _user_errors() -> Iterator[None]:
    """The CLI's one error path (``baimo.cli.console.error_exit``): message, status 2."""
    try:
        yield
    except BaimoError as exc:
        error_exit(exc)


def _filtered(catalog: Catalog, kind: str | None, stage: str | None, open_: bool | None,
              vertical: bool | None, industry: str | None, region: str | None,
              filed: bool | None, vendor: str | None, market: str | None) -> list[CatalogRecord]:
    return catalog.filter(kind=kind, stage=stage, open_weights=open_, vertical=vertical,
                          industry=industry, region=region, filed=filed, vendor=vendor,
                          market=market)


def _domain_text(r: CatalogRecord) -> str:
    if r.domain == "vertical":
        return f"vertical: {r.industry}"
    return r.domain or "-"


@app.command("list")
def list_cmd(kind: KindOpt = None, stage: StageOpt = None, open_: OpenOpt = None,
             vertical: VerticalOpt = None, industry: IndustryOpt = None,
             region: RegionOpt = None, filed: FiledOpt = None, vendor: VendorOpt = None,
             market: MarketOpt = None, catalog: CatalogOpt = None,
             as_json: Annotated[bool, typer.Option("--json", help="Print the listed rows as "
                                                   "JSON (export --format json: everything)."
                                                   )] = False) -> None:
    """List catalog records, optionally filtered."""
    with _user_errors():
        cat = load_catalog(catalog)
        rows = _filtered(cat, kind, stage, open_, vertical, industry, region, filed, vendor,
                         market)
    emit_table(["id", "vendor", "kind", "model", "domain", "stage", "weights", "filing",
                "region"],
               [[r.id, r.vendor or "-", r.vendor_kind, r.model or "-", _domain_text(r),
                 STAGE_LABELS.get(r.stage or "", "-"), r.weights, r.filing or "-",
                 r.region or "-"] for r in rows],
               title=f"baimo landscape: {len(rows)} of {len(cat)} catalog records",
               as_json=as_json)


@app.command("show")
def show_cmd(record_id: Annotated[str, typer.Argument(help="Record id, e.g. zhipu/chatglm.")],
             catalog: CatalogOpt = None,
             as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON."
                                                   )] = False) -> None:
    """Show one record with its evaluations and the source of every fact."""
    with _user_errors():
        cat = load_catalog(catalog)
        r = cat.get(record_id)
    if as_json:
        emit_json(r.model_dump(mode="json"))
        return
    con = _console()
    con.print(f"[bold]{safe(r.id)}[/bold]  {safe(r.label)}", highlight=False)
    facts = Table(show_header=False, box=None, pad_edge=False)
    facts.add_column("field", style="dim")
    facts.add_column("value", overflow="fold")
    rows: list[tuple[str, str]] = [
        ("vendor", " / ".join(x for x in (r.vendor, r.vendor_en) if x) or "-"),
        ("kind", KIND_LABELS[r.vendor_kind]),
        ("model", " / ".join(x for x in (r.model, r.model_en) if x) or "-"),
        ("family", r.family or "-"),
        ("market", r.market),
        ("domain", _domain_text(r)),
        ("stage", f"{r.stage} ({STAGE_LABELS[r.stage]})" if r.stage else "unknown"),
        ("weights", WEIGHT_LABELS[r.weights]),
        ("filing", FILING_LABELS[r.filing] if r.filing else "unknown"),
        ("region", r.region or "unknown"),
        ("released", r.released or "unknown"),
        ("modalities", ", ".join(r.modalities) or "-"),
        ("aliases", ", ".join(r.aliases) or "-"),
        ("platforms", ", ".join(r.platforms) or "-"),
    ]
    for k, v in rows:
        add_row(facts, k, v)
    con.print(facts)
    if r.prices:
        prices = Table(title="prices")
        for col in ("item", "amount", "unit", "per 1M tokens", "source", "as of"):
            prices.add_column(col, overflow="fold")
        for pr in r.prices:
            per = pr.per_1m_tokens
            add_row(prices, pr.item, f"{pr.amount:g} {pr.currency}", f"{pr.unit} ({pr.direction})",
                           f"{per:g} {pr.currency}" if per is not None else "-", pr.source,
                           pr.as_of)
        con.print(prices)
    if r.evaluations:
        evals = Table(title="published evaluations")
        for col in ("system", "subject", "dimension", "score", "rank", "result", "source",
                    "as of"):
            evals.add_column(col, overflow="fold")
        for e in r.evaluations:
            name = cat.systems[e.system].name if e.system in cat.systems else e.system
            add_row(evals, f"{e.system}\n{name}", f"{e.subject} ({e.scope})", e.dimension or "-",
                          f"{e.score:g}" if e.score is not None else "-",
                          str(e.rank) if e.rank is not None else "-", e.result or "-",
                          e.source, e.as_of)
        con.print(evals)
    prov = Table(title="provenance")
    for col in ("source", "as of", "vouches for", "where / note"):
        prov.add_column(col, overflow="fold")
    for p in r.provenance:
        fields = "whole record" if p.fields is None else (", ".join(p.fields) or "-")
        add_row(prov, p.source, p.as_of, fields, " | ".join(x for x in (p.locator, p.note) if x))
    con.print(prov)
    for note in r.notes:
        con.print(f"note: {safe(note)}", highlight=False)


def _print_counts(con: Console, title: str, counts: dict[str, int], total: int,
                  labels: dict[str, str] | None = None) -> None:
    parts = []
    for key, n in counts.items():
        label = f"{key} ({labels[key]})" if labels and key in labels else key
        parts.append(f"{label} {n} ({100.0 * n / total:.0f}%)" if total else f"{label} {n}")
    con.print(safe(f"  {title}: " + "; ".join(parts)), highlight=False)


@app.command("stats")
def stats_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
              catalog: CatalogOpt = None) -> None:
    """Census figures (computed from the stored counts) and catalog-record statistics."""
    with _user_errors():
        cat = load_catalog(catalog)
        census = load_census()
    report = census_report(census)
    stats = catalog_stats(cat.records)
    if as_json:
        typer.echo(json.dumps({"census": report.to_dict(), "catalog_records": stats.to_dict()},
                              ensure_ascii=False, indent=2))
        return
    con = _console()
    c = report.census
    con.print(f"[bold]census ({safe(c.source)}: {safe(c.publisher)})[/bold]")
    approx = "about " if c.released_total.approx else ""
    con.print(f"  models released by {c.released_total.as_of}: {approx}{report.released}")
    con.print(f"  filed (备案) by {c.filed_total.as_of}: "
              f"{'about ' if c.filed_total.approx else ''}{report.filed}"
              f" = {report.filed}/{report.released} = {report.filed_share_pct:.1f}% of released")
    con.print(f"  not yet filed: {report.released} - {report.filed} = {report.not_filed}")
    regions = safe("; ".join(f"{r.region} ({r.region_zh}) {r.filed} = "
                             f"{r.share_of_filed_pct:.1f}%" for r in report.regions))
    con.print(f"  filings by region (share of filed): {regions}; other regions, not itemised by "
              f"the source: {report.other_regions_filed} = "
              f"{100.0 * report.other_regions_filed / report.filed:.1f}%")
    con.print(f"  from universities and research institutes: {report.universities} = "
              f"{report.universities}/{report.released} = {report.universities_share_pct:.1f}%"
              " of released")
    con.print("  popular sizes: " + safe(", ".join(
        f"{s.label} ({s.quote_zh})" for s in c.popular_sizes.sizes)))
    for chk in report.checks:
        verdict = "agrees" if chk.agrees else "DISAGREES"
        con.print(f"  check: computed {chk.name} {chk.computed:.1f} vs reported "
                  f"{chk.reported:g}: {verdict}")
    for e in c.earlier_counts:
        con.print(safe(f"  earlier count ({e.source}, {e.as_of}): {e.qualifier} {e.value}"),
                  highlight=False)
    con.print()
    con.print(f"[bold]catalog records ({stats.total})[/bold]  "
              "(models the seed documents name; not a census)")
    _print_counts(con, "by vendor kind", stats.by_kind, stats.total)
    _print_counts(con, "by stage", stats.by_stage, stats.total, STAGE_LABELS)
    _print_counts(con, "by weights", stats.by_weights, stats.total)
    _print_counts(con, "by domain", stats.by_domain, stats.total)
    _print_counts(con, "vertical industries", stats.by_industry,
                  sum(stats.by_industry.values()))
    _print_counts(con, "by filing", stats.by_filing, stats.total)
    _print_counts(con, "by market", stats.by_market, stats.total)
    _print_counts(con, "by region", stats.by_region, stats.total)
    con.print(f"  published evaluation values: {stats.evaluations} ("
              + "; ".join(f"{k} {v}" for k, v in stats.by_system.items()) + ")")
    con.print(f"  records using a common-knowledge fact: {stats.with_common_knowledge} of "
              f"{stats.total}")


CSV_COLUMNS = ("id", "vendor", "vendor_en", "vendor_kind", "model", "model_en", "family",
               "market", "domain", "industry", "stage", "weights", "filing", "region",
               "released", "modalities", "aliases", "platforms", "evaluations", "sources")


def _flat(r: CatalogRecord) -> dict[str, str]:
    """One CSV/Markdown row; list fields joined with '; '."""
    evals = "; ".join(
        f"{e.system}:{e.subject}"
        + (f"[{e.dimension}]" if e.dimension else "")
        + (f"={e.score:g}" if e.score is not None else "")
        + (f"#{e.rank}" if e.rank is not None else "")
        + (f" {e.result}" if e.result else "") for e in r.evaluations)
    values: dict[str, Any] = r.model_dump()
    out = {k: "" if values.get(k) is None else str(values[k]) for k in CSV_COLUMNS
           if k in values and not isinstance(values[k], list | tuple)}
    out.update({
        "modalities": "; ".join(r.modalities), "aliases": "; ".join(r.aliases),
        "platforms": "; ".join(r.platforms), "evaluations": evals,
        "sources": "; ".join(r.sources),
    })
    return {k: out.get(k, "") for k in CSV_COLUMNS}


def _render(records: Sequence[CatalogRecord], cat: Catalog, fmt: str) -> str:
    if fmt == "json":
        doc = {"schema_version": 1,
               "sources": {k: v.model_dump(mode="json") for k, v in cat.sources.items()},
               "evaluation_systems": {k: v.model_dump(mode="json")
                                      for k, v in cat.systems.items()},
               "records": [r.model_dump(mode="json") for r in records]}
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":  # cells made safe to open in a spreadsheet (baimo.tabular)
        return csv_text(CSV_COLUMNS, [_flat(r) for r in records], lineterminator="\n")
    if fmt == "md":
        cols = ("id", "vendor", "vendor_kind", "model", "domain", "industry", "stage",
                "weights", "filing", "region", "sources")
        rows = [[_flat(r)[c] or "-" for c in cols] for r in records]
        return "\n".join(md_table(cols, rows)) + "\n"
    raise BaimoError(f"unknown export format '{fmt}'; use csv, json or md.")


@app.command("export")
def export_cmd(fmt: Annotated[str, typer.Option("--format", help="csv, json or md.")] = "csv",
               out: Annotated[Path | None, typer.Option(
                   "--out", help="Output file (default: standard output).")] = None,
               kind: KindOpt = None, stage: StageOpt = None, open_: OpenOpt = None,
               vertical: VerticalOpt = None, industry: IndustryOpt = None,
               region: RegionOpt = None, filed: FiledOpt = None, vendor: VendorOpt = None,
               market: MarketOpt = None, catalog: CatalogOpt = None) -> None:
    """Export (filtered) records as CSV, JSON or a Markdown table."""
    with _user_errors():
        cat = load_catalog(catalog)
        rows = _filtered(cat, kind, stage, open_, vertical, industry, region, filed, vendor,
                         market)
        text = _render(rows, cat, fmt)
    if out is None:
        sys.stdout.write(text)
        return
    write_user_file(out, text, "export")
    typer.echo(f"wrote {len(rows)} records to {out}", err=True)


SourceOpt = Annotated[str | None, typer.Option(
    "--source", help="Where the information comes from (required).")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Date the information is true as of (YYYY[-MM[-DD]]; default today).")]


def _fields(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None and v != [] and v != ()}


@app.command("add")
def add_cmd(
    vendor: Annotated[str | None, typer.Option("--vendor", help="Vendor (company or lab).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model or product name.")] = None,
    source: SourceOpt = None,
    as_of: AsOfOpt = None,
    record_id: Annotated[str | None, typer.Option(
        "--id", help="Record id (default: slug of vendor/model).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Vendor kind.")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="deployed, pilot or research.")] = None,
    weights: Annotated[str | None, typer.Option(
        "--weights", help="open, closed, mixed or unknown.")] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="general or vertical.")] = None,
    industry: Annotated[str | None, typer.Option("--industry")] = None,
    filing: Annotated[str | None, typer.Option(
        "--filing", help="filed, not-filed or algorithm-filing.")] = None,
    region: Annotated[str | None, typer.Option("--region")] = None,
    released: Annotated[str | None, typer.Option("--released", help="YYYY[-MM[-DD]].")] = None,
    market: Annotated[str | None, typer.Option("--market", help="domestic or overseas.")] = None,
    vendor_en: Annotated[str | None, typer.Option("--vendor-en")] = None,
    model_en: Annotated[str | None, typer.Option("--model-en")] = None,
    family: Annotated[str | None, typer.Option("--family")] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Repeatable.")] = None,
    platform: Annotated[list[str] | None, typer.Option("--platform", help="Repeatable.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Add a record to your catalog file; every fact in it is attributed to --source."""
    with _user_errors():
        fields = _fields(id=record_id, vendor=vendor, model=model, vendor_kind=kind,
                         stage=_stage(stage), weights=weights, domain=domain, industry=industry,
                         filing=filing, region=region, released=released, market=market,
                         vendor_en=vendor_en, model_en=model_en, family=family,
                         aliases=alias or [], platforms=platform or [],
                         notes=[note] if note else [])
        rec = add_record(fields, source=source, as_of=as_of)
    typer.echo(plain(f"added {rec.id} to {user_catalog_path()}"))


def _stage(value: str | None) -> str | None:
    if value is None:
        return None
    for key, label in STAGE_LABELS.items():
        if value in (key, label):
            return key
    return value  # let validation report the allowed values


@app.command("update")
def update_cmd(
    record_id: Annotated[str, typer.Argument(help="Record id, e.g. moonshot/kimi.")],
    source: SourceOpt = None,
    as_of: AsOfOpt = None,
    vendor: Annotated[str | None, typer.Option("--vendor")] = None,
    vendor_en: Annotated[str | None, typer.Option("--vendor-en")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    model_en: Annotated[str | None, typer.Option("--model-en")] = None,
    family: Annotated[str | None, typer.Option("--family")] = None,
    stage: Annotated[str | None, typer.Option("--stage")] = None,
    weights: Annotated[str | None, typer.Option("--weights")] = None,
    domain: Annotated[str | None, typer.Option("--domain")] = None,
    industry: Annotated[str | None, typer.Option("--industry")] = None,
    filing: Annotated[str | None, typer.Option("--filing")] = None,
    region: Annotated[str | None, typer.Option("--region")] = None,
    released: Annotated[str | None, typer.Option("--released")] = None,
    market: Annotated[str | None, typer.Option("--market")] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Add an alias.")] = None,
    platform: Annotated[list[str] | None, typer.Option("--platform", help="Add one.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Append a note.")] = None,
) -> None:
    """Change a record (built-in or yours); refused without --source."""
    with _user_errors():
        changes = _fields(vendor=vendor, vendor_en=vendor_en, vendor_kind=kind, model=model,
                          model_en=model_en, family=family, stage=_stage(stage),
                          weights=weights, domain=domain, industry=industry, filing=filing,
                          region=region, released=released, market=market,
                          aliases=alias or [], platforms=platform or [],
                          notes=[note] if note else [])
        rec = update_record(record_id, changes, source=source, as_of=as_of)
    typer.echo(plain(f"updated {rec.id} in {user_catalog_path()}"))


@app.command("map")
def map_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "landscape-map.html"),
    market: Annotated[str, typer.Option(
        "--market", help="domestic (the seed's map), overseas, or all.")] = "domestic",
    measured: Annotated[bool, typer.Option(
        "--measured/--no-measured", help="Ring the models baimo has measured, and outline "
                                         "those it tried without a scored result (reads the "
                                         "store).")] = True,
    catalog: CatalogOpt = None,
) -> None:
    """Write the landscape map (大模型图谱 by type and stage) as an offline HTML report."""
    from baimo.reports.decision import measured_links, write_landscape_map

    if market not in ("domestic", "overseas", "all"):
        error_exit("--market must be domestic, overseas or all")
    with _user_errors():
        cat = load_catalog(catalog)
        records = [r for r in cat if market == "all" or r.market == market]
        links: dict[str, list[str]] = {}
        tried: dict[str, list[str]] = {}
        if measured:
            from baimo.store.store import Store

            store = Store()
            try:
                coverage = store.runs.coverage()
            finally:
                store.close()
            links = measured_links(coverage.measured, cat)
            tried = measured_links(coverage.tried, cat)
        write_landscape_map(out, records, census=census_report(load_census()), measured=links,
                            tried=tried)
    only_tried = [rid for rid in tried if rid not in links]
    typer.echo(f"landscape map: {out.resolve()} ({len(records)} records"
               + (f", {len(links)} measured by baimo" if links else "")
               + (f", {len(only_tried)} tried by baimo with no scored results"
                  if only_tried else "") + ")")
