"""The passes of one file's rewrite, in the order they run, as data.

A rewrite is a cascade: the retire pass substitutes each reference of a retired flag and folds
what that makes constant; what the fold exposes triggers the next pass (a refold when new
constants appeared after their surroundings were folded; inlining when a local now holds a
constant; the scope check when dead code bound a name; the unread-locals pass; putting the
untouched statements back; releasing model rows whose pin went; unused imports). Each pass reads
and extends one `FileContext`; a guard pass may stop the cascade with a note, and then the file
is left as it was. `clean`, the language server (through `clean`) and the parameter and inlining
passes (`AFTER_SUBSTITUTION`) all run these tuples.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper

from flaglint.engine.patterns import Pattern
from flaglint.fix.base import Constants, Note
from flaglint.fix.dataflow import (
    DropUnreadLocals,
    InlineCandidates,
    InlineConstants,
    _wrappers,
    newly_unread_locals,
    scope_changes,
)
from flaglint.fix.definitions import release
from flaglint.fix.imports import BindingCounter, drop_new_unused_imports, may_leave_unused_imports
from flaglint.fix.reduce import restore, statement_lines, touched_positions, touches_functions
from flaglint.fix.retire import _Retire
from flaglint.model import FlagRef, Span


@dataclass
class FileContext:
    """What the passes of one file's rewrite share: the module as it was and as it is now, what
    the fold left to do, and what to tell the user."""

    path: str
    tree: cst.Module  # the module as given (reduced, or whole)
    module: cst.Module  # what the passes visit: `tree`, or it with untouched statements stood in for
    constants: Constants
    values: Mapping[str, str | None] = field(default_factory=dict)
    patterns: Mapping[str, Pattern] = field(default_factory=dict)
    unsafe: bool = True
    refs: Sequence[FlagRef] = ()
    text: str | None = None  # the module's text, when the caller has it
    expand: Callable[[str], str | None] | None = None  # a reduced module's code -> the whole file's
    reduced: bool = False
    reads: Sequence[Span] = ()
    named: frozenset[str] = frozenset()
    originals: Mapping[str, cst.BaseStatement] = field(default_factory=dict)  # stood-in statements
    # what a scope change makes of the file: the note that says why it is left as it was
    on_scope_change: Callable[[str], Note] | None = None
    new: cst.Module | None = None
    notes: list[Note] = field(default_factory=list)
    changed: bool = False
    deleted: list[cst.CSTNode] = field(default_factory=list)  # code the passes deleted
    _binds: tuple[int, bool] = (0, False)  # (deleted parts looked at, whether one binds a name)
    stores: bool = False  # a `name = <synthetic constant>` exists (inlining may apply)
    refold: bool = False
    arguments: dict[tuple[str, str, str], None] = field(default_factory=dict)
    fixtures: tuple[str, ...] = ()
    released: tuple[tuple[str, str], ...] = ()
    overrides: list[str] = field(default_factory=list)  # see Rewrite.overrides
    entries: list[str] = field(default_factory=list)  # see Rewrite.entries
    wrappers: list[tuple[str, str]] = field(default_factory=list)
    new_code: str = ""
    fold_notes: list[Note] = field(default_factory=list)  # what a fold after the first pass said
    stopped: bool = False  # a guard left the file as it was
    keep: frozenset[str] = frozenset()  # module names to keep: something elsewhere still names them
    _codes: dict[int, tuple[cst.Module, str]] = field(default_factory=dict)

    @property
    def dropped(self) -> bool:
        """Whether deleted code bound a name (then the scope check must run), worked out once."""
        seen, binds = self._binds
        while not binds and seen < len(self.deleted):
            binds, seen = bool(BindingCounter.of(self.deleted[seen])), seen + 1
        self._binds = (seen, binds)
        return binds

    @property
    def current(self) -> cst.Module:
        return self.new if self.new is not None else self.module

    def code(self, node: cst.Module) -> str:
        """A module's code, generated once (it costs as much as a parse)."""
        if node is self.tree and self.text is not None:
            return self.text
        known = self._codes.get(id(node))
        if known is None or known[0] is not node:  # the node is held, so its id is never reused
            known = self._codes[id(node)] = (node, node.code)
        return known[1]

    @functools.cached_property
    def statements(self) -> list[tuple[int, int, bool]] | None:
        """One CPython parse of the text, for positions and the scope check."""
        return statement_lines(self.text if self.text is not None else self.tree.code)

    def whole(self) -> str:
        """The whole file's text as it was (a reduced module expanded)."""
        return self._whole

    @functools.cached_property
    def _whole(self) -> str:
        base = self.text if self.text is not None else self.tree.code
        return (self.expand(base) or base) if self.reduced and self.expand is not None else base

    def fold(self, node: cst.Module, refs: Sequence[FlagRef] = ()) -> _Retire:
        """A retire pass over `node`: with `refs`, the first (substitution and fold); without,
        a fold of the synthetic constants other passes made."""
        return _Retire(
            self.path, refs, self.values, self.patterns, self.constants, self.unsafe, self.whole, self.reads, self.named
        )

    def absorb(self, retire: _Retire, notes: list[Note] | None = None) -> None:
        state = retire.state
        (self.notes if notes is None else notes).extend(state.notes)
        self.arguments.update(dict.fromkeys(state.arguments))
        self.deleted.extend(state.dropped)
        self.overrides.extend(state.overrides)
        self.entries.extend(state.entries)
        self.stores = state.constant_stores


@dataclass(frozen=True)
class Pass:
    """One pass of a file's rewrite: what it does, and when it has anything to do."""

    name: str
    apply: Callable[[FileContext], None]
    when: Callable[[FileContext], bool] = lambda context: True


def _retire(context: FileContext) -> None:
    retire = context.fold(context.module, context.refs)
    touched = touched_positions(context.module, context.statements, context.refs) if context.reduced else None
    if touched is not None:
        retire.positions, retire.untouched = touched
        context.new = context.module.visit(retire)
    else:
        context.new = MetadataWrapper(context.module, unsafe_skip_copy=True).visit(retire)
    context.absorb(retire)
    state = retire.state
    context.changed, context.refold = state.changed, state.refold
    context.fixtures, context.released = tuple(state.fixtures), tuple(state.released)


def _fold(context: FileContext) -> None:
    fold = context.fold(context.current)
    context.new = MetadataWrapper(context.current, unsafe_skip_copy=True).visit(fold)
    stores = context.stores
    context.absorb(fold, context.fold_notes)
    context.stores = stores or fold.state.constant_stores


def _inline_constants(context: FileContext) -> None:
    for _ in range(8):  # inlining exposes more folding; a handful of rounds reaches the fixed point
        if not context.stores:
            return
        candidates = InlineCandidates(context.constants)
        MetadataWrapper(context.current, unsafe_skip_copy=True).visit(candidates)
        drop, uses = candidates.inlinable()
        if not drop:
            return
        inlined = context.current.visit(InlineConstants(context.constants, drop, uses))
        fold = context.fold(inlined)
        context.new = MetadataWrapper(inlined, unsafe_skip_copy=True).visit(fold)
        context.absorb(fold)


def _scope_check(context: FileContext) -> None:
    broken = scope_changes(
        context.module, context.current, (context.code(context.module), context.code(context.current))
    )
    if broken and context.on_scope_change is not None:
        context.notes.append(context.on_scope_change(", ".join(broken)))
        context.stopped = True


def _unread_locals(context: FileContext) -> None:
    before, after = context.code(context.module), context.code(context.current)
    unread = newly_unread_locals(context.module, context.current, before, after)
    if unread:
        context.new = context.current.visit(DropUnreadLocals(unread))


def _restore(context: FileContext) -> None:
    context.new = restore(context.current, context.originals)


def _release(context: FileContext) -> None:
    # a reduced module may lack the tearDown: clean releases the whole file again then
    context.new = release(context.current, context.released)
    context.released = context.released if context.reduced else ()


def _constant_functions(context: FileContext) -> None:
    context.wrappers = _wrappers(context.current, context.constants)
    if not context.unsafe:
        for name, _ in context.wrappers:
            message = f"function `{name}` now always returns the same constant: inline it (--unsafe-fixes)"
            context.notes.append(Note(context.path, 0, None, "unsafe-skipped", message))


def _unused_imports(context: FileContext) -> None:
    old_code = context.text if context.text is not None else context.tree.code
    new_code = context.code(context.current)
    if not may_leave_unused_imports(old_code, new_code):
        return
    whole_old = context.expand(old_code) if context.expand else old_code
    whole_new = context.expand(new_code) if context.expand else new_code
    if whole_old is not None and whole_new is not None:
        context.new = drop_new_unused_imports(whole_old, context.current, whole_new, context.keep)


def _scope_may_change(context: FileContext) -> bool:
    return context.changed and touches_functions(context.statements, context.refs) and context.dropped


REWRITE: tuple[Pass, ...] = (
    Pass("retire: substitute and fold", _retire),
    Pass("refold", _fold, lambda c: c.refold),
    Pass("inline constants", _inline_constants, lambda c: c.stores),
    Pass("scope check", _scope_check, _scope_may_change),
    Pass("unread locals", _unread_locals, lambda c: c.changed),
    Pass("restore untouched statements", _restore, lambda c: bool(c.originals)),
    Pass("release model rows", _release, lambda c: bool(c.released)),
    Pass("functions that return a constant", _constant_functions),
    Pass("unused imports", _unused_imports, lambda c: c.changed),
)

# What follows a substitution made by another pass (a parameter's reads, an inlined call).
AFTER_SUBSTITUTION: tuple[Pass, ...] = (
    Pass("fold", _fold),
    Pass("scope check", _scope_check, lambda c: c.dropped),
    Pass("unused imports", _unused_imports),
)


def run_cascade(context: FileContext, cascade: Sequence[Pass]) -> FileContext:
    """Every pass of `cascade` whose trigger holds, in order, until a guard stops it."""
    for step in cascade:
        if context.stopped:
            break
        if step.when(context):
            step.apply(context)
    if not context.stopped:
        context.new_code = context.code(context.current)
    return context
