"""Getting a ready client for a configured model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from baimo.config import EMBEDDED, ModelConfig
from baimo.models.base import Provider
from baimo.models.openai import OpenAIProvider

__all__ = ["open_provider"]


@asynccontextmanager
async def open_provider(cfg: ModelConfig, pool_size: int | None = None
                        ) -> AsyncIterator[Provider]:
    """Yield a ready provider; starts (and later stops) the embedded server when needed."""
    if cfg.provider == EMBEDDED:
        from baimo.models.embedded import EmbeddedServer

        server = EmbeddedServer(gguf_path=cfg.gguf_path, model_name=cfg.name)
        await server.astart()
        provider = OpenAIProvider(cfg, base_url=server.base_url, pool_size=pool_size)
        try:
            yield provider
        finally:
            await provider.aclose()
            await server.astop()
        return
    provider = OpenAIProvider(cfg, pool_size=pool_size)
    try:
        yield provider
    finally:
        await provider.aclose()
