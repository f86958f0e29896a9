"""Functions that now only return a constant: their calls become the constant (unsafe)."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from flaglint.engine.workspace import Workspace
from flaglint.fix.base import Note
from flaglint.fix.project.unused import remove_unused
from flaglint.fix.texts import Texts
from flaglint.model import Problem


def inline_wrappers(
    wrappers: Mapping[str, tuple[str, str, str]],
    workspace: Workspace,
    texts: Texts,
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
        if remove_unused(texts, rel, [name], keep=keep):
            notes.append(Note(rel, 0, None, "unsafe-applied", f"removed `{name}`, which always returned {literal}"))
        else:
            notes.append(Note(rel, 0, None, "review", f"`{name}` always returns {literal} but is still referenced"))
