"""`make run PORT=...` / `hub demo --port`: the demo serves on the port asked for, and the one line it
prints is all a shell needs to use `hub` against it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.support import free_port, stop, wait_for_http

pytestmark = pytest.mark.slow
HUB = str(Path(sys.executable).with_name("hub"))


def test_demo_serves_on_the_chosen_port_and_prints_a_line_for_the_command_line(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    with open(log, "w") as out:
        demo = subprocess.Popen(
            [HUB, "demo", "--port", str(port), "--entities", "300"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        status, _ = wait_for_http(f"http://127.0.0.1:{port}/public/", demo, timeout=300)
        assert status == 200
        printed = log.read_text(encoding="utf-8")
        assert f"http://127.0.0.1:{port}/" in printed
        (line,) = re.findall(r"paste\s+(\. \S+)", printed)
        # a shell that knows nothing of the demo, in another folder, with only that line
        shell = subprocess.run(
            ["bash", "-c", f"{line} && hub export results --format csv && hub audit verify"],
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert shell.returncode == 0, shell.stderr
        rows = shell.stdout.splitlines()
        assert rows[0].startswith("result_id,") and len(rows) > 2
        assert "audit chain intact" in rows[-1]
        assert (tmp_path / "var" / "demo" / "hub.env").stat().st_mode & 0o077 == 0  # holds a secret
    finally:
        stop(demo)
    assert demo.returncode is not None
