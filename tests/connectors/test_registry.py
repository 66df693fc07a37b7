"""The source registry, the canonical record shape, and the sandboxes' command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.base import ConnectorSettings, FatalError
from connectors.csv_drop import CsvDropSource
from connectors.edu_xml import EduXmlSource
from connectors.inspectors_rest import InspectorsRestSource
from connectors.registry import SOURCE_KINDS, make_source
from connectors.samr_rest import SamrRestSource
from connectors.sandboxes.__main__ import start_sources

ENTITY_FIELDS = {
    "uscc",
    "scheme_id",
    "name",
    "entity_type",
    "legal_rep",
    "phone",
    "address",
    "district",
    "industry",
    "status",
    "established",
    "updated_at",
    "abnormal_list",
    "serious_violation",
    "credit_class",
    "categories",
    "attributes",
}
ROOT = Path(__file__).resolve().parents[2]


def test_every_kind_makes_its_source() -> None:
    expected = {
        "samr-rest": SamrRestSource,
        "edu-xml": EduXmlSource,
        "csv-drop": CsvDropSource,
        "inspectors-rest": InspectorsRestSource,
    }
    assert SOURCE_KINDS == expected
    for kind, cls in expected.items():
        source = make_source(ConnectorSettings(name="x", kind=kind, url="http://127.0.0.1:1"))
        assert type(source) is cls and source.kind == kind


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(FatalError, match="unknown source kind 'ftp'"):
        make_source(ConnectorSettings(name="x", kind="ftp", url="ftp://x"))


def test_every_entity_source_yields_the_canonical_fields(tmp_path: Path, source_for, credentials) -> None:
    servers = start_sources(*credentials, entities=50, schools=20, drop_dir=tmp_path, drop_files=1)
    try:
        firsts = [
            next(iter(source_for("samr-rest", servers["samr"]).batches({}))).records[0],
            next(iter(source_for("edu-xml", servers["edu"].url + "/feeds/schools.xml").batches({}))).records[0],
            next(iter(source_for("csv-drop", tmp_path.as_uri()).batches({}))).records[0],
        ]
        [inspectors] = list(source_for("inspectors-rest", servers["inspectors"]).batches({}))
    finally:
        for server in servers.values():
            server.stop()
    assert [set(r.fields) for r in firsts] == [ENTITY_FIELDS] * 3
    assert len(inspectors.records) == 130


def test_command_line_serves_until_interrupted(tmp_path: Path) -> None:
    env = dict(os.environ, SANDBOX_TEST_SECRET="s3")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connectors.sandboxes",
            "--samr-port",
            "0",
            "--edu-port",
            "0",
            "--inspectors-port",
            "0",
            "--csv-port",
            "0",
            "--drop-dir",
            str(tmp_path),
            "--entities",
            "100",
            "--secret-env",
            "SANDBOX_TEST_SECRET",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not lines or not lines[-1].startswith("Ctrl-C"):
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, proc.stderr.read()  # type: ignore[union-attr]
            lines.append(line)
        names = [line.split()[0] for line in lines if "http://127.0.0.1:" in line]
        assert names == ["samr", "edu", "inspectors", "csv-drop"]
        assert list(tmp_path.glob("*.csv"))
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_command_line_needs_the_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SANDBOX_TEST_SECRET"}
    done = subprocess.run(
        [sys.executable, "-m", "connectors.sandboxes", "--secret-env", "SANDBOX_TEST_SECRET"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2 and "SANDBOX_TEST_SECRET" in done.stderr
