"""The scan cache under `.flaglint_cache/`: per-file results keyed by content hash.

An entry is reused when the file's mtime and size match (no read at all), or else when its
content hash matches. The file is written atomically; a broken or foreign cache is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flaglint.engine.cachedir import claim, write_json
from flaglint.model import FileScan, FlagRef, KeySource, ModuleDefs, Problem, RefKind, Span

_FORMAT = 4  # 3: a row whose `match` refuses a call gives way to the next; 4: pytest-django's settings
_OWN_FILE = re.compile(r"scan-[0-9a-f]{16}\.json")


@dataclass
class Entry:
    mtime_ns: int
    size: int
    digest: str
    module: str
    scan: FileScan | None  # None: not scanned, see `skipped`
    defs: ModuleDefs | None = None  # definitions only, for a module another file takes keys from
    skipped: bool = False  # the prefilter showed there is nothing to scan

    @property
    def settled(self) -> bool:
        """Whether the entry answers a scan of the file (not only a look-up of its definitions)."""
        return self.scan is not None or self.skipped


class ScanCache:
    def __init__(self, folder: Path | None, fingerprint: str) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        self.entries: dict[str, Entry] = {}
        self.dirty = False
        self.written_ns = 0  # when the loaded cache file was written
        if folder is not None:
            self._load()

    @property
    def _file(self) -> Path:
        assert self.folder is not None
        return self.folder / f"scan-{self.fingerprint}.json"

    def _load(self) -> None:
        try:
            written = self._file.stat().st_mtime_ns
            raw = json.loads(self._file.read_text(encoding="utf-8"))
            if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
                return
            self.entries = {path: _entry_from_json(path, item) for path, item in raw["files"].items()}
            self.written_ns = written
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.entries = {}

    def trusts_stat(self, entry: Entry) -> bool:
        """Whether an entry's mtime and size alone prove the file unchanged. A file modified within
        two seconds of the cache write may have changed again in the same timestamp tick (as git's
        racy-clean rule has it): its content hash decides instead.
        """
        return entry.mtime_ns < self.written_ns - 2_000_000_000

    def detached(self) -> ScanCache:
        """A copy of the entries that is never saved: for work on another thread."""
        other = ScanCache(None, self.fingerprint)
        other.entries = dict(self.entries)
        other.written_ns = self.written_ns
        return other

    def get(self, path: str) -> Entry | None:
        return self.entries.get(path)

    def put(self, path: str, entry: Entry) -> None:
        self.entries[path] = entry
        self.dirty = True

    def save(self) -> None:
        if self.folder is None or not self.dirty:
            return
        if not claim(self.folder):
            return  # a folder flaglint did not make: nothing is written or deleted there
        try:
            payload = {"format": _FORMAT, "files": {p: _entry_to_json(e) for p, e in self.entries.items()}}
            write_json(self._file, payload, "scan")
            for stale in self.folder.glob("scan-*.json"):
                if stale != self._file and _OWN_FILE.match(stale.name):
                    stale.unlink(missing_ok=True)
        except OSError:
            return  # a cache that cannot be written only costs speed next time
        self.dirty = False


def ref_fields(ref: FlagRef) -> list[Any]:
    """A reference without its path as a flat list of plain values (the scan cache's and the
    fleet store's row); `ref_from_fields` reads it back."""
    s = ref.span
    return [
        s.line,
        s.column,
        s.end_line,
        s.end_column,
        ref.key,
        ref.key_source.value,
        ref.key_text,
        ref.pattern,
        ref.sdk,
        ref.kind.value,
        ref.default,
        ref.pinned,
        ref.key_symbol,
        sorted(ref.suppressed),
    ]


def ref_from_fields(path: str, item: Sequence[Any]) -> FlagRef:
    line, col, end_line, end_col, key, source, text, pattern, sdk, kind, default, pinned, symbol, sup = item
    if not all(type(v) is int for v in (line, col, end_line, end_col)) or not isinstance(text, str):
        raise TypeError("cache entry of the wrong shape")
    return FlagRef(
        path=path,
        span=Span(line, col, end_line, end_col),
        key=key,
        key_source=KeySource(source),
        key_text=text,
        pattern=pattern,
        sdk=sdk,
        kind=RefKind(kind),
        default=default,
        pinned=pinned,
        key_symbol=symbol,
        suppressed=frozenset(sup),
    )


def _defs_to_json(defs: ModuleDefs) -> dict[str, Any]:
    return {"v": defs.values, "e": sorted(defs.enum_members), "a": defs.aliases, "o": defs.objects}


def _defs_from_json(item: dict[str, Any]) -> ModuleDefs:
    return ModuleDefs(
        tuple((a, b) for a, b in item["v"]),
        frozenset(item["e"]),
        tuple((a, b) for a, b in item["a"]),
        tuple((a, b) for a, b in item["o"]),
    )


def _entry_to_json(entry: Entry) -> dict[str, Any]:
    out: dict[str, Any] = {"m": entry.mtime_ns, "s": entry.size, "h": entry.digest, "mod": entry.module}
    if entry.scan is not None:
        out["refs"] = [ref_fields(r) for r in entry.scan.refs]
        out["p"] = [[p.line, p.column, p.message] for p in entry.scan.problems]
        out["d"] = _defs_to_json(entry.scan.defs)
        if entry.scan.layout:
            out["l"] = [list(row) for row in entry.scan.layout]
    elif entry.defs is not None:
        out["d"] = _defs_to_json(entry.defs)
    if entry.skipped:
        out["k"] = 1
    return out


def _entry_from_json(path: str, item: dict[str, Any]) -> Entry:
    """An entry from the cache file; TypeError when a field has the wrong type (a foreign file)."""
    fields = (item["m"], item["s"], item["h"], item["mod"])
    if not all(isinstance(v, t) for v, t in zip(fields, (int, int, str, str), strict=True)):
        raise TypeError("cache entry of the wrong shape")
    scan = None
    defs = _defs_from_json(item["d"]) if "d" in item else None
    if "refs" in item:
        scan = FileScan(
            tuple(ref_from_fields(path, r) for r in item["refs"]),
            defs or ModuleDefs(),
            tuple(Problem(path, line, col, msg) for line, col, msg in item["p"]),
            tuple((first, last) for first, last in item.get("l", ())),
        )
    return Entry(item["m"], item["s"], item["h"], item["mod"], scan, defs if scan is None else None, "k" in item)
