"""The fleet report in each format `report` knows: JSON (the shape of `report --format json`, with
per flag the repositories that still check it), SARIF (one run per repository), Markdown, HTML
and the terminal table."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from flaglint.engine.policy import REMOVABLE
from flaglint.engine.words import plural
from flaglint.faces import formats
from flaglint.faces import report as report_mod
from flaglint.fleet.summary import FleetReport


def _same(path: str) -> str:
    return path


def to_json(fleet: FleetReport) -> dict[str, Any]:
    data = report_mod.to_json(fleet.report, _same)
    data["summary"]["repositories"] = len(fleet.repositories)
    for row in data["flags"]:
        row["repositories"] = [
            {"name": use.name, "files": list(use.files), "references": use.references}
            for use in fleet.uses.get(row["key"], ())
        ]
    for finding, located in zip(data["findings"], fleet.findings, strict=True):
        finding["repository"] = located.repo
        finding["path"] = located.path
    data["repositories"] = [dataclasses.asdict(repo) for repo in fleet.repositories]
    data["owners"] = [dataclasses.asdict(owner) for owner in fleet.owners]
    data["trend"] = [
        {"run": run.run_id, "started": run.started.isoformat(), "repositories": run.repositories,
         "references": run.references, "flags": run.flags}
        for run in fleet.trend
    ]  # fmt: skip
    return data


def sarif(fleet: FleetReport, commits: dict[str, str]) -> dict[str, Any]:
    """One SARIF run per repository (paths relative to its root), and one for the registry's own
    findings (flags no repository references)."""
    runs = []
    names = sorted({f.repo or "" for f in fleet.findings} | {r.name for r in fleet.repositories})
    for name in names:
        mine = tuple(dataclasses.replace(f.finding, path=f.path) for f in fleet.findings if (f.repo or "") == name)
        part = formats.sarif(dataclasses.replace(fleet.report, findings=mine), _same)["runs"][0]
        part["automationDetails"] = {"id": f"flaglint-fleet/{name or 'registry'}/"}
        if name:
            part["properties"] = {"repository": name, "commit": commits.get(name)}
        runs.append(part)
    whole = formats.sarif(dataclasses.replace(fleet.report, findings=()), _same)
    whole["runs"] = runs
    return whole


def markdown(fleet: FleetReport) -> str:
    report = fleet.report
    removable = [row for row in report.rows if set(row.codes) & (set(REMOVABLE) | {"FL008"})]
    refs = sum(row.references for row in report.rows)
    lines = [
        "## Flag debt across the fleet",
        "",
        f"{len(fleet.repositories)} repositories, {len(report.rows)} flags, {refs} references;"
        f" {len(removable)} flags can go.",
        "",
        "| Flag | State | Owner | Repositories | References | Findings |",
        "|---|---|---|---|---|---|",
    ]
    for row in report.rows:
        repos = ", ".join(f"{u.name} ({u.references})" for u in fleet.uses.get(row.key, ())) or "none"
        flag = (f"`{row.key}`", row.state, row.owner or "-", repos, row.references, " ".join(row.codes) or "-")
        lines.append("| " + " | ".join(formats.cell(c) for c in flag) + " |")
    lines += ["", "| Repository | Commit | References | Flags | Debt |", "|---|---|---|---|---|"]
    for repo in fleet.repositories:
        debt = (repo.name, repo.commit[:10], repo.references, repo.flags, repo.debt)
        lines.append("| " + " | ".join(formats.cell(c) for c in debt) + " |")
    if fleet.owners:
        lines += ["", "| Owner | Flags | Can go | References |", "|---|---|---|---|"]
        for owner in fleet.owners:
            lines.append(f"| {formats.cell(owner.owner)} | {owner.flags} | {owner.removable} | {owner.references} |")
    return "\n".join(lines) + "\n"


def html(fleet: FleetReport) -> str:
    trend = [(run.started.date().isoformat(), run.references) for run in fleet.trend]
    return formats.html(fleet.report, owner_of=lambda path: None, trend=trend)  # owners: the registry's


def _sections(fleet: FleetReport) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    """(title, columns, rows) of each table: the flags some repository checks, debt per
    repository and per owner."""
    flags: list[tuple[str, ...]] = [
        (row.key, row.state, row.owner or "-", ", ".join(f"{u.name} ({u.references})" for u in uses),
         str(row.references), " ".join(row.codes) or "-")
        for row in fleet.report.rows
        if (uses := fleet.uses.get(row.key, ()))
    ]  # fmt: skip
    repos: list[tuple[str, ...]] = [
        (r.name, r.commit[:10], str(r.references), str(r.flags), str(r.debt)) for r in fleet.repositories
    ]
    owners: list[tuple[str, ...]] = [(o.owner, str(o.flags), str(o.removable), str(o.references)) for o in fleet.owners]
    found: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = [
        ("Flags the fleet checks", ("flag", "state", "owner", "repositories", "refs", "findings"), flags),
        ("Debt per repository", ("repository", "commit", "refs", "flags", "debt"), repos),
    ]
    if owners:
        found.append(("Debt per owner", ("owner", "flags", "can go", "refs"), owners))
    return found


def _closing(fleet: FleetReport) -> list[str]:
    """The lines under the tables: the flags no repository checks, and the files no scan could read."""
    lines = []
    unused = sorted(item.finding.key or "" for item in fleet.findings if item.finding.code == "FL008")
    if unused:
        shown = ", ".join(unused[:10]) + (f" and {len(unused) - 10} more" if len(unused) > 10 else "")
        count = plural(len(fleet.repositories), "repository")
        lines.append(f"FL008 no reference in any of {count}, safe to archive: {shown}")
    problems = fleet.report.problems
    if problems:
        first = problems[0]
        lines.append(
            f"{plural(len(problems), 'file')} could not be read or parsed, e.g. {first.path}:{first.line}:"
            f" {first.message} (all of them: --format json)"
        )
    return lines


def plain(fleet: FleetReport) -> str:
    """The tables as aligned plain text (for a pipe or a file: rich would take seconds on a
    large fleet for what a join of padded columns does)."""
    lines: list[str] = []
    for title, columns, rows in _sections(fleet):
        widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
        lines += [title, "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.append("")
    closing = _closing(fleet)
    return "\n".join([*lines, *closing] if closing else lines[:-1]) + "\n"


def render(fleet: FleetReport) -> RenderableType:
    """The tables for a terminal."""
    parts: list[RenderableType] = []
    for title, columns, rows in _sections(fleet):
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        parts += [table, Text("")]
    parts += [Text(line) for line in _closing(fleet)]
    return Group(*parts)
