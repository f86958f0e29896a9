"""The `flaglint` command: a thin face over the core (config, workspace scan, registry, policy, report)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import io
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click

from flaglint import __version__
from flaglint.engine import jsontext
from flaglint.engine.config import Config
from flaglint.engine.policy import REMOVABLE
from flaglint.engine.words import plural
from flaglint.engine.workspace import ScanResult
from flaglint.model import Finding, Problem, Severity, Snapshot
from flaglint.project import Project, ProjectError
from flaglint.registry.sources import RegistryError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
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


@dataclass(frozen=True)
class Common:
    """The options every command shares."""

    paths: tuple[Path, ...]
    config_path: Path | None
    registry_path: Path | None
    today: dt.date | None
    jobs: int | None
    no_cache: bool
    offline: bool


_COMMON = ("paths", "config_path", "registry_path", "today", "jobs", "no_cache", "offline")


def common_options(func: F) -> F:
    """Add the shared options; the command receives them as one `Common` value, `common`."""

    @functools.wraps(func)
    def packed(**kwargs: Any) -> Any:
        common = Common(**{name: kwargs.pop(name) for name in _COMMON})
        # One short run builds hundreds of thousands of long-lived records (flags, references,
        # findings) and little cyclic garbage: collecting every 700 allocations cost a quarter of a
        # large registry's check. Collect less often; the language server keeps the default.
        gc.set_threshold(100_000, 20, 100)
        return func(common=common, **kwargs)

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
        click.option("--offline", is_flag=True, help="Never contact a flag server: use the pulled registry snapshot."),
    ]
    wrapped: Any = packed
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped


@dataclass(frozen=True)
class Run:
    """What every command starts from: the project session, its scan and its registry snapshot."""

    project: Project
    scan: ScanResult
    snapshot: Snapshot | None

    @property
    def config(self) -> Config:
        return self.project.config

    @property
    def today(self) -> dt.date:
        return self.project.today

    def display(self, rel: str) -> str:
        return _display(self.config.root, rel, self.cwd)

    @functools.cached_property
    def cwd(self) -> str:
        return os.getcwd()


def display(root: Path, rel: str) -> str:
    """A root-relative path as the user should see it: relative to the working directory."""
    return _display(root, rel, os.getcwd())


@functools.lru_cache(maxsize=65536)
def _display(root: Path, rel: str, cwd: str) -> str:
    """`rel` as `_show` puts it; remembered per path (and working directory, part of the key): a
    registry of 100,000 flags shows the same few paths that many times.
    """
    return _show(str(root / rel))


def _show(path: str) -> str:
    """A path as the user should see it: relative to the working directory when it can be."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def _failure(root: Path | None, exc: ProjectError) -> UsageFailure:
    """A ProjectError as the lines the user sees: `file:line: message`, paths from the working directory."""
    lines = []
    for p in exc.problems:
        if not p.line:
            lines.append(p.message if p.path == "registry" else f"{p.path}: {p.message}")
            continue
        shown = p.path if os.path.isabs(p.path) or root is None else str(root / p.path)
        lines.append(f"{_show(shown)}:{p.line}: {p.message}")
    return UsageFailure(lines)


def _open(common: Common) -> Project:
    try:
        return Project.open(
            common.paths,
            config_path=common.config_path,
            registry_path=common.registry_path,
            jobs=common.jobs,
            use_cache=not common.no_cache,
            offline=common.offline,
            today=common.today,
        )
    except ProjectError as exc:
        raise _failure(None, exc) from None


def _registry(project: Project) -> Snapshot | None:
    """The project's registry; its notes (snapshot fallbacks, git) go to stderr once."""
    try:
        return project.registry()
    except ProjectError as exc:
        raise _failure(project.root, exc) from None
    finally:
        _flush_notes(project)


def _flush_notes(project: Project) -> None:
    for note in project.notes:
        click.echo(f"flaglint: {note}", err=True)
    project.notes.clear()


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


def _run(common: Common, *, need_registry: bool = True) -> Run:
    project = _open(common)
    snapshot = _registry(project) if need_registry else None
    progress = _LazyProgress()
    try:
        result = project.scan(list(common.paths) or None, progress)
    finally:
        progress.close()
    _flush_notes(project)
    run = Run(project, result, snapshot)
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
        except KeyboardInterrupt:
            click.echo("flaglint: interrupted (every file is either as it was or fully rewritten)", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


def _findings(run: Run) -> list[Finding]:
    return run.project.findings(run.scan)


def _print_rich(renderable: Any) -> None:
    """Rich output on a terminal; plain text without colours or trailing blanks when piped."""
    from rich.console import Console

    if sys.stdout.isatty():
        Console(highlight=False).print(renderable)
        return
    click.echo(_plain(renderable), nl=False)


class _Commands(click.Group):
    """The commands; those in modules of their own are imported when first used (`clean` brings
    LibCST, a third of a second that `check` and `report` need not pay)."""

    ELSEWHERE: ClassVar[dict[str, str]] = {
        "clean": "flaglint.faces.clean_command",
        "fleet": "flaglint.faces.fleet_command",
        "init": "flaglint.faces.init_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.ELSEWHERE})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.ELSEWHERE and cmd_name not in self.commands:
            import importlib

            self.add_command(getattr(importlib.import_module(self.ELSEWHERE[cmd_name]), cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flaglint")
def main() -> None:
    """Find feature-flag checks, classify them against the flag registry, and pay down flag debt."""
    # SIGTERM (a CI job cancelled) unwinds like Ctrl-C: temporary files are removed, workers stopped.
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def scan(
    common: Common,
    fmt: str,
) -> None:
    """List every flag reference in PATHS (default: the project)."""
    run = _run(common, need_registry=False)
    if fmt == "json":
        from flaglint.faces.report import problem_json, ref_json

        payload = {
            "schema_version": 1,
            "files_scanned": run.scan.files,
            "references": [ref_json(r, run.display) for r in run.scan.refs],
            "problems": [problem_json(p, run.display) for p in run.scan.problems],
        }
        click.echo(jsontext.dumps(payload))
        return
    for ref in run.scan.refs:
        key = ref.key if ref.key is not None else f"<dynamic: {ref.key_text}>"
        s = ref.span
        click.echo(f"{run.display(ref.path)}:{s.line}:{s.column}: {key} ({ref.kind.value}, {ref.pattern})")
    keys = {r.key for r in run.scan.refs if r.key}
    refs, flags, files = (
        plural(len(run.scan.refs), "reference"),
        plural(len(keys), "flag"),
        plural(run.scan.files, "file"),
    )
    click.echo(f"{refs} to {flags} in {files}", err=True)
    _hint_when_nothing_found(run)


_START = (
    "flaglint: no flag reference found. If the project checks flags through its own functions, "
    "`flaglint init` proposes the settings that describe them."
)


def _hint_when_nothing_found(run: Run) -> None:
    """A first run that finds nothing says how to start, rather than looking like a clean bill."""
    if not run.scan.refs and run.scan.files:
        click.echo(_START, err=True)


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
    common: Common,
    fmt: str,
    fail_on: str | None,
) -> None:
    """Report findings as path:line:col: CODE message; exit 1 when any reaches --fail-on."""
    run = _run(common)
    findings = _findings(run)
    if run.snapshot is None:
        message = "no flag registry found (flags.toml); only dynamic keys and unchecked flag objects are checked"
        click.echo(f"flaglint: {message}", err=True)
    if fmt == "json":
        from flaglint.faces.report import finding_json

        click.echo(jsontext.dumps({"schema_version": 1, "findings": [finding_json(f, run.display) for f in findings]}))
    else:
        lines = []
        for f in findings:
            fix = " [fixable]" if f.fixable else ""
            lines.append(f"{run.display(f.path)}:{f.span.line}:{f.span.column}: {f.code} {f.message}{fix}\n")
        if lines:
            click.echo("".join(lines), nl=False)  # one write: a registry of 100,000 flags has that many lines
        if findings:
            counts = ", ".join(f"{s.value} {sum(1 for f in findings if f.severity is s)}" for s in reversed(Severity))
            click.echo(f"Found {plural(len(findings), 'finding')} ({counts}).", err=True)
        else:
            click.echo("No flag debt found.", err=True)
        _hint_when_nothing_found(run)
    threshold = _fail_on(fail_on, run.config)
    if threshold is not None and any(f.severity.rank >= threshold.rank for f in findings):
        sys.exit(EXIT_FINDINGS)


@main.command()
@common_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "markdown", "html", "github"]),
    default="text",
    show_default=True,
    help="text/json: the report; sarif: code scanning; markdown: a PR comment or job summary; "
    "html: one self-contained page with charts; github: workflow annotations.",
)
@click.option("--output", "output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE, not stdout.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="never",
    show_default=True,
    help="Gate: exit 1 when a finding reaches this severity.",
)
@click.option(
    "--max-removable", type=click.IntRange(min=0), help="Gate: exit 1 when more flags than this are removable."
)
@click.option("--max-age", type=click.IntRange(min=0), help="Gate: exit 1 when a referenced flag is older than DAYS.")
@handle_errors
def report(
    common: Common,
    fmt: str,
    output: Path | None,
    fail_on: str,
    max_removable: int | None,
    max_age: int | None,
) -> None:
    """Flag-centric debt report: per flag its type, owner, state, age and references."""
    from flaglint.engine.debt import build
    from flaglint.faces import formats
    from flaglint.faces import report as report_mod

    run = _run(common)
    findings = _findings(run)
    built = build(
        run.scan.refs,
        run.snapshot,
        findings,
        run.today,
        files_scanned=run.scan.files,
        problems=run.scan.problems,
        lifetimes=run.config.lifetimes,
        settle_days=run.config.settle_days,
        now=run.project.now,
    )
    if fmt == "json":
        text = jsontext.dumps(report_mod.to_json(built, run.display)) + "\n"
    elif fmt == "sarif":
        # Paths relative to the project root, which is what code scanning resolves them against.
        text = jsontext.dumps(formats.sarif(built, lambda rel: rel)) + "\n"
    elif fmt == "html":
        from flaglint.engine.history import load_samples

        trend = [(s.date.isoformat(), s.references) for s in load_samples(run.config.cache_path)]
        text = formats.html(built, owner_of=formats.codeowners(run.config.root), trend=trend)
    elif fmt == "github":
        text = formats.github(built.findings, run.display)
    elif fmt == "markdown":
        values = run.project.retire_values(findings)
        steps = run.project.plan_clean(values) if values else []
        removed = sum(step.removed_lines for step in steps)
        owner_of = formats.codeowners(run.config.root)
        config = str(common.config_path) if common.config_path else None
        text = formats.markdown(
            built, run.display, owner_of=owner_of, removed_lines=removed, assume=values, config=config
        )
        text += "\n"
    elif output is None:
        _print_rich(report_mod.render(built, run.display, plain=not sys.stdout.isatty()))
        text = ""
    else:
        text = _plain(report_mod.render(built, run.display, plain=True))
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageFailure([f"{output}: cannot write the report: {exc.strerror}"]) from None
    elif text:
        click.echo(text, nl=False)
    reasons = _gates(built, findings, _fail_on(fail_on, run.config), max_removable, max_age)
    for reason in reasons:
        click.echo(f"flaglint: gate: {reason}", err=True)
    if reasons:
        sys.exit(EXIT_FINDINGS)


def _gates(
    built: Any, findings: Sequence[Finding], threshold: Severity | None, max_removable: int | None, max_age: int | None
) -> list[str]:
    """One line per tripped gate, saying why."""

    def some(keys: Sequence[str]) -> str:
        return ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")

    reasons = []
    if threshold is not None:
        hits = [f for f in findings if f.severity.rank >= threshold.rank]
        if hits:
            reasons.append(f"{plural(len(hits), 'finding')} at or above {threshold.value}")
    if max_removable is not None:
        removable = sorted({f.key for f in findings if f.code in REMOVABLE and f.key})
        if len(removable) > max_removable:
            reasons.append(f"{len(removable)} removable flags: {some(removable)} (at most {max_removable} allowed)")
    if max_age is not None:
        old = [row.key for row in built.rows if row.references and row.age_days is not None and row.age_days > max_age]
        if old:
            reasons.append(f"{plural(len(old), 'referenced flag')} older than {max_age} days: {some(old)}")
    return reasons


def _plain(renderable: Any) -> str:
    from rich.console import Console

    console = Console(highlight=False, width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def _bare(config_path: Path | None) -> Common:
    return Common((), config_path, None, None, None, False, False)


@main.command("history")
@click.option("--since", default="180d", show_default=True, help="How far back: 180d, 26w, 6m, 1y or a date.")
@click.option("--points", type=click.IntRange(min=1, max=500), default=12, show_default=True, help="Commits sampled.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--today", callback=_date, help="Count --since back from this date (YYYY-MM-DD).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write .flaglint_cache/.")
@handle_errors
def history_command(
    since: str, points: int, fmt: str, config_path: Path | None, today: dt.date | None, no_cache: bool
) -> None:
    """Flag debt over time: flags and references at commits sampled along the current branch
    (read from git, nothing checked out). The HTML report draws the last run as its trend.
    """
    from flaglint.engine.history import parse_since

    project = _open(dataclasses.replace(_bare(config_path), no_cache=no_cache, today=today))
    try:
        start = parse_since(since, project.today)
    except ValueError:
        raise UsageFailure([f"--since {since!r}: give 180d, 26w, 6m, 1y or a date like 2026-01-31"]) from None
    try:
        samples = project.history(start, points)
    except ProjectError as exc:
        raise _failure(project.root, exc) from None
    if fmt == "json":
        rows = [
            {"date": s.date.isoformat(), "commit": s.commit, "flags": s.flags, "references": s.references}
            for s in samples
        ]
        click.echo(jsontext.dumps({"schema_version": 1, "samples": rows}))
        return
    if not samples:
        click.echo(f"no commits since {start}", err=True)
        return
    click.echo(f"{'date':10}  {'commit':10}  {'flags':>6}  {'references':>10}")
    for s in samples:
        click.echo(f"{s.date}  {s.commit:10}  {s.flags:>6}  {s.references:>10}")


@main.command("lsp")
@click.option("--tcp", type=click.IntRange(min=1, max=65535), help="Listen on 127.0.0.1:PORT instead of stdio.")
@click.option(
    "--debounce",
    type=click.FloatRange(min=0, max=5),
    default=0.005,
    show_default=True,
    help="Seconds a document waits after a change before it is checked.",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="Seconds between looks at flags.toml, the pulled snapshot and the settings.",
)
@click.option("--online", is_flag=True, help="Let the server call flag servers (default: the pulled snapshot).")
@click.option("--offline", is_flag=True, help="Never contact a flag server (the default; for symmetry with the CLI).")
@click.option("--today", callback=_date, help="Evaluate ages as of this date (YYYY-MM-DD), for reproducible output.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="pyproject.toml or TOML file with the flaglint settings.",
)
@click.option(
    "--registry",
    "registry_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="flags.toml to use instead of the configured one.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write .flaglint_cache/.")
@click.option(
    "--action-deadline",
    type=click.FloatRange(min=0, max=60),
    default=0.05,
    show_default=True,
    help="Seconds a code action waits for its plan before answering with titles alone (edits come on resolve).",
)
@click.option(
    "--plan-deadline",
    type=click.FloatRange(min=0, max=600),
    default=10.0,
    show_default=True,
    help="Seconds a code action waits for its edits, for clients that cannot resolve them later.",
)
def lsp_command(
    tcp: int | None,
    debounce: float,
    poll: float,
    online: bool,
    offline: bool,
    today: dt.date | None,
    config_path: Path | None,
    registry_path: Path | None,
    no_cache: bool,
    action_deadline: float,
    plan_deadline: float,
) -> None:
    """Run the language server: diagnostics, hovers, completion, definitions, references and
    removal quick fixes in any LSP editor (set-ups under lsp/ in the flaglint repository).
    """
    import logging

    from flaglint.faces.lsp import Options, serve

    if online and offline:
        raise UsageFailure(["--online and --offline cannot go together"])
    # The protocol owns stdout; anything worth saying about the server itself goes to stderr.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="flaglint lsp: %(message)s")
    options = Options(
        debounce=debounce,
        poll=poll,
        offline=not online,
        today=today,
        config_path=config_path.resolve() if config_path else None,
        registry_path=registry_path.resolve() if registry_path else None,
        use_cache=not no_cache,
        action_deadline=action_deadline,
        plan_deadline=plan_deadline,
    )
    sys.exit(serve(options, tcp))


@main.group()
def registry() -> None:
    """Work with the flag registry: pull a snapshot, show what is known about flags."""


@registry.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@handle_errors
def pull(config_path: Path | None) -> None:
    """Fetch every flag server and store the snapshot under .flaglint_cache/registry.json."""
    from flaglint.registry.load import pull as pull_registry

    project = _open(_bare(config_path))
    config = project.config
    if not config.sources:
        raise UsageFailure(["no flag server or registry file is configured in [tool.flaglint.registry]"])
    try:
        fetched = pull_registry(config, os.environ)
    except RegistryError as exc:
        raise _failure(config.root, ProjectError(exc.problems)) from None
    for name, snap in fetched.items():
        click.echo(f"{name}: {plural(len(snap.flags), 'flag')}", err=True)
    click.echo(f"saved {_show(str(config.snapshot_path))}", err=True)


@registry.command()
@click.argument("key", required=False)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--offline", is_flag=True, help="Never contact a flag server: use the pulled snapshot.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def show(key: str | None, config_path: Path | None, offline: bool, fmt: str) -> None:
    """What the registry knows about every flag, or about KEY."""
    from flaglint.registry.snapshot import flag_to_json

    project = _open(dataclasses.replace(_bare(config_path), offline=offline))
    snapshot = _registry(project)
    if snapshot is None:
        raise UsageFailure(["no flag registry is configured"])
    flags = [f for f in snapshot.flags if key is None or f.key == key]
    if key is not None and not flags:
        raise UsageFailure([f"flag {key!r} is not in the registry ({snapshot.source})"])
    if fmt == "json":
        click.echo(jsontext.dumps({"schema_version": 1, "flags": [flag_to_json(f) for f in flags]}))
        return
    from rich.table import Table

    table = Table(box=None, show_edge=False, pad_edge=False)
    for column in ("flag", "type", "state", "value", "created", "stale", "lifecycle", "environments", "source"):
        table.add_column(column, overflow="fold")
    for f in flags:
        created = f.created or (f"{f.in_code_since} (git)" if f.in_code_since else None)
        stale = "yes" if f.stale else "potentially" if f.potentially_stale else "no"
        envs = " ".join(f"{env}={verdict}" for env, verdict in f.environments) or "-"
        table.add_row(
            f.key,
            f.type.value,
            f.state.value,
            f.value or "-",
            str(created or "-"),
            stale,
            f.lifecycle or "-",
            envs,
            f.source or "-",
        )
    _print_rich(table)
