"""The flag-debt report's faces: `to_json` and `render` turn a Report (built in `engine.debt`)
into JSON data or rich renderables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from flaglint import __version__
from flaglint.engine.debt import SCHEMA_VERSION, UNKNOWN, FlagRow, Report
from flaglint.model import Finding, FlagRef, Problem


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
