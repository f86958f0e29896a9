"""`flaglint fleet`: flag debt across many repositories. `scan` runs on Dask (an embedded
LocalCluster, or the cluster at `--scheduler`) and keeps every run in a DuckDB file; `report`
joins the registry with every repository's references; `export` writes the tables as Parquet."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from flaglint.engine import jsontext
from flaglint.engine.config import DEFAULT_SETTLE_DAYS, Config, ConfigError, load_config
from flaglint.engine.words import plural
from flaglint.faces.cli import EXIT_ERROR, UsageFailure, _date, _print_rich, handle_errors
from flaglint.model import Problem, Snapshot

STORE_HELP = "The DuckDB file that keeps every run."
EXTRA = "flaglint fleet needs its extra: pip install 'flaglint[fleet]' (Dask distributed and DuckDB)"


store_option = click.option(
    "--store",
    "store_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("fleet.duckdb"),
    show_default=True,
    help=STORE_HELP,
)


def _needs_extra() -> None:
    """One clear line, not a traceback, when Dask or DuckDB is not installed."""
    try:
        import distributed  # noqa: F401
        import duckdb  # noqa: F401
    except ImportError:
        raise UsageFailure([EXTRA]) from None


@click.group()
def fleet() -> None:
    """Flag debt across many repositories: scan them on Dask, report across all of them."""


def _organisation(config_path: Path | None, registry_path: Path | None) -> tuple[Config | None, str]:
    """The organisation settings (the fallback for repositories without their own) and their text."""
    if config_path is None:
        if registry_path is None:
            return None, ""
        config = Config(root=Path.cwd(), registry_path=registry_path.resolve(), registry_required=True)
        return config, f"registry={registry_path.resolve()}"
    if not config_path.is_file():
        raise UsageFailure([f"{config_path}: config file not found"])
    try:
        config = load_config(config_path.resolve(), config_path.resolve().parent)
    except ConfigError as exc:
        raise UsageFailure([_said(p) for p in exc.problems]) from None
    if registry_path is not None:
        config = dataclasses.replace(config, registry_path=registry_path.resolve(), registry_required=True)
    return config, config_path.read_text(encoding="utf-8", errors="replace")


def _said(problem: Problem) -> str:
    return str(problem) if problem.line else problem.message


def _registry(config: Config | None, today: dt.date | None) -> Snapshot | None:
    """The organisation's registry, loaded once (None when none is configured)."""
    if config is None or (config.registry_path is None and not config.sources):
        return None
    from flaglint.project import Project, ProjectError

    try:
        return Project(config, today=today).registry()
    except ProjectError as exc:
        raise UsageFailure([_said(p) for p in exc.problems]) from None


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client: of the cluster at `scheduler`, else of an embedded LocalCluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise UsageFailure([f"cannot reach the Dask scheduler at {scheduler}: {exc}"]) from None
        with client:
            yield client
        return
    count = workers or max(1, min(os.cpu_count() or 1, 8))
    cluster = LocalCluster(
        n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    with cluster, Client(cluster) as client:
        yield client


def _progress() -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """A progress bar on a terminal (stderr), nothing when piped."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("scanning repositories"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("scan", total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar.stop


def _say(problem: Problem) -> None:
    click.echo(f"flaglint: {_said(problem)}", err=True)


@fleet.command("scan")
@click.argument("repos", nargs=-1)
@click.option(
    "--from",
    "from_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A file: one repository per line (PATH_OR_URL [REF]).",
)
@store_option
@click.option(
    "--scheduler",
    envvar="DASK_SCHEDULER_ADDRESS",
    help="A Dask scheduler (tcp://host:8786); default: an embedded LocalCluster.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Workers of the embedded cluster (default: CPU count, at most 8)."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Organisation settings: patterns and registry for repositories without their own.",
)
@click.option(
    "--registry",
    "registry_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="flags.toml to judge the run against (instead of the configured one).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".flaglint_cache/fleet"),
    show_default=True,
    help="Where repositories given by URL are mirrored.",
)
@click.option(
    "--batch-files",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="A repository with more Python files is scanned in several tasks.",
)
@click.option("--today", callback=_date, help="Evaluate ages as of this date (YYYY-MM-DD).")
@handle_errors
def fleet_scan(
    repos: tuple[str, ...],
    from_file: Path | None,
    store_path: Path,
    scheduler: str | None,
    workers: int | None,
    config_path: Path | None,
    registry_path: Path | None,
    cache_dir: Path,
    batch_files: int,
    today: dt.date | None,
) -> None:
    """Scan REPO... (local checkouts, bare mirrors or git URLs; `#REF` picks a ref) on Dask and
    record the run. A repository whose commit was scanned before is not scanned again."""
    from flaglint.fleet import repos as repos_mod
    from flaglint.fleet.run import scan_fleet, settings_key
    from flaglint.fleet.store import Store, StoreError

    _needs_extra()
    specs = [repos_mod.parse_spec(r) for r in repos]
    if from_file is not None:
        try:
            specs += repos_mod.read_list(from_file)
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageFailure([f"{from_file}: cannot read the repository list: {exc}"]) from None
    if not specs:
        raise UsageFailure(["no repositories: give REPO... or --from FILE"])
    organisation, text = _organisation(config_path, registry_path)
    snapshot = _registry(organisation, today)
    repositories, problems = repos_mod.resolve(specs, cache_dir.resolve(), Path.cwd())
    for problem in problems:
        _say(problem)
    if not repositories:
        raise UsageFailure(["no repository could be read"])
    now = dt.datetime.now(dt.timezone.utc)
    update, stop = _progress()
    try:
        with Store(store_path) as store, contextlib.ExitStack() as stack:
            outcome = scan_fleet(
                repositories,
                store,
                lambda: stack.enter_context(_client(scheduler, workers)),
                organisation,
                settings_key(text),
                now=now,
                clock=lambda: dt.datetime.now(dt.timezone.utc),
                registry=snapshot.source if snapshot else None,
                config=str(config_path.resolve()) if config_path else None,
                batch_files=batch_files,
                progress=update,
            )
            if snapshot is not None:
                fleet_report = _build(store, outcome.run_id, snapshot, organisation, today or now.date())
                findings = [(f.repo, f.path, f.finding) for f in fleet_report.findings]
                store.save_verdicts(outcome.run_id, fleet_report.flag_counts(), findings)
    except StoreError as exc:
        raise UsageFailure([str(exc)]) from None
    finally:
        stop()
    for problem in outcome.problems:
        _say(problem)
    scanned, reused = len(outcome.scanned), len(outcome.reused)
    click.echo(
        f"flaglint: fleet run {outcome.run_id}: {plural(scanned, 'repository')} scanned, {reused} unchanged"
        f" since their last scan; stored in {store_path}",
        err=True,
    )
    if problems or outcome.problems:
        sys.exit(EXIT_ERROR)


def _build(store: Any, run_id: int, snapshot: Snapshot | None, config: Config | None, today: dt.date) -> Any:
    from flaglint.fleet.summary import build_fleet

    return build_fleet(
        store.references(run_id),
        store.run_repositories(run_id),
        snapshot,
        today,
        problems=store.problems(run_id),
        trend=store.trend(),
        lifetimes=config.lifetimes if config else None,
        settle_days=config.settle_days if config else DEFAULT_SETTLE_DAYS,
        ignore=config.ignore if config else frozenset(),
    )


@contextlib.contextmanager
def _reading(store_path: Path) -> Iterator[Any]:
    """The store, read only; a missing or broken one is one line and exit code 2."""
    from flaglint.fleet.store import Store, StoreError

    _needs_extra()
    if not store_path.is_file():
        raise UsageFailure([f"{store_path}: no fleet store here: run `flaglint fleet scan` first"])
    try:
        with Store(store_path, read_only=True) as store:
            yield store
    except StoreError as exc:
        raise UsageFailure([str(exc)]) from None


def _latest(store: Any, store_path: Path, config_path: Path | None) -> tuple[int, Path | None]:
    """The latest finished run, and the settings file to read: the one given, else the run's own."""
    run_id = store.latest_run()
    if run_id is None:
        raise UsageFailure([f"{store_path}: no finished fleet run: run `flaglint fleet scan` first"])
    if config_path is None:
        used, _ = store.settings_of(run_id)
        config_path = Path(used) if used and Path(used).is_file() else None
    return run_id, config_path


@fleet.command("report")
@store_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Organisation settings (registry, lifetimes).",
)
@click.option(
    "--registry", "registry_path", type=click.Path(path_type=Path, dir_okay=False), help="flags.toml to judge against."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown", "html", "sarif"]),
    default="table",
    show_default=True,
)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE, not stdout.")
@click.option("--today", callback=_date, help="Evaluate ages as of this date (YYYY-MM-DD).")
@handle_errors
def fleet_report(
    store_path: Path,
    config_path: Path | None,
    registry_path: Path | None,
    fmt: str,
    output: Path | None,
    today: dt.date | None,
) -> None:
    """The registry joined with every repository's references, from the latest fleet run."""
    from flaglint.faces import fleet_formats

    with _reading(store_path) as store:
        run_id, remembered = _latest(store, store_path, config_path)
        settings = remembered if config_path is not None or registry_path is None else None
        organisation, _ = _organisation(settings, registry_path)
        snapshot = _registry(organisation, today)
        built = _build(store, run_id, snapshot, organisation, today or dt.date.today())
        commits = {name: commit for name, commit, _ in store.run_repositories(run_id)}
    if fmt == "json":
        text = jsontext.dumps(fleet_formats.to_json(built)) + "\n"
    elif fmt == "sarif":
        text = jsontext.dumps(fleet_formats.sarif(built, commits)) + "\n"
    elif fmt == "markdown":
        text = fleet_formats.markdown(built)
    elif fmt == "html":
        text = fleet_formats.html(built)
    elif output is None and sys.stdout.isatty():
        _print_rich(fleet_formats.render(built))
        return
    else:
        text = fleet_formats.plain(built)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageFailure([f"{output}: cannot write the report: {exc.strerror}"]) from None


@fleet.command("export")
@store_option
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@handle_errors
def fleet_export(store_path: Path, folder: Path) -> None:
    """Write every table of the store as FOLDER/<table>.parquet."""
    with _reading(store_path) as store:
        try:
            written = store.export_parquet(folder)
        except OSError as exc:
            raise UsageFailure([f"{folder}: cannot write: {exc.strerror}"]) from None
    click.echo(f"flaglint: wrote {len(written)} tables to {folder}", err=True)


@fleet.command("publish")
@click.option(
    "--unleash", "unleash", is_flag=True, required=True, help="Publish to the Unleash server of the settings."
)
@click.option("--apply", "apply", is_flag=True, help="Write the links (default: say what would change).")
@click.option(
    "--link-template",
    help="Where a link points: a code-host URL with {repo}, {commit}, {path}, {line}, {flag}"
    " (e.g. https://git.example.com/{repo}/blob/{commit}/{path}#L{line}).",
)
@click.option("--report-url", help="Point every link at this URL (the published fleet report) instead.")
@store_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Organisation settings naming the Unleash server ([registry.unleash]).",
)
@handle_errors
def fleet_publish(
    unleash: bool,
    apply: bool,
    link_template: str | None,
    report_url: str | None,
    store_path: Path,
    config_path: Path | None,
) -> None:
    """Set on each Unleash flag a link saying where the fleet still checks it; remove flaglint's
    link from flags no repository checks. Only links titled `flaglint: ...` are touched."""
    from flaglint.fleet import links
    from flaglint.registry.load import unleash_settings
    from flaglint.registry.sources import SourceError
    from flaglint.registry.unleash import UnleashClient

    if (link_template is None) == (report_url is None):
        raise UsageFailure(["say where the links point: --link-template TEMPLATE or --report-url URL"])
    if link_template is not None and (problem := links.template_problem(link_template)):
        raise UsageFailure([problem])
    with _reading(store_path) as store:
        run_id, config_path = _latest(store, store_path, config_path)
        refs = store.references(run_id)
        commits = {name: commit for name, commit, _ in store.run_repositories(run_id)}
    organisation, _ = _organisation(config_path, None)
    specs = [s for s in (organisation.sources if organisation else ()) if s.kind == "unleash"]
    if not specs:
        raise UsageFailure(["the organisation settings name no Unleash server: add [registry.unleash] (--config)"])
    settings = unleash_settings(specs[0])
    token = os.environ.get(settings.token_env, "").strip()
    if not token:
        raise UsageFailure([f"set ${settings.token_env} to an Unleash API token allowed to update flags"])
    counts, sites = links.where_checked(refs, commits)
    client = UnleashClient(settings, token)
    done = 0
    try:
        features = [
            links.Feature(project, str(item["name"]), tuple(client.links(project, str(item["name"]))))
            for project in settings.projects
            for item in client.search(project)
            if isinstance(item.get("name"), str)
        ]
        changes = links.plan(features, counts, sites, template=link_template, report_url=report_url)
        for change in changes:
            if apply:
                _apply(client, change)
                done += 1
            verb = {"add": "added", "update": "updated", "remove": "removed"}[change.action] if apply else change.action
            click.echo(f"{verb} {change.project}/{change.flag}: {change.title} -> {change.url}")
    except SourceError as exc:
        raise UsageFailure([str(exc), f"{done} link changes were written before it"] if done else [str(exc)]) from None
    finally:
        client.close()
    tally = {action: sum(1 for c in changes if c.action == action) for action in ("add", "update", "remove")}
    summary = f"{tally['add']} to add, {tally['update']} to update, {tally['remove']} to remove"
    tail = "written" if apply else "dry run: --apply writes them"
    click.echo(f"flaglint: {len(features)} Unleash flags; links: {summary} ({tail})", err=True)


def _apply(client: Any, change: Any) -> None:
    if change.action == "add":
        client.add_link(change.project, change.flag, change.url, change.title)
    elif change.action == "update":
        client.update_link(change.project, change.flag, change.link, change.url, change.title)
    else:
        client.delete_link(change.project, change.flag, change.link)
