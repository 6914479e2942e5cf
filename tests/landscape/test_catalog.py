"""The landscape catalog: built-in data, validation, user additions, linking, census."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from baimo.errors import ConfigError, NotFound
from baimo.landscape import (
    COMMON_KNOWLEDGE,
    Catalog,
    CatalogRecord,
    add_record,
    catalog_stats,
    census_report,
    link_measured,
    load_catalog,
    load_census,
    make_id,
    slugify,
    update_record,
    user_catalog_path,
)

SEEDS = Path("/work/shared/seeds")
SEED_001 = SEEDS / "001_be8c0c45228710db.txt"
SEED_002 = SEEDS / "002_42bbc7321cf57f04.txt"
needs_seeds = pytest.mark.skipif(not SEED_001.exists(), reason="seed documents not available")


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("BAIMO_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def builtin() -> Catalog:
    return load_catalog(include_user=False)


def _ev(cat: Catalog, rid: str, system: str, subject: str,
        dimension: str | None = None) -> tuple[float | None, int | None]:
    hits = [e for e in cat.get(rid).evaluations
            if e.system == system and e.subject == subject and e.dimension == dimension]
    assert len(hits) == 1, (rid, system, subject, hits)
    return hits[0].score, hits[0].rank


# --- the built-in data -------------------------------------------------------------------------


def test_builtin_catalog_loads_with_unique_ids_and_provenance(builtin: Catalog) -> None:
    assert len(builtin) >= 110
    assert len({r.id for r in builtin}) == len(builtin)
    assert sum(r.market == "domestic" for r in builtin) >= 95
    for r in builtin:
        assert r.provenance, r.id
        for p in r.provenance:
            assert p.as_of
            assert p.source == COMMON_KNOWLEDGE or p.source in builtin.sources, (r.id, p.source)


def test_every_evaluation_value_cites_a_seed_and_a_date(builtin: Catalog) -> None:
    n = 0
    for r in builtin:
        for e in r.evaluations:
            n += 1
            assert e.system in builtin.systems
            assert e.source in builtin.sources, (r.id, e)
            assert re.match(r"^\d{4}(-\d{2})?", e.as_of)
    assert n >= 60


@pytest.mark.parametrize(("rid", "system", "subject", "score", "rank"), [
    ("openai/gpt-4", "opencompass-2023-annual", "GPT-4-Turbo", 61.8, 1),
    ("zhipu/chatglm", "opencompass-2023-annual", "GLM4", 58.9, 2),
    ("alibaba/qwen", "opencompass-2023-annual", "Qwen-Max", 56.8, 3),
    ("baidu/ernie-bot", "opencompass-2023-annual", "Erniebot-4.0", 54.7, 4),
    ("baichuan/baichuan", "opencompass-2023-annual", "Baichuan2-Turbo", 46.4, 12),
    ("openai/gpt-4", "xinhua-experience-1.0", "ChatGPT4", 1246, 1),
    ("baidu/ernie-bot", "xinhua-experience-1.0", "文心一言", 1112, 3),
    ("alibaba/qwen", "xinhua-experience-1.0", "通义千问", 1020, 4),
    ("iflytek/spark", "xinhua-experience-1.0", "讯飞星火", 1010, 5),
    ("sensetime/sensechat", "xinhua-experience-1.0", "商量", 967, 6),
    ("zhipu/chatglm", "xinhua-experience-1.0", "ChatGLM", 943, 7),
    ("iflytek/spark", "xinhua-experience-2.0", "讯飞星火", 1013, 1),
    ("baidu/ernie-bot", "xinhua-experience-2.0", "文心一言", 1010, 2),
    ("sensetime/sensechat", "xinhua-experience-2.0", "商量", 983, 3),
    ("zhipu/chatglm", "xinhua-experience-2.0", "ChatGLM", 983, 3),
    ("360/360-zhinao", "xinhua-experience-2.0", "360智脑", 951, 5),
    ("alibaba/qwen", "xinhua-experience-2.0", "通义千问", 935, 7),
    ("iflytek/spark", "xinhua-experience-3.0", "讯飞星火", 1775, 1),
    ("sensetime/sensechat", "xinhua-experience-3.0", "商量", 1746, 2),
    ("zhipu/chatglm", "xinhua-experience-3.0", "ChatGLM", 1729, 3),
    ("360/360-zhinao", "xinhua-experience-3.0", "360智脑", 1711, 5),
    ("bytedance/doubao", "xinhua-experience-3.0", "字节豆包", 1710, 6),
    ("alibaba/qwen", "xinhua-experience-3.0", "通义千问", 1634, 7),
    ("tencent/hunyuan", "xinhua-experience-3.0", "腾讯混元", 1609, 8),
])
def test_published_rankings_are_transcribed(builtin: Catalog, rid: str, system: str,
                                            subject: str, score: float, rank: int) -> None:
    assert _ev(builtin, rid, system, subject) == (score, rank)


@pytest.mark.parametrize(("rid", "subject", "scores"), [
    ("sensetime/sensechat", "商汤", (4.65, 4.79, 4.59, 4.57)),
    ("baidu/ernie-bot", "百度", (4.56, 4.67, 4.41, 4.63)),
    ("alibaba/qwen", "阿里巴巴", (4.48, 4.54, 4.35, 4.60)),
    ("huawei/pangu", "华为", (4.39, 4.52, 4.33, 4.32)),
    ("tencent/hunyuan", "腾讯", (3.99, 3.83, 3.93, 4.29)),
])
def test_frost_sullivan_vendor_scores(builtin: Catalog, rid: str, subject: str,
                                      scores: tuple[float, ...]) -> None:
    dims = ("overall", "产品技术能力", "战略愿景能力", "生态开放能力")
    got = tuple(_ev(builtin, rid, "frost-sullivan-2023", subject, d)[0] for d in dims)
    assert got == scores
    assert all(e.scope == "vendor" for e in builtin.get(rid).evaluations
               if e.system == "frost-sullivan-2023")


@needs_seeds
def test_every_evaluation_number_appears_in_its_seed(builtin: Catalog) -> None:
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.glob("0*.txt")}
    for r in builtin:
        for e in r.evaluations:
            if e.score is None:
                continue
            text = texts[e.source]
            assert f"{e.score:g}" in text or f"{e.score:.2f}" in text, (r.id, e)
            if e.rank is not None and e.system.startswith(("xinhua", "opencompass")):
                # the seed writes "文心一言：1112/3", or "ChatGPT4以1246分排名第一" for a winner
                assert (f"{e.score:g}/{e.rank}" in text
                        or (e.rank == 1 and f"{e.subject}以{e.score:g}分排名第一" in text)), e


def _tupu_sections() -> dict[str, set[str]]:
    """Parse the 通用大模型图谱 of seed 001 into stage → model names."""
    text = SEED_001.read_text(encoding="utf-8")
    block = text[text.index("# 通用大模型图谱"):text.index("# 通用大模型竞争力分析框架及结果")]
    stage_of = {"业务落地": "deployed", "业务试点": "pilot", "概念与研发": "research"}
    out: dict[str, set[str]] = {v: set() for v in stage_of.values()}
    current = None
    for line in block.splitlines():
        if line.startswith("## "):
            current = stage_of[line[3:].strip()]
        elif line.startswith("| ") and current:
            out[current].add(re.sub(r"\s+", "", line[2:]))
    return out


@needs_seeds
def test_general_map_is_transcribed_completely_with_stages(builtin: Catalog) -> None:
    """Every model the 图谱 names is a record with that stage, and vice versa."""
    sections = _tupu_sections()
    assert sum(len(v) for v in sections.values()) == 62
    for stage, names in sections.items():
        records = [r for r in builtin if r.stage == stage]
        keys = {re.sub(r"\s+", "", k) for r in records for k in (r.model or "", *r.aliases)}
        assert names <= keys, (stage, names - keys)
        assert len(records) == len(names), stage
        assert all(r.domain == "general" for r in records)


def test_weights_and_filing_only_where_vouched_for(builtin: Catalog) -> None:
    assert builtin.get("huawei/pangu").weights == "closed"  # 001: 坚持闭源路线
    assert builtin.get("alibaba/qwen").weights == "mixed"
    assert builtin.get("deepseek/deepseek").weights == "open"  # 004 open-source examples
    assert builtin.get("clueai/chatyuan").filing == "not-filed"  # 003
    assert builtin.get("hundsun/unnamed").filing == "algorithm-filing"  # 003
    assert builtin.get("intellifusion/tianshu").filing == "filed"  # 001 case study
    assert builtin.get("unknown/dongni").vendor is None
    for r in builtin:
        for f in ("weights", "filing", "region", "vendor"):
            value = getattr(r, f)
            if value not in (None, "unknown"):
                assert r.sources_for(f), (r.id, f)


def test_seed_errors_are_flagged_not_copied(builtin: Catalog) -> None:
    mengzi = builtin.get("langboat/mengzi")
    assert mengzi.vendor == "澜舟科技"
    assert any("澜起科技" in n for n in mengzi.notes)


# --- validation ---------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_user_record_without_provenance_names_file_line_record_and_field(tmp_path: Path) -> None:
    f = _write(tmp_path / "mine.yaml", "records:\n- id: acme/foo\n  vendor: Acme\n"
               "  model: Foo\n")
    with pytest.raises(ConfigError) as exc:
        load_catalog(f)
    msg = str(exc.value)
    assert str(f) in msg and "records[0] (id=acme/foo)" in msg
    assert f"{f}:2" in msg and "provenance" in msg


@pytest.mark.parametrize(("body", "expected"), [
    ("  domain: vertical\n", "must name its industry"),
    ("  evaluations:\n  - {system: opencompass-2023-annual, subject: Foo, source: x,"
     " as_of: 2024}\n", "at least one of score, rank or result"),
    ("  evaluations:\n  - {system: nosuch, subject: Foo, score: 1, source: x, as_of: 2024}\n",
     "unknown evaluation system 'nosuch'"),
    ("  stage: shipped\n", "records.0.stage"),
    ("  released: last spring\n", "expected a date"),
    ("  released: '2030-02-31'\n", "2030-02-31 is not a calendar date (day is out of range"),
    ("  released: '2099-13'\n", "2099-13 is not a calendar date (month must be in 1..12)"),
    ("  colour: red\n", "unknown field"),
])
def test_record_errors_are_located(tmp_path: Path, body: str, expected: str) -> None:
    f = _write(tmp_path / "mine.yaml", "records:\n- id: acme/foo\n  vendor: Acme\n  model: Foo\n"
               "  provenance: [{source: my notes, as_of: 2025-01-02}]\n" + body)
    with pytest.raises(ConfigError, match=re.escape(expected)) as exc:
        load_catalog(f)
    assert str(f) in str(exc.value)


def test_common_knowledge_must_say_which_fields(tmp_path: Path) -> None:
    f = _write(tmp_path / "mine.yaml", "records:\n- id: acme/foo\n  vendor: Acme\n  model: Foo\n"
               "  provenance: [{source: common-knowledge, as_of: 2024}]\n")
    with pytest.raises(ConfigError, match="must list the `fields`"):
        load_catalog(f)


def test_fact_without_a_vouching_source_is_refused(tmp_path: Path) -> None:
    f = _write(tmp_path / "mine.yaml", "records:\n- id: acme/foo\n  vendor: Acme\n  model: Foo\n"
               "  region: Beijing\n  provenance: [{source: x, as_of: 2024, fields: [vendor, model]}]\n")
    with pytest.raises(ConfigError, match="field 'region' is set but no provenance"):
        load_catalog(f)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "mine.yaml", "records:\n- id: [unclosed\n")
    with pytest.raises(ConfigError, match=re.escape(f"{f}:")):
        load_catalog(f)


def test_user_file_cannot_redefine_a_builtin_record(tmp_path: Path) -> None:
    f = _write(tmp_path / "mine.yaml", "records:\n- id: moonshot/kimi\n  vendor: X\n  model: Y\n"
               "  provenance: [{source: x, as_of: 2024}]\n")
    with pytest.raises(ConfigError, match=r"already exists.*updates"):
        load_catalog(f)


def test_update_entries_need_a_source_and_a_known_id(tmp_path: Path) -> None:
    f = _write(tmp_path / "a.yaml", "updates:\n- id: moonshot/kimi\n  set: {stage: pilot}\n"
               "  as_of: 2025-01-01\n")
    with pytest.raises(ConfigError, match=r"updates\[0\][\s\S]*source"):
        load_catalog(f)
    g = _write(tmp_path / "b.yaml", "updates:\n- id: nobody/nothing\n  set: {stage: pilot}\n"
               "  source: x\n  as_of: 2025-01-01\n")
    with pytest.raises(ConfigError, match="no record with id 'nobody/nothing'"):
        load_catalog(g)


def test_extra_file_is_merged_with_updates_applied(tmp_path: Path) -> None:
    f = _write(tmp_path / "team.yaml", """
records:
- id: acme/foo
  vendor: Acme
  model: Foo
  aliases: [foo]
  provenance: [{source: team wiki, as_of: 2025-02-01}]
updates:
- id: moonshot/kimi
  set: {filing: filed}
  add: {aliases: [kimi-k1]}
  source: CAC filing list
  as_of: 2025-02-02
""")
    cat = load_catalog(f)
    kimi = cat.get("moonshot/kimi")
    assert kimi.filing == "filed" and "kimi-k1" in kimi.aliases and "kimi" in kimi.aliases
    last = kimi.provenance[-1]
    assert (last.source, last.as_of, last.fields) == ("CAC filing list", "2025-02-02",
                                                      ("filing",))
    assert [p.source for p in kimi.sources_for("filing")] == ["CAC filing list"]
    assert "acme/foo" in cat and cat.files[-1] == str(f)


# --- add / update --------------------------------------------------------------------------------


def test_add_and_update_write_the_user_file(_home: Path) -> None:
    rec = add_record({"vendor": "Acme AI", "model": "Foo 1.5", "stage": "pilot",
                      "aliases": ["foo"]}, source="press release", as_of="2025-03-01")
    assert rec.id == "acme-ai/foo-1.5"
    assert user_catalog_path() == _home / "landscape" / "catalog.yaml"
    assert user_catalog_path().exists()
    up = update_record("acme-ai/foo-1.5", {"weights": "open", "aliases": ["foo-15"]},
                       source="model card", as_of="2025-03-02")
    assert up.weights == "open" and up.aliases == ("foo", "foo-15")
    up2 = update_record("baidu/ernie-bot", {"notes": "checked"}, source="me")
    assert up2.notes[-1] == "checked"
    cat = load_catalog()
    assert cat.get("acme-ai/foo-1.5").weights == "open"
    assert cat.get("baidu/ernie-bot").provenance[-1].source == "me"
    raw = yaml.safe_load(user_catalog_path().read_text(encoding="utf-8"))
    assert len(raw["records"]) == 1 and len(raw["updates"]) == 2


_LAYOUTS = {
    "only comments": "# nothing yet\n",
    "no records key": "# c\nschema_version: 1\nupdates: []\n",
    "crlf": "# c\r\nrecords:\r\n  - id: a/b\r\n    vendor: A\r\n    model: B\r\n"
            "    provenance:\r\n      - {source: s, as_of: 2024}\r\n",
    "flow file": "{records: [], updates: []}  # flow\n",
    "flow list": "records: [{id: a/b, vendor: A, model: B, provenance: [{source: s, as_of: 2024}]}]"
                 "  # c\n",
    "no final newline": "records:\n  - id: a/b\n    vendor: A\n    model: B\n    provenance:\n"
                        "      - source: s\n        as_of: 2024",
    "bom": "\ufeff# bom\nrecords:\n- id: a/b\n  vendor: A\n  model: B\n  provenance:\n"
           "  - source: s\n    as_of: 2024\n",
    "alias last": "records:\n  - id: a/b\n    vendor: A\n    model: B\n    provenance:\n"
                  "      - &p {source: s, as_of: 2024}\n  - id: a/c\n    vendor: A\n"
                  "    model: C\n    provenance:\n      - *p\n# tail\n",
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
def test_add_and_update_append_text_to_any_layout(layout: str) -> None:
    """The user's file is extended, never rewritten: its bytes are a prefix-and-insertion of
    the new ones (comments, quoting, line endings, a BOM and the file mode are kept)."""
    path = user_catalog_path()
    path.parent.mkdir(parents=True)
    before = _LAYOUTS[layout].encode("utf-8")
    path.write_bytes(before)
    path.chmod(0o640)
    add_record({"vendor": "New", "model": "M"}, source="src", as_of="2024")
    update_record("new/m", {"stage": "pilot"}, source="src2", as_of="2024")
    after = path.read_bytes()
    kept = iter(after.decode("utf-8"))
    # a subsequence (an empty block list, `updates: []`, becomes `updates:` and its items)
    expected = before.decode("utf-8").replace(": []\n", ":\n")
    assert all(ch in kept for ch in expected), after
    assert (path.stat().st_mode & 0o777) == 0o640
    assert (b"\r\n" in after) == (b"\r\n" in before)
    assert after.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")
    cat = load_catalog()
    assert cat.get("new/m").stage == "pilot"
    assert {r.id for r in cat if r.id.startswith("a/")} <= {"a/b", "a/c"}


@pytest.mark.parametrize("source", [None, "", "   "])
def test_update_without_source_is_refused_and_nothing_is_written(source: str | None) -> None:
    with pytest.raises(ConfigError, match="without a source"):
        update_record("moonshot/kimi", {"stage": "pilot"}, source=source)
    with pytest.raises(ConfigError, match="without a source"):
        add_record({"vendor": "A", "model": "B"}, source=source)
    assert not user_catalog_path().exists()


def test_update_errors() -> None:
    with pytest.raises(NotFound, match="no catalog record"):
        update_record("moonshot/kimmi", {"stage": "pilot"}, source="x")
    with pytest.raises(ConfigError, match="nothing to update"):
        update_record("moonshot/kimi", {}, source="x")
    with pytest.raises(ConfigError, match="cannot change 'evaluations'"):
        update_record("moonshot/kimi", {"evaluations": []}, source="x")
    with pytest.raises(ConfigError, match="stage"):
        update_record("moonshot/kimi", {"stage": "shipped"}, source="x")
    assert not user_catalog_path().exists()


def test_add_refuses_duplicates_and_bad_fields() -> None:
    with pytest.raises(ConfigError, match="already exists"):
        add_record({"vendor": "A", "model": "B", "id": "moonshot/kimi"}, source="x")
    with pytest.raises(ConfigError, match="vertical"):
        add_record({"vendor": "A", "model": "B", "domain": "vertical"}, source="x")
    with pytest.raises(ConfigError, match="needs both"):
        add_record({"vendor": "A"}, source="x")
    add_record({"vendor": "A", "model": "B"}, source="x")
    with pytest.raises(ConfigError, match="already exists"):
        add_record({"vendor": "A", "model": "B"}, source="y")


def test_slugs() -> None:
    assert slugify("  Acme AI_Lab ") == "acme-ai-lab"
    assert make_id("百度", "文心一言") == "百度/文心一言"
    assert make_id("OpenAI", "GPT-4o mini") == "openai/gpt-4o-mini"
    with pytest.raises(ConfigError):
        slugify("+++")


# --- filters, linking, stats ---------------------------------------------------------------------


def test_filters(builtin: Catalog) -> None:
    ids = {r.id for r in builtin.filter(kind="research", stage="业务试点")}
    assert ids == {"fudan/moss", "nscc-tj/tianhe-tianyuan", "pcl/naohai", "hit/huozi"}
    opened = builtin.filter(open_weights=True)
    closed = builtin.filter(open_weights=False)
    assert all(r.weights in ("open", "mixed") for r in opened)
    assert all(r.weights in ("closed", "mixed") for r in closed)
    assert {r.id for r in opened} & {r.id for r in closed} == {
        r.id for r in builtin if r.weights == "mixed"}
    vertical = builtin.filter(vertical=True)
    assert vertical and all(r.industry for r in vertical)
    assert {r.id for r in builtin.filter(industry="EDU")} == {
        "squirrel-ai/lam", "tal/mathgpt", "youdao/ziyue"}
    assert {r.id for r in builtin.filter(filed=False)} == {"clueai/chatyuan", "hundsun/unnamed"}
    assert all(r.filing == "filed" for r in builtin.filter(filed=True))
    assert {r.id for r in builtin.filter(vendor="alibaba")} == {
        r.id for r in builtin.filter(vendor="阿里巴巴")}
    assert builtin.filter(region="beijing") == builtin.filter(region="Beijing")
    assert all(r.market == "overseas" for r in builtin.filter(market="overseas"))
    with pytest.raises(ConfigError, match="unknown kind"):
        builtin.filter(kind="bigtech")
    with pytest.raises(ConfigError, match="unknown stage"):
        builtin.filter(stage="ga")


def test_link_measured_models(builtin: Catalog) -> None:
    got = link_measured(builtin, [
        "deepseek-chat", "qwen-max", "qwen-plus", "Qwen/Qwen2.5-7B-Instruct", "glm-4-plus",
        "moonshot-v1-8k", "ernie-4.0-8k", "yi-lightning", "yi-large", "gpt-4o-mini",
        "openai/gpt-4o", "gpt-4-turbo", "o1-mini", "generalv3.5", "Baichuan4",
        "MiniMax-Text-01", "doubao-pro-32k", "hunyuan-turbo", "step-1-8k", "通义千问",
        "smollm2-135m", "default"])
    assert got == {
        "deepseek-chat": "deepseek/deepseek", "qwen-max": "alibaba/qwen",
        "qwen-plus": "alibaba/qwen", "Qwen/Qwen2.5-7B-Instruct": "alibaba/qwen",
        "glm-4-plus": "zhipu/chatglm", "moonshot-v1-8k": "moonshot/kimi",
        "ernie-4.0-8k": "baidu/ernie-bot", "yi-lightning": "01ai/yi-lightning",
        "yi-large": "01ai/yi", "gpt-4o-mini": "openai/gpt-4o", "openai/gpt-4o": "openai/gpt-4o",
        "gpt-4-turbo": "openai/gpt-4", "o1-mini": "openai/o1", "generalv3.5": "iflytek/spark",
        "Baichuan4": "baichuan/baichuan", "MiniMax-Text-01": "minimax/abab",
        "doubao-pro-32k": "bytedance/doubao", "hunyuan-turbo": "tencent/hunyuan",
        "step-1-8k": "stepfun/step", "通义千问": "alibaba/qwen", "smollm2-135m": None,
        "default": None,
    }


def _rec(rid: str, *aliases: str) -> CatalogRecord:
    return CatalogRecord.model_validate({
        "id": rid, "vendor": rid.split("/")[0], "model": rid.split("/")[1],
        "aliases": list(aliases), "provenance": [{"source": "t", "as_of": "2024"}]})


def test_link_is_none_when_ambiguous_and_whole_tokens_only() -> None:
    cat = Catalog([_rec("a/alpha", "foo"), _rec("b/beta", "foo"), _rec("c/gamma", "yi")])
    got = link_measured(cat, ["foo-7b", "yiyan", "yi-34b", "beta"])
    assert got == {"foo-7b": None, "yiyan": None, "yi-34b": "c/gamma", "beta": "b/beta"}


def test_catalog_stats_add_up(builtin: Catalog) -> None:
    s = catalog_stats(builtin.records)
    assert s.total == len(builtin)
    for counts in (s.by_kind, s.by_stage, s.by_weights, s.by_domain, s.by_filing, s.by_market,
                   s.by_region):
        assert sum(counts.values()) == s.total
    assert (s.by_stage["deployed"], s.by_stage["pilot"], s.by_stage["research"]) == (36, 19, 7)
    assert s.evaluations == sum(s.by_system.values())


def test_census_figures_are_computed_from_counts() -> None:
    census = load_census()
    assert (census.released_total.value, census.filed_total.value) == (305, 140)
    assert census.source == "003_73048b46281b17ca.txt"
    rep = census_report(census)
    assert round(rep.filed_share_pct, 1) == 45.9
    assert rep.filed_share_pct == pytest.approx(140 / 305 * 100)
    assert rep.not_filed == 165
    shares = {r.region: round(r.share_of_filed_pct, 1) for r in rep.regions}
    assert shares == {"Beijing": 50.0, "Shanghai": 20.0, "Guangdong": 13.6}
    assert rep.other_regions_filed == 140 - 70 - 28 - 19
    assert round(rep.universities_share_pct, 1) == 19.7
    assert all(c.agrees for c in rep.checks)
    assert [s.label for s in census.popular_sizes.sizes] == ["7B", "13B", "30B"]
    d = rep.to_dict()
    assert d["filed_share_pct"] == 45.9 and d["source"] == "003_73048b46281b17ca.txt"


@needs_seeds
def test_census_quotes_are_verbatim() -> None:
    text = (SEEDS / "003_73048b46281b17ca.txt").read_text(encoding="utf-8")
    census = load_census()
    for quote in (census.released_total.quote, census.filed_total.quote,
                  census.reported.not_filed.quote, census.reported.filed_share_pct.quote,
                  census.from_universities_institutes.quote,
                  census.popular_sizes.quote):
        assert quote in text, quote
