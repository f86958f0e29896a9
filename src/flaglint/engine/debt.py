"""The flag-debt report as data: one row per flag key, totals by state, and the findings behind
them. `build` is pure; the faces (`faces/report.py`, the fleet) turn a Report into JSON, tables
or pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flaglint.engine.config import DEFAULT_LIFETIMES, DEFAULT_SETTLE_DAYS
from flaglint.engine.policy import age_days, evaluated_lately, since, verdict
from flaglint.model import Finding, Flag, FlagRef, FlagType, Problem, Snapshot, record

SCHEMA_VERSION = 1
UNKNOWN = "unknown"
UNREGISTERED = "-"


@record
class FlagRow:
    key: str
    type: str | None
    owner: str | None
    state: str
    created: dt.date | None
    in_code_since: dt.date | None
    age_days: int | None
    remove_by: dt.date | None
    references: int
    files: tuple[str, ...]
    codes: tuple[str, ...]
    status: str = ""  # the policy's reading: in development, settling, rolled out, dead, ...
    why: str = ""  # in words: "on for everyone in production for 52 days"
    stage: str | None = None
    stage_since: dt.date | None = None
    last_seen: tuple[tuple[str, dt.datetime], ...] = ()


@dataclass(frozen=True)
class Report:
    today: dt.date
    registry: str | None
    files_scanned: int
    rows: tuple[FlagRow, ...]
    dynamic: tuple[FlagRef, ...]
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]

    @property
    def by_state(self) -> dict[str, int]:
        return dict(sorted(Counter(row.state for row in self.rows).items()))

    @property
    def by_code(self) -> dict[str, int]:
        return dict(sorted(Counter(f.code for f in self.findings).items()))


def build(
    refs: Sequence[FlagRef],
    snapshot: Snapshot | None,
    findings: Sequence[Finding],
    today: dt.date,
    *,
    files_scanned: int,
    problems: Sequence[Problem] = (),
    lifetimes: Mapping[FlagType, int | None] | None = None,
    settle_days: int = DEFAULT_SETTLE_DAYS,
    now: dt.datetime | None = None,
) -> Report:
    lifetimes = DEFAULT_LIFETIMES if lifetimes is None else lifetimes
    now = now or dt.datetime.combine(today, dt.time(), dt.timezone.utc)
    by_key: dict[str, list[FlagRef]] = defaultdict(list)
    for ref in refs:
        if ref.key is not None:
            by_key[ref.key].append(ref)
    codes: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        if finding.key is not None:
            codes[finding.key].add(finding.code)
    keys = set(by_key) | ({f.key for f in snapshot.flags} if snapshot else set())
    rows = []
    for key in sorted(keys):
        flag = snapshot.get(key) if snapshot else None
        judged = flag_row(key, flag, by_key.get(key, []), codes.get(key, ()), today, lifetimes, settle_days, now)
        if snapshot is None:
            judged = dataclasses.replace(judged, state=UNREGISTERED, status=UNREGISTERED, why="no registry")
        rows.append(judged)
    return Report(
        today=today,
        registry=snapshot.source if snapshot else None,
        files_scanned=files_scanned,
        rows=tuple(rows),
        dynamic=tuple(r for r in refs if r.key is None),
        findings=tuple(findings),
        problems=tuple(problems),
    )


def flag_row(
    key: str,
    flag: Flag | None,
    refs: Sequence[FlagRef],
    codes: Iterable[str],
    today: dt.date,
    lifetimes: Mapping[FlagType, int | None],
    settle_days: int,
    now: dt.datetime,
) -> FlagRow:
    """One flag as the report (and the editor's hover) shows it: registry facts, the policy's
    reading in words, and its references. `flag` None means the registry does not know the key.
    """
    judged = verdict(flag, today, lifetimes, settle_days) if flag else None
    why = judged.why if judged else "not in the registry"
    seen = evaluated_lately(flag, now) if flag and not refs else None
    if seen is not None:
        why = f"{why}; no reference in this repository, but evaluated in production {since(seen, now)} ago"
    return FlagRow(
        key=key,
        type=flag.type._value_ if flag else None,  # `_value_`: `.value` is a slow descriptor
        owner=flag.owner if flag else None,
        state=flag.state._value_ if flag else UNKNOWN,
        created=flag.created if flag else None,
        in_code_since=flag.in_code_since if flag else None,
        age_days=age_days(flag, today) if flag else None,
        remove_by=flag.remove_by if flag else None,
        references=len(refs),
        files=tuple(sorted({r.path for r in refs})),
        codes=tuple(sorted(set(codes))),
        status=judged.status if judged else UNKNOWN,
        why=why,
        stage=flag.lifecycle if flag else None,
        stage_since=flag.stage_since if flag else None,
        last_seen=flag.last_seen if flag else (),
    )
