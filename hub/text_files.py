"""Text files people hand the hub (results CSV, item lists): which encodings are accepted (pure)."""

from __future__ import annotations

import codecs
from pathlib import Path


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030; ValueError for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("UTF-16 is not supported: save the file as UTF-8 or GB18030")
    if b"\x00" in data:
        raise ValueError("contains NUL bytes: not a text CSV (UTF-16 or a spreadsheet file?)")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValueError(f"neither UTF-8 nor GB18030 (bad byte at offset {exc.start})") from None


def detect_encoding(path: Path | str, chunk: int = 1 << 20) -> str:
    """The codec ``decode`` would pick for the file, found reading it in pieces (never whole in memory)."""
    with open(path, "rb") as fh:
        head = fh.read(3)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ValueError("UTF-16 is not supported: save the file as UTF-8 or GB18030")
        bom = head == b"\xef\xbb\xbf"
        for codec in ("utf-8", "gb18030"):
            decoder = codecs.getincrementaldecoder(codec)()
            fh.seek(3 if bom else 0)
            offset = fh.tell()
            try:
                while data := fh.read(chunk):
                    if b"\x00" in data:
                        raise ValueError("contains NUL bytes: not a text CSV (UTF-16 or a spreadsheet file?)")
                    decoder.decode(data)
                    offset += len(data)
                decoder.decode(b"", final=True)
                return "utf-8-sig" if bom or codec == "utf-8" else codec
            except UnicodeDecodeError as exc:
                if bom or codec == "gb18030":
                    raise ValueError(f"neither UTF-8 nor GB18030 (bad byte at offset {offset + exc.start})") from None
    raise AssertionError("unreachable")
