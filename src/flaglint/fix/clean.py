"""Retire flags across a project: plan the edits (in memory), then write them atomically.

`plan` is one retirement over the workspace (with earlier edits laid over the disk);
`plan_each` retires flags one at a time so every flag gets exact numbers and its own commit.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import difflib
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from flaglint.engine.cachedir import temp_file
from flaglint.engine.config import Config
from flaglint.engine.detect import Reduction
from flaglint.engine.guard import deep, parallel_map
from flaglint.engine.patterns import Pattern, Shape
from flaglint.engine.resolve import Definition, find_definition, link
from flaglint.engine.source import decode_with_encoding, without_prose
from flaglint.engine.uses import Facts, UseIndex, facts
from flaglint.engine.workspace import ScanResult, Workspace, digest_of, discover
from flaglint.fix.base import _TEST_FILE, Note, quoted_names
from flaglint.fix.codemod import rewrite
from flaglint.fix.definitions import remove_definitions
from flaglint.model import FlagRef, KeySource, ModuleName, Problem, RefKind, Span

if TYPE_CHECKING:
    import libcst as cst

    from flaglint.fix.parameters import Definition as ParameterHome


def parse_flag_value(text: str) -> str | None:
    """`on` -> True, `off` -> None (every call falls back to its SDK default), else a Python literal."""
    if text == "on":
        return "True"
    if text == "off":
        return None
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"{text!r} is neither on, off nor a Python literal (quote strings: '\"dark\"')") from None
    return text


def describe_value(value: str | None) -> str:
    return {"True": "always on", "False": "always off", None: "always off"}.get(value, f"always {value}")


@dataclass(frozen=True)
class FileEdit:
    path: str  # root-relative POSIX path
    before: bytes
    after: bytes
    encoding: str

    def lines(self) -> tuple[int, int]:
        """(lines removed, lines added)."""
        old = self.before.decode(self.encoding).splitlines()
        new = self.after.decode(self.encoding).splitlines()
        removed = added = 0
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag != "equal":
                removed += i2 - i1
                added += j2 - j1
        return removed, added

    def diff(self, display: str) -> str:
        old = self.before.decode(self.encoding).splitlines(keepends=True)
        new = self.after.decode(self.encoding).splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{display}", f"b/{display}"))


@dataclass(frozen=True)
class Step:
    """The result of retiring some flags: edits per file and what to tell the user."""

    values: Mapping[str, str | None]
    edits: tuple[FileEdit, ...]
    notes: tuple[Note, ...] = ()
    problems: tuple[Problem, ...] = ()
    key_names: frozenset[str] = frozenset()  # the constants flag checks used as keys before this step
    # flags left as they were (all or nothing), with why: a check that could not be rewritten, or a
    # definition the retirement would delete that something still names
    refused: tuple[tuple[str, str], ...] = ()

    @property
    def removed_lines(self) -> int:
        """Lines removed net (removed minus added): the difference of the line counts, no diff needed."""
        return sum(
            len(e.before.decode(e.encoding).splitlines()) - len(e.after.decode(e.encoding).splitlines())
            for e in self.edits
        )


@dataclass
class _Texts:
    """File contents as the plan sees them: edits of this plan over the workspace's view, with
    every file read from disk at most once per plan.
    """

    workspace: Workspace
    files: Sequence[str] = ()  # every Python file of the project
    edits: dict[str, tuple[str, str]] = field(default_factory=dict)  # rel -> (text, encoding)
    _raw: dict[str, bytes | None] = field(default_factory=dict)
    _templates: list[str] | None = None  # the project's templates and scripts, found once per plan
    _everything: list[str] | None = None  # every Python file under the root, excluded folders too
    _text_files: list[str] | None = None  # templates, scripts, configuration and docs

    def raw(self, rel: str) -> bytes | None:
        if rel not in self._raw:
            try:
                self._raw[rel] = self.workspace.read(rel)
            except OSError:
                self._raw[rel] = None
        return self._raw[rel]

    def text(self, rel: str) -> tuple[str, str] | Problem:
        if rel in self.edits:
            return self.edits[rel]
        data = self.raw(rel)
        if data is None:
            return Problem(rel, 1, 0, "cannot read the file")
        return decode_with_encoding(rel, data)

    def containing(self, *names: str) -> Iterator[tuple[str, str, str]]:
        """(file, text, encoding) of the project files whose current text contains any of `names`."""
        return self._among(self.files, names)

    def everywhere(self, names: Sequence[str]) -> Iterator[tuple[str, str, ModuleName]]:
        """(file, text, module) of every Python file under the root, the settings' excluded
        folders too (tests and migrations still import what they name), whose current text
        contains any of `names`."""
        if self._everything is None:
            root = self.workspace.root
            config = dataclasses.replace(self.workspace.config, exclude=())
            self._everything = sorted(set(discover(root, [root], config)[0]) | set(self.edits))
        for rel, text, _ in self._among(self._everything, names):
            yield rel, text, self.workspace.module_of(rel)

    def _among(self, files: Sequence[str], names: Sequence[str]) -> Iterator[tuple[str, str, str]]:
        needles = [name.encode() for name in names]
        for rel in files:
            if rel not in self.edits:
                data = self.raw(rel)
                if data is None or not any(needle in data for needle in needles):
                    continue
            found = self.text(rel)
            if not isinstance(found, Problem) and any(name in found[0] for name in names):
                yield rel, found[0], found[1]

    def text_files(self, names: Sequence[str]) -> Iterator[tuple[str, str]]:
        """(file, text) of the project's templates, scripts, configuration and docs that contain
        any of `names` (a change log is history, not a use)."""
        if self._text_files is None:
            self._text_files = list(_template_files(self.workspace.root, _TEXT_FILES))
        needles = [name.encode() for name in names]
        for rel in self._text_files:
            data = self._read_other(rel)
            if data is not None and any(needle in data for needle in needles):
                text = data.decode("utf-8", "replace")
                yield rel, _without_own_settings(text) if rel.endswith("pyproject.toml") else text

    def _read_other(self, rel: str) -> bytes | None:
        if rel not in self._raw:  # whatever its size: a template too big to scan still counts
            overlay = self.workspace.overlay.get(rel)
            try:
                self._raw[rel] = overlay if overlay is not None else (self.workspace.root / rel).read_bytes()
            except OSError:
                self._raw[rel] = None
        return self._raw[rel]

    def templates(self, *names: str) -> Iterator[tuple[str, str]]:
        """(file, text) of the project's templates and scripts (`.html`, `.jinja`, `.js`, ...) that
        contain any of `names`: the tree is walked once per plan, each file read at most once."""
        if self._templates is None:
            self._templates = list(_template_files(self.workspace.root))
        needles = [name.encode() for name in names]
        for rel in self._templates:
            data = self._read_other(rel)
            if data is not None and any(needle in data for needle in needles):
                yield rel, data.decode("utf-8", "replace")


def plan(
    config: Config,
    values: Mapping[str, str | None],
    paths: Sequence[Path] | None = None,
    *,
    unsafe: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    overlay: Mapping[str, bytes] | None = None,
    key_names: frozenset[str] = frozenset(),
) -> Step:
    """Retire every flag in `values` (key -> Python literal, or None for off) under `paths`;
    `key_names` are constants earlier steps saw flag checks use as keys (their checks may be gone).

    All or nothing per flag: a flag whose checks under `paths` cannot all be rewritten, or whose
    retirement would delete a definition that something still names, gets no edit at all and is
    listed in `Step.refused`; the other flags are planned again without it.
    """
    workspace = Workspace(config, jobs=jobs, use_cache=use_cache, overlay=overlay)
    run = _Run(config, workspace, workspace.scan(paths), values, paths, unsafe, key_names)
    wanted = dict(values)
    refused: dict[str, str] = {}
    while True:
        step, refusing = _plan_values(dataclasses.replace(run, values=wanted))
        if not refusing:
            break
        refused.update(refusing)
        wanted = {key: value for key, value in wanted.items() if key not in refusing}
        if not wanted:
            kept = tuple(n for n in step.notes if n.kind in (*_REASONS, "skipped", "swept"))
            step = Step({}, (), kept, step.problems, step.key_names)
            break
    reasons = tuple(sorted(refused.items()))
    return dataclasses.replace(step, values=dict(values), refused=reasons)


@dataclass(frozen=True)
class _Run:
    """What one plan works from, shared by its stages."""

    config: Config
    workspace: Workspace
    result: ScanResult  # the scan of the paths, done once per plan
    values: Mapping[str, str | None]
    paths: Sequence[Path] | None
    unsafe: bool
    key_names: frozenset[str]


def _plan_values(run: _Run) -> tuple[Step, dict[str, str]]:
    """One plan of `values` and the flags it must refuse (key -> why): first every check is
    rewritten, file by file; then the project-wide passes run, again with the definitions the
    use index found still named kept, until nothing the step deletes is named anywhere."""
    from flaglint.fix.safety import Dangling, dangling, leftover_checks, sdk_mocks

    values, workspace = run.values, run.workspace
    retired = _retire_checks(run)
    keep: dict[tuple[str, str], Dangling] = {}
    for _ in range(_KEEP_ROUNDS):
        step, texts = _project_passes(run, retired, keep.keys())
        found = dangling(step.edits, _use_index(texts), frozenset(values), retired.facts)
        more = {(use.definition.path, use.definition.name): use for use in found if use.keepable}
        if not found or not more.keys() - keep.keys():
            break
        keep = {**more, **keep}
    notes = list(step.notes)
    called = {p.id: p.name.rsplit(".", 1)[-1] for p in workspace.patterns}
    functions = {called.get(r.pattern, "") for refs in retired.targets.values() for r in refs if r.kind in _READS}
    functions.discard("")
    mentioning = ((rel, text) for rel, text, _ in texts.everywhere(sorted(functions)))
    for rel, line, function in sdk_mocks(mentioning, functions):
        message = f"this test mocks `{function}`, which answered the retired flag: check what it still tests"
        notes.append(Note(rel, line, None, "review", message))
    for (path, name), use in sorted(keep.items()):
        notes.append(
            Note(path, use.definition.line, None, "review", f"kept `{name}`: still named at {use.path}:{use.line}")
        )
    refusing: dict[str, str] = {}
    if found:
        why = "; ".join(str(use) for use in found[:3])
        refusing.update(dict.fromkeys(values, why))
    left = leftover_checks(step.edits, retired.targets, values, workspace, run.result.refs)
    for key, (rel, line) in left.items():
        here = [n for n in step.notes if n.path == rel and n.kind in _REASONS]
        reason = next((n.message for n in here if n.line == line), here[0].message if here else None)
        refusing.setdefault(key, f"{rel}:{line}: {reason or 'this check could not be rewritten'}")
    return dataclasses.replace(step, notes=tuple(notes)), refusing


_REASONS = ("error", "review", "unsafe-skipped")  # notes that may say why a check stayed
_KEEP_ROUNDS = 4  # each round keeps what the last one found still named; 2 suffice in practice


@dataclass
class _Checks:
    """What rewriting every check file by file gave, before the project-wide passes."""

    targets: dict[str, list[FlagRef]]
    texts: dict[str, tuple[str, str]]  # rel -> (new text, encoding)
    all_files: Sequence[str]
    notes: list[Note]
    problems: list[Problem]
    validated: set[str]
    fixtures: dict[str, tuple[str, ...]]  # file -> the fixtures its rewrite removed
    arguments: dict[tuple[str, str, str | None], None]  # arguments the fold made constant
    unread: list[tuple[str, str, str | None]]  # parameters the fold left unread
    definitions: set[Definition]
    made: set[Definition]  # flag objects (`X = WaffleSwitch("k")`) of the retired flags
    wrappers: dict[str, tuple[str, str, str]]  # qualified name -> (literal, file, function)
    facts: dict[str, tuple[str, Facts]]  # file -> (its rewritten text, what the rewrite deleted)


def _retire_checks(run: _Run) -> _Checks:
    from flaglint.engine.detect import scan_source

    config, workspace, result, values, paths, unsafe = (
        run.config,
        run.workspace,
        run.result,
        run.values,
        run.paths,
        run.unsafe,
    )
    leftover = "temporary file of an interrupted flaglint run; removed"
    notes = [Note(rel, 0, None, "swept", leftover) for rel in result.swept]
    notes += [Note(p.path, p.line, None, "skipped", p.message) for p in workspace.skipped]
    targets: dict[str, list[FlagRef]] = {}
    others: dict[str, list[FlagRef]] = {}
    for ref in result.refs:
        if ref.key in values:
            targets.setdefault(ref.path, []).append(ref)
        else:
            others.setdefault(ref.path, []).append(ref)
    all_files = workspace.files if not paths else discover(workspace.root, [workspace.root], config)[0]
    texts = _Texts(workspace, all_files)
    problems: list[Problem] = [p for p in result.problems if p.path in targets]
    done_checks = _Checks(targets, texts.edits, all_files, notes, problems, set(), {}, {}, [], set(), set(), {}, {})
    jobs: list[_RetireJob] = []
    encodings: dict[str, str] = {}
    for rel in sorted(targets):
        found = texts.text(rel)
        if isinstance(found, Problem):
            problems.append(found)
            continue
        text, encoding = found
        if workspace.digests.get(rel) == digest_of(text.encode(encoding)):
            refs, rest = targets[rel], others.get(rel, [])  # the scan saw exactly these bytes: its positions hold
        else:
            scanned = link(scan_source(rel, text, workspace.module_of(rel), workspace.patterns).refs, workspace.lookup)
            refs = [r for r in scanned if r.key in values]
            rest = [r for r in scanned if r.key not in values]
        reads = tuple(r.span for r in rest if r.kind in _READS)
        for ref in refs:
            # a flag object's declaration names it (its symbol) as a check on it does
            objects = ref.kind is RefKind.DECLARATION or ref.key_source is KeySource.OBJECT
            site = find_definition(ref.key_symbol, workspace.lookup, objects=objects) if ref.key_symbol else None
            if site is not None:
                (done_checks.made if objects else done_checks.definitions).add(site)
        checks = tuple(ref for ref in refs if ref.kind is not RefKind.DECLARATION)
        if checks:
            refusing = any(r.kind is RefKind.DECORATOR and not _truthy(values[r.key or ""]) for r in checks)
            named = _route_names_used(texts, rel, text) if refusing else ()
            jobs.append(_RetireJob(rel, text, checks, dict(values), unsafe, reads, frozenset(named)))
            encodings[rel] = encoding
    for job, done in zip(jobs, _run_retire(jobs, workspace.patterns, workspace.jobs), strict=True):
        notes.extend(done.notes)
        problems.extend(done.problems)
        if done.code is not None:
            texts.edits[job.rel] = (done.code, encodings[job.rel])
            done_checks.validated.add(job.rel)
            if done.facts is not None:
                done_checks.facts[job.rel] = (done.code, done.facts)
            if done.fixtures:
                done_checks.fixtures[job.rel] = done.fixtures
            done_checks.arguments.update(dict.fromkeys(done.arguments))
            done_checks.unread.extend((name, param, None) for name, param in done.unread)
        module = workspace.module_of(job.rel).name
        for name, literal in done.wrappers:
            done_checks.wrappers[f"{module}.{name}" if module else name] = (literal, job.rel, name)
    return done_checks


def _project_passes(run: _Run, retired: _Checks, keep: AbstractSet[tuple[str, str]]) -> tuple[Step, _Texts]:
    """The cross-file passes over the rewritten checks (tests requesting removed fixtures,
    constant wrappers, parameters, declarations, key constants, flag objects, settings), none of
    which deletes a definition in `keep` ((file, name) pairs); then the edits, each re-parsed."""
    config, workspace, result, values, unsafe = run.config, run.workspace, run.result, run.values, run.unsafe
    texts = _Texts(workspace, retired.all_files, dict(retired.texts))
    notes = list(retired.notes)
    problems = list(retired.problems)
    validated = set(retired.validated)
    if retired.fixtures:
        validated -= _remove_requesters(texts, retired.fixtures, notes)
    if unsafe and retired.wrappers:
        _inline_wrappers(retired.wrappers, workspace, texts, notes, problems, keep)
    if retired.arguments or retired.unread:
        validated -= _drop_parameters(texts, [*retired.arguments, *retired.unread], unsafe, notes, keep)
    by_file: dict[str, list[str]] = {}
    for site in retired.definitions:
        rel = workspace.module_file(site.module)
        if rel is not None:
            by_file.setdefault(rel, []).append(site.name)
    declared = _remove_declarations(config, values, texts, notes, keep)
    for rel, names in declared.items():
        by_file.setdefault(rel, []).extend(names)
    symbols = run.key_names | {ref.key_symbol.rsplit(".", 1)[-1] for ref in result.refs if ref.key_symbol}
    for rel, names in _key_constants(texts, values, symbols).items():
        by_file.setdefault(rel, []).extend(names)
    for rel, names in sorted(by_file.items()):
        gone = _remove_unused(texts, rel, names, keep=keep)
        for name in sorted(set(declared.get(rel, ())) - set(gone) - {n for r, n in keep if r == rel}):
            where = _named_at(texts, rel, name)
            notes.append(Note(rel, 0, None, "review", f"`{name}` is still named{where}; kept"))
    _remove_objects(workspace, texts, retired.made, notes, keep)
    settings = {ref.key for ref in result.refs if ref.key in values and ref.key_source is KeySource.ATTRIBUTE}
    attributes = [p for p in workspace.patterns if p.shape is Shape.ATTRIBUTE and p.match is not None]
    settings |= {key for key in values if any(p.key_matches(key) for p in attributes)}  # declared, never read
    _remove_settings(texts, sorted(k for k in settings if k), notes, keep)
    edits = []
    for rel, (text, encoding) in sorted(texts.edits.items()):
        try:
            before = workspace.read(rel)
        except OSError as exc:
            problems.append(Problem(rel, 1, 0, f"left unchanged: {exc.strerror}"))
            continue
        if rel not in validated:
            original = decode_with_encoding(rel, before)
            problem = _reparse_problem(rel, text, original[0] if isinstance(original, tuple) else None)
            if problem is not None:
                problems.append(problem)
                continue
        after = text.encode(encoding)
        if after != before:
            edits.append(FileEdit(rel, before, after, encoding))
    notes.extend(_mentions(values, texts))
    step = Step(dict(values), tuple(edits), tuple(notes), tuple(problems), frozenset(symbols))
    return step, texts


def _use_index(texts: _Texts) -> UseIndex:
    """The use index over the project as this plan leaves it: every Python file (excluded
    folders, tests and migrations too) and every template and text file."""
    workspace = texts.workspace
    return UseIndex(texts.everywhere, texts.text_files, workspace.module_of)


def _reparse_problem(rel: str, text: str, original: str | None) -> Problem | None:
    """A rewrite that does not parse is never written: say so instead. The judge is a parser that
    accepts the original: CPython's own, or LibCST's for syntax newer than this interpreter.
    """
    from flaglint.engine.detect import parse as parse_ast

    checked = parse_ast(rel, text)
    if not isinstance(checked, Problem):
        return None
    if original is not None and isinstance(parse_ast(rel, original), Problem):
        from flaglint.engine.scan import parse as parse_cst

        try:
            again = deep(lambda: parse_cst(rel, text))
        except (RecursionError, MemoryError):
            return Problem(rel, 1, 0, "rewrite skipped: too deeply nested to check")
        if not isinstance(again, Problem):
            return None
        checked = again
    message = checked.message.removeprefix("syntax error: ")
    return Problem(rel, checked.line, 0, f"rewrite skipped, it would not parse: {message}")


@dataclass(frozen=True)
class _RetireJob:
    """One file to rewrite: its text, the references to retire in it, and the values."""

    rel: str
    text: str
    refs: tuple[FlagRef, ...]
    values: Mapping[str, str | None]
    unsafe: bool
    reads: tuple[Span, ...] = ()  # checks of the file's other flags (reads a fold may drop)
    named: frozenset[str] = frozenset()  # its route names that other files of the project use


@dataclass(frozen=True)
class _Retired:
    """What rewriting one file gave: the new text (None when unchanged) and what to report."""

    code: str | None
    notes: tuple[Note, ...] = ()
    wrappers: tuple[tuple[str, str], ...] = ()
    problems: tuple[Problem, ...] = ()
    fixtures: tuple[str, ...] = ()  # pytest fixtures the rewrite removed
    arguments: tuple[tuple[str, str, str], ...] = ()  # see Rewrite.arguments
    unread: tuple[tuple[str, str], ...] = ()  # (function, parameter) the rewrite left unread
    facts: Facts | None = None  # what the rewrite deleted and left unbound (for the use index)


_worker_patterns: dict[str, Pattern] = {}
_PARALLEL_CHARS = 200_000


def _init_retire_worker(patterns: tuple[Pattern, ...]) -> None:
    global _worker_patterns
    _worker_patterns = {p.id: p for p in patterns}


def _retire_file(job: _RetireJob) -> _Retired:
    """Parse with LibCST, rewrite, and check the result parses; a file too deep to rewrite is one
    problem, never the end of the run. LibCST sees the file without the defs and methods that hold
    no reference (a reduction); if the stubs do not come back intact, the whole file is rewritten.
    """
    from flaglint.engine.detect import reduce_for_rewrite

    lines = {n for ref in job.refs for n in range(ref.span.line, ref.span.end_line + 1)}
    reduction = reduce_for_rewrite(job.text, lines)
    try:
        if reduction is not None:
            done = deep(lambda: _rewrite_reduced(job, reduction))
            if done is not None:
                return done
        return deep(lambda: _rewrite_whole(job))
    except (RecursionError, MemoryError):
        return _Retired(None, problems=(Problem(job.rel, 1, 0, "left unchanged: too deeply nested to rewrite"),))


def _rewrite_whole(job: _RetireJob) -> _Retired:
    from flaglint.engine.scan import parse

    tree = parse(job.rel, job.text)
    if isinstance(tree, Problem):
        return _Retired(None, problems=(tree,))
    done = rewrite(
        job.rel,
        tree,
        job.refs,
        job.values,
        _worker_patterns,
        unsafe=job.unsafe,
        text=job.text,
        reads=job.reads,
        named=job.named,
    )
    result = _checked(job, done.code if done.changed else None, done.notes, done.wrappers, done.fixtures)
    if result.code is not None:
        result = dataclasses.replace(result, facts=facts(job.rel, job.text, result.code))
    return _with_freed(job, result, done.arguments)


def _released(rel: str, code: str, names: Sequence[tuple[str, str]]) -> str:
    """The whole rewritten file without the clean-up of the model rows whose pin went (the retire
    pass may have seen a reduced module, without the tearDown that deletes them)."""
    from flaglint.engine.scan import parse
    from flaglint.fix.definitions import release

    tree = parse(rel, code)
    return code if isinstance(tree, Problem) else release(tree, names).code


def _rewrite_reduced(job: _RetireJob, reduction: Reduction) -> _Retired | None:
    """The rewrite of the reduced module, expanded to the whole file; None when it cannot be."""
    from flaglint.engine.detect import parse as parse_ast
    from flaglint.engine.scan import parse

    tree = parse(job.rel, reduction.text)
    if isinstance(tree, Problem):
        return None
    refs = [_moved(ref, reduction.to_reduced) for ref in job.refs]
    stood_in = {line for first, count in reduction.regions for line in range(first, first + count)}
    reads = [_moved_span(s, reduction.to_reduced) for s in job.reads if not stood_in & {s.line, s.end_line}]
    done = rewrite(
        job.rel,
        tree,
        refs,
        job.values,
        _worker_patterns,
        unsafe=job.unsafe,
        text=reduction.text,
        expand=reduction.expand,
        reduced=True,
        reads=reads,
        named=job.named,
    )
    code = None
    if done.changed:
        code = reduction.expand(done.code)
        if code is None:
            return None
    notes = tuple(dataclasses.replace(n, line=reduction.to_original(n.line)) if n.line else n for n in done.notes)
    if code is not None and done.released:
        result = _checked(job, _released(job.rel, code, done.released), notes, done.wrappers, done.fixtures)
    elif code is not None and not isinstance(parse_ast(job.rel, done.code), Problem):
        # Each stub is a whole statement line at its region's own indentation (expand checked it
        # came through verbatim), and each region was a whole statement sequence there in the
        # original: the expansion parses when the reduced text does. Only a failure needs the
        # whole file's parse, for the precise error and the newer-syntax judge.
        result = _Retired(code, notes, done.wrappers, (), done.fixtures)
    else:
        result = _checked(job, code, notes, done.wrappers, done.fixtures)
    if result.code is not None:  # worked out on the reduced texts, when they are what was rewritten
        reduced = not done.released and result.code == code
        found = (
            facts(job.rel, reduction.text, done.code, reduction.to_original)
            if reduced
            else facts(job.rel, job.text, result.code)
        )
        result = dataclasses.replace(result, facts=found)
    return _with_freed(job, result, done.arguments)


def _with_freed(job: _RetireJob, result: _Retired, arguments: tuple[tuple[str, str, str], ...]) -> _Retired:
    """A rewrite's result with what it left without a choice: the call arguments it made constant
    and the parameters it left unread (found here, in the worker, beside the rewrite)."""
    from flaglint.fix.parameters import unread_parameters

    if result.code is None:
        return result
    return dataclasses.replace(result, arguments=arguments, unread=tuple(unread_parameters(job.text, result.code)))


def _moved(ref: FlagRef, to_reduced: Callable[[int], int]) -> FlagRef:
    return dataclasses.replace(ref, span=_moved_span(ref.span, to_reduced))


def _moved_span(s: Span, to_reduced: Callable[[int], int]) -> Span:
    return Span(to_reduced(s.line), s.column, to_reduced(s.end_line), s.end_column)


# Kinds of reference that only read a flag (SDK checks, variants, values): a fold may drop them.
_READS = frozenset({RefKind.CHECK, RefKind.VARIANT, RefKind.VALUE})


def _checked(
    job: _RetireJob,
    code: str | None,
    notes: tuple[Note, ...],
    wrappers: tuple[tuple[str, str], ...],
    fixtures: tuple[str, ...] = (),
) -> _Retired:
    if code is None:
        return _Retired(None, notes, wrappers)
    problem = _reparse_problem(job.rel, code, job.text)
    if problem is not None:
        return _Retired(None, notes, (), (problem,))
    return _Retired(code, notes, wrappers, (), fixtures)


def _run_retire(jobs: list[_RetireJob], patterns: tuple[Pattern, ...], workers: int) -> Iterator[_Retired]:
    """Rewrite every job, in order: in this process for small batches, else on every core."""
    inline = sum(len(j.text) for j in jobs) < _PARALLEL_CHARS
    yield from parallel_map(
        _retire_file,
        jobs,
        workers=workers,
        initializer=_init_retire_worker,
        initargs=(patterns,),
        inline=inline,
        chunks_per_worker=8,
    )


def _remove_requesters(texts: _Texts, fixtures: Mapping[str, Sequence[str]], notes: list[Note]) -> set[str]:
    """Tests, fixtures and classes that request a fixture the rewrite removed (it pinned a
    retired flag to its discarded value) are removed too, and so on for fixtures removed that way:
    without them pytest would fail with "fixture not found". Only where a conftest.py fixture is
    seen (its folder) or in the fixture's own module. When a removed fixture (or test helper
    method, whose callers the rewrite removed with it) is still named anywhere afterwards, every
    rewrite of this step that removed one is undone instead: a broken test suite is worse than a
    kept fixture. Returns the files whose text changed here.
    """
    from flaglint.engine.scan import parse
    from flaglint.fix.definitions import remove_requesters

    before = {rel: texts.edits.get(rel) for rel in texts.files}
    queue = [(rel, name) for rel, names in fixtures.items() for name in names]
    gone: set[tuple[str, str]] = set()
    found: list[Note] = []
    while queue:
        origin, name = queue.pop()
        if (origin, name) in gone:
            continue
        gone.add((origin, name))
        folder = PurePosixPath(origin).parent if PurePosixPath(origin).name == "conftest.py" else None
        for rel, text, encoding in list(texts.containing(name)):
            if rel != origin and (folder is None or not PurePosixPath(rel).is_relative_to(folder)):
                continue
            tree = parse(rel, text)
            if isinstance(tree, Problem):
                continue
            new_tree, removed = remove_requesters(tree, [name])
            if not removed:
                continue
            texts.edits[rel] = (new_tree.code, encoding)
            for qualified, line, fixture in removed:
                why = f"removed `{qualified}`: it requests fixture `{name}`, removed with its flag"
                found.append(Note(rel, line, None, "unsafe-applied", why))
                if fixture:
                    queue.append((rel, qualified.rsplit(".", 1)[-1]))
    names = sorted({name for _, name in gone})
    mentions = [re.compile(rf"\b{name}\b") for name in names]
    left = [rel for rel, text, _ in texts.containing(*names) if any(p.search(text) for p in mentions)]
    folders = {PurePosixPath(rel).parent for rel in fixtures if PurePosixPath(rel).name == "conftest.py"}
    left += [rel for rel, text in _left_out(texts, folders) if any(p.search(text) for p in mentions)]
    if not left:
        notes.extend(found)
        return {rel for rel, old in before.items() if texts.edits.get(rel) != old}
    for rel, old in before.items():
        if rel in fixtures or texts.edits.get(rel) != old:
            if rel in fixtures or old is None:
                texts.edits.pop(rel, None)
            else:
                texts.edits[rel] = old
    notes[:] = [note for note in notes if note.path not in fixtures]
    for rel in fixtures:
        message = f"left unchanged: removing `{fixtures[rel][0]}` would leave it named in {left[0]}"
        notes.append(Note(rel, 0, None, "error", message))
    return set(fixtures)


def _truthy(literal: str | None) -> bool:
    return literal is not None and bool(ast.literal_eval(literal))


_ROUTE_NAME = re.compile(r"""\bname\s*=\s*["']([\w.-]+)["']""")
_TEMPLATES = frozenset(
    {".html", ".htm", ".jinja", ".jinja2", ".j2", ".txt", ".xml", ".js", ".jsx", ".ts", ".tsx", ".vue"}
)
_NOT_SOURCES = frozenset({"node_modules", "__pycache__", "site-packages"})
# What the use index reads besides Python: templates and scripts, configuration, docs.
_TEXT_FILES = _TEMPLATES | {".cfg", ".ini", ".yaml", ".yml", ".toml", ".json", ".md", ".rst", ".jinja2", ".tmpl"}
_HISTORY = re.compile(r"^(changelog|changes|history|news|release[-_]?notes)", re.I)


_TABLE = re.compile(r"^[ \t]*\[\[?[ \t]*([^\]]+?)[ \t]*\]", re.M)


def _without_own_settings(text: str) -> str:
    """A pyproject.toml without flaglint's own tables: its patterns name the flag functions, its
    declarations the flag classes, and neither is a use of them (blank lines keep line numbers)."""
    lines = text.splitlines(keepends=True)
    ours = False
    for index, line in enumerate(lines):
        table = _TABLE.match(line)
        if table is not None:
            ours = table.group(1).strip().strip('"').startswith("tool.flaglint")
        if ours:
            lines[index] = "\n"
    return "".join(lines)


def _route_names_used(texts: _Texts, rel: str, text: str) -> set[str]:
    """The names given in `rel` (`path(..., name="x")`) that another file of the project spells
    as a string: Python (`reverse("x")`, `redirect("app:x")`) or a template (`{% url 'x' %}`)."""
    names = set(_ROUTE_NAME.findall(text))
    if not names:
        return set()
    spelt = quoted_names(names)
    used: set[str] = set()
    others = ((other, body) for other, body, _ in texts.containing(*names) if other != rel)
    for _, body in itertools.chain(others, texts.templates(*names)):
        used.update(spelt.findall(body))
    return used


def _template_files(root: Path, suffixes: AbstractSet[str] = _TEMPLATES) -> Iterator[str]:
    """The project's templates and scripts (or other files with `suffixes`), outside hidden
    folders and installed packages; change logs aside."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _NOT_SOURCES)
        for name in sorted(files):
            path = Path(folder, name)
            if path.suffix in suffixes and not path.is_symlink() and not _HISTORY.match(name):
                yield path.relative_to(root).as_posix()


def _left_out(texts: _Texts, folders: set[PurePosixPath]) -> Iterator[tuple[str, str]]:
    """(file, text) of the Python files under `folders` that the project's settings leave out of
    its files (an excluded folder): pytest still collects them, so their requests still count."""
    listed = set(texts.files)
    root = texts.workspace.root
    for folder in sorted(folders):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in listed or path.is_symlink():
                continue
            try:
                yield rel, path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue


def _remove_declarations(
    config: Config,
    values: Mapping[str, str | None],
    texts: _Texts,
    notes: list[Note],
    keep: AbstractSet[tuple[str, str]] = frozenset(),
) -> dict[str, list[str]]:
    """The retired flags' entries in the code that declares the project's flags (registry.code);
    returns, per file, the constants those entries named (removed next, once nothing names them).
    """
    from flaglint.engine.scan import parse
    from flaglint.registry.code import remove_declared

    named: dict[str, list[str]] = {}
    for rel, name in config.declarations:
        found = texts.text(rel)
        if isinstance(found, Problem) or not any(key in found[0] for key in values):
            continue
        tree = parse(rel, found[0])
        if isinstance(tree, Problem):
            continue
        kept = {member for path, member in keep if path == rel}
        new_tree, removed, constants = remove_declared(rel, found[0], tree, name, values, kept)
        if removed:
            texts.edits[rel] = (new_tree.code, found[1])
            named.setdefault(rel, []).extend(constants)
            for key in removed:
                notes.append(Note(rel, 0, key, "declaration", f"removed the declaration of {key!r} from {name}"))
    return named


def _remove_objects(
    workspace: Workspace,
    texts: _Texts,
    made: Iterable[Definition],
    notes: list[Note],
    keep: AbstractSet[tuple[str, str]] = frozenset(),
) -> None:
    """Delete the retired flags' objects (`X = WaffleSwitch("k", ...)` and the comments above it)
    once the fold left nothing naming X: any mention of the word anywhere counts, since a flag
    object is reached in ways a module's name does not show (`settings.X` for a settings module).
    """
    by_file: dict[str, dict[str, str]] = {}
    for site in made:
        rel = workspace.module_file(site.module)
        if rel is not None:
            by_file.setdefault(rel, {})[site.name] = site.value
    for rel, names in sorted(by_file.items()):
        gone = set(_remove_unused(texts, rel, sorted(names), strict=True, keep=keep))
        for name, key in sorted(names.items()):
            if name in gone:
                notes.append(Note(rel, 0, key, "declaration", f"removed `{name}`, the flag object of {key!r}"))
            else:
                where = _named_at(texts, rel, name, strict=True)
                message = f"`{name}`, the flag object of {key!r}, is still named{where}; kept"
                notes.append(Note(rel, 0, key, "review", message))


def _remove_settings(
    texts: _Texts, keys: Sequence[str], notes: list[Note], keep: AbstractSet[tuple[str, str]] = frozenset()
) -> None:
    """A retired flag read as a setting (an attribute pattern: `settings.ENABLE_X`) is defined by
    `ENABLE_X = ...` at the top of the settings modules: those lines go, with the comments that
    speak of them, once nothing else names the setting - any mention in another Python file, in
    a settings module beyond its own definition, or in a template keeps all of them."""
    from flaglint.engine.scan import parse

    for key in keys:
        word = re.escape(key)
        define = re.compile(rf"^{word}[ \t]*(?::[^=\n]*)?=(?!=)", re.M)
        found = list(texts.containing(key))
        sites = {rel: (text, encoding) for rel, text, encoding in found if define.search(text)}
        if not sites or any((rel, key) in keep for rel in sites):
            continue
        mention = re.compile(rf"\b{word}\b")
        others = [
            rel for rel, text, _ in found if mention.search(_without_setting(text, key) if rel in sites else text)
        ]
        others += [rel for rel, text in texts.templates(key) if mention.search(text)]
        if others:
            for rel in sorted(sites):
                notes.append(Note(rel, 0, key, "review", f"setting `{key}` is still named in {others[0]}; kept"))
            continue
        for rel, (text, encoding) in sorted(sites.items()):
            tree = parse(rel, text)
            if isinstance(tree, Problem):
                continue
            new_tree, removed = remove_definitions(tree, [key], imports=True)
            if removed:
                texts.edits[rel] = (new_tree.code, encoding)
                notes.append(Note(rel, 0, key, "declaration", f"removed setting `{key}`"))


def _without_setting(text: str, key: str) -> str:
    """A settings module's text without its top-level assignments of `key`, however many lines
    they take (`X = env.bool(` on one line, `"X", default=False)` on the next), and the comment
    lines right above them."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return text
    lines = text.splitlines(keepends=True)
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == key for t in targets):
            first = node.lineno - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            for index in range(first, node.end_lineno or node.lineno):
                lines[index] = "\n"
    return "".join(lines)


def _named_at(texts: _Texts, rel: str, name: str, *, strict: bool = False) -> str:
    """ " in path:line" of the first place outside `rel` that names the definition `name` of `rel`
    (as `_remove_unused` judges it), else " in this module".
    """
    found = _naming_elsewhere(texts, rel, name, strict=strict)
    if found is None:
        return " in this module"
    other_rel, other, match = found
    return f" in {other_rel}:{other.count(chr(10), 0, match.start()) + 1}"


def _naming_elsewhere(
    texts: _Texts, rel: str, name: str, *, strict: bool = False
) -> tuple[str, str, re.Match[str]] | None:
    """(file, its text, the mention) of the first file other than `rel` that may name the
    definition `name` of `rel`, comments and docstrings aside (`strict`: any mention of the word);
    None when none does.
    """
    short = name.rsplit(".", 1)[-1]
    pattern = re.compile(rf"\b{re.escape(short)}\b")
    module = None if "." in name or strict else _module_word(rel)
    for other_rel, other, _ in texts.containing(short):
        if other_rel != rel:
            match = _naming(other if strict else without_prose(other), pattern, module)
            if match is not None:
                return other_rel, other, match
    return None


def _remove_unused(
    texts: _Texts,
    rel: str,
    names: Sequence[str],
    *,
    strict: bool = False,
    keep: AbstractSet[tuple[str, str]] = frozenset(),
) -> list[str]:
    """Delete the definitions `names` (`NAME`, `Class.MEMBER`, functions) from `rel` when nothing in
    the project names them any more: their own definition is their only mention anywhere, and
    the use index did not ask to `keep` them.
    """
    from flaglint.engine.scan import parse

    found = texts.text(rel)
    if isinstance(found, Problem):
        return []
    text, encoding = found
    unused = []
    for name in sorted(set(names) - {kept for path, kept in keep if path == rel}):
        short = name.rsplit(".", 1)[-1]
        pattern = re.compile(rf"\b{re.escape(short)}\b")
        # `NAME = "NAME"`: the definition's own line names it once, however often it spells it.
        word = re.escape(short)
        own = re.compile(rf"^[ \t]*(?:{word}[ \t]*(?::[^=\n]*)?=(?!=)|(?:async[ \t]+)?def[ \t]+{word}\b).*$", re.M)
        if strict:  # the comments right above a flag object go with it (`# .. toggle_name: NAME`)
            own = re.compile(rf"(?:^[ \t]*#.*\n)*{own.pattern}", re.M)
        elsewhere = own.sub("", text if strict else without_prose(text), count=1)
        if (
            own.search(text)
            and not pattern.search(elsewhere)
            and _naming_elsewhere(texts, rel, name, strict=strict) is None
        ):
            unused.append(name)
    tree = parse(rel, text) if unused else None
    if tree is None or isinstance(tree, Problem):
        return []
    new_tree, removed = remove_definitions(tree, unused, imports=strict)
    if removed:
        texts.edits[rel] = (new_tree.code, encoding)
    return removed


def _key_constants(texts: _Texts, values: Mapping[str, str | None], symbols: AbstractSet[str]) -> dict[str, list[str]]:
    """Module-level constants that spell a retired key (`NEW_HEADER = "new-header"`) in a module
    of key constants: one that defines a name some flag check uses (or, earlier in the same run,
    used) as its key. Nothing may check the flag any more (or never did): the constant goes when
    nothing names it.
    """
    found: dict[str, list[str]] = {}
    if not symbols:
        return found
    for key in values:
        quoted = re.escape(key)
        spelled = re.compile(rf"^([^\W\d]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*(['\"]){quoted}\2[ \t]*(?:#.*)?$", re.M)
        for rel, text, _ in texts.containing(key):
            if _TEST_FILE.search(rel):
                continue
            names = [m.group(1) for m in spelled.finditer(text)]
            constants = set(re.findall(r"^([^\W\d]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*['\"]", text, re.M))
            if names and constants & symbols:
                found.setdefault(rel, []).extend(names)
    return found


def _module_word(rel: str) -> str:
    """The name a module's importers use for it: its file's stem, or its package's folder."""
    path = PurePosixPath(rel)
    return path.parent.name if path.stem == "__init__" else path.stem


_QUALIFIER = re.compile(r"(\w+)\s*\.\s*\Z")


def _naming(text: str, pattern: re.Pattern[str], module: str | None) -> re.Match[str] | None:
    """The first mention in `text` that may name the definition `pattern` finds. For a
    module-level name (`module` given), `other.NAME` counts only when `other` may be that module
    (its name, or an alias imported for it): `settings.ENABLE_X` is another object's attribute.
    """
    for found in pattern.finditer(text):
        qualifier = _QUALIFIER.search(text, max(0, found.start() - 80), found.start())
        if module is None or qualifier is None:
            return found
        word = qualifier.group(1)
        if word == module or re.search(rf"\b{re.escape(module)}\s+as\s+{re.escape(word)}\b", text):
            return found
    return None


def _inline_wrappers(
    wrappers: Mapping[str, tuple[str, str, str]],
    workspace: Workspace,
    texts: _Texts,
    notes: list[Note],
    problems: list[Problem],
    keep: AbstractSet[tuple[str, str]] = frozenset(),
) -> None:
    """Unsafe fix: calls of functions that now only return a constant become the constant, and
    the functions go once nothing names them any more.
    """
    from flaglint.engine.scan import parse
    from flaglint.fix.definitions import inline_calls

    targets = {qualified: literal for qualified, (literal, _, _) in wrappers.items()}
    for rel, text, encoding in list(texts.containing(*(name for _, _, name in wrappers.values()))):
        tree = parse(rel, text)
        if isinstance(tree, Problem):
            problems.append(tree)
            continue
        done, count = inline_calls(rel, tree, targets, workspace.module_of(rel))
        notes.extend(done.notes)
        if done.changed:
            texts.edits[rel] = (done.code, encoding)
            notes.append(
                Note(rel, 0, None, "unsafe-applied", f"inlined {count} call(s) of functions that return a constant")
            )
    for literal, rel, name in wrappers.values():
        if _remove_unused(texts, rel, [name], keep=keep):
            notes.append(Note(rel, 0, None, "unsafe-applied", f"removed `{name}`, which always returned {literal}"))
        else:
            notes.append(Note(rel, 0, None, "review", f"`{name}` always returns {literal} but is still referenced"))


_PARAMETER_FILES = 200  # files naming a function past which its parameters are left alone


def _drop_parameter(
    texts: _Texts, name: str, where: str, literal: str | None, unsafe: bool, notes: list[Note]
) -> dict[str, str]:
    """A parameter of `name` that the fold left without a choice: every caller now
    passes the constant `literal` to it (`where`: a keyword, or `#N` for a position), or, with
    `literal` None, the function no longer reads it (`where` is its name). It goes when the one
    definition of `name` in the project's code has it and every use of `name` outside tests is
    a call that passes that constant (or, for an unread one, passes nothing whose evaluation
    matters); the argument goes from every call, the parameter from the definition, its reads
    fold. Uses in tests are listed. An unsafe fix, but for a private function (`_name`) that no
    test names. Returns the files changed, with their text before.
    """
    from libcst.metadata import MetadataWrapper

    from flaglint.engine.scan import parse
    from flaglint.fix.parameters import constant_given, drop_argument, drop_parameter, droppable_given, survey

    word = re.compile(rf"\b{re.escape(name)}\b")
    defined = re.compile(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", re.M)
    mentions = [(rel, text, encoding) for rel, text, encoding in texts.containing(name) if word.search(text)]
    # A look before any parse: most arguments go to functions the project does not define
    # (a framework's `render`), and a name in many files is not worth a LibCST parse of each.
    defining = [rel for rel, text, _ in mentions if not _TEST_FILE.search(rel) and defined.search(text)]
    if not defining:
        return {}
    if len(mentions) > _PARAMETER_FILES:
        why = f"`{name}` is named in {len(mentions)} files: its parameters were not looked at"
        notes.append(Note(defining[0], 0, None, "review", why))
        return {}
    trees: dict[str, cst.Module] = {}
    wrapped: dict[str, MetadataWrapper] = {}  # positions worked out once per file, for both looks
    before: dict[str, tuple[str, str]] = {}
    for rel, text, encoding in mentions:
        tree = parse(rel, text)
        if isinstance(tree, Problem):
            return {}
        trees[rel], before[rel] = tree, (text, encoding)
        wrapped[rel] = MetadataWrapper(tree, unsafe_skip_copy=True)
    found = {rel: survey(tree, name, "", droppable_given, None).definitions for rel, tree in wrapped.items()}
    defs = [(rel, d) for rel, ds in found.items() for d in ds if not _TEST_FILE.search(rel)]
    homes = [(rel, d) for rel, d in defs if _takes(d, where)]
    if len(homes) != 1:
        return {}
    home, definition = homes[0]
    rivals = [d for rel, d in defs if d is not definition]
    if rivals and (not definition.bound or any(d.bound for d in rivals)):
        return {}  # which definition a call reaches is not known from its name
    if definition.decorated or (literal is None and not definition.private):
        return {}  # a decorator or a framework may call it with that parameter
    param = definition.positional[int(where[1:])] if where.startswith("#") else where
    accept = droppable_given if literal is None else constant_given(ast.literal_eval(literal))
    position = definition.positional.index(param) if param in definition.positional else None
    in_tests: list[str] = []
    agreeing = 0
    default = _default_of(before[home][0], definition.line, param) if literal is not None else None
    for rel, tree in wrapped.items():
        seen = survey(tree, name, param, accept, definition, functions_too=bool(rivals))
        tested = _TEST_FILE.search(rel) is not None
        if seen.others and not tested:
            return {}  # a caller still passes something else, or the name is used another way
        if tested and literal is not None and default != ast.literal_eval(literal):
            # a call that leaves the parameter out relies on its default: a use of the default
            relying = survey(tree, name, param, lambda given: given is None, definition, functions_too=bool(rivals))
            if relying.agreeing:
                why = f"{_what_of(name, param, literal)}, but {rel} calls it without `{param}` (its default); kept"
                notes.append(Note(home, definition.line, None, "review", why))
                return {}
        if tested:
            own = [d.line for d in seen.definitions if _takes(d, param)]  # a fake of the method, say
            in_tests.extend(f"{rel}:{line}" for line in (*seen.others, *own))
        else:
            agreeing += seen.agreeing
    if not agreeing:
        return {}  # no call in the project's code (tests aside): whatever calls it is elsewhere
    what = _what_of(name, param, literal)
    hidden = _named_in_left_out(texts, name)
    if hidden is not None:
        notes.append(Note(home, definition.line, None, "review", f"{what}, but {hidden} (excluded) names it; kept"))
        return {}
    # A private function that only the project calls, and no test: nothing outside can see the change.
    provable = name.startswith("_") and not in_tests
    if not unsafe and not provable:
        message = f"{what}: drop the parameter (--unsafe-fixes)"
        notes.append(Note(home, definition.line, None, "unsafe-skipped", message))
        return {}
    changed: dict[str, str] = {}
    for rel, tree in trees.items():
        done, count = drop_argument(rel, tree, name, param, position)
        if count and done.changed:
            texts.edits[rel] = (done.code, before[rel][1])
            changed[rel] = before[rel][0]
            trees[rel] = done.tree
    done = drop_parameter(home, trees[home], name, param, literal)
    notes.extend(done.notes)
    if done.changed:
        texts.edits[home] = (done.code, before[home][1])
        changed[home] = before[home][0]
        kind = "signature" if provable else "unsafe-applied"
        notes.append(Note(home, definition.line, None, kind, f"{what}: dropped the parameter"))
    elif changed:  # the calls lost an argument the definition still takes: undo them
        for rel in changed:
            texts.edits[rel] = before[rel]
        return {}
    if in_tests:
        message = f"tests still use `{param}` of `{name}`: {', '.join(in_tests[:5])}"
        notes.append(Note(home, definition.line, None, "review", message))
    return changed


def _what_of(name: str, param: str, literal: str | None) -> str:
    """What the fold made of a parameter, in words."""
    return f"every call of `{name}` passes `{param}={literal}`" if literal else f"`{name}` no longer reads `{param}`"


_NO_DEFAULT = object()


def _default_of(text: str, line: int, param: str) -> object:
    """The literal default of `param` in the `def` at `line` (a marker when it has none or it is
    not a literal)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return _NO_DEFAULT
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and line in (
            node.lineno,
            *(d.lineno for d in node.decorator_list),
        ):
            arguments = node.args
            positional = [*arguments.posonlyargs, *arguments.args]
            pairs = list(zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True))
            pairs += [(a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is not None]
            for argument, value in pairs:
                if argument.arg == param:
                    try:
                        return ast.literal_eval(value)
                    except ValueError:
                        return _NO_DEFAULT
    return _NO_DEFAULT


def _named_in_left_out(texts: _Texts, name: str) -> str | None:
    """The first Python file the settings exclude (`exclude`) that names `name`, or None."""
    config = texts.workspace.config
    if not config.exclude:
        return None
    root = texts.workspace.root
    everything, _ = discover(root, [root], dataclasses.replace(config, exclude=()))
    listed = set(texts.files)
    word = re.compile(rf"\b{re.escape(name)}\b")
    for rel in everything:
        if rel not in listed:
            data = texts.raw(rel)
            if data is not None and word.search(data.decode("utf-8", "replace")):
                return rel
    return None


def _drop_parameters(
    texts: _Texts,
    candidates: Iterable[tuple[str, str, str | None]],
    unsafe: bool,
    notes: list[Note],
    keep: AbstractSet[tuple[str, str]] = frozenset(),
) -> set[str]:
    """Drop the parameters the fold left without a choice, and then those that dropping an
    argument left unread in the callers (a parameter passed only down to the one that went)."""
    from flaglint.fix.parameters import unread_parameters

    pending = list(dict.fromkeys(candidates))
    tried: set[tuple[str, str, str | None]] = set()
    changed: set[str] = set()
    while pending and len(tried) < 50:
        candidate = pending.pop(0)
        if candidate in tried:
            continue
        tried.add(candidate)
        name, where, _ = candidate
        if any(kept == f"{name}({where})" or kept.endswith(f".{name}({where})") for _, kept in keep):
            continue
        done = _drop_parameter(texts, *candidate, unsafe, notes)
        changed.update(done)
        for rel, old in done.items():
            pending.extend((name, param, None) for name, param in unread_parameters(old, texts.edits[rel][0]))
    return changed


def _takes(definition: ParameterHome, where: str) -> bool:
    """Whether a definition has the parameter a call gave by keyword or at position `#N`."""
    if where.startswith("#"):
        return int(where[1:]) < len(definition.positional)
    return where in definition.names


def _mentions(values: Mapping[str, str | None], texts: _Texts) -> list[Note]:
    """Strings and comments that still name a retired key, for a person to look at."""
    notes = []
    for key in sorted(values):
        pattern = re.compile(rf"(?<![\w-]){re.escape(key)}(?![\w-])")
        for rel, text, _ in texts.containing(key):
            for number, line in enumerate(text.splitlines(), start=1):
                if pattern.search(line):
                    notes.append(Note(rel, number, key, "mention", f"{key!r} is still mentioned: {line.strip()[:80]}"))
    return notes


def plan_each(
    config: Config,
    values: Mapping[str, str | None],
    paths: Sequence[Path] | None = None,
    *,
    unsafe: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
) -> list[Step]:
    """Retire flags one at a time, each on top of the previous ones' edits (nothing is written)."""
    overlay: dict[str, bytes] = {}
    steps = []
    key_names: frozenset[str] = frozenset()
    for key in values:
        step = plan(
            config,
            {key: values[key]},
            paths,
            unsafe=unsafe,
            jobs=jobs,
            use_cache=use_cache,
            overlay=overlay,
            key_names=key_names,
        )
        overlay.update((edit.path, edit.after) for edit in step.edits)
        key_names |= step.key_names
        steps.append(step)
    return steps


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file's contents in one step (temp file + rename in the same folder), keeping its
    mode, owner and group. The temp file's name carries this process's id, so a run that is killed
    leaves a file the next run recognises and removes.
    """
    before = path.stat() if path.exists() else None
    handle, temp = temp_file(path.parent, f".{path.name}.", ".flaglint")
    try:
        with os.fdopen(handle, "wb") as out:
            if before is not None and (before.st_uid, before.st_gid) != (os.geteuid(), os.getegid()):
                with contextlib.suppress(PermissionError):  # only root may give a file away
                    os.fchown(out.fileno(), before.st_uid, before.st_gid)
            out.write(data)
        if before is not None:
            os.chmod(temp, before.st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def apply(root: Path, edits: Iterable[FileEdit]) -> list[Problem]:
    """Write the edits; a file changed, gone or unwritable since it was read is left alone and
    named, and the other files are still written.
    """
    problems = []
    for edit in edits:
        path = root / edit.path
        try:
            if path.is_symlink():
                problems.append(Problem(edit.path, 0, 0, "became a symlink while flaglint ran; left alone"))
                continue
            if path.read_bytes() != edit.before:
                problems.append(Problem(edit.path, 0, 0, "changed while flaglint ran; left alone"))
                continue
            write_atomic(path, edit.after)
        except OSError as exc:
            problems.append(Problem(edit.path, 0, 0, f"not written: {exc.strerror}"))
    return problems
