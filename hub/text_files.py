"""Text files people hand the hub (results CSV, item lists): which encodings are accepted (pure)."""
from __future__ import annotations


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030; ValueError for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("UTF-16 is not supported: save the file as UTF-8 or GB18030")
    if b"\x00" in data:
        raise ValueError(
            "contains NUL bytes: not a text CSV (UTF-16 or a spreadsheet file?)"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"neither UTF-8 nor GB18030 (bad byte at offset {exc.start})"
        ) from None
