"""The models file (``baimo.yaml``): which models to ask, how fast, and at what price.

Secrets never live here: a model names the *environment variable* that holds its key, and the
key is read at request time only. Everything that ends up in the store or a report is derived
from ``ModelConfig.public_dict()``, which carries the variable's name but never its value.
For the same reason a ``base_url`` that carries a credential (``user:pass@host``,
``?key=...``, ``?token=...``) is refused when the file is loaded: the URL is stored with every
run and shown by ``models show``. Other secret headers come from the environment too
(``headers_env``), and a value read from the environment is stripped of the whitespace a CRLF
``.env`` file leaves behind and refused if it still holds a control character (which would
split the HTTP header), with a message naming the variable and never its value.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.parse
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from baimo.dimensions import misspelt_dimension
from baimo.errors import ConfigError, NotFound
from baimo.models.presets import PRESETS
from baimo.params import check_params
from baimo.yamlio import load_yaml, validate

EMBEDDED = "embedded"
REGISTERED_PROVIDERS: set[str] = set()
"""Provider names added by ``baimo.models.registry.register_provider`` (plugins, tests);
kept here so that validating a models file needs no import of the model layer."""
DEFAULT_MODEL_NAME = "smollm2-135m"


class _Strict(BaseModel):
    # hide_input_in_errors: a refused base_url may hold a password; the error must not.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True,
                              allow_inf_nan=False)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_SECRET_HEADERS = {"authorization", "api-key", "x-api-key", "proxy-authorization", "cookie"}
SECRET_PARAM = re.compile(r"key|token|secret|passw|pwd|auth|sig|credential|session",
                          re.IGNORECASE)
"""Query parameter names that carry a credential: refused in base URLs here, and in the
landscape's cited sources (``baimo.landscape.catalog.credential_problem``)."""


def check_base_url(url: str) -> str:
    """A base URL, or ``ValueError`` saying what is wrong without repeating the URL.

    The URL is stored with every run and printed in errors, so it must not carry a
    credential; and a malformed one would otherwise be retried for every sample.
    """
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise ValueError("base_url contains spaces or control characters; give the URL alone")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (parsing the port is the check)
    except ValueError:
        raise ValueError("base_url is not a valid URL (check the host and port); expected "
                         "something like https://api.example.com/v1") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("base_url must be an http:// or https:// URL such as "
                         "https://api.example.com/v1")
    if parts.username is not None or parts.password is not None:
        raise ValueError("base_url carries a user name or password (user:pass@host), which "
                         "would be stored with every run; remove it and name the environment "
                         "variable holding the key in api_key_env (or other auth headers in "
                         "headers_env)")
    if not parts.hostname:
        raise ValueError("base_url has no host; expected something like "
                         "https://api.example.com/v1")
    if parts.query:
        names = [k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
        secret = [k for k in names if SECRET_PARAM.search(k)]
        if secret:
            raise ValueError(f"base_url carries a credential in its query ({secret[0]}=...), "
                             "which would be stored with every run; remove it and name the "
                             "environment variable holding the key in api_key_env (or send it "
                             "as a header with headers_env)")
        raise ValueError("base_url must not have a query string (?...): baimo appends "
                         "/chat/completions to it")
    if parts.fragment or url.endswith("#"):
        raise ValueError("base_url must not have a fragment (#...): baimo appends "
                         "/chat/completions to it")
    return url


def secret_from_env(var: str, owner: str, what: str = "API key") -> str:
    """The value of environment variable ``var``, cleaned, or a ``ConfigError`` naming it.

    Surrounding whitespace (a ``\\r`` from a CRLF ``.env`` file, a trailing newline from
    ``echo``) is removed. A control or non-ASCII character left inside would break or split the
    HTTP header, so it is refused; the message names the variable, never the value.
    """
    raw = os.environ.get(var)
    value = raw.strip() if raw is not None else ""
    if not value:
        state = "is not set" if raw is None else "is empty"
        raise ConfigError(f"{owner}: the environment variable {var} {state}. Set it to your "
                          f"{what} (export {var}=...).")
    for c in value:
        if ord(c) < 0x20 or ord(c) == 0x7F:
            raise ConfigError(f"{owner}: the environment variable {var} contains a control "
                              "character (a line break or tab inside the value?). Set it to "
                              f"the {what} alone.")
        if ord(c) > 0x7E:
            raise ConfigError(f"{owner}: the environment variable {var} contains a non-ASCII "
                              "character (a full-width space or curly quote from copy and "
                              f"paste?). Set it to the {what} alone.")
    return value


class Pricing(_Strict):
    """Prices per one million tokens, in ``currency``.

    ``batch_discount`` is the fraction taken off for batch APIs (0.5 = half price); it is
    applied only to runs that ask for batch pricing.
    """

    # A million per million tokens is far past any price list; more is a typo that would
    # overflow the cost sums.
    input_per_1m: float = Field(0.0, ge=0, le=1e6)
    cached_input_per_1m: float | None = Field(None, ge=0, le=1e6)
    output_per_1m: float = Field(0.0, ge=0, le=1e6)
    currency: Literal["CNY", "USD"] = "CNY"
    batch_discount: float = Field(0.0, ge=0, lt=1)

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        """Cost of one request. Cached input is billed at its own price where one is given."""
        cached = min(cached_tokens, prompt_tokens)
        cached_price = self.input_per_1m if self.cached_input_per_1m is None else \
            self.cached_input_per_1m
        return ((prompt_tokens - cached) * self.input_per_1m + cached * cached_price
                + completion_tokens * self.output_per_1m) / 1_000_000


class Limits(_Strict):
    """Client-side limits for one endpoint: the runner never exceeds them.

    Attributes:
        concurrency: Requests in flight at most (the adaptive limiter may go lower after 429s).
        rpm: Requests per minute, or None for no limit.
        tpm: Tokens (prompt + max output) per minute, or None.
        timeout_s: Seconds without progress (connect, first byte, or between chunks) before a
            request is abandoned and retried.
        max_retries: Retries for 429, 5xx, timeouts and broken streams before a sample is
            recorded as an error.
        deadline_s: Total seconds one request may take, however steadily it trickles in
            (``timeout_s`` alone bounds only the gap between reads). Default: ten times
            ``timeout_s``, at least 60 s.
        max_retry_after_s: The longest ``Retry-After`` honoured. A server asking for more
            (a day, ``inf``, a date next year) fails the affected samples at once, with its
            request in the reason, instead of sleeping for days.
    """

    # Upper bounds far past any real setting: a number beyond them is a typo, and an absurd
    # one (1e300 s) overflows the clocks and sums it feeds.
    concurrency: int = Field(32, ge=1, le=4096, strict=True)
    rpm: float | None = Field(None, gt=0, le=1e9)
    tpm: float | None = Field(None, gt=0, le=1e12)
    timeout_s: float = Field(120.0, gt=0, le=86_400)
    max_retries: int = Field(6, ge=0, le=100, strict=True)
    deadline_s: float | None = Field(None, gt=0, le=7 * 86_400)
    max_retry_after_s: float = Field(600.0, ge=0, le=86_400)

    @property
    def deadline(self) -> float:
        """The effective total deadline of one request, in seconds."""
        return self.deadline_s if self.deadline_s is not None else max(60.0, 10 * self.timeout_s)


class ModelConfig(_Strict):
    """One model behind one endpoint.

    ``provider`` is a preset name (``deepseek``, ``qwen``, ``vllm`` …), ``openai-compatible``
    for any other endpoint (then ``base_url`` is required), or ``embedded`` for the built-in
    llama.cpp engine.
    """

    name: str = Field(min_length=1)
    provider: str = "openai-compatible"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    pricing: Pricing = Pricing()
    context_window: int | None = Field(None, gt=0, strict=True)  # strict: `true` is not 1
    limits: Limits = Limits()
    params: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, str] = Field(default_factory=dict)
    """Header name → environment variable holding its value (for auth headers other than
    the bearer key); read at request time like the key."""
    stream: bool = True
    gguf_path: str | None = None
    vendor: str | None = None
    open_weights: bool | None = None
    family: str | None = None
    """The underlying model this endpoint serves (``deepseek-v3``): ``baimo monitor vendors``
    compares the endpoints of one family (see ``baimo.monitor``)."""

    @field_validator("name")
    @classmethod
    def _printable_name(cls, v: str) -> str:
        # A name is typed on command lines and shown in tables and reports.
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in v) or v != v.strip():
            raise ValueError("a model name must be one line of printable characters, without "
                             "leading or trailing spaces")
        return v

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, v: str) -> str:
        if v != EMBEDDED and v not in PRESETS and v not in REGISTERED_PROVIDERS:
            known = ", ".join([EMBEDDED, *PRESETS, *sorted(REGISTERED_PROVIDERS)])
            raise ValueError(f"unknown provider '{v}'; use one of: {known}")
        return v

    @field_validator("params")
    @classmethod
    def _checked_params(cls, v: dict[str, Any]) -> dict[str, Any]:
        return check_params(v)

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if key.lower() in _SECRET_HEADERS:
                raise ValueError(
                    f"header '{key}' would put a secret in the config; name the environment "
                    "variable in api_key_env (or headers_env) instead")
        return v

    @field_validator("headers_env")
    @classmethod
    def _header_env_names(cls, v: dict[str, str]) -> dict[str, str]:
        for header, var in v.items():
            if not _HEADER_NAME.fullmatch(header):
                raise ValueError(f"'{header}' is not a valid HTTP header name")
            if not _ENV_NAME.fullmatch(var):
                raise ValueError(f"header '{header}': give the *name* of an environment "
                                 "variable (letters, digits and _), not its value")
        return v

    @field_validator("api_key_env")
    @classmethod
    def _key_env_name(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_NAME.fullmatch(v):
            raise ValueError("api_key_env is the *name* of an environment variable (letters, "
                             "digits and _, e.g. DEEPSEEK_API_KEY), not the key itself")
        return v

    @field_validator("base_url")
    @classmethod
    def _valid_base_url(cls, v: str | None) -> str | None:
        return None if v is None else check_base_url(v)

    @model_validator(mode="after")
    def _fill_from_preset(self) -> ModelConfig:
        if self.provider == EMBEDDED or self.provider not in PRESETS:
            return self
        preset = PRESETS[self.provider]
        updates: dict[str, Any] = {}
        if self.base_url is None:
            if not preset.base_url:
                raise ValueError("base_url is required for provider 'openai-compatible'")
            updates["base_url"] = preset.base_url
        if self.model is None:
            updates["model"] = preset.default_model or self.name
        if self.api_key_env is None and preset.api_key_env:
            updates["api_key_env"] = preset.api_key_env
        if updates:
            # Frozen model: rebuild via object.__setattr__ (validation already ran).
            for k, v in updates.items():
                object.__setattr__(self, k, v)
        return self

    @property
    def model_id(self) -> str:
        """The id sent in requests."""
        return self.model or self.name

    @property
    def max_tokens(self) -> int:
        """Output cap used for TPM budgeting when the params give none."""
        value = self.params.get("max_tokens", 512)
        return int(value) if isinstance(value, int | float) else 512

    def api_key(self) -> str | None:
        """Read the key from the environment at call time. Raises if the variable is unset."""
        if not self.api_key_env:
            return None
        return secret_from_env(self.api_key_env, f"model '{self.name}'")

    def env_headers(self) -> dict[str, str]:
        """The ``headers_env`` headers with their values, read from the environment now."""
        return {h: secret_from_env(var, f"model '{self.name}'", f"value of header {h}")
                for h, var in self.headers_env.items()}

    def public_dict(self) -> dict[str, Any]:
        """Everything about this model that may be stored or shown (never a key's value)."""
        return self.model_dump(mode="json")

    def identity(self) -> str:
        """What makes two answers interchangeable: endpoint and model, not name or price."""
        if self.provider == EMBEDDED:
            ident: dict[str, Any] = {"provider": EMBEDDED, "gguf": embedded_gguf_name(self)}
        else:
            ident = {"base_url": (self.base_url or "").rstrip("/"), "model": self.model_id}
        return hashlib.sha256(orjson.dumps(ident, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def embedded_gguf_name(cfg: ModelConfig) -> str:
    """The GGUF file name the embedded engine runs (part of the cache identity)."""
    return Path(cfg.gguf_path).name if cfg.gguf_path else "SmolLM2-135M-Instruct.Q4_1.gguf"


def model_for_url(name: str, base_url: str, model: str | None = None) -> ModelConfig:
    """A model given on the command line (``--url``); a bad URL is a ``ConfigError``."""
    try:
        return ModelConfig.model_validate({"name": name, "base_url": base_url,
                                           "model": model or name})
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ConfigError(f"--url: {problems}.") from None


def default_embedded_model() -> ModelConfig:
    """The model used when nothing is configured: SmolLM2-135M-Instruct on llama.cpp."""
    return ModelConfig(
        name=DEFAULT_MODEL_NAME,
        provider=EMBEDDED,
        context_window=8192,
        limits=Limits(concurrency=1, timeout_s=120.0, max_retries=2),
        params={"temperature": 0.0, "max_tokens": 256, "seed": 0},
        vendor="Hugging Face (SmolLM2), run locally with llama.cpp",
        open_weights=True,
    )


class ModelsFile(_Strict):
    """The top level of ``baimo.yaml``."""

    models: list[ModelConfig] = Field(default_factory=list)
    default_model: str | None = None
    dimensions: dict[str, str] = Field(default_factory=dict)
    """Task name → capability dimension, over the built-in mapping (for the profile)."""
    plugins: list[str] = Field(default_factory=list)
    """Modules or ``.py`` files imported at start-up (they register suites, scorers…)."""
    monitor: dict[str, Any] | None = None
    """``baimo monitor`` settings (schedule, thresholds, alerts); validated with their lines
    by ``baimo.monitor.settings``, which owns the schema."""

    @model_validator(mode="after")
    def _unique_names(self) -> ModelsFile:
        seen: set[str] = set()
        for m in self.models:
            if m.name in seen:
                raise ValueError(f"model name '{m.name}' appears twice; names must be unique")
            seen.add(m.name)
        return self


class Config:
    """The loaded models file plus the built-in embedded model."""

    def __init__(self, models: list[ModelConfig], source: str | None = None,
                 default_model: str | None = None,
                 dimensions: dict[str, str] | None = None,
                 plugins: list[str] | None = None) -> None:
        self.source = source
        self.dimensions = dict(dimensions or {})
        self.plugins = list(plugins or [])
        self.models: dict[str, ModelConfig] = {}
        builtin = default_embedded_model()
        self.models[builtin.name] = builtin
        for m in models:
            self.models[m.name] = m
        self.default_model = default_model or builtin.name

    def get(self, name: str) -> ModelConfig:
        """Look a model up by name, with the list of known names in the error."""
        try:
            return self.models[name]
        except KeyError:
            known = ", ".join(self.models)
            if self.source:
                raise NotFound(f"no model named '{name}' in {self.source}. Known models: "
                               f"{known}") from None
            raise NotFound(f"no model named '{name}': no models file was found (baimo.yaml in "
                           f"the current directory, or -c FILE). Known models: {known}"
                           ) from None


def load_config(path: Path | None = None) -> Config:
    """Load ``path``, or ``./baimo.yaml`` if it exists, or just the built-in model."""
    if path is None:
        candidate = Path("baimo.yaml")
        if not candidate.exists():
            return Config([])
        path = candidate
    doc = load_yaml(path)
    if doc.data is None:
        return Config([], source=str(path))
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}:1: the models file must be a mapping with a 'models:' list.")
    parsed = validate(ModelsFile, doc)
    for task, dimension in parsed.dimensions.items():
        problem = misspelt_dimension(dimension)
        if problem:
            raise ConfigError(f"{path}:{doc.line_of(['dimensions', task]) or 1}: dimensions: "
                              f"{task}: {problem}")
    config = Config(parsed.models, source=str(path), default_model=parsed.default_model,
                    dimensions=parsed.dimensions, plugins=parsed.plugins)
    load_plugins(config.plugins, base=path.parent)
    return config


_LOADED_PLUGINS: set[str] = set()


def load_plugins(plugins: list[str], base: Path) -> None:
    """Import each plugin once: a module name, or a ``.py`` path relative to the models file.

    Plugins are ordinary Python run with the user's rights, exactly like a module they import
    themselves; a plugin that fails to import is a ``ConfigError`` naming it.
    """
    import importlib
    import importlib.util
    import sys

    for plugin in plugins:
        if plugin in _LOADED_PLUGINS:
            continue
        try:
            if plugin.endswith(".py"):
                file = (base / plugin).resolve()
                if not file.exists():
                    raise ConfigError(f"plugin file not found: {file}")
                name = f"baimo_plugin_{file.stem}"
                spec = importlib.util.spec_from_file_location(name, file)
                if spec is None or spec.loader is None:
                    raise ConfigError(f"cannot import plugin file {file}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
            else:
                importlib.import_module(plugin)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(f"plugin '{plugin}' failed to load: {type(exc).__name__}: {exc}"
                              ) from None
        _LOADED_PLUGINS.add(plugin)
