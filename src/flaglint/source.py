"""Decode Python source bytes the way Python does (BOM, PEP 263 cookie), with errors as Problems."""

from __future__ import annotations

import io
import tokenize

from flaglint.model import Problem


def decode(path: str, data: bytes) -> str | Problem:
    found = decode_with_encoding(path, data)
    return found if isinstance(found, Problem) else found[0]


def decode_with_encoding(path: str, data: bytes) -> tuple[str, str] | Problem:
    """The text and the encoding to write it back with ('utf-8-sig' keeps a BOM)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return Problem(path, exc.lineno or 1, 0, f"cannot decode: {exc.msg}")
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Problem(path, line, column, f"cannot decode as {encoding}: invalid byte {data[exc.start]:#04x}")
    except LookupError:
        return Problem(path, 1, 0, f"unknown encoding {encoding!r}")
