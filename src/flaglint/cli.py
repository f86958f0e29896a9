"""The `flaglint` command: a thin face over the core (config, workspace scan, registry, policy, report)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from flaglint import __version__
from flaglint.config import Config, ConfigError, find_config, load_config
from flaglint.model import Finding, Problem, Severity, Snapshot
from flaglint.registry import FlagsToml, RegistryError
from flaglint.workspace import ScanResult, scan_project

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])


class UsageFailure(Exception):
    """An expected failure that ends the run with exit code 2 and these lines on stderr."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


def common_options(func: F) -> F:
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="pyproject.toml or TOML file with the flaglint settings.",
        ),
        click.option(
            "--registry",
            "registry_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="flags.toml to use instead of the configured one.",
        ),
        click.option(
            "--today", callback=_date, help="Evaluate ages as of this date (YYYY-MM-DD), for reproducible output."
        ),
        click.option(
            "--jobs", "-j", type=click.IntRange(min=1), help="Parallel workers for parsing (default: CPU count)."
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write .flaglint_cache/."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass(frozen=True)
class Run:
    """What every command starts from: the config, the scan, and the registry snapshot."""

    config: Config
    scan: ScanResult
    snapshot: Snapshot | None
    today: dt.date

    def display(self, rel: str) -> str:
        """A root-relative path as the user should see it: relative to the working directory."""
        full = self.config.root / rel
        try:
            return os.path.relpath(full)
        except ValueError:
            return str(full)


def _setup(paths: tuple[Path, ...], config_path: Path | None, registry_path: Path | None) -> Config:
    for path in paths:
        if not path.exists():
            raise UsageFailure([f"{path}: no such file or directory"])
    start = paths[0] if paths else Path.cwd()
    found = config_path or find_config(start.resolve())
    if config_path is not None and not config_path.is_file():
        raise UsageFailure([f"{config_path}: config file not found"])
    fallback = Path.cwd().resolve()
    if paths and not all(fallback in (p.resolve(), *p.resolve().parents) for p in paths):
        fallback = start.resolve() if start.is_dir() else start.resolve().parent
    try:
        config = load_config(found.resolve() if found else None, fallback)
    except ConfigError as exc:
        raise UsageFailure([f"{_show(p.path)}:{p.line}: {p.message}" for p in exc.problems]) from None
    if registry_path is not None:
        config = dataclasses.replace(config, registry_path=registry_path.resolve(), registry_required=True)
    return config


def _show(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def _load_snapshot(config: Config) -> Snapshot | None:
    path = config.registry_path
    if path is None:
        return None
    if not path.exists() and not config.registry_required:
        return None
    display = os.path.relpath(path, config.root) if config.root in path.parents else str(path)
    try:
        return FlagsToml(path, Path(display).as_posix()).load()
    except RegistryError as exc:
        lines = []
        for p in exc.problems:
            shown = _show(str(config.root / p.path)) if not os.path.isabs(p.path) else p.path
            lines.append(f"{shown}:{p.line}: {p.message}")
        raise UsageFailure(lines) from None


class _LazyProgress:
    """A progress bar on stderr that appears only once a scan has run for a second, on a terminal."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.bar: Any = None
        self.task: Any = None
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if self.clock() - self.started < 1.0:
                return
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("scanning", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _run(
    paths: tuple[Path, ...],
    config_path: Path | None,
    registry_path: Path | None,
    today: dt.date | None,
    jobs: int | None,
    no_cache: bool,
    *,
    need_registry: bool = True,
) -> Run:
    config = _setup(paths, config_path, registry_path)
    snapshot = _load_snapshot(config) if need_registry else None
    progress = _LazyProgress()
    try:
        result = scan_project(config, [p for p in paths] or None, jobs=jobs, use_cache=not no_cache, progress=progress)
    finally:
        progress.close()
    run = Run(config, result, snapshot, today or dt.date.today())
    for problem in result.problems:
        click.echo(_problem_line(run, problem), err=True)
    return run


def _problem_line(run: Run, problem: Problem) -> str:
    column = f":{problem.column}" if problem.column else ""
    return f"{run.display(problem.path)}:{problem.line}{column}: {problem.message}"


def handle_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageFailure as exc:
            for line in exc.lines:
                click.echo(f"flaglint: error: {line}", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def _findings(run: Run) -> list[Finding]:
    from flaglint.policy import evaluate

    return evaluate(
        run.scan.refs,
        run.snapshot,
        run.today,
        lifetimes=run.config.lifetimes,
        ignore=run.config.ignore,
        whole_project=run.scan.covers_root,
    )


def _print_rich(renderable: Any) -> None:
    """Rich output on a terminal; plain text without colours or trailing blanks when piped."""
    from rich.console import Console

    if sys.stdout.isatty():
        Console(highlight=False).print(renderable)
        return
    console = Console(highlight=False, width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    click.echo("\n".join(line.rstrip() for line in console.export_text().splitlines()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flaglint")
def main() -> None:
    """Find feature-flag checks, classify them against the flag registry, and pay down flag debt."""


@main.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def scan(
    paths: tuple[Path, ...],
    config_path: Path | None,
    registry_path: Path | None,
    today: dt.date | None,
    jobs: int | None,
    no_cache: bool,
    fmt: str,
) -> None:
    """List every flag reference in PATHS (default: the project)."""
    run = _run(paths, config_path, registry_path, today, jobs, no_cache, need_registry=False)
    if fmt == "json":
        from flaglint.report import problem_json, ref_json

        payload = {
            "schema_version": 1,
            "files_scanned": run.scan.files,
            "references": [ref_json(r, run.display) for r in run.scan.refs],
            "problems": [problem_json(p, run.display) for p in run.scan.problems],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    for ref in run.scan.refs:
        key = ref.key if ref.key is not None else f"<dynamic: {ref.key_text}>"
        s = ref.span
        click.echo(f"{run.display(ref.path)}:{s.line}:{s.column}: {key} ({ref.kind.value}, {ref.pattern})")
    keys = {r.key for r in run.scan.refs if r.key}
    click.echo(f"{len(run.scan.refs)} references to {len(keys)} flags in {run.scan.files} files", err=True)


def _fail_on(value: str | None, config: Config) -> Severity | None:
    if value == "never":
        return None
    return Severity(value) if value else config.fail_on


@main.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    help="Lowest severity that makes the exit code 1 [default: error, or fail-on in the config].",
)
@handle_errors
def check(
    paths: tuple[Path, ...],
    config_path: Path | None,
    registry_path: Path | None,
    today: dt.date | None,
    jobs: int | None,
    no_cache: bool,
    fmt: str,
    fail_on: str | None,
) -> None:
    """Report findings as path:line:col: CODE message; exit 1 when any reaches --fail-on."""
    run = _run(paths, config_path, registry_path, today, jobs, no_cache)
    findings = _findings(run)
    if run.snapshot is None:
        click.echo("flaglint: no flag registry found (flags.toml); only dynamic keys are checked", err=True)
    if fmt == "json":
        from flaglint.report import finding_json

        click.echo(
            json.dumps({"schema_version": 1, "findings": [finding_json(f, run.display) for f in findings]}, indent=2)
        )
    else:
        for f in findings:
            fix = " [fixable]" if f.fixable else ""
            click.echo(f"{run.display(f.path)}:{f.span.line}:{f.span.column}: {f.code} {f.message}{fix}")
        if findings:
            counts = ", ".join(f"{s.value} {sum(1 for f in findings if f.severity is s)}" for s in reversed(Severity))
            click.echo(f"Found {len(findings)} findings ({counts}).", err=True)
        else:
            click.echo("No flag debt found.", err=True)
    threshold = _fail_on(fail_on, run.config)
    if threshold is not None and any(f.severity.rank >= threshold.rank for f in findings):
        sys.exit(EXIT_FINDINGS)


@main.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="never",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@handle_errors
def report(
    paths: tuple[Path, ...],
    config_path: Path | None,
    registry_path: Path | None,
    today: dt.date | None,
    jobs: int | None,
    no_cache: bool,
    fmt: str,
    fail_on: str,
) -> None:
    """Flag-centric debt report: per flag its type, owner, state, age and references."""
    from flaglint import report as report_mod

    run = _run(paths, config_path, registry_path, today, jobs, no_cache)
    findings = _findings(run)
    built = report_mod.build(
        run.scan.refs, run.snapshot, findings, run.today, files_scanned=run.scan.files, problems=run.scan.problems
    )
    if fmt == "json":
        click.echo(json.dumps(report_mod.to_json(built, run.display), indent=2))
    else:
        _print_rich(report_mod.render(built, run.display, plain=not sys.stdout.isatty()))
    threshold = _fail_on(fail_on, run.config)
    if threshold is not None and any(f.severity.rank >= threshold.rank for f in findings):
        sys.exit(EXIT_FINDINGS)
