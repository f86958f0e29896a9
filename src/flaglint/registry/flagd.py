"""flagd / OpenFeature flag definition files (`flags.json`) as a flag registry.

A flag without targeting always evaluates to its default variant, so its value is known; a
DISABLED flag is off (evaluation falls back to the code's default); with targeting it is live.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flaglint.model import STAGES, Flag, FlagState, FlagType, Snapshot
from flaglint.registry.sources import SourceError, day, moment, read_json


def map_flagd(key: str, spec: Mapping[str, Any], source: str) -> Flag:
    variants = spec.get("variants") or {}
    default = spec.get("defaultVariant")
    targeted = bool(spec.get("targeting"))
    value = None
    if spec.get("state") == "DISABLED":
        state = FlagState.OFF
    elif targeted or default not in variants:
        state = FlagState.ACTIVE
    else:
        fixed = variants[default]
        value = repr(fixed)
        state = FlagState.OFF if fixed is False else FlagState.ROLLED_OUT
    found = spec.get("metadata")
    metadata: dict[str, Any] = found if isinstance(found, dict) else {}
    stage = metadata.get("stage") if metadata.get("stage") in STAGES else None
    seen = moment(metadata.get("lastSeen"))
    return Flag(
        key=key,
        type=FlagType.RELEASE,
        state=state,
        value=value,
        description=str(metadata.get("description", "")),
        source=source,
        lifecycle=stage,
        stage_since=day(metadata.get("stageSince")),
        changed=day(metadata.get("changed")),
        last_seen=(("production", seen),) if seen else (),  # the file is what production serves
    )


def flags_from_flagd(data: Mapping[str, Any], source: str) -> list[Flag]:
    flags = data.get("flags")
    if not isinstance(flags, dict):
        raise SourceError(f"{source}: not a flagd definition file (no 'flags' object)")
    return [map_flagd(str(key), spec, source) for key, spec in sorted(flags.items()) if isinstance(spec, dict)]


class FlagdFile:
    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.name = display

    def load(self) -> Snapshot:
        data = read_json(self.path, self.name, "flagd definition file")
        return Snapshot(tuple(flags_from_flagd(data, self.name)), source=self.name)
