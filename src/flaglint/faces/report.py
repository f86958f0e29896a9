"""The flag-debt report: one row per flag key, totals by state, and the findings behind them.

`build` is pure; `to_json` and `render` turn a Report into JSON data or rich renderables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from flaglint import __version__
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


def finding_json(finding: Finding, path: Callable[[str], str]) -> dict[str, Any]:
    s = finding.span
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "key": finding.key,
        "path": path(finding.path),
        "line": s.line,
        "column": s.column,
        "end_line": s.end_line,
        "end_column": s.end_column,
        "fixable": finding.fixable,
        "assume": finding.assume,
    }


def ref_json(ref: FlagRef, path: Callable[[str], str]) -> dict[str, Any]:
    s = ref.span
    return {
        "path": path(ref.path),
        "line": s.line,
        "column": s.column,
        "end_line": s.end_line,
        "end_column": s.end_column,
        "key": ref.key,
        "resolved": ref.resolved,
        "key_source": ref.key_source.value,
        "key_text": ref.key_text,
        "kind": ref.kind.value,
        "pattern": ref.pattern,
        "sdk": ref.sdk,
        "default": ref.default,
        "pinned": ref.pinned,
    }


def problem_json(problem: Problem, path: Callable[[str], str]) -> dict[str, Any]:
    return {"path": path(problem.path), "line": problem.line, "column": problem.column, "message": problem.message}


def to_json(report: Report, path: Callable[[str], str]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "flaglint", "version": __version__},
        "today": report.today.isoformat(),
        "registry": report.registry and path(report.registry),
        "summary": {
            "files_scanned": report.files_scanned,
            "flags": len(report.rows),
            "references": sum(r.references for r in report.rows) + len(report.dynamic),
            "dynamic_references": len(report.dynamic),
            "by_state": report.by_state,
            "by_code": report.by_code,
            "fixable": sum(1 for f in report.findings if f.fixable),
        },
        "flags": [
            {
                "key": row.key,
                "type": row.type,
                "owner": row.owner,
                "state": row.state,
                "created": row.created and row.created.isoformat(),
                "in_code_since": row.in_code_since and row.in_code_since.isoformat(),
                "age_days": row.age_days,
                "remove_by": row.remove_by and row.remove_by.isoformat(),
                "references": row.references,
                "files": [path(f) for f in row.files],
                "codes": list(row.codes),
                "status": row.status,
                "why": row.why,
                "stage": row.stage,
                "stage_since": row.stage_since and row.stage_since.isoformat(),
                "last_seen": {env: at.isoformat() for env, at in row.last_seen},
            }
            for row in report.rows
        ],
        "dynamic": [ref_json(r, path) for r in report.dynamic],
        "findings": [finding_json(f, path) for f in report.findings],
        "problems": [problem_json(p, path) for p in report.problems],
    }


_STATE_STYLE = {
    "rolled-out": "yellow",
    "off": "yellow",
    "archived": "red",
    UNKNOWN: "red",
    "active": "green",
}


def _stage_cell(row: FlagRow) -> str:
    """The stage, when it was entered, and where an SDK last evaluated the flag (newest first)."""
    if row.stage is None:
        return "-"
    parts = [row.stage + (f" since {row.stage_since}" if row.stage_since else "")]
    for env, at in sorted(row.last_seen, key=lambda pair: pair[1], reverse=True)[:2]:
        parts.append(f"{env} seen {at:%Y-%m-%d %H:%M}")
    return "; ".join(parts)


def render(report: Report, path: Callable[[str], str], *, plain: bool) -> RenderableType:
    """The report as rich renderables: a flag table, totals, and dynamic keys; `plain` drops boxes."""
    box_kw: dict[str, Any] = {"box": None, "show_edge": False, "pad_edge": False} if plain else {}
    table = Table(title=None if plain else "Flag debt", title_justify="left", **box_kw)
    for column in ("flag", "type", "owner", "state", "stage", "age", "refs", "files", "findings", "why"):
        table.add_column(column, justify="right" if column in ("age", "refs") else "left", overflow="fold")
    for row in report.rows:
        files = ", ".join(path(f) for f in row.files[:3]) + (f" +{len(row.files) - 3}" if len(row.files) > 3 else "")
        table.add_row(
            row.key,
            row.type or "-",
            row.owner or "-",
            Text(row.state, style="" if plain else _STATE_STYLE.get(row.state, "")),
            _stage_cell(row),
            f"{row.age_days}d" if row.age_days is not None else "-",
            str(row.references),
            files or "-",
            " ".join(row.codes) or "-",
            row.why,
        )
    states = ", ".join(f"{state} {count}" for state, count in report.by_state.items()) or "none"
    codes = ", ".join(f"{code} {count}" for code, count in report.by_code.items()) or "none"
    summary = Text(
        f"\n{len(report.rows)} flags in {report.files_scanned} files as of {report.today}"
        f" (registry: {path(report.registry) if report.registry else 'none'})\n"
        f"by state: {states}\nby finding: {codes}"
    )
    parts: list[RenderableType] = [table, summary]
    if report.dynamic:
        parts.append(Text(f"dynamic keys ({len(report.dynamic)}):"))
        for ref in report.dynamic:
            parts.append(Text(f"  {path(ref.path)}:{ref.span.line}:{ref.span.column}: {ref.key_text}"))
    return Group(*parts)
