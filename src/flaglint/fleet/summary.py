"""The organisation's flag-debt report: the registry joined with every repository's references.
A flag is "safe to archive" (FL008) only when no repository of the fleet names it; each flag
lists the repositories and files that still check it; debt is counted per repository and per
owner. Pure: the store and the registry come in as plain data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from flaglint.engine.config import DEFAULT_LIFETIMES, DEFAULT_SETTLE_DAYS
from flaglint.engine.debt import Report, build
from flaglint.engine.policy import evaluate
from flaglint.fleet.store import Run
from flaglint.model import Finding, Flag, FlagRef, FlagType, Problem, Snapshot, record

# Findings that say a flag's checks should go now: what counts as debt.
DEBT = frozenset({"FL002", "FL003", "FL004", "FL006"})


@dataclass(frozen=True)
class RepoUse:
    """Where one repository still names a flag."""

    name: str
    files: tuple[str, ...]
    references: int


@dataclass(frozen=True)
class RepoDebt:
    name: str
    commit: str
    files_scanned: int
    references: int
    flags: int
    debt: int  # references whose checks should go now (archived, rolled out, dead, overdue)


@dataclass(frozen=True)
class OwnerDebt:
    owner: str
    flags: int
    removable: int  # flags whose checks should go now, or nobody references
    references: int


@record
class Located:
    """A finding with the repository it is in (None: the registry's own file)."""

    repo: str | None
    path: str
    finding: Finding


@dataclass(frozen=True)
class FleetReport:
    report: Report  # as `flaglint report` builds it, paths written `repository/path`
    uses: Mapping[str, tuple[RepoUse, ...]]  # per flag key
    repositories: tuple[RepoDebt, ...]
    owners: tuple[OwnerDebt, ...]
    findings: tuple[Located, ...]
    trend: tuple[Run, ...]
    snapshot: Snapshot | None = None

    def flag_counts(self) -> list[tuple[Flag, int, int]]:
        """Each registry flag with how many repositories and references name it."""
        flags = self.snapshot.flags if self.snapshot else ()
        return [(f, len(self.uses.get(f.key, ())), sum(u.references for u in self.uses.get(f.key, ()))) for f in flags]


def build_fleet(
    refs: Mapping[str, Sequence[FlagRef]],
    repositories: Sequence[tuple[str, str, int]],
    snapshot: Snapshot | None,
    today: dt.date,
    *,
    problems: Sequence[tuple[str, str, int, str]] = (),
    trend: Sequence[Run] = (),
    lifetimes: Mapping[FlagType, int | None] | None = None,
    settle_days: int = DEFAULT_SETTLE_DAYS,
    ignore: frozenset[str] = frozenset(),
) -> FleetReport:
    """The fleet report of `refs` (per repository, paths in it) of `repositories` (name, commit,
    files scanned) against `snapshot`."""
    lifetimes = DEFAULT_LIFETIMES if lifetimes is None else lifetimes
    where: dict[str, tuple[str, str]] = {}
    combined: list[FlagRef] = []
    for repo, found in sorted(refs.items()):
        for ref in found:
            shown = f"{repo}/{ref.path}"
            where[shown] = (repo, ref.path)
            combined.append(replace(ref, path=shown))
    findings = evaluate(
        combined,
        snapshot,
        today,
        lifetimes=lifetimes,
        ignore=ignore,
        settle_days=settle_days,
        repositories=len(repositories),
    )
    trouble = [Problem(f"{repo}/{path}", line, 0, message) for repo, path, line, message in problems]
    files = sum(count for _, _, count in repositories)
    report = build(
        combined,
        snapshot,
        findings,
        today,
        files_scanned=files,
        problems=trouble,
        lifetimes=lifetimes,
        settle_days=settle_days,
    )
    uses: dict[str, list[RepoUse]] = defaultdict(list)
    for repo, found in sorted(refs.items()):
        by_key: dict[str, list[FlagRef]] = defaultdict(list)
        for ref in found:
            if ref.key is not None:
                by_key[ref.key].append(ref)
        for key, mine in by_key.items():
            uses[key].append(RepoUse(repo, tuple(sorted({r.path for r in mine})), len(mine)))
    located = tuple(Located(*where[f.path], f) if f.path in where else Located(None, f.path, f) for f in findings)
    return FleetReport(
        report=report,
        uses={key: tuple(found) for key, found in sorted(uses.items())},
        repositories=_repo_debt(refs, repositories, located),
        owners=_owner_debt(report),
        findings=located,
        trend=tuple(trend),
        snapshot=snapshot,
    )


def _repo_debt(
    refs: Mapping[str, Sequence[FlagRef]], repositories: Sequence[tuple[str, str, int]], located: Sequence[Located]
) -> tuple[RepoDebt, ...]:
    debt: dict[str, set[tuple[str, int, int]]] = defaultdict(set)
    for item in located:
        if item.repo is not None and item.finding.code in DEBT:
            debt[item.repo].add((item.path, item.finding.span.line, item.finding.span.column))
    rows = []
    for name, commit, files in repositories:
        found = refs.get(name, ())
        keys = {r.key for r in found if r.key is not None}
        rows.append(RepoDebt(name, commit, files, len(found), len(keys), len(debt[name])))
    return tuple(sorted(rows, key=lambda r: (-r.debt, -r.references, r.name)))


def _owner_debt(report: Report) -> tuple[OwnerDebt, ...]:
    flags: dict[str, int] = defaultdict(int)
    removable: dict[str, int] = defaultdict(int)
    references: dict[str, int] = defaultdict(int)
    for row in report.rows:
        if row.type is None:  # not in the registry: no owner to ask
            continue
        owner = row.owner or "(no owner)"
        flags[owner] += 1
        references[owner] += row.references
        if set(row.codes) & (DEBT | {"FL008"}):
            removable[owner] += 1
    rows = [OwnerDebt(o, flags[o], removable[o], references[o]) for o in flags]
    return tuple(sorted(rows, key=lambda r: (-r.removable, -r.flags, r.owner)))
