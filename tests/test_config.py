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


def test_infinite_and_absurd_numbers_are_refused_at_their_lines(tmp_path: Path) -> None:
    # Loaded, they turned every answer into an error row ("cost=inf is not a finite number")
    # after it had been paid for; a .nan price was already refused, .inf was not.
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: a\n    provider: deepseek\n"
                 "    pricing: {input_per_1m: 1e308, output_per_1m: .inf}\n"
                 "    limits:\n      rpm: .inf\n      deadline_s: 1e300\n"
                 "      max_retry_after_s: -.inf\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert f"{p}:4: models.0.pricing.input_per_1m: Input should be less than or equal to " \
        "1000000" in msg
    assert f"{p}:4: models.0.pricing.output_per_1m: Input should be a finite number" in msg
    assert f"{p}:6: models.0.limits.rpm: Input should be a finite number" in msg
    assert f"{p}:7: models.0.limits.deadline_s: Input should be less than or equal to" in msg
    assert f"{p}:8: models.0.limits.max_retry_after_s: Input should be a finite number" in msg


def test_values_yaml_would_quietly_coerce_are_refused(tmp_path: Path) -> None:
    # `true` read as 1 thread or a 1-token window; a name split over two lines; a URL
    # fragment that would end up before /chat/completions.
    p = tmp_path / "baimo.yaml"
    p.write_text('models:\n  - name: "a\\nb"\n    base_url: "http://h.example/v1#x"\n'
                 "    context_window: true\n    limits: {concurrency: true, max_retries: yes}\n"
                 "  - name: ' padded'\n    provider: deepseek\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert f"{p}:2: models.0.name: a model name must be one line of printable characters" in msg
    assert f"{p}:3: models.0.base_url: base_url must not have a fragment" in msg
    assert f"{p}:4: models.0.context_window: Input should be a valid integer" in msg
    assert f"{p}:5: models.0.limits.concurrency: Input should be a valid integer" in msg
    assert f"{p}:5: models.0.limits.max_retries: Input should be a valid integer" in msg
    assert f"{p}:6: models.1.name: a model name must be one line" in msg


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


# ------------------------------------------------------------------ base_url and secrets


@pytest.mark.parametrize(("url", "expected"), [
    ("not a url", "contains spaces or control characters"),
    ("api.deepseek.com/v1", "must be an http:// or https:// URL"),
    ("ftp://files.example.com/v1", "must be an http:// or https:// URL"),
    ("https:///v1", "has no host"),
    ("https://api.example.com:99999/v1", "not a valid URL"),
    ("https://api.example.com/v1?region=cn", "must not have a query string"),
])
def test_malformed_base_url_is_refused_at_load(tmp_path: Path, url: str, expected: str) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text(f"models:\n  - name: ok\n    provider: deepseek\n  - name: bad\n"
                 f"    base_url: '{url}'\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert f"{p}:5: models.1.base_url" in str(exc.value) and expected in str(exc.value)


@pytest.mark.parametrize(("url", "secret"), [
    ("https://alice:hunter2-SECRET@api.example.com/v1", "hunter2-SECRET"),
    ("https://api.example.com/v1?key=AIzaSECRET123", "AIzaSECRET123"),
    ("https://api.example.com/v1?api_key=sk-SECRET-9", "sk-SECRET-9"),
    ("https://api.example.com/v1?region=cn&token=tok-SECRET", "tok-SECRET"),
    ("https://api.example.com/v1?access_token=at-SECRET", "at-SECRET"),
])
def test_credentials_in_base_url_are_refused_without_echo(tmp_path: Path, url: str,
                                                          secret: str) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text(f"models:\n  - name: leaky\n    base_url: \"{url}\"\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert f"{p}:3: models.0.base_url" in msg
    assert "api_key_env" in msg and "headers_env" in msg
    assert secret not in msg and secret not in repr(exc.value)
    # The pydantic error behind it (shown by a traceback, were one printed) hides it too.
    assert exc.value.__suppress_context__
    assert secret not in str(exc.value.__context__)


def test_perf_url_option_is_checked_the_same_way() -> None:
    from baimo.config import model_for_url

    with pytest.raises(ConfigError) as exc:
        model_for_url("t", "http://bob:pw-SECRET@127.0.0.1:8000/v1")
    assert str(exc.value).startswith("--url: base_url carries a user name or password")
    assert "pw-SECRET" not in str(exc.value)
    assert model_for_url("t", "http://127.0.0.1:8000/v1").base_url == "http://127.0.0.1:8000/v1"


def test_api_key_env_must_be_a_name_not_a_key(tmp_path: Path) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: a\n    provider: deepseek\n"
                 "    api_key_env: sk-live-SECRET-123\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert f"{p}:4: models.0.api_key_env" in str(exc.value)
    assert "not the key itself" in str(exc.value) and "SECRET" not in str(exc.value)


def test_key_from_a_crlf_env_file_is_stripped(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """A CRLF .env leaves '\\r' on the key; it is stripped and the real server accepts it."""
    import asyncio

    from baimo.models.openai import OpenAIProvider
    from baimo.testing.mockserver import MockConfig, MockServer

    key = "sk-test-crlf-0123456789"
    monkeypatch.setenv("CRLF_KEY", key + "\r")
    with MockServer(MockConfig(api_key=key, output_tokens=3)) as srv:
        p = tmp_path / "baimo.yaml"
        p.write_text(f"models:\n  - name: m\n    base_url: {srv.base_url}\n"
                     "    api_key_env: CRLF_KEY\n")
        cfg = load_config(p).get("m")
        assert cfg.api_key() == key

        async def ask() -> str:
            provider = OpenAIProvider(cfg)
            try:
                return (await provider.complete([{"role": "user", "content": "hi"}],
                                                {"max_tokens": 3})).text
            finally:
                await provider.aclose()

        assert asyncio.run(ask())  # 401 if the '\r' had been sent


@pytest.mark.parametrize("value", ["sk-abc\ndef", "sk-abc\x1bdef", "sk-abc\u3000def",
                                   "“sk-abc”"])
def test_key_with_control_or_odd_characters_names_the_variable(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> None:
    monkeypatch.setenv("ODD_KEY", value)
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: m\n    provider: deepseek\n    api_key_env: ODD_KEY\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p).get("m").api_key()
    msg = str(exc.value)
    assert "model 'm': the environment variable ODD_KEY contains a" in msg
    assert "sk-abc" not in msg and "def" not in msg.split("ODD_KEY", 1)[1][:40]


def test_empty_key_is_reported_as_empty(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BLANK_KEY", " \r\n")
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: m\n    provider: deepseek\n    api_key_env: BLANK_KEY\n")
    with pytest.raises(ConfigError, match="BLANK_KEY is empty"):
        load_config(p).get("m").api_key()


def test_headers_env_sends_secret_headers_read_from_the_environment(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``headers_env`` values come from the environment at request time, reach the server,
    and never appear in what is stored (``public_dict``)."""
    import asyncio

    from baimo.models.openai import OpenAIProvider
    from baimo.testing.scripted import Reply, ScriptedServer, usage

    monkeypatch.setenv("GOOG_KEY", "goog-SECRET-42\r\n")
    done: list[str] = []
    with ScriptedServer(lambda request: Reply("pong", usage=usage(1, 1))) as srv:
        cfg_text = (f"models:\n  - name: m\n    base_url: {srv.base_url}\n"
                    "    stream: false\n    headers: {X-Team: eval}\n"
                    "    headers_env: {X-Goog-Api-Key: GOOG_KEY}\n")
        (tmp_path / "baimo.yaml").write_text(cfg_text)
        cfg = load_config(tmp_path / "baimo.yaml").get("m")
        assert "goog-SECRET" not in str(cfg.public_dict())

        async def ask() -> str:
            provider = OpenAIProvider(cfg)
            try:
                return (await provider.complete([{"role": "user", "content": "ping"}],
                                                {"max_tokens": 2})).text
            finally:
                await provider.aclose()

        done.append(asyncio.run(ask()))
    seen = [r.headers for r in srv.requests]
    assert done == ["pong"]
    assert seen[0]["X-Goog-Api-Key"] == "goog-SECRET-42" and seen[0]["X-Team"] == "eval"


def test_headers_env_is_validated(tmp_path: Path) -> None:
    p = tmp_path / "baimo.yaml"
    p.write_text("models:\n  - name: m\n    provider: deepseek\n"
                 "    headers_env: {X-Key: 'sk-not-a-name'}\n")
    with pytest.raises(ConfigError, match=r"models\.0\.headers_env.*the \*name\* of an "
                                          "environment variable"):
        load_config(p)
    p.write_text("models:\n  - name: m\n    provider: deepseek\n"
                 "    headers: {Cookie: session=abc}\n")
    with pytest.raises(ConfigError, match="headers_env"):
        load_config(p)


def test_an_unknown_model_without_a_models_file_says_none_was_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotFound, match=r"no model named 'mock': no models file was found "
                                       r"\(baimo\.yaml in the current directory, or -c "
                                       f"FILE\\). Known models: {DEFAULT_MODEL_NAME}$"):
        load_config().get("mock")
    (tmp_path / "baimo.yaml").write_text("models: []\n")
    with pytest.raises(NotFound, match=r"no model named 'mock' in baimo\.yaml\. Known models: "):
        load_config().get("mock")


def test_a_misspelt_dimension_in_the_models_file_is_refused_at_its_line(tmp_path: Path) -> None:
    """The models file's task → dimension mapping is held to the task file's rule: one a letter
    away from a built-in dimension would give the profile a column of its own."""
    p = tmp_path / "baimo.yaml"
    p.write_text("models: []\ndimensions:\n  my-qa: knowledge\n  my-sums: Math\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert str(err.value).startswith(f"{p}:4: dimensions: my-sums: dimension 'Math' is close "
                                     "to the built-in 'math'")
    p.write_text("models: []\ndimensions:\n  my-qa: knowledge\n  my-law: legal\n")
    assert load_config(p).dimensions == {"my-qa": "knowledge", "my-law": "legal"}
