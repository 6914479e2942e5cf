"""Builders shared by tests (plain functions, importable as ``support``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

SENTINEL_KEY = "sk-baimo-SENTINEL-9f3a1c7e5d"
"""A fake API key that tests grep for in every output: it must never appear."""


def write_task(tmp: Path, n: int, name: str = "synthetic", extra: str = "") -> Path:
    """A task whose prompts carry the mock server's answer and id markers."""
    data = tmp / f"{name}.jsonl"
    with data.open("wb") as fh:
        for i in range(n):
            fh.write(orjson.dumps({
                "id": f"s{i}", "prompt": f"Question {i}? [[id:{name}-s{i}]] "
                f"[[answer:{i * 7}]]{extra}", "reference": f"{i * 7}",
                "category": "even" if i % 2 == 0 else "odd"}) + b"\n")
    spec = tmp / f"{name}.yaml"
    spec.write_text(yaml.safe_dump({"name": name, "version": 1, "dataset": data.name,
                                    "scorer": {"type": "numeric"},
                                    "params": {"max_tokens": 32}}))
    return spec


def write_models(tmp: Path, base_url: str, models: list[dict[str, Any]]) -> Path:
    """A models file pointing every model at ``base_url`` unless it says otherwise."""
    out = []
    for m in models:
        out.append({"provider": "openai-compatible", "base_url": base_url, **m})
    path = tmp / "baimo.yaml"
    path.write_text(yaml.safe_dump({"models": out}))
    return path


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class Rendered:
    """What a page showed in Chromium: charts drawn, headings, errors, network use."""

    charts: int
    headings: list[str]
    errors: list[str]
    network: list[str]
    """Requests to anything but ``file://`` (a report must make none)."""
    probes: dict[str, Any] = field(default_factory=dict)


def render_in_chromium(path: Path, screenshot: Path | None = None,
                       probes: dict[str, Callable[[Any], Any]] | None = None) -> Rendered:
    """Open a baimo HTML file in Debian's Chromium (via Playwright) and wait for its charts.

    Skips the calling test when Chromium or Playwright is missing. ``probes`` are functions of
    the Playwright page, run after the page is ready; their results come back by name.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_function("window.baimoReady === true", timeout=20000)
        result = Rendered(charts=page.locator(".chart svg").count(),
                          headings=page.locator("section h2").all_inner_texts(),
                          errors=errors, network=[])
        result.probes = {name: fn(page) for name, fn in (probes or {}).items()}
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    result.network = [u for u in requests if not u.startswith("file://")]
    return result
