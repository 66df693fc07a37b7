"""Every relative link in README.md and docs/ points at a file or folder inside the repository.

Checks Markdown inline links ``[text](target)``, images and reference definitions
``[name]: target``; web addresses (http, https, mailto) are left alone. A path in inline code
that climbs out of the repository (```../shared/spec/product.md```) counts as a link too: a
clone has nothing there. Prints one line per
broken link (file:line: target) and exits 1 when there is any.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INLINE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
CODE_SPAN = re.compile(r"`(\.\./[^`\s]+)`")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def documents(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def links(text: str) -> Iterator[tuple[int, str]]:
    """(line number, target) of every link outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        for match in CODE_SPAN.finditer(line):
            yield number, match.group(1)
        line = re.sub(r"`[^`]*`", "", line)  # other inline code is not a link
        for match in INLINE.finditer(line):
            yield number, match.group(1)
        ref = REFERENCE.match(line)
        if ref:
            yield number, ref.group(1)


def problem(doc: Path, target: str, root: Path) -> str | None:
    if EXTERNAL.match(target) or target.startswith("#"):
        return None
    path = target.split("#", 1)[0].split("?", 1)[0]
    resolved = (root / path.lstrip("/")) if path.startswith("/") else (doc.parent / path)
    resolved = resolved.resolve()
    if not resolved.is_relative_to(root):
        return "points outside the repository"
    if not resolved.exists():
        return "no such file"
    return None


def check(root: Path) -> list[str]:
    out = []
    for doc in documents(root):
        if not doc.exists():
            out.append(f"{doc.relative_to(root)}: missing")
            continue
        for number, target in links(doc.read_text(encoding="utf-8")):
            why = problem(doc, target, root)
            if why:
                out.append(f"{doc.relative_to(root)}:{number}: {target}: {why}")
    return out


def main() -> int:
    problems = check(ROOT)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"links: {len(documents(ROOT))} documents, every relative link resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
