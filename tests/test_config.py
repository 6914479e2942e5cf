"""The models file: presets, validation errors with file:line, secrets by name only."""

from __future__ import annotations

from pathlib import Path

import pytest

from baimo.config import DEFAULT_MODEL_NAME, Pricing, load_config
from baimo.errors import ConfigError, NotFound
from baimo.models.presets import PRESETS


def test_preset_is_enough(tmp_path: Path) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: ds\n    provider: deepseek\n")
    m = load_config(p).get("ds")
    assert m.base_url == "https://api.deepseek.com/v1"
    assert m.api_key_env == "DEEPSEEK_API_KEY"
    assert m.model_id == "deepseek-chat"


def test_every_required_vendor_has_a_preset() -> None:
    for name in ("deepseek", "qwen", "zhipu", "moonshot", "qianfan", "doubao", "hunyuan",
                 "spark", "baichuan", "minimax", "yi", "stepfun", "siliconflow", "openai",
                 "vllm", "sglang", "ollama", "llamacpp-server"):
        assert name in PRESETS
        assert PRESETS[name].base_url.startswith("http")


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: a\n    provider: deepseek\n  - name: b\n"
                 "    provider: nosuch\n    limits:\n      rpm: -5\n      colour: red\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert f"{p}:5: models.1.provider" in msg and "unknown provider 'nosuch'" in msg
    assert f"{p}:7: models.1.limits.rpm" in msg
    assert f"{p}:8: models.1.limits.colour: unknown field" in msg


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: a\n   provider: [\n")
    with pytest.raises(ConfigError, match=r"baimo.yaml:\d+: invalid YAML"):
        load_config(p)


def test_keys_are_never_config_values(tmp_path: Path) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: a\n    provider: openai\n"
                 "    headers: {Authorization: Bearer sk-123}\n")
    with pytest.raises(ConfigError, match="api_key_env"):
        load_config(p)


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MOONSHOT_API_KEY", raising=False)
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: kimi\n    provider: moonshot\n")
    with pytest.raises(ConfigError, match="MOONSHOT_API_KEY is not set"):
        load_config(p).get("kimi").api_key()


def test_default_is_the_embedded_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert cfg.default_model == DEFAULT_MODEL_NAME
    assert cfg.get(DEFAULT_MODEL_NAME).provider == "embedded"
    with pytest.raises(NotFound, match="Known models: smollm2-135m"):
        cfg.get("nope")


def test_cost_uses_cached_price() -> None:
    p = Pricing(input_per_1m=2.0, cached_input_per_1m=0.5, output_per_1m=8.0)
    assert p.cost(1_000_000, 1_000_000, cached_tokens=500_000) == pytest.approx(
        1.0 + 0.25 + 8.0)


def test_identity_ignores_name_and_price(tmp_path: Path) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: a\n    provider: deepseek\n"
                 "  - name: b\n    provider: deepseek\n    pricing: {output_per_1m: 9}\n"
                 "  - name: c\n    provider: deepseek\n    model: deepseek-reasoner\n")
    cfg = load_config(p)
    assert cfg.get("a").identity() == cfg.get("b").identity() != cfg.get("c").identity()
