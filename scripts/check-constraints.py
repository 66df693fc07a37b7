"""Every package installed in this environment is pinned, at that version, in constraints.txt.

Run with the virtual environment's Python (`make lint` does). A dependency added to setup.cfg
but not pinned fails here with the command that pins it (`make constraints`).
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "joint-inspection-hub"
NOT_PINNED = {"pip", "setuptools", "wheel", PROJECT}  # pip freeze leaves these out too


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            sys.exit(f"{path.name}:{number}: {line!r} is not a NAME==VERSION pin")
        out[normalise(name)] = version.strip()
    return out


def main() -> int:
    pinned = pins(ROOT / "constraints.txt")
    problems = []
    for dist in distributions():
        name = normalise(dist.metadata["Name"])
        if name in NOT_PINNED:
            continue
        if name not in pinned:
            problems.append(f"{name}=={dist.version} is installed but not pinned")
        elif pinned[name] != dist.version:
            problems.append(f"{name} is {dist.version} here but pinned at {pinned[name]}")
    for p in sorted(problems):
        print(f"constraints.txt: {p}", file=sys.stderr)
    if problems:
        print("constraints.txt: run `make constraints` to pin what is installed", file=sys.stderr)
        return 1
    print(f"constraints.txt: all {len(pinned)} installed packages pinned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
