"""The project-wide passes of a retirement, in the order they run, as data.

After every check is rewritten file by file (`clean.retire_checks`), these passes run over the
whole project, each when its trigger holds, each reading and extending one typed context. The
order matters and is declared once, here: removed fixtures take their requesters first; then
constant wrappers are inlined (their calls may be the only use of a parameter); then parameters
left without a choice go; then declarations, whose constants join the definitions that go once
nothing names them; then private helpers the fold left uncalled; then flag objects and
settings; last, the tests that still name code only the discarded path had, and the test
assertions on a dict entry that only carried the flag (both unsafe). Tests
whose mentions alone keep a retired declared field lose them before the declarations. A pass
never deletes a definition the use index asked to keep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flaglint.engine.config import Config
from flaglint.engine.patterns import Shape
from flaglint.engine.resolve import Definition
from flaglint.engine.uses import Facts
from flaglint.engine.workspace import ScanResult, Workspace
from flaglint.fix.base import Note
from flaglint.fix.project.declarations import (
    holder_setting,
    key_constants,
    remove_declarations,
    remove_objects,
    remove_settings,
)
from flaglint.fix.project.declared_in_tests import FieldMention, remove_field_mentions
from flaglint.fix.project.discarded_tests import Doomed, remove_tests
from flaglint.fix.project.entry_asserts import remove_entry_asserts
from flaglint.fix.project.mixins import remove_empty_mixins
from flaglint.fix.project.mocks import flagged, tests_mocking_checks
from flaglint.fix.project.orphans import remove_orphans, texts_before
from flaglint.fix.project.requesters import _remove_requesters
from flaglint.fix.project.signatures import drop_parameters
from flaglint.fix.project.unused import named_at, remove_unused
from flaglint.fix.project.wrappers import inline_wrappers
from flaglint.fix.texts import Texts
from flaglint.fix.workers import READS
from flaglint.model import FlagRef, KeySource, Problem


@dataclass(frozen=True)
class Run:
    """What one plan works from, shared by its stages."""

    config: Config
    workspace: Workspace
    result: ScanResult  # the scan of the paths, done once per plan
    values: Mapping[str, str | None]
    paths: Sequence[Path] | None
    unsafe: bool
    key_names: frozenset[str]
    # files whose rewrite is the same with unsafe fixes (no unsafe fix applies in them)
    same_when_unsafe: frozenset[str] = frozenset()
    # each file's rewrite, made once per plan, whatever stage asks for it again
    memo: dict[tuple[object, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def symbols(self) -> frozenset[str]:
        """The constants flag checks use as keys, in this scan or (key_names) earlier steps."""
        return self.key_names | {ref.key_symbol.rsplit(".", 1)[-1] for ref in self.result.refs if ref.key_symbol}


@dataclass
class Checks:
    """What rewriting every check file by file gave, before the project-wide passes."""

    targets: dict[str, list[FlagRef]]
    texts: dict[str, tuple[str, str]]  # rel -> (new text, encoding)
    all_files: Sequence[str]
    notes: list[Note]
    problems: list[Problem]
    validated: set[str]
    fixtures: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file -> fixtures its rewrite removed
    entries: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file -> carried entries it removed
    arguments: dict[tuple[str, str, str | None], None] = field(default_factory=dict)  # arguments made constant
    unread: list[tuple[str, str, str | None]] = field(default_factory=list)  # parameters the fold left unread
    definitions: set[Definition] = field(default_factory=set)  # key constants of the checks
    made: set[Definition] = field(default_factory=set)  # flag objects (`X = WaffleSwitch("k")`)
    wrappers: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # qualified -> (literal, file, fn)
    facts: dict[str, tuple[str, Facts]] = field(default_factory=dict)  # file -> (its new text, what went)


@dataclass
class Context:
    """What the project passes share and extend: the texts they edit, what they tell the user,
    the files whose new text is already known to parse, and the definitions to delete once
    nothing names them."""

    run: Run
    retired: Checks
    texts: Texts
    keep: AbstractSet[tuple[str, str]]  # (file, definition) the use index found still named
    notes: list[Note]
    problems: list[Problem]
    validated: set[str]
    unused: dict[str, list[str]] = field(default_factory=dict)  # file -> definitions that go when unnamed
    declared: dict[str, list[str]] = field(default_factory=dict)  # file -> constants declarations named
    before: dict[str, str] | None = None  # the rewritten files' texts on disk (see _rewritten)
    doomed: Sequence[Doomed] = ()  # tests that name only what the discarded path had (unsafe)
    fields: Sequence[FieldMention] = ()  # tests whose mentions alone keep a retired declared field


@dataclass(frozen=True)
class Pass:
    """One project pass: what it does, and when it has anything to do."""

    name: str
    apply: Callable[[Context], None]
    when: Callable[[Context], bool] = lambda context: True


def _requesters(context: Context) -> None:
    context.validated -= _remove_requesters(context.texts, context.retired.fixtures, context.notes)


def _mocks(context: Context) -> None:
    run, retired = context.run, context.retired
    called = {p.id: p.name.rsplit(".", 1)[-1] for p in run.workspace.patterns}
    functions = {called.get(r.pattern, "") for refs in retired.targets.values() for r in refs if r.kind in READS}
    functions.discard("")
    symbols = [(r.key, r.key_symbol) for r in run.result.refs if r.key and r.key in run.values and r.key_symbol]
    known = flagged(run.values, symbols, sorted({r.key for r in run.result.refs if r.key}))
    modules = {run.workspace.module_of(rel).name: rel for rel in run.workspace.files}
    elsewhere = {name: rel for name, rel in modules.items() if name and rel not in retired.targets}
    rewritten = {name: rel for name, rel in modules.items() if name and rel in retired.targets}
    notes = context.notes
    changed = tests_mocking_checks(context.texts, functions, known, run.unsafe, notes, elsewhere, rewritten)
    context.validated -= changed


def _wrappers(context: Context) -> None:
    workspace, retired = context.run.workspace, context.retired
    inline_wrappers(retired.wrappers, workspace, context.texts, context.notes, context.problems, context.keep)


def _parameters(context: Context) -> None:
    candidates = [*context.retired.arguments, *context.retired.unread]
    unsafe = context.run.unsafe
    context.validated -= drop_parameters(context.texts, candidates, unsafe, context.notes, context.keep)


def _declarations(context: Context) -> None:
    run = context.run
    context.declared = remove_declarations(run.config, run.values, context.texts, context.notes, context.keep)
    for rel, names in context.declared.items():
        context.unused.setdefault(rel, []).extend(names)


def _key_constants_pass(context: Context) -> None:
    for site in context.retired.definitions:
        rel = context.run.workspace.module_file(site.module)
        if rel is not None:
            context.unused.setdefault(rel, []).append(site.name)
    for rel, names in key_constants(context.texts, context.run.values, context.run.symbols).items():
        context.unused.setdefault(rel, []).extend(names)


def _unused(context: Context) -> None:
    for rel, names in sorted(context.unused.items()):
        gone = remove_unused(context.texts, rel, names, keep=context.keep)
        kept = {name for path, name in context.keep if path == rel}
        for name in sorted(set(context.declared.get(rel, ())) - set(gone) - kept):
            where = named_at(context.texts, rel, name)
            context.notes.append(Note(rel, 0, None, "review", f"`{name}` is still named{where}; kept"))


def _orphans(context: Context) -> None:
    context.validated -= remove_orphans(context.texts, _rewritten(context), context.notes, context.keep)


def _mixins(context: Context) -> None:
    context.validated -= remove_empty_mixins(context.texts, _rewritten(context), context.notes, context.keep)


def _rewritten(context: Context) -> dict[str, str]:
    """The text on disk of each file the checks' pass rewrote (read once per plan)."""
    if context.before is None:
        context.before = texts_before(context.texts, frozenset(context.retired.texts))
    return context.before


def _discarded_tests(context: Context) -> None:
    context.validated -= remove_tests(context.texts, context.doomed, context.run.unsafe, context.notes)


def _field_mentions(context: Context) -> None:
    context.validated -= remove_field_mentions(context.texts, context.fields, context.run.unsafe, context.notes)


def _entry_asserts(context: Context) -> None:
    workspace = context.run.workspace
    modules = {rel: workspace.module_of(rel).name for rel in context.retired.entries}
    context.validated -= remove_entry_asserts(context.texts, context.retired.entries, modules, context.notes)


def _objects(context: Context) -> None:
    remove_objects(context.run.workspace, context.texts, context.retired.made, context.notes, context.keep)


def _settings(context: Context) -> None:
    run = context.run
    keys = {ref.key for ref in run.result.refs if ref.key in run.values and ref.key_source is KeySource.ATTRIBUTE}
    attributes = [p for p in run.workspace.patterns if p.shape is Shape.ATTRIBUTE and p.match is not None]
    keys |= {key for key in run.values if any(p.key_matches(key) for p in attributes)}  # declared, never read
    keys |= {holder for key in run.values if (holder := holder_setting(key))}
    remove_settings(context.texts, sorted(k for k in keys if k), context.notes, context.keep)


CASCADE: tuple[Pass, ...] = (
    Pass("requesters of removed fixtures", _requesters, lambda c: bool(c.retired.fixtures)),
    Pass("tests that mock the checks", _mocks, lambda c: bool(c.retired.targets)),
    Pass("constant wrappers (unsafe)", _wrappers, lambda c: c.run.unsafe and bool(c.retired.wrappers)),
    Pass("parameters left without a choice", _parameters, lambda c: bool(c.retired.arguments or c.retired.unread)),
    Pass("tests' mentions of retired declared fields (unsafe)", _field_mentions, lambda c: bool(c.fields)),
    Pass("declarations (registry.code)", _declarations),
    Pass("key constants", _key_constants_pass),
    Pass("definitions nothing names", _unused, lambda c: bool(c.unused)),
    Pass("private helpers the fold left uncalled", _orphans, lambda c: bool(c.retired.texts)),
    Pass("mixins the fold left empty", _mixins, lambda c: bool(c.retired.texts)),
    Pass("flag objects", _objects, lambda c: bool(c.retired.made)),
    Pass("settings", _settings),
    Pass("tests of the discarded path's code", _discarded_tests, lambda c: bool(c.doomed)),
    Pass("test assertions on removed entries (unsafe)", _entry_asserts, lambda c: bool(c.retired.entries)),
)


def run_cascade(context: Context, cascade: Sequence[Pass] = CASCADE) -> Context:
    """Every pass of `cascade` whose trigger holds, in order, over one context."""
    for step in cascade:
        if step.when(context):
            step.apply(context)
    return context
