"""Lifecycle policy: references + registry snapshot + today -> findings. Pure."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flaglint.model import Finding, Flag, FlagRef, FlagState, FlagType, RefKind, Severity, Snapshot, Span

PERMANENT_TYPES = frozenset({FlagType.KILL_SWITCH, FlagType.PERMISSION})


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str


RULES: Mapping[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("FL001", Severity.ERROR, "unknown flag"),
        Rule("FL002", Severity.ERROR, "archived flag still referenced"),
        Rule("FL003", Severity.WARNING, "fully rolled out"),
        Rule("FL004", Severity.WARNING, "dead flag"),
        Rule("FL005", Severity.WARNING, "stale flag"),
        Rule("FL006", Severity.WARNING, "past its remove_by date"),
        Rule("FL007", Severity.INFO, "dynamic flag key"),
        Rule("FL008", Severity.INFO, "unused registry flag"),
    )
}


def age_days(flag: Flag, today: dt.date) -> int | None:
    """Days since the flag was created, or else since git first saw its key in the code."""
    start = flag.created or flag.in_code_since
    return (today - start).days if start else None


def off_value(ref: FlagRef, flag: Flag) -> str | None:
    """What a reference sees once the flag is off or gone: the registry's value, else the SDK default."""
    if flag.value is not None:
        return flag.value
    if ref.kind in (RefKind.CHECK, RefKind.DECORATOR, RefKind.TEST_OVERRIDE):
        return "False"
    return ref.default


class Nearest:
    """A registry key about as close to a misspelt one as any ("did you mean"), without comparing it
    with every key: one edit leaves a key's first or last three characters alone, so candidates
    share one of them with it (ignoring pieces that thousands of keys share), and difflib ranks them.
    Building the index costs a dict append per key; answers are remembered per key.
    """

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.index: dict[tuple[bool, str], list[str]] | None = None
        self.answers: dict[str, str | None] = {}

    def __call__(self, key: str) -> str | None:
        if key not in self.answers:
            self.answers[key] = self._find(key)
        return self.answers[key]

    def _find(self, key: str) -> str | None:
        candidates: list[str] | set[str] = self.keys
        if len(self.keys) > 2000:
            if self.index is None:
                self.index = {}
                for known in self.keys:
                    self.index.setdefault((True, known[:3]), []).append(known)
                    self.index.setdefault((False, known[-3:]), []).append(known)
            buckets = [self.index.get((True, key[:3]), []), self.index.get((False, key[-3:]), [])]
            small = [b for b in buckets if len(b) <= 2000]
            candidates = set().union(*small) if small else min(buckets, key=len)
        found = difflib.get_close_matches(key, candidates, n=1, cutoff=0.8)
        return found[0] if found else None


def evaluate(
    refs: Iterable[FlagRef],
    snapshot: Snapshot | None,
    today: dt.date,
    *,
    lifetimes: Mapping[FlagType, int | None],
    ignore: frozenset[str] = frozenset(),
    whole_project: bool = True,
) -> list[Finding]:
    """Findings for every reference, and for registry flags nothing references (FL008)."""
    findings: list[Finding] = []
    referenced: set[str] = set()
    nearest = Nearest([f.key for f in snapshot.flags] if snapshot else [])

    def add(code: str, ref: FlagRef, message: str, assume: str | None = None) -> None:
        if code not in ignore and not ref.is_suppressed(code):
            findings.append(Finding(code, RULES[code].severity, message, ref.key, ref.path, ref.span, assume))

    for ref in refs:
        if ref.key is None:
            add("FL007", ref, f"dynamic flag key `{ref.key_text}` cannot be resolved statically")
            continue
        referenced.add(ref.key)
        if snapshot is None:
            continue
        flag = snapshot.get(ref.key)
        if flag is None:
            near = nearest(ref.key)
            hint = f"; did you mean {near!r}?" if near else ""
            add("FL001", ref, f"unknown flag {ref.key!r}: not in the registry{hint}")
            continue
        if flag.state is FlagState.ARCHIVED:
            add(
                "FL002",
                ref,
                f"flag {ref.key!r} is archived but still referenced; the SDK returns its default",
                off_value(ref, flag),
            )
        elif flag.type in PERMANENT_TYPES:
            pass  # kill switches and permissions stay in the code whatever their state
        elif flag.state is FlagState.ROLLED_OUT:
            add(
                "FL003",
                ref,
                f"flag {ref.key!r} is fully rolled out: remove the check, keep the enabled path",
                flag.value or "True",
            )
        elif flag.state is FlagState.OFF:
            add(
                "FL004",
                ref,
                f"flag {ref.key!r} is off everywhere: remove it, keep the disabled path",
                off_value(ref, flag),
            )
        else:
            stale = _stale_reason(flag, today, lifetimes)
            if stale:
                add("FL005", ref, f"flag {ref.key!r} is stale: {stale}")
        if flag.remove_by is not None and flag.remove_by < today and flag.state is not FlagState.ARCHIVED:
            days = (today - flag.remove_by).days
            add("FL006", ref, f"flag {ref.key!r} was due for removal on {flag.remove_by} ({days} days ago)")

    if snapshot is not None and whole_project and "FL008" not in ignore:
        for flag in snapshot.flags:
            if flag.key in referenced or flag.state is FlagState.ARCHIVED or flag.location is None:
                continue
            where = Span(flag.location.line, 1, flag.location.line, 1)
            message = f"flag {flag.key!r} has no reference in the code: safe to archive"
            findings.append(Finding("FL008", Severity.INFO, message, flag.key, flag.location.path, where))
    findings.sort(key=lambda f: (f.path, f.span.line, f.span.column, f.code))
    return findings


def _stale_reason(flag: Flag, today: dt.date, lifetimes: Mapping[FlagType, int | None]) -> str | None:
    if flag.stale:
        return "marked stale in the registry"
    if flag.potentially_stale:
        return "the registry marks it potentially stale"
    lifetime = lifetimes.get(flag.type)
    age = age_days(flag, today)
    if lifetime is not None and age is not None and age > lifetime:
        since = "" if flag.created else f" (in the code since {flag.in_code_since}, from git)"
        return f"{age} days old{since}, past the {lifetime}-day lifetime of a {flag.type.value} flag"
    return None
