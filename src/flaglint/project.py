"""One project as every face sees it: the core session that the CLI, the pre-commit hook, the
reports and the language server all call.

`Project.open` finds the project root and its settings; `registry()` loads the flag registry once
(with git age); `scan()` scans files, `scan_text()` one module's unsaved text against the cached
index of the rest; `findings()` applies the policy; `plan_clean()` plans retirements. Nothing
here prints or exits: user-facing notes collect in `notes`, failures are `ProjectError` with one
Problem per line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from flaglint.engine.config import Config, ConfigError, find_config, load_config
from flaglint.engine.policy import REMOVABLE
from flaglint.engine.source import decode, source_encoding
from flaglint.engine.workspace import Progress, ScanResult, Workspace
from flaglint.model import FileScan, Finding, FlagRef, FlagState, KeySource, Location, Problem, Snapshot
from flaglint.registry.sources import RegistryError

if TYPE_CHECKING:
    from flaglint.engine.debt import FlagRow
    from flaglint.engine.history import Sample
    from flaglint.fix.step import Step


class ProjectError(Exception):
    """An expected failure (bad config, bad registry, missing path): one Problem per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = list(problems)


def find_root(paths: Sequence[Path], cwd: Path) -> tuple[Path, Path | None]:
    """The project root and its own config: the folder of the nearest pyproject.toml with a
    [tool.flaglint] table above the first path (or the working directory), else the working
    directory when the paths lie inside it, else the first path's folder.
    """
    # Where the paths are as named, not where their symlinks lead: a linked folder never moves the root.
    named = [Path(os.path.abspath(cwd / p)) for p in paths]
    start = named[0] if named else cwd
    found = find_config(start)
    if found is not None:
        return found.parent.resolve(), found.resolve()
    if named and not all(cwd in (p, *p.parents) for p in named):
        start = start.resolve()
        return (start if start.is_dir() else start.parent), None
    return cwd, None


class Project:
    """Settings, registry, scans and findings of one project, computed once and reused."""

    def __init__(
        self,
        config: Config,
        *,
        jobs: int | None = None,
        use_cache: bool = True,
        offline: bool = False,
        environ: Mapping[str, str] | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.config = config
        self.jobs = jobs
        self.use_cache = use_cache
        self.offline = offline
        self.environ = dict(os.environ if environ is None else environ)
        # "Evaluated 3 h ago" needs the hour: another day given as today means that day's midnight, UTC.
        self.now = dt.datetime.now(dt.timezone.utc)
        if today is not None and today != self.now.date():
            self.now = dt.datetime.combine(today, dt.time(), dt.timezone.utc)
        self.today = today or self.now.date()
        self.notes: list[str] = []
        self._registry: tuple[Snapshot | None] | None = None
        self._workspace: Workspace | None = None
        self.last_scan: ScanResult | None = None
        self.indexing = False  # a whole-project scan is being built elsewhere (an editor's background index)
        self._views: dict[str, tuple[tuple[object, ...], FileScan]] = {}

    @classmethod
    def open(
        cls,
        paths: Sequence[Path] = (),
        *,
        config_path: Path | None = None,
        registry_path: Path | None = None,
        cwd: Path | None = None,
        **options: object,
    ) -> Project:
        """The project holding `paths` (default: the working directory). `config_path` only
        supplies settings, as in Ruff: the root still comes from the paths and the working directory.
        """
        here = (cwd or Path.cwd()).resolve()
        missing = [Problem(str(p), 0, 0, "no such file or directory") for p in paths if not os.path.lexists(p)]
        if missing:
            raise ProjectError(missing)
        if config_path is not None and not config_path.is_file():
            raise ProjectError([Problem(str(config_path), 0, 0, "config file not found")])
        try:
            root, own = find_root(paths, here)
            settings = config_path if config_path is not None else own
            config = load_config(settings.resolve() if settings else None, root)
        except ConfigError as exc:
            raise ProjectError(exc.problems) from None
        if registry_path is not None:
            config = dataclasses.replace(config, registry_path=registry_path.resolve(), registry_required=True)
        return cls(config, **options)  # type: ignore[arg-type]

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def workspace(self) -> Workspace:
        """The files, cache and module index; kept between scans so the language server reuses it."""
        if self._workspace is None:
            self._workspace = Workspace(self.config, jobs=self.jobs, use_cache=self.use_cache)
        return self._workspace

    # --- registry ---

    def registry(self) -> Snapshot | None:
        """The combined registry (loaded once), with "in code since" from git where dates are missing."""
        if self._registry is None:
            self._registry = (self._load_registry(),)
        return self._registry[0]

    def reload_registry(self) -> Snapshot | None:
        """Forget the loaded registry (flags.toml edited, snapshot refreshed) and load it again."""
        self._registry = None
        return self.registry()

    def _load_registry(self) -> Snapshot | None:
        from flaglint.registry.load import load_registry

        try:
            loaded = load_registry(self.config, self.environ, offline=self.offline, use_cache=self.use_cache)
        except RegistryError as exc:
            raise ProjectError(exc.problems) from None
        self.notes.extend(loaded.notes)
        if loaded.snapshot is None or not self.config.age_from_git:
            return loaded.snapshot
        return self._with_git_age(loaded.snapshot)

    def _with_git_age(self, snapshot: Snapshot) -> Snapshot:
        from flaglint.engine import gitinfo

        undated = [f.key for f in snapshot.flags if f.created is None]
        dates, note = gitinfo.first_seen(self.root, undated, self.config.cache_path / "git-age.json")
        if note:
            self.notes.append(note)
        if not dates:
            return snapshot
        flags = tuple(
            dataclasses.replace(f, in_code_since=dates[f.key]) if f.key in dates else f for f in snapshot.flags
        )
        return dataclasses.replace(snapshot, flags=flags)

    # --- scanning ---

    def scan(self, paths: Sequence[Path] | None = None, progress: Progress | None = None) -> ScanResult:
        """Every flag reference under `paths` (default: the whole project), keys resolved."""
        self.last_scan = self.workspace.scan(paths or None, progress)
        if self.last_scan.swept:
            self.notes.append(_swept_note(self.last_scan.swept))
        return self.last_scan

    def index_later(self) -> Callable[[Progress | None], tuple[Workspace, ScanResult]]:
        """The whole-project scan, to run on another thread while this session goes on: it scans a
        copy of the workspace; `adopt_index` takes the result back (on this session's thread)."""
        self.indexing = True
        workspace = self.workspace.isolated()

        def run(progress: Progress | None) -> tuple[Workspace, ScanResult]:
            return workspace, workspace.scan(None, progress)

        return run

    def adopt_index(self, built: Workspace, result: ScanResult) -> None:
        """Take a whole-project scan made by `index_later`: its scans, and its cache entries
        (saved to disk as a scan of this session's would be)."""
        mine = self.workspace
        mine.scans.update(built.scans)
        mine.digests.update(built.digests)
        mine.files, mine.skipped = built.files, built.skipped
        for rel, entry in built.cache.entries.items():
            mine.cache.put(rel, entry)
        mine.cache.save()
        self.last_scan = result
        self.indexing = False
        if result.swept:
            self.notes.append(_swept_note(result.swept))

    def scan_text(self, path: Path | str, text: str) -> FileScan:
        """One module's unsaved text, with keys resolved against the index of the rest of the
        project (the cache, and the modules it imports keys from): what an editor calls per edit.
        """
        from flaglint.engine.detect import scan_source, scan_view
        from flaglint.engine.resolve import link

        workspace = self.workspace
        rel = self._rel(path)
        module, patterns = workspace.module_of(rel), workspace.patterns
        # Most edits land in code that cannot hold a reference, which the view stands in for: the
        # same view scans the same, so only the last one per document is kept.
        view = scan_view(text, patterns)
        key = (module, patterns, view)
        last = self._views.get(rel)
        if last is not None and last[0] == key:
            found = last[1]
        else:
            found = scan_source(rel, text, module, patterns, view=view)
            self._views[rel] = (key, found)
        refs = link(found.refs, workspace.lookup, workspace.patterns)
        return dataclasses.replace(found, refs=tuple(refs))

    def includes(self, path: Path) -> bool:
        """Whether a file belongs to what flaglint checks (a .py file under the root, excluded
        neither by the config nor by .gitignore); it need not exist yet (an editor's new buffer).
        """
        from flaglint.engine.workspace import included

        named = Path(os.path.abspath(path))
        return included(self.root, named.parent.resolve() / named.name, self.config)

    # --- policy ---

    def findings(self, scan: ScanResult | None = None) -> list[Finding]:
        """The policy's verdicts on a scan (default: the last one) against the registry."""
        from flaglint.engine.policy import evaluate

        result = scan or self.last_scan or self.scan()
        return evaluate(
            result.refs,
            self.registry(),
            self.today,
            lifetimes=self.config.lifetimes,
            settle_days=self.config.settle_days,
            now=self.now,
            ignore=self.config.ignore,
            whole_project=result.covers_root,
        )

    def findings_for(self, refs: Sequence[object]) -> list[Finding]:
        """The verdicts on some references alone (one document), never FL008."""
        from flaglint.engine.policy import evaluate

        return evaluate(
            refs,  # type: ignore[arg-type]
            self.registry(),
            self.today,
            lifetimes=self.config.lifetimes,
            settle_days=self.config.settle_days,
            now=self.now,
            ignore=self.config.ignore,
            whole_project=False,
        )

    def removable(self, paths: Sequence[Path] | None = None) -> dict[str, str | None]:
        """Every flag the policy marks FL002, FL003 or FL004, with the value the code should keep."""
        snapshot = self.registry()
        if snapshot is None:
            raise ProjectError([Problem("registry", 0, 0, "--from-registry needs a flag registry (flags.toml)")])
        return self.retire_values(self.findings(self.scan(paths)))

    def retire_values(self, findings: Sequence[Finding]) -> dict[str, str | None]:
        """The flags `findings` mark FL002, FL003 or FL004, with the value the code should keep."""
        snapshot = self.registry()
        values: dict[str, str | None] = {}
        for key in sorted({f.key for f in findings if f.code in REMOVABLE and f.key}):
            flag = snapshot.get(key) if snapshot else None
            if flag is not None:
                values[key] = flag.value or ("True" if flag.state is FlagState.ROLLED_OUT else None)
        return values

    # --- what an editor asks ---

    def watched_files(self) -> list[Path]:
        """The files whose change means reloading: the settings, flags.toml, file sources and the
        pulled snapshot (a long-running face polls these).
        """
        files = [self.config.config_path, self.config.registry_path, self.config.snapshot_path]
        files += [Path(spec.option("path")) for spec in self.config.sources if spec.option("path")]
        return [f for f in files if f is not None]

    def forget_text(self, path: Path | str) -> None:
        """A document was closed: its file on disk is the truth again."""
        self._views.pop(self._rel(path), None)

    def refresh(self) -> ScanResult:
        """Files changed on disk (a save, a checkout): forget what modules define, scan again
        (only changed files are parsed again).
        """
        self.workspace.defs.clear()
        return self.scan()

    def references(self, key: str | None = None) -> list[FlagRef]:
        """Every reference in the project as an editor sees it (of `key` only, when given): the
        last whole-project scan, with each open document's text from `scan_text` in place of its file.
        """
        from flaglint.engine.resolve import link

        if self.last_scan is None and self.indexing:
            scanned: Sequence[FlagRef] = ()  # the index is on its way: the open documents meanwhile
        else:
            if self.last_scan is None or not self.last_scan.covers_root:
                self.scan()
            assert self.last_scan is not None
            scanned = self.last_scan.refs
        refs = [r for r in scanned if r.path not in self._views]
        for _, found in self._views.values():
            refs.extend(link(found.refs, self.workspace.lookup, self.workspace.patterns))
        return [r for r in refs if key is None or r.key == key]

    def flag_row(self, key: str) -> FlagRow:
        """One flag as the report shows it (registry facts, the policy's reading in words, its
        references across the project): what an editor's hover says.
        """
        from flaglint.engine.debt import flag_row

        snapshot = self.registry()
        refs = self.references(key)
        codes = {f.code for f in self.findings_for(refs)}
        flag = snapshot.get(key) if snapshot else None
        settings = self.config
        return flag_row(key, flag, refs, codes, self.today, settings.lifetimes, settings.settle_days, self.now)

    def definitions(self, ref: FlagRef) -> list[Location]:
        """Where a reference's key is defined: its constant (when named by one) and its registry entry."""
        from flaglint.engine.detect import definition_line
        from flaglint.engine.resolve import find_definition

        found = []
        objects = ref.key_source is KeySource.OBJECT
        site = find_definition(ref.key_symbol, self.workspace.lookup, objects=objects) if ref.key_symbol else None
        rel = self.workspace.module_file(site.module) if site else None
        if site is not None and rel is not None:
            text = decode(rel, self.workspace.read(rel))
            line = definition_line(text, site.name) if isinstance(text, str) else None
            found.append(Location(rel, line or 1))
        snapshot = self.registry()
        flag = snapshot.get(ref.key) if snapshot and ref.key else None
        if flag is not None and flag.location is not None:
            found.append(flag.location)
        return found

    def plan_texts(
        self,
        values: Mapping[str, str | None],
        texts: Mapping[str, str],
        *,
        only: str | None = None,
        unsafe: bool = False,
        with_unsafe: bool = False,
    ) -> Step:
        """Retire flags with unsaved texts (root-relative path -> text) laid over the disk; with
        `only`, in that one file. Nothing is written: the edits are for an editor to apply.
        `with_unsafe`: the safe plan also holds its unsafe variant (`Step.with_unsafe`).
        """
        return self.planner(values, texts, only=only, unsafe=unsafe, with_unsafe=with_unsafe)()

    def planner(
        self,
        values: Mapping[str, str | None],
        texts: Mapping[str, str],
        *,
        only: str | None = None,
        unsafe: bool = False,
        with_unsafe: bool = False,
    ) -> Callable[[], Step]:
        """`plan_texts` to run later, on another thread: what it reads of this session (a copy
        of the warm workspace) is taken now, so the session can go on meanwhile."""
        from flaglint.fix.clean import plan

        overlay = {rel: encoded(text) for rel, text in texts.items()}
        paths = [self.root / only] if only is not None else None
        config, use_cache, workspace = self.config, self.use_cache, self.workspace.isolated()

        def run() -> Step:
            return plan(
                config,
                values,
                paths,
                unsafe=unsafe,
                jobs=1,
                use_cache=use_cache,
                overlay=overlay,
                with_unsafe=with_unsafe,
                workspace=workspace,
            )

        return run

    def _rel(self, path: Path | str) -> str:
        return self.config.relative(Path(path).resolve()) if Path(path).is_absolute() else str(path)

    # --- history ---

    def history(self, since: dt.date, points: int) -> list[Sample]:
        """Flags and references at up to `points` commits of the current branch since `since`
        (`history.Sample`s, oldest first); the samples are kept for the HTML report's trend.
        """
        from flaglint.engine import gitinfo, history

        repo = gitinfo.open_repo(self.root)
        if repo is None or not repo.head.is_valid():
            raise ProjectError([Problem(str(self.root), 0, 0, "history needs a git repository with commits")])
        top = Path(repo.working_tree_dir or self.root).resolve()
        folder = self.root.relative_to(top).as_posix() if self.root != top else ""
        workspace = self.workspace
        counts = history.BlobCounts(self.config.cache_path if self.use_cache else None, workspace.fingerprint)
        samples = [
            history.count(commit, self.config, counts, workspace.may_match, folder)
            for commit in history.sample_commits(repo, since, points)
        ]
        counts.save()
        if self.use_cache:
            history.save_samples(self.config.cache_path, samples)
        return samples

    # --- clean ---

    def plan_clean(
        self, values: Mapping[str, str | None], paths: Sequence[Path] | None = None, *, unsafe: bool = False
    ) -> list[Step]:
        """Retire each flag in turn (nothing is written): one `clean.Step` per flag."""
        from flaglint.fix.clean import plan_each

        steps = plan_each(
            self.config,
            values,
            paths,
            unsafe=unsafe,
            jobs=self.jobs,
            use_cache=self.use_cache,
            workspace=self.workspace,
        )
        return list(steps)


def encoded(text: str) -> bytes:
    """An editor's text as the file's bytes (its declared encoding; UTF-8 when it cannot hold the text)."""
    try:
        return text.encode(source_encoding(text))
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _swept_note(paths: Sequence[str]) -> str:
    count = len(paths)
    files = "1 temporary file" if count == 1 else f"{count} temporary files"
    shown = ", ".join(paths[:5]) + (", ..." if count > 5 else "")
    return f"removed {files} left by an interrupted flaglint run: {shown}"
