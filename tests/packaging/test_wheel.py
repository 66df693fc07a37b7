"""The wheel stands on its own: built from a clean copy of the repository, installed into a fresh
virtual environment outside it, it migrates a database, serves a request and verifies a draw."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import hub
from tests.packaging.support import ROOT, free_port, source_files, stop, wait_for_http

pytestmark = pytest.mark.slow

# What setuptools says when a folder of data is left out or a setting is deprecated.
SETUPTOOLS_WARNING = re.compile(r"Warning\b|would be ignored|^\s*!!\s*$", re.MULTILINE)
VECTOR = ROOT / "tests" / "draw" / "vectors" / "v-public"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what a fresh clone holds: nothing built, nothing local."""
    dest = tmp_path_factory.mktemp("clone") / "hub"
    for name in source_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def build(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(clone), "--no-deps", "-v", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    (wheel,) = out.glob("joint_inspection_hub-*.whl")
    return wheel, log


@pytest.fixture(scope="module")
def venv(build: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment (outside the repository) with the wheel and its pinned dependencies."""
    where = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    proc = subprocess.run(
        [
            str(where / "bin" / "pip"),
            "install",
            "-q",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            str(build[0]),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return where


@pytest.fixture
def run_env(venv: Path, tmp_path: Path) -> dict[str, str]:
    """An environment that knows nothing of the repository or the development venv."""
    return {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "HUB_DATA_DIR": str(tmp_path / "data"),
    }


def hub_cmd(venv: Path, *args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / "hub"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_wheel_builds_without_setuptools_warnings(build: tuple[Path, str]) -> None:
    _, log = build
    warnings = [
        line.strip() for line in log.splitlines() if SETUPTOOLS_WARNING.search(line) and "Location 'file://" not in line
    ]  # pip's notes about this machine's extra indexes
    assert warnings == []


def test_wheel_holds_every_file_of_the_packages(build: tuple[Path, str]) -> None:
    """Migrations, templates, static files and schemas included: every tracked file under hub/ and connectors/."""
    wheel, _ = build
    with zipfile.ZipFile(wheel) as zf:
        shipped = set(zf.namelist())
    expected = {name for name in source_files() if name.startswith(("hub/", "connectors/", "vocabulary/"))}
    assert expected - shipped == set()
    assert "hub/migrations/env.py" in shipped and "connectors/schemas/edu-school.xsd" in shipped


def test_installed_hub_runs_outside_the_repository(venv: Path, run_env: dict[str, str], tmp_path: Path) -> None:
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import hub, connectors.schemas as s; print(hub.__file__); print(s.SCHEMA_DIR)",
        ],
        env=run_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where

    version = hub_cmd(venv, "--version", env=run_env, cwd=tmp_path)
    assert (version.returncode, version.stdout.strip()) == (0, f"hub {hub.__version__}")

    upgraded = hub_cmd(venv, "db", "upgrade", env=run_env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "data" / "hub.db").exists()

    schemas = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import connectors.credit_xml, connectors.provincial_rest; "
            "from connectors.edu_xml import school_schema; school_schema(); "
            "from hub.rosters.validate import validate_entity",
        ],
        env=run_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert schemas.returncode == 0, schemas.stderr

    port = free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "hub"), "serve", "--port", str(port), "--workers", "1"],
        env=run_env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        status, body = wait_for_http(f"http://127.0.0.1:{port}/api/v1/openapi.json", server)
        assert status == 200 and json.loads(body)["openapi"]
        status, page = wait_for_http(f"http://127.0.0.1:{port}/public/", server)
        assert status == 200 and b"<html" in page.lower()  # a template from the wheel
        status, _ = wait_for_http(f"http://127.0.0.1:{port}/static/hub.css", server)
        assert status == 200
    finally:
        stop(server)

    for suffix in ("record.json", "roster.tsv", "pool.tsv"):
        shutil.copy(f"{VECTOR}.{suffix}", tmp_path / f"v.{suffix}")
    verified = hub_cmd(
        venv, "verify", "v.record.json", "--roster", "v.roster.tsv", "--pool", "v.pool.tsv", env=run_env, cwd=tmp_path
    )
    assert verified.returncode == 0, verified.stderr
    assert "verifies" in verified.stdout


def test_a_tampered_vector_fails_verification_in_the_installed_hub(
    venv: Path, run_env: dict[str, str], tmp_path: Path
) -> None:
    """The verification above can fail: one changed roster byte and the installed hub says no."""
    shutil.copy(f"{VECTOR}.record.json", tmp_path / "v.record.json")
    shutil.copy(f"{VECTOR}.pool.tsv", tmp_path / "v.pool.tsv")
    roster = Path(f"{VECTOR}.roster.tsv").read_bytes()
    (tmp_path / "v.roster.tsv").write_bytes(roster.replace(b"|hotel\t2\t", b"|hotel\t3\t", 1))
    assert (tmp_path / "v.roster.tsv").read_bytes() != roster
    verified = hub_cmd(
        venv, "verify", "v.record.json", "--roster", "v.roster.tsv", "--pool", "v.pool.tsv", env=run_env, cwd=tmp_path
    )
    assert verified.returncode != 0
    assert "roster_digest" in verified.stderr
    assert verified.stderr.splitlines()[-1].startswith("hub: the record does not verify")
