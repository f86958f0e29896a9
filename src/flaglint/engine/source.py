"""Decode Python source bytes the way Python does (BOM, PEP 263 cookie), with errors as Problems."""

from __future__ import annotations

import errno
import io
import itertools
import os
import re
import stat
import tokenize
from collections.abc import Sequence

from flaglint.model import Problem

# The line ends Python's tokenizer knows: what a span's line numbers count.
LINE_BREAK = re.compile(r"\r\n|\r|\n")


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


def source_encoding(text: str) -> str:
    """The encoding a module's text declares (PEP 263 cookie), to turn an editor's text back into
    the bytes the file would hold; UTF-8 when it declares none or one Python does not know.
    """
    head = "".join(text.splitlines(keepends=True)[:2]).encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
        "".encode(encoding)
    except (SyntaxError, LookupError):
        return "utf-8"
    return "utf-8" if encoding == "utf-8-sig" else encoding


DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024


class ReadError(OSError):
    """A file flaglint will not read: not a regular file, too large, or unreadable."""


def read_source(path: str | os.PathLike[str], limit: int = DEFAULT_MAX_FILE_SIZE) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    Never blocks and never reads without end: the file is opened non-blocking and checked with
    fstat before reading, so a FIFO, a socket or a device (a link to /dev/zero) is refused.
    """
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ReadError(exc.errno, f"cannot read: {exc.strerror}") from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise ReadError(errno.EINVAL, "not a regular file; skipped")
        if info.st_size > limit:
            raise ReadError(errno.EFBIG, f"larger than max-file-size ({info.st_size:,} > {limit:,} bytes); skipped")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(handle, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise ReadError(errno.EFBIG, f"larger than max-file-size ({limit:,} bytes); skipped")
        return data
    except ReadError:
        raise
    except OSError as exc:
        raise ReadError(exc.errno, f"cannot read: {exc.strerror}") from None
    finally:
        os.close(handle)


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)(?:i?[bB])?\s*")
_UNITS = {"": 1, "k": 1024, "m": 1 << 20}


def parse_size(value: object) -> int | None:
    """A size in bytes from an int or a string such as '2 MiB', '500kb', '1M'; None when invalid."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    found = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        return None
    size = int(float(found.group(1)) * _UNITS[found.group(2).lower()])
    return size if size > 0 else None


def next_token(tokens: Sequence[tokenize.TokenInfo], index: int) -> tokenize.TokenInfo | None:
    """The token after `tokens[index]`, line breaks inside brackets and comments skipped."""
    return next((t for t in itertools.islice(tokens, index + 1, None) if t.type not in _SKIPPED), None)


_SKIPPED = frozenset({tokenize.NL, tokenize.COMMENT})


_STATEMENT_START = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT})
_STATEMENT_END = frozenset({tokenize.NEWLINE, tokenize.ENDMARKER})


def prose_string(literal: str, previous: tokenize.TokenInfo | None, after: tokenize.TokenInfo | None) -> bool:
    """Whether a string token is words, not a name a program could look up: a docstring (a string
    that is a whole statement: `previous` and `after` are the tokens around it, line breaks inside
    brackets and comments skipped), or a plain literal with spaces in it ("Submitted to Akismet as
    spam"; `__all__`, `getattr` and `mock.patch` strings have none). An f-string is code, and so is
    a string whose method is called (`"a b".split()`)."""
    if (previous is None or previous.type in _STATEMENT_START) and (after is None or after.type in _STATEMENT_END):
        return True
    prefix = literal[: len(literal) - len(literal.lstrip("rRbBuUfF"))]
    if "f" in prefix.lower() or (after is not None and after.string == "."):
        return False
    return any(c.isspace() for c in literal[len(prefix) :])


def without_prose(text: str) -> str:
    """`text` with its comments and prose strings (`prose_string`: docstrings, sentences) blanked
    out, offsets and line breaks kept: what is left is what code can use. Unchanged when it does not
    tokenize.
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    starts = [0]
    for line in io.StringIO(text):
        starts.append(starts[-1] + len(line))
    spans = []
    previous: tokenize.TokenInfo | None = None
    for index, token in enumerate(tokens):
        prose = token.type == tokenize.COMMENT
        if token.type == tokenize.STRING:
            prose = prose_string(token.string, previous, next_token(tokens, index))
        if prose:
            spans.append((starts[token.start[0] - 1] + token.start[1], starts[token.end[0] - 1] + token.end[1]))
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)


def common_frame(old: str, new: str) -> tuple[int, int]:
    """(length of the common head, cut at a line start; length of the common tail)."""
    limit = min(len(old), len(new))
    low, high = 0, limit
    while low < high:  # the longest common prefix, by halves (slice compares run in C)
        mid = (low + high + 1) // 2
        if old[:mid] == new[:mid]:
            low = mid
        else:
            high = mid - 1
    start = old.rfind("\n", 0, low) + 1
    low, high = 0, limit - start
    while low < high:
        mid = (low + high + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            low = mid
        else:
            high = mid - 1
    cut = old.find("\n", len(old) - low)
    return start, (len(old) - cut if cut >= 0 else 0)
