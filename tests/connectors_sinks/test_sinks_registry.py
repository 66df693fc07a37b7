"""Sink kinds by name, and the sandboxes' launcher as the demo runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectors.base import ConnectorSettings, FatalError
from connectors.credit_xml import CreditXmlSink
from connectors.http import SignedSession
from connectors.provincial_rest import ProvincialRestSink
from connectors.sandboxes.sinks import start_sinks
from connectors.sinks_registry import SINK_KINDS, make_sink

from .factories import APP_ID, SECRET, settings_for, task_message

ROOT = Path(__file__).resolve().parents[2]


def test_kinds_map_to_their_sinks(sandboxes):
    assert SINK_KINDS == {"provincial-rest": ProvincialRestSink, "credit-xml": CreditXmlSink}
    assert isinstance(make_sink(settings_for(sandboxes["provincial"], "provincial-rest")), ProvincialRestSink)
    sink = make_sink(settings_for(sandboxes["credit"], "credit-xml"))
    assert isinstance(sink, CreditXmlSink) and sink.max_batch == 1000
    assert isinstance(sink.http, SignedSession) and sink.http.policy.attempts == 1


def test_unknown_kind_is_named():
    with pytest.raises(FatalError, match="unknown kind 'fax'"):
        make_sink(ConnectorSettings(name="x", kind="fax", url="http://127.0.0.1:1"))


def test_start_sinks_applies_faults_per_sandbox():
    servers = start_sinks(APP_ID, SECRET, faults={"credit": {"error_5xx": 1.0}})
    try:
        assert servers["credit"].faults.error_5xx == 1.0
        assert servers["provincial"].faults.error_5xx == 0.0
    finally:
        for server in servers.values():
            server.stop()


def test_sandboxes_run_as_a_module():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connectors.sandboxes.sinks",
            "--provincial-port",
            "0",
            "--credit-port",
            "0",
            "--app-id",
            APP_ID,
            "--secret",
            SECRET,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        urls = dict(proc.stdout.readline().split() for _ in range(2))
        sink = make_sink(
            ConnectorSettings(
                name="p",
                kind="provincial-rest",
                url=urls["provincial"],
                app_id=APP_ID,
                app_secret=SECRET,
                options={"attempts": 1},
            )
        )
        assert sink.deliver([task_message()], "b").receipts[0].status == "accepted"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
