"""Connectors are built at start-up: a bad option stops `hub config check`, `serve`, `worker` and
`scheduler` with exit 78 naming the key, before anything is served or enqueued."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from hub.cli import main
from hub.connections import check_connectors
from hub.errors import ConfigError
from vocabulary.outcomes import TEXTS

FULL_CODES = {code: f"S{code}" for code in TEXTS}


def _sink(**options: Any) -> dict[str, Any]:
    return {"kind": "provincial-rest", "url": "http://127.0.0.1:1", **options}


def _write(tmp_path: Path, config: dict[str, Any]) -> str:
    path = tmp_path / "hub.toml"
    path.write_text(tomli_w.dumps(config), encoding="utf-8")
    return str(path)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "HUB_DATA_DIR": str(tmp_path / "var"),
        "HUB_SECRET_KEY": "k",
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def test_config_check_names_an_incomplete_codes_mapping_and_exits_78(tmp_path, env, capsys):
    path = _write(tmp_path, {"sinks": {"prov": _sink(codes={"5": "E"})}})
    assert main(["--config", path, "config", "check"]) == 78
    err = capsys.readouterr().err.strip()
    assert err.startswith("hub: sinks.prov.codes: no sink code for hub outcome codes 1, 2, 3, 4, 6")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("attempts, problem", [(0, "must be in 1.."), ("three", "must be an integer")])
def test_config_check_names_a_bad_attempts_option(tmp_path, env, capsys, attempts, problem):
    path = _write(tmp_path, {"sinks": {"prov": _sink(attempts=attempts)}})
    assert main(["--config", path, "config", "check"]) == 78
    err = capsys.readouterr().err
    assert "sinks.prov.attempts" in err and problem in err


def test_config_check_names_a_bad_source_option(tmp_path, env, capsys):
    path = _write(tmp_path, {"sources": {"samr": {"kind": "samr-rest", "url": "http://127.0.0.1:1", "page_size": 0}}})
    assert main(["--config", path, "config", "check"]) == 78
    assert "sources.samr.page_size" in capsys.readouterr().err


def test_credit_sink_without_a_sender_is_refused_at_start(tmp_path, env, capsys):
    path = _write(tmp_path, {"sinks": {"credit": {"kind": "credit-xml", "url": "http://127.0.0.1:1"}}})
    assert main(["--config", path, "config", "check"]) == 78
    assert "sinks.credit.sender" in capsys.readouterr().err


def test_config_check_passes_a_good_configuration(tmp_path, env, capsys):
    path = _write(
        tmp_path,
        {
            "sinks": {"prov": _sink(codes=FULL_CODES, attempts=2)},
            "sources": {"samr": {"kind": "samr-rest", "url": "http://127.0.0.1:1"}},
        },
    )
    assert main(["--config", path, "config", "check"]) == 0
    assert "configuration ok: 1 source(s) samr; 1 sink(s) prov" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["serve", "--port", "{port}"], ["scheduler"], ["worker"]])
def test_processes_refuse_to_start_with_a_bad_sink_option(tmp_path, env, command):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = _write(tmp_path, {"sinks": {"prov": _sink(codes={"5": "E"})}})
    argv = [a.format(port=port) for a in command]
    proc_env = {**os.environ, **env, "HUB_BROKER_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "--config", path, *argv],
        env=proc_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 78, done.stderr
    assert "sinks.prov.codes" in done.stderr
    assert not Path(env["HUB_DATABASE_URL"].removeprefix("sqlite:///")).exists()  # never opened the database
    with socket.socket() as s, pytest.raises(OSError):  # and never listened
        s.connect(("127.0.0.1", port))


def test_enqueue_refuses_a_bad_sink_with_the_key_not_an_internal_error(make_settings, db):
    from hub.outbox.services import enqueue

    settings = make_settings({"sinks": {"prov": _sink(codes={"5": "E"})}})
    with pytest.raises(ConfigError, match="sinks.prov.codes"), db.unit_of_work() as s:
        enqueue(s, settings, "task", "task:JT-1", {"task_id": "JT-1"}, "JT-1")


def test_check_connectors_builds_every_connector_once(make_settings):
    settings = make_settings({"sinks": {"prov": _sink(codes=FULL_CODES)}})
    first = check_connectors(settings)
    assert set(first.sinks) == {"prov"} and check_connectors(settings) is first
