"""`flaglint clean`: retire flags from the code, with a summary per flag of what changed and what a
person must look at."""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from flaglint.engine.config import Config
from flaglint.engine.words import plural
from flaglint.faces.cli import (
    EXIT_FINDINGS,
    Common,
    UsageFailure,
    _failure,
    _open,
    _registry,
    common_options,
    display,
    handle_errors,
)
from flaglint.fix.step import Step
from flaglint.project import Project, ProjectError


def _retire_values(
    project: Project, flags: tuple[str, ...], from_registry: bool, common: Common
) -> dict[str, str | None]:
    from flaglint.fix.step import parse_flag_value

    if bool(flags) == from_registry:
        raise UsageFailure(["give flags to retire with --flag KEY=on|off|VALUE, or --from-registry"])
    values: dict[str, str | None] = {}
    if flags:
        for item in flags:
            key, sep, text = item.partition("=")
            if not sep or not key:
                raise UsageFailure([f"--flag {item!r}: use KEY=on, KEY=off or KEY=VALUE"])
            try:
                values[key] = parse_flag_value(text)
            except ValueError as exc:
                raise UsageFailure([f"--flag {key}: {exc}"]) from None
        return values
    _registry(project)
    try:
        return project.removable(list(common.paths) or None)
    except ProjectError as exc:
        raise _failure(project.root, exc) from None


@click.command()
@common_options
@click.option(
    "--flag",
    "flags",
    multiple=True,
    metavar="KEY=on|off|VALUE",
    help="A flag to retire and the value it keeps; VALUE is a Python literal. Repeatable.",
)
@click.option("--from-registry", is_flag=True, help="Retire every flag the policy marks FL002, FL003 or FL004.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 when something would change.")
@click.option(
    "--unsafe-fixes", is_flag=True, help="Also delete tests and functions that only served the discarded path."
)
@click.option("--allow-dirty", is_flag=True, help="Rewrite files that have uncommitted changes.")
@click.option("--branch", help="Create this git branch and commit each retired flag on it (never pushes).")
@click.option("--update-registry", is_flag=True, help="Remove retired flags from flags.toml in the same change.")
@click.option(
    "--exit-non-zero-on-fix",
    is_flag=True,
    help="Exit 1 when files were changed (the pre-commit convention for fixers).",
)
@handle_errors
def clean(
    common: Common,
    flags: tuple[str, ...],
    from_registry: bool,
    show_diff: bool,
    check_only: bool,
    unsafe_fixes: bool,
    allow_dirty: bool,
    branch: str | None,
    update_registry: bool,
    exit_non_zero_on_fix: bool,
) -> None:
    """Remove retired flags from the code: the check, the dead branch, and what only served it."""
    from flaglint.engine import gitinfo
    from flaglint.fix.step import describe_value
    from flaglint.fix.write import apply

    project = _open(common)
    config = project.config
    values = _retire_values(project, flags, from_registry, common)
    if not values:
        click.echo("Nothing to retire: no flag is archived, rolled out or off.", err=True)
        return
    writing = not (show_diff or check_only)
    if branch and not writing:
        raise UsageFailure(["--branch writes commits; it cannot go with --diff or --check"])
    steps = project.plan_clean(values, list(common.paths) or None, unsafe=unsafe_fixes)
    if update_registry:
        steps = _with_registry_edits(config, steps)
    show = functools.partial(display, config.root)
    changed = {edit.path for step in steps for edit in step.edits}
    repo = gitinfo.open_repo(config.root) if writing else None
    if writing and repo is None:
        click.echo("flaglint: not a git repository: cannot check files for uncommitted changes", err=True)
    if branch and repo is None:
        raise UsageFailure(["--branch needs a git repository"])
    if repo is not None and not allow_dirty:
        dirty = gitinfo.dirty(repo, [config.root / rel for rel in sorted(changed)])
        if dirty:
            names = ", ".join(show(str(p.relative_to(config.root))) for p in dirty)
            raise UsageFailure([f"uncommitted changes in {names}; commit or stash them, or pass --allow-dirty"])
    if show_diff:
        for edit in _combined(steps):
            click.echo(edit.diff(show(edit.path)), nl=False)
    failed = False
    start = gitinfo.current(repo) if branch and repo is not None else None
    try:
        if writing and branch and repo is not None:
            gitinfo.start_branch(repo, branch)
    except gitinfo.GitError as exc:
        raise UsageFailure([str(exc)]) from None
    committed = 0
    for step in steps:
        if not writing:
            break
        for problem in apply(config.root, step.edits):
            click.echo(f"flaglint: {show(problem.path)}: {problem.message}", err=True)
            failed = True
        if branch and repo is not None and start is not None and step.edits:
            key, value = next(iter(step.values.items()))
            paths = [config.root / e.path for e in step.edits]
            try:
                sha = gitinfo.commit(repo, paths, f"Remove flag {key!r} ({describe_value(value)})")
            except gitinfo.GitError as exc:
                # A hook rejected the commit: put this step's files back and leave the branch.
                apply(config.root, [dataclasses.replace(e, before=e.after, after=e.before) for e in step.edits])
                where = gitinfo.abandon_branch(repo, start, branch, committed, paths)
                raise UsageFailure([f"flag {key!r}: {exc}", where]) from None
            committed += 1
            click.echo(f"committed {sha} on {branch}", err=True)
    failed = _summary(steps, show, describe_value, check_only or show_diff) or failed
    if check_only and changed:
        sys.exit(EXIT_FINDINGS)
    if failed or (exit_non_zero_on_fix and writing and changed):
        sys.exit(EXIT_FINDINGS)


def _combined(steps: Sequence[Any]) -> list[Any]:
    """One edit per file from the first step's `before` to the last step's `after`."""
    from flaglint.fix.step import FileEdit

    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    for step in steps:
        for edit in step.edits:
            first.setdefault(edit.path, edit)
            last[edit.path] = edit
    return [FileEdit(path, first[path].before, last[path].after, last[path].encoding) for path in sorted(first)]


def _with_registry_edits(config: Config, steps: list[Step]) -> list[Step]:
    """Each step plus the removal of its flags from flags.toml, so code and registry change together."""
    from flaglint.fix.step import FileEdit
    from flaglint.registry.flags_toml import remove_flags

    path = config.registry_path
    if path is None or not path.is_file():
        return steps
    rel = config.relative(path)
    current = path.read_bytes()
    out = []
    for step in steps:
        after = remove_flags(current.decode("utf-8"), set(step.values)).encode("utf-8")
        if after != current:
            step = dataclasses.replace(step, edits=(*step.edits, FileEdit(rel, current, after, "utf-8")))
            current = after
        out.append(step)
    return out


def _summary(
    steps: Sequence[Any], show: Callable[[str], str], describe: Callable[[str | None], str], dry: bool
) -> bool:
    """Print what was (or would be) done, per flag, then the notes; True when something failed."""
    verb = "Would remove" if dry else "Removed"
    files: set[str] = set()
    removed_total = 0
    failed = False
    for step in steps:
        key, value = next(iter(step.values.items()))
        removed = step.removed_lines
        removed_total += removed
        files.update(e.path for e in step.edits)
        refused = dict(step.refused)
        if step.edits:
            counts = f"{plural(len(step.edits), 'file')} changed, {plural(removed, 'line')} removed"
            click.echo(f"{verb} flag {key!r} ({describe(value)}): {counts}", err=True)
        elif key not in refused:
            click.echo(f"Flag {key!r}: nothing to change", err=True)
        for refused_key, why in sorted(refused.items()):
            click.echo(f"Not retired: {refused_key} ({why})", err=True)
            failed = True
        for problem in step.problems:
            click.echo(f"{show(problem.path)}:{problem.line}: error: flag {key!r}: {problem.message}", err=True)
            failed = True
    totals = f"{plural(len(steps), 'flag')}, {plural(len(files), 'file')} changed"
    click.echo(f"{totals}, {plural(removed_total, 'line')} removed", err=True)
    groups = [
        ("error", "Not rewritten"),
        ("unsafe-skipped", "Skipped unsafe fixes (use --unsafe-fixes)"),
        ("unsafe-applied", "Applied unsafe fixes"),
        ("signature", "Parameters dropped"),
        ("declaration", "Declarations removed"),
        ("helper", "Helpers removed"),
        ("mock", "Mocks removed"),
        ("review", "For review"),
        ("mention", "Mentions left"),
        ("swept", "Removed leftovers of an interrupted run"),
        ("skipped", "Not looked at"),
    ]
    notes = [note for step in steps for note in step.notes]
    for kind, title in groups:
        chosen = sorted({(n.path, n.line, n.message) for n in notes if n.kind == kind})
        if chosen:
            click.echo(f"{title}:", err=True)
            for path, line, message in chosen:
                where = f"{show(path)}:{line}" if line else show(path)
                click.echo(f"  {where}: {message}", err=True)
    return failed
