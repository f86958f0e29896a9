"""Scan a project: find its Python files, skip what cannot match, scan the rest (in parallel,
from the cache when unchanged) and resolve keys across modules. No printing; progress goes to
an optional callback.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from flaglint import __version__
from flaglint.engine.cache import Entry, ScanCache
from flaglint.engine.cachedir import leftovers, leftovers_in, owned
from flaglint.engine.config import DEFAULT_EXCLUDE, Config
from flaglint.engine.guard import parallel_map
from flaglint.engine.mentions import MentionsCache
from flaglint.engine.patterns import Pattern
from flaglint.engine.resolve import link
from flaglint.engine.source import ReadError, decode, read_source
from flaglint.model import FileScan, FlagRef, ModuleDefs, ModuleName, Problem

Progress = Callable[[int, int], None]
_PARALLEL_BYTES = 256 * 1024


@dataclass(frozen=True)
class ScanResult:
    root: Path
    refs: tuple[FlagRef, ...]
    problems: tuple[Problem, ...]
    files: int
    parsed: int
    from_cache: int
    covers_root: bool
    swept: tuple[str, ...] = ()  # flaglint's own temporary files left by a killed run, now removed


def scan_project(
    config: Config,
    paths: Sequence[Path] | None = None,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> ScanResult:
    """Every flag reference under `paths` (default: the project root), with keys resolved."""
    return Workspace(config, jobs=jobs, use_cache=use_cache).scan(paths, progress)


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _fingerprint(patterns: Iterable[Pattern], src: Sequence[str]) -> str:
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{__version__}|{sys.version_info[:2]}|{src}|{list(patterns)}".encode())
    return digest.hexdigest()


# --- discovery ---------------------------------------------------------------------------------


class _Ignores:
    """Configured excludes plus the .gitignore files of the project and the folders above it."""

    def __init__(self, root: Path, config: Config) -> None:
        self.root = root
        self.exclude = pathspec.GitIgnoreSpec.from_lines(config.exclude)
        self.use_git = config.respect_gitignore
        self.specs: dict[Path, pathspec.GitIgnoreSpec] = {}
        if self.use_git:
            for folder in (root, *root.parents):
                self._load(folder)
                if (folder / ".git").exists():
                    break

    def _load(self, folder: Path) -> None:
        try:
            lines = (folder / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        self.specs[folder] = pathspec.GitIgnoreSpec.from_lines(lines)

    def enter(self, folder: Path) -> None:
        if self.use_git and folder not in self.specs:
            self._load(folder)

    def excluded_file(self, path: Path) -> bool:
        """Whether a file named on the command line is excluded (by config or default, not .gitignore)."""
        inside = [p for p in (path, *path.parents) if self.root in p.parents]
        return any(self.ignored(p, p != path, git=False) for p in inside)

    def ignored(self, path: Path, is_dir: bool, git: bool = True) -> bool:
        if path.name in DEFAULT_EXCLUDE or (is_dir and _is_venv(path)):
            return True
        rel = _rel(self.root, path)
        suffix = "/" if is_dir else ""
        if self.exclude.match_file(rel + suffix):
            return True
        if not git:
            return False
        for base, spec in self.specs.items():
            if base == path or base not in path.parents:
                continue
            if spec.match_file(_rel(base, path) + suffix):
                return True
        return False


def _rel(base: Path, path: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def _unreadable(root: Path, target: Path, problems: list[Problem], error: OSError) -> None:
    where = _rel(root, Path(error.filename)) if error.filename else _rel(root, target)
    problems.append(Problem(where, 1, 0, f"cannot read folder: {error.strerror}; skipped"))


def _is_venv(folder: Path) -> bool:
    """Whether a folder is a virtualenv (it holds pyvenv.cfg); a folder that cannot be looked
    into is not (the walk reports it as unreadable)."""
    try:
        return (folder / "pyvenv.cfg").exists()
    except OSError:
        return False


def _resolved(path: Path) -> Path | None:
    """`path` with its symlinks followed; None for a loop (a link to itself, or a cycle)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return None


def discover(
    root: Path, targets: Sequence[Path], config: Config, temps: list[Path] | None = None
) -> tuple[list[str], list[Problem]]:
    """Python files under the targets, as root-relative POSIX paths; explicit files skip .gitignore.
    A symlinked file counts as its target, once, when the target lies in the project; links and
    named folders that lead outside it are skipped and named. flaglint's own temporary files met
    on the way are added to `temps`.
    """
    ignores = _Ignores(root, config)
    found: dict[str, None] = {}
    problems: list[Problem] = []

    def inside(path: Path) -> bool:
        return path == root or root in path.parents

    def add_link(link: Path) -> None:
        target = _resolved(link)
        if target is None:
            problems.append(Problem(_rel(root, link), 1, 0, "symlink loop; skipped"))
        elif not os.path.lexists(target):
            problems.append(Problem(_rel(root, link), 1, 0, "symlink to nothing; skipped"))
        elif not inside(target):
            problems.append(Problem(_rel(root, link), 1, 0, "symlink to a file outside the project; skipped"))
        elif target.suffix == ".py" and target.is_file() and not ignores.excluded_file(target):
            found[_rel(root, target)] = None

    for named in targets:
        resolved = _resolved(named)
        if resolved is None:
            problems.append(Problem(str(named), 1, 0, "symlink loop; skipped"))
            continue
        target = resolved
        if not inside(target):
            problems.append(Problem(str(named), 1, 0, "outside the project (through a symlink?); skipped"))
            continue
        if target.is_file():
            if target.suffix == ".py" and not ignores.excluded_file(target):
                found[_rel(root, target)] = None
            continue
        if not target.is_dir():
            reason = "not a regular file; skipped" if os.path.lexists(target) else "no such file or directory"
            problems.append(Problem(_rel(root, target), 1, 0, reason))
            continue

        for folder, dirs, names in os.walk(target, onerror=functools.partial(_unreadable, root, target, problems)):
            here = Path(folder)
            ignores.enter(here)
            dirs[:] = sorted(d for d in dirs if not ignores.ignored(here / d, True))
            for name in sorted(names):
                if name.endswith(".flaglint") and temps is not None:
                    temps.append(here / name)
                if name.endswith(".py") and not ignores.ignored(here / name, False):
                    path = here / name
                    if path.is_symlink():
                        add_link(path)
                    else:
                        found[_rel(root, path)] = None
    return list(found), problems


def included(root: Path, path: Path, config: Config) -> bool:
    """Whether a .py file (on disk or not yet saved) is one a whole-project scan would cover:
    under the root, and neither it nor a folder above it excluded by the config or .gitignore.
    """
    if path.suffix != ".py" or root not in path.parents:
        return False
    ignores = _Ignores(root, config)
    folders = [p for p in reversed(path.parents) if p == root or root in p.parents]
    for folder in folders:
        ignores.enter(folder)
    return not any(ignores.ignored(p, p != path) for p in (*folders[1:], path))


# --- scanning ----------------------------------------------------------------------------------


def module_name(rel: str, src: Sequence[str]) -> tuple[str, str]:
    """(module, package) of a root-relative file, taken from the deepest `src` folder holding it."""
    best = ""
    for folder in src:
        prefix = Path(folder).as_posix().strip("/")
        prefix = "" if prefix == "." else prefix
        if (not prefix or rel.startswith(prefix + "/")) and len(prefix) >= len(best):
            best = prefix
    inner = rel[len(best) + 1 :] if best else rel
    parts = inner[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts.pop()
        module = ".".join(parts)
        return module, module
    module = ".".join(parts)
    return module, module.rpartition(".")[0]


_worker_patterns: tuple[Pattern, ...] = ()


def _init_worker(patterns: tuple[Pattern, ...]) -> None:
    global _worker_patterns
    _worker_patterns = patterns


@dataclass(frozen=True)
class _Job:
    rel: str
    text: str
    module: ModuleName
    stat: os.stat_result | None  # None for overlay texts, which never enter the cache
    digest: str


def _scan_job(job: _Job) -> FileScan:
    from flaglint.engine.detect import scan_source

    return scan_source(job.rel, job.text, job.module, _worker_patterns)


def _problem_scan(problem: Problem) -> FileScan:
    return FileScan((), ModuleDefs(), (problem,))


class Workspace:
    """A project as flaglint sees it: its files (optionally with in-memory edits laid over the
    disk), the scan cache, and module look-ups for key resolution.
    """

    def __init__(
        self,
        config: Config,
        *,
        jobs: int | None = None,
        use_cache: bool = True,
        overlay: Mapping[str, bytes] | None = None,
    ) -> None:
        self.root = config.root.resolve()
        self.config = config
        self.patterns = config.patterns
        self.fingerprint = _fingerprint(self.patterns, config.src)  # what cached results depend on
        self.cache = ScanCache(config.cache_path if use_cache else None, self.fingerprint)
        self.mentions = MentionsCache(config.cache_path if use_cache else None)  # the use index's reading
        self.jobs = max(1, jobs or config.jobs or os.cpu_count() or 1)
        self.overlay = dict(overlay or {})
        self.progress: Progress | None = None
        self.files: list[str] = []  # what the last scan covered
        self.skipped: list[Problem] = []  # what the last scan's discovery left out (links out, special files)
        tokens = sorted({re.escape(p.token) for p in self.patterns})
        self.prefilter = re.compile(rb"\b(?:" + "|".join(tokens).encode() + rb")\b") if tokens else None
        self.scans: dict[str, FileScan] = {}
        self.digests: dict[str, str] = {}  # content hash of the bytes each scan result describes
        self.defs: dict[str, ModuleDefs | None] = {}
        self.parsed = 0
        self.from_cache = 0

    def overlaid(self, overlay: Mapping[str, bytes]) -> Workspace:
        """This workspace with unsaved texts laid over the disk, for one plan: it shares the scan
        cache (entries are keyed by content) and starts from this one's scans, so only the
        overlaid files are parsed again; this workspace is left as it was."""
        other = copy.copy(self)
        other.overlay = {**self.overlay, **overlay}
        other.scans = {rel: scan for rel, scan in self.scans.items() if rel not in other.overlay}
        other.digests = {rel: digest for rel, digest in self.digests.items() if rel not in other.overlay}
        other.defs = {}
        other.files = list(self.files)
        other.skipped = list(self.skipped)
        return other

    def isolated(self) -> Workspace:
        """A copy another thread can plan on while this one goes on: its own scans and its own
        in-memory scan cache (never written to disk), started from this one's."""
        other = self.overlaid({})
        other.cache = self.cache.detached()
        return other

    def scan(self, paths: Sequence[Path] | None = None, progress: Progress | None = None) -> ScanResult:
        """Every flag reference under `paths` (default: the project root), with keys resolved."""
        targets = list(paths) if paths else [self.root]
        temps: list[Path] = []
        files, problems = discover(self.root, targets, self.config, temps)
        if self.overlay:  # texts not saved yet (an editor's new buffer) belong to the scan too
            files, problems = self._with_unsaved(targets, files, problems)
        self.files = files
        self.skipped = list(problems)
        swept = []
        stray = leftovers(temps)
        if self.cache.folder is not None and owned(self.cache.folder):
            stray += leftovers_in(self.cache.folder)
        for path in stray:  # temporary files of a flaglint run that was killed
            try:
                path.unlink(missing_ok=True)
                swept.append(_rel(self.root, path))
            except OSError as exc:
                message = f"temporary file of an interrupted flaglint run; cannot remove: {exc.strerror}"
                problems.append(Problem(_rel(self.root, path), 0, 0, message))
        self.progress = progress
        scans = self._run(files)
        refs: list[FlagRef] = []
        for rel in files:
            if rel in scans:
                refs.extend(scans[rel].refs)
                problems.extend(scans[rel].problems)
        refs = link(refs, self.lookup, self.patterns)
        self.cache.save()
        refs.sort(key=lambda r: (r.path, r.span.line, r.span.column))
        problems.sort(key=lambda p: (p.path, p.line, p.column))
        return ScanResult(
            root=self.root,
            refs=tuple(refs),
            problems=tuple(problems),
            files=len(files),
            parsed=self.parsed,
            from_cache=self.from_cache,
            covers_root=self.root in [_resolved(t) for t in targets],
            swept=tuple(swept),
        )

    def _with_unsaved(
        self, targets: Sequence[Path], files: list[str], problems: list[Problem]
    ) -> tuple[list[str], list[Problem]]:
        named = [t.resolve() for t in targets]
        unsaved = [
            rel
            for rel in self.overlay
            if rel not in files
            and any(t == self.root / rel or t in (self.root / rel).parents for t in named)
            and included(self.root, self.root / rel, self.config)
        ]
        return files + sorted(unsaved), [p for p in problems if p.path not in unsaved]

    def read(self, rel: str) -> bytes:
        """A file's bytes as the workspace sees them (the overlay first)."""
        if rel in self.overlay:
            return self.overlay[rel]
        return read_source(self.root / rel, self.config.max_file_size)

    def module_of(self, rel: str) -> ModuleName:
        return ModuleName(*module_name(rel, self.config.src))

    def _run(self, files: list[str]) -> dict[str, FileScan]:
        jobs: list[_Job] = []
        for done, rel in enumerate(files, start=1):
            job = self._prepare(rel)
            if job is not None:
                jobs.append(job)
            if self.progress and done % 256 == 0:
                self.progress(done, len(files) + len(jobs))
        for job, result in zip(jobs, self._execute(jobs, len(files)), strict=True):
            self.scans[job.rel] = result
            self.digests[job.rel] = job.digest
            if job.stat is not None:
                entry = Entry(job.stat.st_mtime_ns, job.stat.st_size, job.digest, job.module.name, result)
                self.cache.put(job.rel, entry)
        if self.progress:
            self.progress(len(files) + len(jobs), len(files) + len(jobs))
        return self.scans

    def _prepare(self, rel: str) -> _Job | None:
        """Settle a file from the cache or the prefilter; return a job when it needs parsing."""
        path = self.root / rel
        module = self.module_of(rel)
        if rel in self.overlay:
            data = self.overlay[rel]
            text = decode(rel, data)
            if isinstance(text, Problem):
                self.scans[rel] = _problem_scan(text)
                return None
            if not self.may_match(data):
                return None
            return _Job(rel, text, module, None, digest_of(data))
        try:
            stat = path.stat()
            entry = self.cache.get(rel)
            fresh = (
                entry is not None
                and (entry.mtime_ns, entry.size) == (stat.st_mtime_ns, stat.st_size)
                and self.cache.trusts_stat(entry)
            )
            if entry and fresh and entry.settled and entry.module == module.name:
                self._reuse(rel, entry)
                return None
            data = read_source(path, self.config.max_file_size)
        except ReadError as exc:
            self.scans[rel] = _problem_scan(Problem(rel, 1, 0, exc.strerror or "cannot read"))
            return None
        except OSError as exc:
            self.scans[rel] = _problem_scan(Problem(rel, 1, 0, f"cannot read: {exc.strerror}"))
            return None
        digest = digest_of(data)
        if entry and entry.settled and entry.module == module.name and entry.digest == digest:
            self.cache.put(
                rel, Entry(stat.st_mtime_ns, stat.st_size, digest, entry.module, entry.scan, entry.defs, entry.skipped)
            )
            self._reuse(rel, entry)
            return None
        if not self.may_match(data):
            self.cache.put(rel, Entry(stat.st_mtime_ns, stat.st_size, digest, module.name, None, skipped=True))
            return None
        text = decode(rel, data)
        if isinstance(text, Problem):
            self.scans[rel] = _problem_scan(text)
            self.cache.put(rel, Entry(stat.st_mtime_ns, stat.st_size, digest, module.name, self.scans[rel]))
            return None
        return _Job(rel, text, module, stat, digest)

    def may_match(self, data: bytes) -> bool:
        """Whether a file's bytes name a pattern at all (the prefilter): else it holds no reference."""
        return self.prefilter is not None and self.prefilter.search(data) is not None

    def _reuse(self, rel: str, entry: Entry) -> None:
        self.from_cache += 1
        if entry.scan is not None:
            self.scans[rel] = entry.scan
            self.digests[rel] = entry.digest

    def _execute(self, jobs: list[_Job], done: int) -> Iterable[FileScan]:
        """Results in job order: in this process for small batches, else in a process pool."""
        self.parsed += len(jobs)
        total = done + len(jobs)
        inline = sum(len(j.text) for j in jobs) < _PARALLEL_BYTES
        results = parallel_map(
            _scan_job, jobs, workers=self.jobs, initializer=_init_worker, initargs=(self.patterns,), inline=inline
        )
        for number, result in enumerate(results, start=1):
            yield result
            if self.progress:
                self.progress(done + number, total)

    def lookup(self, module: str) -> ModuleDefs | None:
        """The definitions of a project module by dotted name, or None when it is not in the project."""
        if module not in self.defs:
            self.defs[module] = self._find_defs(module)
        return self.defs[module]

    def module_file(self, module: str) -> str | None:
        """The root-relative file of a project module (on disk or in the overlay), from `src`."""
        if not module or not all(part.isidentifier() for part in module.split(".")):
            return None
        relative = module.replace(".", "/")
        for folder in self.config.src:
            base = self.root / folder
            for candidate in (base / f"{relative}.py", base / relative / "__init__.py"):
                rel = _rel(self.root, candidate)
                if rel in self.overlay or candidate.is_file():
                    return rel
        return None

    def _find_defs(self, module: str) -> ModuleDefs | None:
        rel = self.module_file(module)
        return self._defs_of(rel) if rel is not None else None

    def _defs_of(self, rel: str) -> ModuleDefs | None:
        if rel in self.scans:
            return self.scans[rel].defs
        if rel in self.overlay:
            from flaglint.engine.detect import definitions

            text = decode(rel, self.overlay[rel])
            defs = definitions(rel, text, self.module_of(rel), self.patterns) if isinstance(text, str) else None
            return defs if isinstance(defs, ModuleDefs) else None
        path = self.root / rel
        entry = self.cache.get(rel)
        try:
            stat = path.stat()
            if entry and (entry.mtime_ns, entry.size) == (stat.st_mtime_ns, stat.st_size):
                if entry.scan is not None:
                    return entry.scan.defs
                if entry.defs is not None:
                    return entry.defs
            data = read_source(path, self.config.max_file_size)
        except OSError:
            return None
        text = decode(rel, data)
        if isinstance(text, Problem):
            return None
        from flaglint.engine.detect import definitions

        name, package = module_name(rel, self.config.src)
        defs = definitions(rel, text, ModuleName(name, package), self.patterns)
        if isinstance(defs, Problem):
            return None
        digest = digest_of(data)
        self.cache.put(rel, Entry(stat.st_mtime_ns, stat.st_size, digest, name, None, defs, not self.may_match(data)))
        return defs
