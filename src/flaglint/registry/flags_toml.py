"""The local `flags.toml`: its parse, the source that reads it, and the edit that removes flags."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flaglint.engine.cachedir import claim, temp_file
from flaglint.engine.tomlpos import TomlIndex, error_line, error_message
from flaglint.model import FLAG_STATES, FLAG_TYPES, STAGES, Flag, FlagState, FlagType, Location, Problem, Snapshot
from flaglint.registry.sources import RegistryError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


_FIELDS = {
    "type",
    "owner",
    "created",
    "state",
    "value",
    "remove_by",
    "description",
    "stale",
    "stage",
    "stage_since",
    "changed",
    "last_seen",
}


def parse_flags_toml(text: str, path: str) -> tuple[list[Flag], list[Problem]]:
    """Flags from the text of a flags.toml; problems name the file and line of each bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [Problem(path, error_line(exc, text), 0, f"invalid TOML: {error_message(exc)}")]
    index = TomlIndex(text)
    flags: list[Flag] = []
    problems: list[Problem] = []
    table = data.get("flags", {})
    if not isinstance(table, dict):
        return [], [Problem(path, index.line("", "flags"), 0, "'flags' must be a table of [flags.<key>] tables")]
    for key in sorted(set(data) - {"flags"}):
        problems.append(Problem(path, index.line(key), 0, f"unknown table {key!r} (flags go under [flags.<key>])"))
    for key, entry in table.items():
        where = f"flags.{key}" if "." not in key else f'flags."{key}"'
        header = index.line(where)
        if not isinstance(entry, dict):
            problems.append(Problem(path, index.line("flags", key), 0, f"flag {key!r} must be a table"))
            continue
        found = _flag(key, entry, functools.partial(index.line, where), path, header)
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
    stage = entry.get("stage")
    if stage is not None and stage not in STAGES:
        bad("stage", f"unknown stage {stage!r} (one of {', '.join(STAGES)})")
    stage_since = _date(entry, "stage_since", bad)
    changed = _date(entry, "changed", bad)
    last_seen = _last_seen(entry.get("last_seen"), lambda message: bad("last_seen", message))
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
        source=path,
        lifecycle=stage,
        stage_since=stage_since,
        changed=changed,
        last_seen=last_seen,
    )


def _last_seen(raw: object, bad: Any) -> tuple[tuple[str, dt.datetime], ...]:
    """`last_seen = { production = 2026-11-20T09:30:00Z }`: when an SDK last evaluated the flag, per
    environment (a bare date counts as its midnight, UTC).
    """
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        bad("last_seen must be a table of environment = date-time")
        return ()
    found = []
    for env, at in sorted(raw.items()):
        if isinstance(at, dt.datetime):
            found.append((env, at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)))
        elif isinstance(at, dt.date):
            found.append((env, dt.datetime.combine(at, dt.time(), dt.timezone.utc)))
        else:
            bad(f"last_seen.{env} must be a date-time like 2026-11-20T09:30:00Z")
    return tuple(found)


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
    """The local registry file. With a cache folder, the flags parsed from a given content are kept
    there as JSON (a TOML parse of 100,000 flags takes seconds; reading them back, a fraction).
    """

    def __init__(self, path: Path, display: str | None = None, cache: Path | None = None) -> None:
        self.path = path
        self.name = display or str(path)
        self.cache = cache

    def load(self) -> Snapshot:
        try:
            data = self.path.read_bytes()
            text = data.decode("utf-8")
        except FileNotFoundError:
            raise RegistryError([Problem(self.name, 1, 0, "registry file not found")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RegistryError([Problem(self.name, 1, 0, f"cannot read registry: {exc}")]) from None
        stored = self._stored(data)
        if stored is not None:
            return Snapshot(stored, source=self.name)
        flags, problems = parse_flags_toml(text, self.name)
        if problems:
            raise RegistryError(problems)
        self._store(data, flags)
        return Snapshot(tuple(flags), source=self.name)

    def _file(self, data: bytes) -> Path | None:
        if self.cache is None:
            return None
        digest = hashlib.blake2b(data + self.name.encode(), digest_size=8).hexdigest()
        return self.cache / f"flags-{digest}.json"

    def _stored(self, data: bytes) -> tuple[Flag, ...] | None:
        file = self._file(data)
        try:
            raw = json.loads(file.read_bytes()) if file is not None else None
            if not isinstance(raw, dict) or raw.get("format") != _ROWS_FORMAT:
                return None
            days = _Days()
            return tuple([_from_row(row, self.name, days) for row in raw["flags"]])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _store(self, data: bytes, flags: Sequence[Flag]) -> None:
        file = self._file(data)
        if file is None or not claim(file.parent):
            return
        try:
            handle, temp = temp_file(file.parent, ".flags-", ".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    rows = [_to_row(f) for f in flags]
                    json.dump({"format": _ROWS_FORMAT, "flags": rows}, out, separators=(",", ":"))
                os.replace(temp, file)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            for old in file.parent.glob("flags-*.json"):
                if old != file and _OWN_FLAGS_FILE.fullmatch(old.name):
                    old.unlink(missing_ok=True)
        except OSError:
            return  # only costs the parse next time

    def __repr__(self) -> str:
        return f"FlagsToml({self.name!r})"


_OWN_FLAGS_FILE = re.compile(r"flags-[0-9a-f]{16}\.json")
# One JSON array per flag, fields by position (a third of the size of objects, and faster to read).
_ROWS_FORMAT = "flags.toml rows 1"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _to_row(flag: Flag) -> list[Any]:
    seen = [[env, at.isoformat()] for env, at in flag.last_seen] or None
    line = flag.location.line if flag.location else 0
    return [flag.key, flag.type.value, flag.state.value, flag.value, flag.owner, _iso(flag.created),
            _iso(flag.remove_by), flag.description, flag.stale, line, flag.lifecycle, _iso(flag.stage_since),
            _iso(flag.changed), seen]  # fmt: skip


class _Days(dict[object, "dt.date | None"]):
    """Dates by their ISO text, parsed once each (a registry's dates repeat); no date for null or ""."""

    def __missing__(self, text: object) -> dt.date | None:
        day = dt.date.fromisoformat(text) if text else None  # type: ignore[arg-type]
        self[text] = day
        return day


def _from_row(row: list[Any], path: str, days: _Days) -> Flag:
    """A flag from its cache row; TypeError, ValueError or KeyError when the row is not one flaglint wrote."""
    key, kind, state, value, owner, created, remove_by, description, stale, line, stage, since, changed, seen = row
    if type(key) is not str or type(line) is not int or type(stale) is not bool:
        raise TypeError("not a flag row")
    if (value is not None and type(value) is not str) or type(description) is not str:
        raise TypeError("not a flag row")
    last_seen = tuple((env, dt.datetime.fromisoformat(at)) for env, at in seen) if seen else ()
    where = Location(path, line)
    return Flag(
        key,
        FLAG_TYPES[kind],
        FLAG_STATES[state],
        value,
        owner,
        days[created],
        days[remove_by],
        description,
        stale,
        where,
        False,
        stage,
        path,
        (),
        None,
        days[since],
        days[changed],
        last_seen,
    )


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
