"""A proposed pattern and its evidence: what every part of `flaglint init` builds and the renderer reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MIN_SITES = 2  # the matches a pattern needs, but for a name that says flag (one)


@dataclass
class Proposed:
    """One proposed `[[tool.flaglint.patterns]]` table and its evidence."""

    entry: dict[str, Any]
    what: str  # how a call looks: `request.flags.enabled(Flag.X)`
    sites: int = 0  # matches when the project is scanned with it
    resolved: int = 0  # of those, matches whose key is known
    files: int = 0
    examples: tuple[str, ...] = ()
    note: str = ""
    receivers: Counter[str] = field(default_factory=Counter)  # a method's receivers at the evidence sites
    least: int = MIN_SITES  # the matches it needs (one for a callee whose name says flag)
    literal_ok: bool = False  # a literal key counts as known: a name that says flag marks the place
