"""The checks a retirement must pass before anything is written: nothing it deletes is still
named (the use index), and every check of a flag it retires is gone (all or nothing per flag)."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from flaglint.engine.source import decode
from flaglint.engine.uses import Defined, Facts, Use, UseIndex, facts, quiet_parse
from flaglint.model import FlagRef, Problem, RefKind

if TYPE_CHECKING:
    from flaglint.engine.workspace import Workspace
    from flaglint.fix.step import FileEdit

_PYTHON = (".py", ".pyi")
_NOT_CHECKS = frozenset({RefKind.DECLARATION, RefKind.TEST_OVERRIDE})


@dataclasses.dataclass(frozen=True, order=True)
class Dangling:
    """A use the step would break, and whether keeping its definition is a remedy the
    project-wide passes can apply (a definition they deleted), or only refusing the flag is."""

    use: Use
    keepable: bool

    @property
    def definition(self) -> Defined:
        return self.use.definition

    @property
    def path(self) -> str:
        return self.use.path

    @property
    def line(self) -> int:
        return self.use.line

    def __str__(self) -> str:
        return str(self.use)


def _texts(edits: Iterable[FileEdit]) -> tuple[dict[str, str], dict[str, str]]:
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for edit in edits:
        if edit.path.endswith(_PYTHON):
            before[edit.path] = edit.before.decode(edit.encoding, "replace")
            after[edit.path] = edit.after.decode(edit.encoding, "replace")
    return before, after


def dangling(
    edits: Sequence[FileEdit],
    index: UseIndex,
    keys: AbstractSet[str],
    known: Mapping[str, tuple[str, Facts]] | None = None,
) -> list[Dangling]:
    """Every place the edits would leave naming something they delete: another file's import,
    attribute read, dotted string, keyword argument or template (found by `index`, which sees
    the project as the edits leave it), or a name left unbound in its own module. String keys
    equal to a retired flag's key are the flag's own and never count. `known`: per file, a text
    and its facts, worked out already (the rewrite's worker), used while the file's new text is
    still that one."""
    before, after = _texts(edits)
    removed: list[Defined] = []
    unbound: list[Use] = []
    for rel in sorted(after):
        found = (known or {}).get(rel)
        done = found[1] if found is not None and found[0] == after[rel] else facts(rel, before[rel], after[rel])
        removed.extend(d for d in done.removed if not (d.kind == "key" and d.word in keys))
        unbound.extend(done.unbound)
    result = [Dangling(use, True) for use in index.still_named(removed, keys)]
    for use in unbound:
        rel = use.path
        owners = [d for d in removed if d.path == rel and d.word == use.definition.word and d.kind != "key"]
        if owners:
            result.extend(Dangling(dataclasses.replace(use, definition=owner), True) for owner in owners)
        else:
            result.append(Dangling(use, False))
    return sorted(set(result))


def leftover_checks(
    edits: Sequence[FileEdit],
    targets: Mapping[str, Sequence[FlagRef]],
    values: Mapping[str, str | None],
    workspace: Workspace,
    refs: Sequence[FlagRef],
) -> dict[str, tuple[str, int]]:
    """Per retired key, the first of its checks that the step leaves in place ((file, line)):
    the flag would be half retired. A check under a pin of the same flag that stays (in the same
    test function or class) reads that pin, not the flag: it is consistent as it is."""
    from flaglint.engine.detect import scan_source
    from flaglint.engine.resolve import link

    changed = {edit.path: edit for edit in edits}
    left: dict[str, tuple[str, int]] = {}
    for rel in sorted(targets):
        if rel in changed:
            text = decode(rel, changed[rel].after)
            if isinstance(text, Problem):
                continue
            if all(ref.key_text and ref.key_text not in text for ref in targets[rel]):
                continue  # none of its checks' key arguments is left: no check of them either
            scanned = link(
                scan_source(rel, text, workspace.module_of(rel), workspace.patterns).refs,
                workspace.lookup,
                workspace.patterns,
            )
        else:
            found = decode(rel, workspace.read(rel))
            if isinstance(found, Problem):
                continue
            text, scanned = found, [r for r in refs if r.path == rel]
        mine = [r for r in scanned if r.key in values]
        pins = [r for r in mine if r.kind is RefKind.TEST_OVERRIDE]
        spans = _outermost_spans(text) if pins else []
        for ref in mine:
            if ref.kind in _NOT_CHECKS or ref.key is None or ref.key in left:
                continue
            home = _span_of(spans, ref.span.line)
            if home is not None and any(p.key == ref.key and _span_of(spans, p.span.line) == home for p in pins):
                continue
            left[ref.key] = (rel, ref.span.line)
    return left


def _outermost_spans(text: str) -> list[tuple[int, int]]:
    """(first line, last line) of each top-level function and class, decorators included."""
    tree = quiet_parse(text)
    if tree is None:
        return []
    spans = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            spans.append((first, node.end_lineno or node.lineno))
    return spans


def _span_of(spans: Sequence[tuple[int, int]], line: int) -> tuple[int, int] | None:
    return next((span for span in spans if span[0] <= line <= span[1]), None)
