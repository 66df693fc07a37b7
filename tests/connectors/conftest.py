"""Source sandboxes on loopback (port 0) and sources pointed at them, with fast retries."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.base import ConnectorSettings, Source
from connectors.http import RetryPolicy, SignedSession
from connectors.registry import make_source
from connectors.sandboxes.edu import EduSandbox
from connectors.sandboxes.inspectors import InspectorsSandbox
from connectors.sandboxes.samr import SamrSandbox
from connectors.sandboxes.server import SandboxServer

APP_ID = "hub-test"
SECRET = "test-secret-6f1c"
FAST = RetryPolicy(attempts=40, base_delay=0.001, max_delay=0.01, max_retry_after=0.01)

MakeSource = Callable[..., Source]


def settings(kind: str, url: str, secret: str = SECRET, **options: Any) -> ConnectorSettings:
    return ConnectorSettings(
        name=f"test-{kind}", kind=kind, url=url, app_id=APP_ID, app_secret=secret, timeout=5.0, options=options
    )


@pytest.fixture
def source_for() -> Iterator[MakeSource]:
    """``source_for(kind, server_or_url, policy=FAST, secret=SECRET, **options)``."""
    sessions: list[SignedSession] = []

    def make(
        kind: str,
        where: SandboxServer | str,
        *,
        policy: RetryPolicy = FAST,
        secret: str = SECRET,
        sleep: Callable[[float], None] | None = None,
        **options: Any,
    ) -> Source:
        url = where if isinstance(where, str) else where.url
        conf = settings(kind, url, secret, **options)
        extra = {"sleep": sleep} if sleep else {}
        http = SignedSession(conf, policy=policy, rng=random.Random(1), **extra)
        sessions.append(http)
        return make_source(conf, http)

    yield make
    for http in sessions:
        http.close()


def _serve(server: SandboxServer) -> Iterator[Any]:
    server.start()
    yield server
    server.stop()


@pytest.fixture
def samr() -> Iterator[SamrSandbox]:
    yield from _serve(SamrSandbox({APP_ID: SECRET}, entities=1000, seed=7, invalid_share=0.05))


@pytest.fixture
def edu() -> Iterator[EduSandbox]:
    yield from _serve(EduSandbox({APP_ID: SECRET}, schools=250, seed=7))


@pytest.fixture
def inspectors() -> Iterator[InspectorsSandbox]:
    yield from _serve(InspectorsSandbox({APP_ID: SECRET}, agencies={"HEALTH": 12, "EDU": 5}, seed=7))


@pytest.fixture
def credentials() -> tuple[str, str]:
    """(app id, secret) every sandbox here knows."""
    return APP_ID, SECRET
