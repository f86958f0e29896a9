"""What every registry source shares, below all of them: the error types and the JSON reader.

`registry` combines the sources; `unleash`, `flagd` and plugins implement them. Both sides import
this module, never each other.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Protocol

from flaglint.model import Problem, Snapshot


class RegistryError(Exception):
    """The registry cannot be read or holds invalid entries; carries one Problem per entry."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class SourceError(Exception):
    """A registry source could not be read; the message is one line for the user.

    `unreachable` marks a server that did not answer (a stored snapshot may stand in for it);
    other errors (a refused token, a wrong URL, bad JSON) need the user's attention.
    """

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def read_json(path: Path, display: str, what: str) -> dict[str, Any]:
    """A JSON object from a registry file, or a SourceError naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{display}: {what} not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"{display}: cannot read the {what}: {exc}") from None
    if not isinstance(data, dict):
        raise SourceError(f"{display}: not an {what}" if what[0].lower() in "aeiou" else f"{display}: not a {what}")
    return data


class RegistrySource(Protocol):
    name: str

    def load(self) -> Snapshot:
        """Every flag the source knows; raises RegistryError on bad input."""
        ...


def moment(value: object) -> dt.datetime | None:
    """An ISO 8601 date-time from a source (`2026-11-20T09:30:00Z`), in UTC when it names no zone;
    None when it is missing or not one.
    """
    if not isinstance(value, str):
        return None
    try:
        found = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=dt.timezone.utc)


def day(value: object) -> dt.date | None:
    """The date of an ISO 8601 date or date-time from a source; None when it is not one."""
    found = moment(value)
    return found.date() if found else None
