"""Retire flags: rewrite a module as if each retired flag always had one value. Pure.

The rewrite is one bottom-up LibCST pass. Each flag reference becomes a constant that the pass
marks as *synthetic*; only synthetic constants fold, so a `while True:` or `if False:` that a
person wrote is never touched. Folding follows Python's semantics: in a value context
`x and True` stays as it is, and operands with side effects are never dropped."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper

from flaglint.engine.patterns import Pattern
from flaglint.fix.base import Constants, Note, Rewrite
from flaglint.fix.dataflow import (
    DropUnreadLocals,
    InlineCandidates,
    InlineConstants,
    _wrappers,
    newly_unread_locals,
    scope_changes,
)
from flaglint.fix.definitions import release
from flaglint.fix.imports import drop_new_unused_imports
from flaglint.fix.reduce import restore, statement_lines, touched_positions, touches_functions, without_untouched
from flaglint.fix.retire import _Retire
from flaglint.model import FlagRef, Span


def rewrite(
    path: str,
    tree: cst.Module,
    refs: Sequence[FlagRef],
    values: Mapping[str, str | None],
    patterns: Mapping[str, Pattern],
    *,
    unsafe: bool = False,
    text: str | None = None,
    expand: Callable[[str], str | None] | None = None,
    reduced: bool = False,
    reads: Sequence[Span] = (),
    named: frozenset[str] = frozenset(),
) -> Rewrite:
    """Rewrite `tree` as if every flag in `values` always had that value: a Python literal, or
    None for a flag that is off, where every call answers with its SDK default. When `tree` is
    already `reduced` (untouched defs stood in for), `expand` maps its code to the whole file's
    (imports are judged on that). `named`: route names used elsewhere in the project.
    """
    constants = Constants()

    @functools.cache
    def whole() -> str:
        base = text if text is not None else tree.code
        return (expand(base) or base) if reduced and expand is not None else base

    retire = _Retire(path, refs, values, patterns, constants, unsafe, whole, reads, named)
    # Every pass works on the module with untouched top-level statements stood in for: metadata
    # and visits then cost what the touched statements cost; `restore` puts the rest back.
    module, originals = (tree, {}) if reduced else without_untouched(tree, refs)
    # One CPython parse, when needed, serves the positions and the scope check.
    statements = functools.cache(lambda: statement_lines(text if text is not None else tree.code))
    touched = touched_positions(module, statements(), refs) if reduced else None
    if touched is not None:
        retire.positions, retire.untouched = touched
        new = module.visit(retire)
    else:
        new = MetadataWrapper(module, unsafe_skip_copy=True).visit(retire)
    notes = list(retire.state.notes)
    changed = retire.state.changed
    dropped = retire.state.dropped_bindings
    stores = retire.state.constant_stores
    arguments = dict.fromkeys(retire.state.arguments)
    if retire.state.refold:
        fold = _Retire(path, (), values, patterns, constants, unsafe, whole)
        new = MetadataWrapper(new, unsafe_skip_copy=True).visit(fold)
        arguments.update(dict.fromkeys(fold.state.arguments))
        dropped = dropped or fold.state.dropped_bindings
        stores = stores or fold.state.constant_stores
    for _ in range(8):  # inlining exposes more folding; a handful of rounds reaches the fixed point
        if not stores:
            break
        candidates = InlineCandidates(constants)
        MetadataWrapper(new, unsafe_skip_copy=True).visit(candidates)
        drop, uses = candidates.inlinable()
        if not drop:
            break
        inlined = new.visit(InlineConstants(constants, drop, uses))
        fold = _Retire(path, (), values, patterns, constants, unsafe, whole)
        new = MetadataWrapper(inlined, unsafe_skip_copy=True).visit(fold)
        notes.extend(fold.state.notes)
        arguments.update(dict.fromkeys(fold.state.arguments))
        dropped = dropped or fold.state.dropped_bindings
        stores = fold.state.constant_stores
    # Generating a module's code costs as much as parsing it: each text is made once here.
    module_code = functools.cache(lambda: text if module is tree and text is not None else module.code)
    folded = new
    folded_code = functools.cache(lambda: folded.code)
    if changed and dropped and touches_functions(statements(), refs):
        broken = scope_changes(module, new, (module_code(), folded_code()))
        if broken:
            message = f"left unchanged: removing the dead code would change the scope of {', '.join(broken)}"
            return Rewrite(path, tree, False, (*notes, Note(path, 0, None, "error", message)))
    if changed:
        unread = newly_unread_locals(module, new, module_code(), folded_code())
        if unread:
            new = new.visit(DropUnreadLocals(unread))
    new = restore(new, originals)
    released = tuple(retire.state.released)
    if released:  # a reduced module may lack the tearDown: clean releases the whole file again then
        new = release(new, released)
        released = released if reduced else ()
    wrappers = _wrappers(new, constants)
    old_code = text if text is not None else tree.code
    new_code = folded_code() if new is folded else new.code
    if changed:
        whole_old = expand(old_code) if expand else old_code
        whole_new = expand(new_code) if expand else new_code
        pruned = new
        if whole_old is not None and whole_new is not None:
            pruned = drop_new_unused_imports(whole_old, new, whole_new)
        if pruned is not new:
            new, new_code = pruned, pruned.code
    if not unsafe:
        for name, _ in wrappers:
            message = f"function `{name}` now always returns the same constant: inline it (--unsafe-fixes)"
            notes.append(Note(path, 0, None, "unsafe-skipped", message))
    changed = changed and new_code != old_code
    return Rewrite(
        path,
        new,
        changed,
        tuple(notes),
        tuple(wrappers),
        new_code,
        tuple(retire.state.fixtures),
        released,
        tuple(arguments),
    )
