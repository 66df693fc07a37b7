"""What every browser test shares: the real app on a loopback port, and headless Debian Chromium
driven by Playwright (no browser download, nothing from another host)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path("/work/shots") if Path("/work").is_dir() else Path("/tmp")  # pictures for the closing notes
SCREENSHOTS.mkdir(exist_ok=True)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served on a free loopback port for the block; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser for the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(**context_options: Any) -> Iterator[Any]:
    """One page in its own browser context (its own cookies), e.g. ``viewport=…``."""
    with chromium() as browser:
        context = browser.new_context(**context_options)
        try:
            yield context.new_page()
        finally:
            context.close()


@pytest.fixture
def base_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serving(app) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Any]:
    with new_page(accept_downloads=True, viewport={"width": 1280, "height": 900}) as tab:
        yield tab


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b
