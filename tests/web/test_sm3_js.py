"""The browser's SM3 (hub/web/static/sm3.js) against the GB/T 32905 vectors, Python's hashlib.new("sm3")
and the JDP-2 SM3 vectors' commitments, run in node (the Playwright walk runs it in Chromium)."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from pathlib import Path

from tests.draw.vectors import VECTORS

SM3_JS = Path(__file__).resolve().parents[2] / "hub" / "web" / "static" / "sm3.js"
NODE = shutil.which("node") or shutil.which("nodejs")

RUNNER = """
const sm3 = require(process.argv[1]);
const inputs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(inputs.map(h => sm3.hex(Uint8Array.from(Buffer.from(h, 'hex'))))));
"""


def sm3_in_js(messages: list[bytes]) -> list[str]:
    assert NODE is not None, "these tests run sm3.js in node: apt-get install nodejs"
    done = subprocess.run(
        [NODE, "-e", RUNNER, str(SM3_JS)],
        input=json.dumps([m.hex() for m in messages]),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_the_standards_two_examples():
    assert sm3_in_js([b"abc", b"abcd" * 16]) == [
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
    ]


def test_it_agrees_with_python_on_every_padding_boundary_and_random_text():
    rng = random.Random(32905)
    messages = [bytes(rng.randrange(256) for _ in range(n)) for n in (*range(0, 130), 1000, 4096)]
    messages.append("2026年学校卫生 JDP-2 commit\n".encode())
    assert sm3_in_js(messages) == [hashlib.new("sm3", m).hexdigest() for m in messages]


def test_it_reproduces_the_jdp2_sm3_vectors_commitments():
    record = json.loads((VECTORS / "v2-public-sm3.record.json").read_text(encoding="utf-8"))
    reveals = dict(line.split("=", 1) for line in (VECTORS / "v2-public-sm3.reveals").read_text().splitlines() if line)
    parties = sorted(reveals)
    got = sm3_in_js([f"JDP-2 commit\n{p}={reveals[p]}".encode() for p in parties])
    assert got == [record["commitments"][p] for p in parties]
