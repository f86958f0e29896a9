"""Retire flags: rewrite a module as if each retired flag always had one value. Pure.

The rewrite is a cascade of passes (`cascade.REWRITE`), the first a bottom-up LibCST pass in
which each flag reference becomes a constant marked *synthetic*; only synthetic constants fold,
so a `while True:` or `if False:` that a person wrote is never touched. Folding follows Python's
semantics: in a value context `x and True` stays as it is, and operands with side effects are
never dropped."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import libcst as cst

from flaglint.engine.patterns import Pattern
from flaglint.fix.base import Constants, Note, Rewrite
from flaglint.fix.cascade import REWRITE, FileContext, run_cascade
from flaglint.fix.reduce import without_untouched
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
    keep: frozenset[str] = frozenset(),
) -> Rewrite:
    """Rewrite `tree` as if every flag in `values` always had that value: a Python literal, or
    None for a flag that is off, where every call answers with its SDK default. When `tree` is
    already `reduced` (untouched defs stood in for), `expand` maps its code to the whole file's
    (imports are judged on that). `named`: route names used elsewhere in the project; `keep`:
    imports to keep although the rewrite leaves them unused here (other files name them).
    """
    module, originals = (tree, {}) if reduced else without_untouched(tree, refs)

    def left_unchanged(names: str) -> Note:
        return Note(path, 0, None, "error", f"left unchanged: removing the dead code would change the scope of {names}")

    context = FileContext(
        path,
        tree,
        module,
        Constants(),
        values,
        patterns,
        unsafe,
        refs,
        text,
        expand,
        reduced,
        reads,
        named,
        originals,
        left_unchanged,
        keep=keep,
    )
    run_cascade(context, REWRITE)
    if context.stopped:
        return Rewrite(path, tree, False, tuple(context.notes))
    old_code = text if text is not None else tree.code
    return Rewrite(
        path,
        context.current,
        context.changed and context.new_code != old_code,
        tuple(context.notes),
        tuple(context.wrappers),
        context.new_code,
        context.fixtures,
        context.released,
        tuple(context.arguments),
        tuple(context.overrides),
        tuple(context.entries),
    )
