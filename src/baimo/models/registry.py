"""The provider registry: how a configured model becomes something that answers.

Built-in providers are registered exactly as a plugin's would be (simonw/llm's plugins and
Inspect's provider registry are the models): a ``ProviderKind`` names itself, opens an
answering ``Provider`` for a model, serves a base URL for tools that speak the wire protocol
themselves (``baimo perf``), and says whether it runs locally. Their dependencies are imported
only when a model of theirs is opened, and a missing one fails with the exact
``pip install``.

``provider_kind(cfg)`` maps a models-file ``provider:`` value to its kind: ``embedded`` to the
built-in llama.cpp engine, any vendor preset (``deepseek``, ``vllm`` …) or
``openai-compatible`` to the OpenAI-compatible kind, and any other registered name to itself.
Nothing outside a provider's own module asks "is this the embedded engine?".
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field

from baimo.config import EMBEDDED, REGISTERED_PROVIDERS, ModelConfig
from baimo.errors import ConfigError
from baimo.models.base import Provider
from baimo.models.presets import PRESETS

__all__ = ["ProviderKind", "open_provider", "provider_kind", "register_provider"]

OPENAI_COMPATIBLE = "openai-compatible"


def _no_weights(_: ModelConfig) -> str | None:
    return None


@dataclass(frozen=True)
class ProviderKind:
    """One way of reaching models.

    Attributes:
        name: The ``provider:`` value that selects it (presets map to ``openai-compatible``).
        open: ``open(cfg, pool_size)`` → an async context manager yielding a ready provider.
        serve: ``serve(cfg)`` → a context manager yielding the OpenAI-compatible base URL to
            send raw requests to (starting a local engine process if the kind has one).
        local: True when the model runs on this machine (no key, no price by default).
        label: The model id to show people (``models list``).
        weights: Path of local weights with a tokenizer in them (GGUF), if any.
        output_control: What the kind's server does with ``ignore_eos``/``min_tokens``, for
            ``baimo perf``'s notes; None when unknown.
    """

    name: str
    open: Callable[[ModelConfig, int | None], AbstractAsyncContextManager[Provider]]
    serve: Callable[[ModelConfig], AbstractContextManager[str]]
    local: bool = False
    label: Callable[[ModelConfig], str] = field(default=lambda cfg: cfg.model_id)
    weights: Callable[[ModelConfig], str | None] = _no_weights
    output_control: str | None = None


_KINDS: dict[str, ProviderKind] = {}


def register_provider(kind: ProviderKind, *, replace: bool = False) -> None:
    """Add a provider kind. A name registered twice is an error unless ``replace``."""
    if kind.name in _KINDS and not replace:
        raise ConfigError(f"a provider named '{kind.name}' is already registered; pick "
                          "another name (or pass replace=True to override it on purpose)")
    _KINDS[kind.name] = kind
    if kind.name not in (EMBEDDED, OPENAI_COMPATIBLE):
        REGISTERED_PROVIDERS.add(kind.name)


def provider_kind(cfg: ModelConfig | str) -> ProviderKind:
    """The kind that serves a model (or a ``provider:`` value)."""
    name = cfg if isinstance(cfg, str) else cfg.provider
    kind = _KINDS.get(name)
    if kind is None and (name in PRESETS or name == OPENAI_COMPATIBLE):
        kind = _KINDS[OPENAI_COMPATIBLE]
    if kind is None:
        known = ", ".join(sorted({*_KINDS, *PRESETS}))
        raise ConfigError(f"unknown provider '{name}'; use one of: {known}")
    return kind


def is_local(provider: str) -> bool:
    """True for engines on this machine: the embedded one and self-hosted presets."""
    preset = PRESETS.get(provider)
    if preset is not None:
        return preset.local
    try:
        return provider_kind(provider).local
    except ConfigError:
        return False


def open_provider(cfg: ModelConfig, pool_size: int | None = None
                  ) -> AbstractAsyncContextManager[Provider]:
    """Open a ready provider for ``cfg`` (its kind starts and stops whatever it needs)."""
    return provider_kind(cfg).open(cfg, pool_size)


# --------------------------------------------------------------------------- built-ins


@contextlib.asynccontextmanager
async def _open_openai(cfg: ModelConfig, pool_size: int | None) -> AsyncIterator[Provider]:
    from baimo.models.openai import OpenAIProvider

    provider = OpenAIProvider(cfg, pool_size=pool_size)
    try:
        yield provider
    finally:
        await provider.aclose()


@contextlib.contextmanager
def _serve_remote(cfg: ModelConfig) -> Iterator[str]:
    if not cfg.base_url:
        raise ConfigError(f"model '{cfg.name}' has no base_url")
    yield cfg.base_url


@contextlib.asynccontextmanager
async def _open_embedded(cfg: ModelConfig, pool_size: int | None) -> AsyncIterator[Provider]:
    # In-process: the engine is served on a loopback port inside this event loop, so local
    # and remote answers take the same client code path.
    from baimo.models.embedded import EmbeddedServer
    from baimo.models.openai import OpenAIProvider

    server = EmbeddedServer(gguf_path=cfg.gguf_path, model_name=cfg.name)
    await server.astart()
    try:
        provider = OpenAIProvider(cfg, base_url=server.base_url, pool_size=pool_size)
        try:
            yield provider
        finally:
            await provider.aclose()
    finally:
        await server.astop()


def _serve_embedded(cfg: ModelConfig) -> AbstractContextManager[str]:
    # A child process: measured from outside, the engine must not share the client's loop.
    from baimo.models.embedded import engine_process

    return engine_process(cfg)


def _embedded_label(_: ModelConfig) -> str:
    return "SmolLM2-135M-Instruct"


def _embedded_weights(cfg: ModelConfig) -> str | None:
    from baimo.models.embedded import find_gguf

    return str(find_gguf(cfg.gguf_path)) if cfg.gguf_path else None


register_provider(ProviderKind(OPENAI_COMPATIBLE, _open_openai, _serve_remote))
register_provider(ProviderKind(
    EMBEDDED, _open_embedded, _serve_embedded, local=True, label=_embedded_label,
    weights=_embedded_weights,
    output_control="the embedded engine accepts neither ignore_eos nor min_tokens"))
