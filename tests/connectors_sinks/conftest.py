"""Sink sandboxes on loopback (port 0) and sinks pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.sandboxes.credit import CreditSandbox
from connectors.sandboxes.provincial import ProvincialSandbox
from connectors.sandboxes.sinks import start_sinks
from connectors.sinks_registry import make_sink

from .factories import APP_ID, SECRET, settings_for


@pytest.fixture
def sandboxes() -> Iterator[dict[str, Any]]:
    servers = start_sinks(APP_ID, SECRET)
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def provincial(sandboxes: dict[str, Any]) -> ProvincialSandbox:
    return sandboxes["provincial"]


@pytest.fixture
def credit(sandboxes: dict[str, Any]) -> CreditSandbox:
    return sandboxes["credit"]


@pytest.fixture
def provincial_sink(provincial: ProvincialSandbox):
    return make_sink(settings_for(provincial, "provincial-rest"))


@pytest.fixture
def credit_sink(credit: CreditSandbox):
    return make_sink(settings_for(credit, "credit-xml"))
