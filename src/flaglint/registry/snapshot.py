"""The stored registry snapshot (`.flaglint_cache/registry.json`): flags per source, with the
time each source was fetched, so commands can work while a flag server is away.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flaglint.engine import jsontext
from flaglint.engine.cachedir import claim, temp_file
from flaglint.model import FLAG_STATES, FLAG_TYPES, Flag, Location, Snapshot

FORMAT = 1


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def flag_to_json(flag: Flag) -> dict[str, Any]:
    return {
        "key": flag.key,
        "type": flag.type.value,
        "state": flag.state.value,
        "value": flag.value,
        "owner": flag.owner,
        "created": _date(flag.created),
        "remove_by": _date(flag.remove_by),
        "description": flag.description,
        "stale": flag.stale,
        "potentially_stale": flag.potentially_stale,
        "lifecycle": flag.lifecycle,
        "source": flag.source,
        "environments": [list(pair) for pair in flag.environments],
        "in_code_since": _date(flag.in_code_since),
        "location": [flag.location.path, flag.location.line] if flag.location else None,
        "stage_since": _date(flag.stage_since),
        "changed": _date(flag.changed),
        "last_seen": [[env, at.isoformat()] for env, at in flag.last_seen],
    }


def flag_from_json(item: Mapping[str, Any]) -> Flag:
    def day(name: str) -> dt.date | None:
        return dt.date.fromisoformat(item[name]) if item.get(name) else None

    location = item.get("location")
    return Flag(
        key=item["key"],
        type=FLAG_TYPES[item["type"]],
        state=FLAG_STATES[item["state"]],
        value=item.get("value"),
        owner=item.get("owner"),
        created=day("created"),
        remove_by=day("remove_by"),
        description=item.get("description", ""),
        stale=bool(item.get("stale")),
        potentially_stale=bool(item.get("potentially_stale")),
        lifecycle=item.get("lifecycle"),
        source=item.get("source", ""),
        environments=tuple((a, b) for a, b in item.get("environments", [])),
        in_code_since=day("in_code_since"),
        location=Location(location[0], location[1]) if location else None,
        stage_since=day("stage_since"),
        changed=day("changed"),
        last_seen=tuple((env, dt.datetime.fromisoformat(at)) for env, at in item.get("last_seen", [])),
    )


def save(path: Path, snapshots: Mapping[str, Snapshot]) -> None:
    """Write every source's snapshot in one atomic step."""
    payload = {
        "format": FORMAT,
        "sources": {
            name: {
                "fetched_at": snap.fetched_at.isoformat() if snap.fetched_at else None,
                "flags": [flag_to_json(f) for f in snap.flags],
            }
            for name, snap in snapshots.items()
        },
    }
    if not claim(path.parent):
        raise OSError(errno.EEXIST, "the folder holds files flaglint did not make", str(path.parent))
    handle, temp = temp_file(path.parent, ".registry-", ".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(jsontext.dumps(payload))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load(path: Path) -> dict[str, Snapshot]:
    """The stored snapshots by source name; empty when there is no usable file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            return {}
        out = {}
        for name, item in raw["sources"].items():
            fetched = dt.datetime.fromisoformat(item["fetched_at"]) if item.get("fetched_at") else None
            out[name] = Snapshot(tuple(flag_from_json(f) for f in item["flags"]), source=name, fetched_at=fetched)
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
