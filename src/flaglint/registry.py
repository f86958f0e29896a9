"""Flag registries. A source turns into a Snapshot of Flag records; the policy never sees more.

Built in: the local `flags.toml`. Other sources (servers, exports) implement `RegistrySource`.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from flaglint.model import Flag, FlagState, FlagType, Location, Problem, Snapshot
from flaglint.tomlpos import error_line, error_message, locate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class RegistryError(Exception):
    """The registry cannot be read or holds invalid entries; carries one Problem per entry."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class RegistrySource(Protocol):
    name: str

    def load(self) -> Snapshot:
        """Every flag the source knows; raises RegistryError on bad input."""
        ...


_FIELDS = {"type", "owner", "created", "state", "value", "remove_by", "description", "stale"}


def parse_flags_toml(text: str, path: str) -> tuple[list[Flag], list[Problem]]:
    """Flags from the text of a flags.toml; problems name the file and line of each bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [Problem(path, error_line(exc), 0, f"invalid TOML: {error_message(exc)}")]
    flags: list[Flag] = []
    problems: list[Problem] = []
    table = data.get("flags", {})
    if not isinstance(table, dict):
        return [], [Problem(path, locate(text, "", "flags"), 0, "'flags' must be a table of [flags.<key>] tables")]
    for key in sorted(set(data) - {"flags"}):
        problems.append(Problem(path, locate(text, key), 0, f"unknown table {key!r} (flags go under [flags.<key>])"))
    for key, entry in table.items():
        where = f"flags.{key}" if "." not in key else f'flags."{key}"'
        header = locate(text, where)
        if not isinstance(entry, dict):
            problems.append(Problem(path, locate(text, "flags", key), 0, f"flag {key!r} must be a table"))
            continue
        found = _flag(key, entry, functools.partial(locate, text, where), path, header)
        if isinstance(found, Flag):
            flags.append(found)
        else:
            problems.extend(found)
    return flags, problems


def _flag(key: str, entry: Mapping[str, Any], line_of: Any, path: str, header: int) -> Flag | list[Problem]:
    problems: list[Problem] = []

    def bad(field: str | None, message: str) -> None:
        problems.append(Problem(path, line_of(field) if field else header, 0, f"flag {key!r}: {message}"))

    for field in sorted(set(entry) - _FIELDS):
        bad(field, f"unknown field {field!r} (known: {', '.join(sorted(_FIELDS))})")
    flag_type = FlagType.RELEASE
    if "type" in entry:
        try:
            flag_type = FlagType(entry["type"])
        except ValueError:
            bad("type", f"unknown type {entry['type']!r} (one of {', '.join(t.value for t in FlagType)})")
    state = FlagState.ACTIVE
    if "state" in entry:
        try:
            state = FlagState(entry["state"])
        except ValueError:
            bad("state", f"unknown state {entry['state']!r} (one of {', '.join(s.value for s in FlagState)})")
    created = _date(entry, "created", bad)
    remove_by = _date(entry, "remove_by", bad)
    value = None
    if "value" in entry:
        raw = entry["value"]
        if isinstance(raw, (dt.date, dt.time)):
            bad("value", "value must be a boolean, string, number, array or table")
        else:
            value = repr(raw)
    elif state is FlagState.ROLLED_OUT:
        bad(None, "a rolled-out flag needs `value`, what the code should assume once the check is removed")
    for field in ("owner", "description"):
        if field in entry and not isinstance(entry[field], str):
            bad(field, f"{field} must be a string")
    stale = entry.get("stale", False)
    if not isinstance(stale, bool):
        bad("stale", "stale must be true or false")
    if problems:
        return problems
    return Flag(
        key=key,
        type=flag_type,
        state=state,
        value=value,
        owner=entry.get("owner"),
        created=created,
        remove_by=remove_by,
        description=entry.get("description", ""),
        stale=stale,
        location=Location(path, header),
    )


def _date(entry: Mapping[str, Any], field: str, bad: Any) -> dt.date | None:
    raw = entry.get(field)
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    bad(field, f"{field} must be a date like 2026-01-31, not {raw!r}")
    return None


class FlagsToml:
    """The local registry file."""

    def __init__(self, path: Path, display: str | None = None) -> None:
        self.path = path
        self.name = display or str(path)

    def load(self) -> Snapshot:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RegistryError([Problem(self.name, 1, 0, "registry file not found")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RegistryError([Problem(self.name, 1, 0, f"cannot read registry: {exc}")]) from None
        flags, problems = parse_flags_toml(text, self.name)
        if problems:
            raise RegistryError(problems)
        return Snapshot(tuple(flags), source=self.name)


def remove_flags(text: str, keys: set[str]) -> str:
    """flags.toml text without the tables of `keys`; every other line, comment and format stays."""
    import tomlkit

    document = tomlkit.parse(text)
    flags = document.get("flags")
    if flags is None:
        return text
    for key in keys:
        if key in flags:
            del flags[key]
    return tomlkit.dumps(document)
