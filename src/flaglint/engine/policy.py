"""Lifecycle policy: references + registry snapshot + today -> findings. Pure."""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flaglint.engine.config import DEFAULT_SETTLE_DAYS
from flaglint.engine.words import plural
from flaglint.model import Finding, Flag, FlagRef, FlagState, FlagType, RefKind, Severity, Snapshot, Span, record

PERMANENT_TYPES = frozenset({FlagType.KILL_SWITCH, FlagType.PERMISSION})
REMOVABLE = ("FL002", "FL003", "FL004")  # the codes `clean --from-registry` retires


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str
    help: str  # what it means and what to do: SARIF rule help, docs


RULES: Mapping[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "FL001",
            Severity.ERROR,
            "unknown flag",
            "The code checks a flag the registry does not know: usually a typo in the key (the nearest "
            "known key is suggested), or a flag that was deleted from the registry. Fix the key or register the flag.",
        ),
        Rule(
            "FL002",
            Severity.ERROR,
            "archived flag still referenced",
            "The flag is archived, so the SDK silently answers its default. Remove the check and keep the "
            "path the default selects: `flaglint clean --from-registry`.",
        ),
        Rule(
            "FL003",
            Severity.WARNING,
            "fully rolled out",
            "The flag is on for everyone in production and has settled. Remove the check and keep the "
            "enabled path: `flaglint clean --from-registry`.",
        ),
        Rule(
            "FL004",
            Severity.WARNING,
            "dead flag",
            "The flag is off in production for longer than its type's lifetime (or discarded). Remove it and "
            "keep the disabled path: `flaglint clean --from-registry`.",
        ),
        Rule(
            "FL005",
            Severity.WARNING,
            "stale flag",
            "The flag is marked stale or is older than its type's lifetime. Decide: roll it out or remove it.",
        ),
        Rule(
            "FL006",
            Severity.WARNING,
            "past its remove_by date",
            "The flag was due for removal by its remove_by date.",
        ),
        Rule(
            "FL007",
            Severity.INFO,
            "dynamic flag key",
            "The key is computed at run time, so flaglint cannot tell which flag this is. Prefer a constant.",
        ),
        Rule(
            "FL008",
            Severity.INFO,
            "unused registry flag",
            "The registry holds a flag nothing in this repository references: archive it, unless another "
            "service evaluates it (the message says when it was last evaluated in production).",
        ),
        Rule(
            "FL009",
            Severity.INFO,
            "live flag no SDK evaluates",
            "The flag is live, but no SDK has evaluated it for 30 days: the code that checks it may not be deployed.",
        ),
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
    if ref.kind in (RefKind.CHECK, RefKind.DECORATOR, RefKind.TEST_OVERRIDE, RefKind.PREDICATE):
        return "False"
    return ref.default


class Nearest:
    """A registry key about as close to a misspelt one as any ("did you mean"), without comparing it
    with every key: one edit leaves a key's first or last three characters alone, so candidates
    share one of them with it (ignoring pieces that thousands of keys share), and difflib ranks them.
    The keys are sorted once, forwards and reversed, so each piece's candidates are one bisected
    slice; answers are remembered per key.
    """

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.sorted: tuple[list[str], list[str]] | None = None  # the keys, and each key reversed
        self.answers: dict[str, str | None] = {}

    def __call__(self, key: str) -> str | None:
        if key not in self.answers:
            self.answers[key] = self._find(key)
        return self.answers[key]

    def _find(self, key: str) -> str | None:
        candidates: list[str] | set[str] = self.keys
        if len(self.keys) > _FEW_KEYS and key:
            if self.sorted is None:
                self.sorted = sorted(self.keys), sorted(known[::-1] for known in self.keys)
            heads, tails = self.sorted
            buckets = [_starting(heads, key[:3]), [t[::-1] for t in _starting(tails, key[::-1][:3])]]
            small = [b for b in buckets if len(b) <= _FEW_KEYS]
            candidates = set().union(*small) if small else min(buckets, key=len)
        found = difflib.get_close_matches(key, candidates, n=1, cutoff=0.8)
        return found[0] if found else None


_FEW_KEYS = 2000  # compared one by one


def _starting(ordered: list[str], piece: str) -> list[str]:
    """The strings of sorted `ordered` that start with `piece` (a non-empty string)."""
    after = piece[:-1] + chr(ord(piece[-1]) + 1) if ord(piece[-1]) < sys.maxunicode else piece + chr(sys.maxunicode)
    return ordered[bisect.bisect_left(ordered, piece) : bisect.bisect_left(ordered, after)]


RECENT = dt.timedelta(days=30)  # evaluated within this: in use; not for this long while live: worth a look


@record
class Verdict:
    """Where a flag is in its release, as the policy reads it: what the code may do about it
    (`code`: FL002/FL003/FL004 when removable, FL005 when stale, else None) and why, in words.
    """

    status: str  # archived | permanent | in development | settling | rolled out | dead | off | active
    why: str
    code: str | None = None


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def verdict(
    flag: Flag, today: dt.date, lifetimes: Mapping[FlagType, int | None], settle_days: int = DEFAULT_SETTLE_DAYS
) -> Verdict:
    """The one lifecycle policy, whatever the source: stage, dates and production state in, verdict out.

    In development (`initial`, `pre-live`) is never removable; completed flags are; a rollout at
    100 % is removable once unchanged for `settle_days`; a live flag switched off is dead once off
    for longer than its type's lifetime. Without a stage or dates (a hand-kept flags.toml) the
    declared state decides, as written.
    """
    lifetime = lifetimes.get(flag.type)
    changed_days = (today - flag.changed).days if flag.changed else None
    if flag.state is FlagState.ARCHIVED:
        return Verdict("archived", "archived in the registry", "FL002")
    if flag.type in PERMANENT_TYPES:
        return Verdict("permanent", f"{_a(flag.type._value_)} flag stays in the code whatever its state")
    stale = _stale_reason(flag, today, lifetimes)
    if flag.lifecycle == "completed":
        if flag.state is FlagState.ROLLED_OUT:
            kept = f" with {flag.value}" if flag.value not in (None, "True") else ""
            return Verdict("rolled out", f"completed in the registry: kept{kept}", "FL003")
        if flag.state is FlagState.OFF:
            return Verdict("dead", "completed in the registry: discarded", "FL004")
    if flag.in_development:
        since = f" since {flag.stage_since}" if flag.stage_since else ""
        why = f"in development ({flag.lifecycle}{since}): not evaluated in production yet"
        return Verdict("in development", f"{why}; {stale}" if stale else why, "FL005" if stale else None)
    if flag.state is FlagState.ROLLED_OUT:
        if changed_days is None:
            return Verdict("rolled out", "on for everyone in production", "FL003")
        why = f"on for everyone in production for {_days(changed_days)}"
        if changed_days < settle_days:
            return Verdict("settling", f"{why}; removable once unchanged for {_days(settle_days)}")
        return Verdict("rolled out", why, "FL003")
    if flag.state is FlagState.OFF:
        if changed_days is None:
            return Verdict("dead", "off in every production environment", "FL004")
        why = f"off in every production environment for {_days(changed_days)}"
        if lifetime is None:
            return Verdict("off", f"{why}; {_a(flag.type._value_)} flag has no lifetime", "FL005" if stale else None)
        if changed_days > lifetime:
            return Verdict("dead", f"{why}, past the {lifetime}-day lifetime of {_a(flag.type._value_)} flag", "FL004")
        return Verdict("off", f"{why}; dead after {_days(lifetime)}", "FL005" if stale else None)
    return Verdict("active", stale or "in use", "FL005" if stale else None)


def since(moment: dt.datetime, now: dt.datetime) -> str:
    """How long ago, in words: `12 min`, `3 h`, `45 days`."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def evaluated_lately(flag: Flag, now: dt.datetime) -> dt.datetime | None:
    """When an SDK last evaluated the flag in production, if within RECENT (another service may use
    it even when this repository does not); None otherwise. The environments the source calls
    production for this flag count, else one named `production`.
    """
    if not flag.last_seen:
        return None
    seen = flag.seen_in([env for env, _ in flag.environments] or ["production"])
    return seen if seen is not None and now - seen <= RECENT else None


def evaluate(
    refs: Iterable[FlagRef],
    snapshot: Snapshot | None,
    today: dt.date,
    *,
    lifetimes: Mapping[FlagType, int | None],
    ignore: frozenset[str] = frozenset(),
    whole_project: bool = True,
    settle_days: int = DEFAULT_SETTLE_DAYS,
    now: dt.datetime | None = None,
    repositories: int | None = None,
) -> list[Finding]:
    """Findings for every reference, and for registry flags nothing references (FL008);
    `repositories` says the references are those of that many repositories (a fleet's)."""
    now = now or dt.datetime.combine(today, dt.time(), dt.timezone.utc)
    findings: list[Finding] = []
    referenced: set[str] = set()
    nearest = Nearest([f.key for f in snapshot.flags] if snapshot else [])

    def add(code: str, ref: FlagRef, message: str, assume: str | None = None) -> None:
        if code not in ignore and not ref.is_suppressed(code):
            findings.append(Finding(code, RULES[code].severity, message, ref.key, ref.path, ref.span, assume))

    declarations: list[FlagRef] = []
    checked: set[str] = set()
    for ref in refs:
        if ref.key is None:
            add("FL007", ref, f"dynamic flag key `{ref.key_text}` cannot be resolved statically")
            continue
        referenced.add(ref.key)
        if ref.kind is RefKind.DECLARATION:
            declarations.append(ref)
        else:
            checked.add(ref.key)
        if snapshot is None:
            continue
        flag = snapshot.get(ref.key)
        if flag is None:
            near = nearest(ref.key)
            hint = f"; did you mean {near!r}?" if near else ""
            add("FL001", ref, f"unknown flag {ref.key!r}: not in the registry{hint}")
            continue
        if ref.kind is RefKind.DECLARATION:  # its checks carry the flag's lifecycle findings
            continue
        judged = verdict(flag, today, lifetimes, settle_days)
        if judged.code == "FL002":
            message = f"flag {ref.key!r} is archived but still referenced; the SDK returns its default"
            add("FL002", ref, message, off_value(ref, flag))
        elif judged.code == "FL003":
            kept = flag.value or "True"
            path = "keep the enabled path" if kept == "True" else f"keep the path for its value {kept}"
            message = f"flag {ref.key!r} is fully rolled out ({judged.why}): remove the check, {path}"
            add("FL003", ref, message, kept)
        elif judged.code == "FL004":
            message = f"flag {ref.key!r} is dead ({judged.why}): remove it, keep the disabled path"
            add("FL004", ref, message, off_value(ref, flag))
        elif judged.code == "FL005":
            add("FL005", ref, f"flag {ref.key!r} is stale: {judged.why}")
        seen = flag.seen_in()
        if flag.lifecycle == "live" and seen is not None and now - seen > RECENT:
            message = f"flag {ref.key!r} is live but no SDK has evaluated it for {since(seen, now)}"
            add("FL009", ref, f"{message}: is this code deployed?")
        if flag.remove_by is not None and flag.remove_by < today and flag.state is not FlagState.ARCHIVED:
            days = (today - flag.remove_by).days
            add("FL006", ref, f"flag {ref.key!r} was due for removal on {flag.remove_by} ({days} days ago)")

    if whole_project:
        for ref in declarations:
            if ref.key not in checked:
                name = (ref.key_symbol or ref.key_text).rsplit(".", 1)[-1]
                message = (
                    f"flag object `{name}` of {ref.key!r} is made here but no check of it was found:"
                    " remove it, unless something reaches it in a way flaglint does not follow (`settings.X`)"
                )
                add("FL008", ref, message, "False")
    if snapshot is not None and whole_project and "FL008" not in ignore:
        for flag in snapshot.flags:
            if flag.key in referenced or flag.state is FlagState.ARCHIVED or flag.location is None:
                continue
            where = Span(flag.location.line, 1, flag.location.line, 1)
            seen = evaluated_lately(flag, now)
            scope = "this repository" if repositories is None else f"any of {plural(repositories, 'repository')}"
            if seen is not None:
                message = (
                    f"flag {flag.key!r} has no reference in {scope}, but was evaluated in production"
                    f" {since(seen, now)} ago: another service uses it, do not archive"
                )
            elif repositories is None:
                message = f"flag {flag.key!r} has no reference in the code: safe to archive"
            else:
                message = f"flag {flag.key!r} has no reference in {scope}: safe to archive"
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
        return f"{age} days old{since}, past the {lifetime}-day lifetime of {_a(flag.type._value_)} flag"
    return None


def _a(word: str) -> str:
    """`word` with its indefinite article: "a release", "an experiment"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
