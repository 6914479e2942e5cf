"""User YAML is bounded: alias bombs, recursive aliases and absurd nesting are refused at the
line that causes them, in every kind of file baimo reads (models, task, methodology,
catalog), before anything grows."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from baimo.config import load_config
from baimo.errors import ConfigError
from baimo.landscape import load_catalog
from baimo.scores.methodology import load_methodology
from baimo.tasks.task import load_task
from baimo.yamlio import MAX_ALIAS_NODES, load_data, load_yaml

# The classic nine-line "billion laughs": 9**9 (387 million) strings once expanded.
BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
{key}: [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(("kind", "key"), [("models", "models"), ("task", "params"),
                                           ("methodology", "dimensions"),
                                           ("catalog", "records")])
def test_alias_bomb_is_refused_in_every_kind_of_file(tmp_path: Path, kind: str,
                                                     key: str) -> None:
    f = tmp_path / f"{kind}.yaml"
    f.write_text(BOMB.format(key=key))
    before = _rss_mb()
    loaders = {"models": load_config, "task": load_task, "methodology": load_methodology,
               "catalog": lambda p: load_catalog(p, include_user=False)}
    with pytest.raises(ConfigError) as exc:
        loaders[kind](f)
    msg = str(exc.value)
    # *e is the first alias whose expansion passes the bound (9**5 values per copy)
    assert msg.startswith(f"{f}:6: aliases (*e) expand this file by more than "
                          f"{MAX_ALIAS_NODES:,} values"), msg
    assert _rss_mb() - before < 200  # refused before anything grew


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "baimo.yaml"
    f.write_text("models:\n  - &m\n    name: a\n    extra: [*m]\n")
    with pytest.raises(ConfigError, match=rf"{f.name}:4: alias \*m is used inside the "
                                          "collection &m"):
        load_config(f)


def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path) -> None:
    f = tmp_path / "deep.yaml"
    f.write_text("models: " + "[" * 300_000 + "]" * 300_000 + "\n")  # crashes libyaml's composer
    with pytest.raises(ConfigError, match=rf"{f.name}:1: "):
        load_config(f)
    f.write_text("a:\n" + "".join(" " * i + "- \n" for i in range(1, 150)))
    with pytest.raises(ConfigError, match=rf"{f.name}:\d+: collections nested more than 100 "):
        load_yaml(f)


def test_ordinary_aliases_still_work(tmp_path: Path) -> None:
    f = tmp_path / "baimo.yaml"
    f.write_text("defaults: &d\n  limits: {concurrency: 4, rpm: 60}\n  pricing: {input_per_1m: 1}\n"
                 "models:\n" + "".join(f"  - name: m{i}\n    provider: deepseek\n    <<: *d\n"
                                       for i in range(50)))
    with pytest.raises(ConfigError, match=r"baimo\.yaml:1: defaults: unknown field"):
        load_config(f)  # the top-level anchor block is an unknown field, said plainly
    text = f.read_text().replace("defaults: &d", "x-defaults: &d")
    data = load_data(text, "t.yaml")
    assert data["models"][49]["limits"] == {"concurrency": 4, "rpm": 60}


def test_files_that_are_not_readable_yaml(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(ConfigError, match=r"dir\.yaml: is a directory"):
        load_config(tmp_path / "dir.yaml")
    f = tmp_path / "gbk.yaml"
    f.write_bytes("models:\n  - name: 模型\n".encode("gbk"))
    with pytest.raises(ConfigError, match=r"gbk\.yaml:2: not UTF-8 text .* Save the file as "
                                          "UTF-8"):
        load_config(f)


def test_a_pipe_given_as_a_models_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "baimo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"baimo\.yaml: not a regular file"):
        load_config(fifo)


@pytest.mark.parametrize(("kind", "text", "line", "key", "first"), [
    ("models", "models:\n  - name: a\n    provider: deepseek\n    limits: {rpm: 60}\n"
               "    limits: {concurrency: 2}\n", 5, "limits", 4),
    ("task", "name: t\ndataset: d.jsonl\nscorer: {type: exact}\nname: u\n", 4, "name", 1),
    ("methodology", "name: m\ndimensions:\n  speed: {weight: 1}\n  speed: {weight: 2}\n", 4,
     "speed", 3),
    ("catalog", "records: []\nrecords: []\n", 2, "records", 1),
])
def test_a_key_written_twice_is_refused_not_silently_dropped(
        tmp_path: Path, kind: str, text: str, line: int, key: str, first: int) -> None:
    f = tmp_path / f"{kind}.yaml"
    f.write_text(text)
    loaders = {"models": load_config, "task": load_task, "methodology": load_methodology,
               "catalog": lambda p: load_catalog(p, include_user=False)}
    with pytest.raises(ConfigError) as exc:
        loaders[kind](f)
    assert str(exc.value).startswith(
        f"{f}:{line}: key '{key}' appears twice in the same mapping (first at line {first})")


def test_keys_that_only_look_alike_are_not_duplicates() -> None:
    # A quoted '1' is a string and a plain 1 an integer; the merge key may repeat; the same
    # key in two different mappings is no clash.
    data = load_data("'1': a\n1: b\nbase: &b {x: 1}\nc:\n  <<: *b\n  <<: *b\n  x: 2\n"
                     "d: {x: 3}\n", "t.yaml")
    assert data == {"1": "a", 1: "b", "base": {"x": 1}, "c": {"x": 2}, "d": {"x": 3}}
    with pytest.raises(ConfigError, match=r"t\.yaml:3: key 'k' appears twice .*first at line 2"):
        load_data("l:\n  - k: 1\n    k: 2\n", "t.yaml")


def test_a_date_that_is_no_calendar_date_is_refused_at_its_line() -> None:
    """``2024-13-01`` matches YAML's date pattern; building it raised a bare ValueError."""
    with pytest.raises(ConfigError, match=r"^f\.yaml:3: invalid YAML: '2024-13-01' is not a "
                                          r"calendar date \(month must be in 1\.\.12\)"):
        load_data("a: 1\nb: 2024-12-31\nc: 2024-13-01\n", "f.yaml")
    assert load_data("c: '2024-13-01'\n", "f.yaml") == {"c": "2024-13-01"}
