"""The module as LibCST needs to see it: untouched top-level statements stood in for,
positions computed for the touched ones alone, and put back afterwards."""

from __future__ import annotations

import ast
import bisect
from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from flaglint.model import FlagRef

_MARKER = "flaglint-stand-in-"


def statement_lines(text: str) -> list[tuple[int, int, bool]] | None:
    """(first line, last line, holds a function scope) of each top-level statement as LibCST counts
    them (`a; b` is one), from CPython's parser at a fraction of LibCST's position cost; None when
    the text does not parse.
    """
    from flaglint.engine.astparse import parse as parse_ast

    parsed = parse_ast("<rewrite>", text)
    if not isinstance(parsed, ast.Module):
        return None
    found: list[tuple[int, int, bool]] = []
    lines = text.splitlines()
    for statement in parsed.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        last = statement.end_lineno or first
        words = "\n".join(lines[first - 1 : last])  # no `def` or `lambda` in its text: no function scope
        scoped = ("def" in words or "lambda" in words) and any(
            isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) for n in ast.walk(statement)
        )
        if found and first == found[-1][1]:  # `a; b`: one line, one LibCST statement
            found[-1] = (found[-1][0], last, found[-1][2] or scoped)
        else:
            found.append((first, last, scoped))
    return found


def touched_positions(
    tree: cst.Module, statements: list[tuple[int, int, bool]] | None, refs: Sequence[FlagRef]
) -> tuple[dict[cst.CSTNode, CodeRange], set[int]] | None:
    """Positions of the nodes in the top-level statements that hold a reference, computed on
    one-statement modules, shifted to the statement's first line (LibCST positions cost ~200 us
    a line; the rest of the module need not pay), and the other statements. None when the
    statements do not line up with LibCST's (then the caller computes all positions).
    """
    if statements is None or len(statements) != len(tree.body):
        return None
    lines = sorted({n for ref in refs for n in (ref.span.line, ref.span.end_line)})
    bounds = [first - len(node.leading_lines) for (first, _, _), node in zip(statements, tree.body, strict=True)]
    positions: dict[cst.CSTNode, CodeRange] = {}
    untouched: set[int] = set()
    for index, statement in enumerate(tree.body):
        first = bounds[index]
        stop = bounds[index + 1] if index + 1 < len(bounds) else 1 << 30
        if not any(first <= line < stop for line in lines):
            untouched.add(id(statement))
            continue
        alone = cst.Module(body=[statement], default_indent=tree.default_indent, default_newline=tree.default_newline)
        shift = first - 1
        found = positions_of(alone)
        for node, where in found.items():
            start, end = where.start, where.end
            positions[node] = CodeRange((start.line + shift, start.column), (end.line + shift, end.column))
        untouched.update(_untouched_inside(statement, found, [line - shift for line in lines]))
    return positions, untouched


def _untouched_inside(
    statement: cst.BaseStatement, found: Mapping[cst.CSTNode, CodeRange], lines: list[int]
) -> set[int]:
    """The statements nested in a touched one that hold none of `lines` (decorators count as their
    function's or class's): the pass need not enter them, as it need not enter untouched
    top-level statements."""
    untouched: set[int] = set()
    for node, where in found.items():
        if node is statement or not isinstance(node, cst.BaseStatement):
            continue
        first = where.start.line
        for decorator in getattr(node, "decorators", ()):
            first = min(first, found[decorator].start.line)
        index = bisect.bisect_left(lines, first)
        if index == len(lines) or lines[index] > where.end.line:
            untouched.add(id(node))
    return untouched


def positions_of(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """`MetadataWrapper.resolve(PositionProvider)` without the empty batched visit that LibCST's
    resolver makes for a provider with no batchable dependency (half the cost on a statement);
    the public call when the provider's own entry point is not there."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    generate = getattr(PositionProvider(), "_gen", None)
    if generate is None:
        return wrapper.resolve(PositionProvider)
    return generate(wrapper)


def touches_functions(statements: list[tuple[int, int, bool]] | None, refs: Sequence[FlagRef]) -> bool:
    """Whether a top-level statement holding a reference holds a function scope: only then can
    removing dead code change the scope of a name (the check costs a scope analysis).
    """
    if statements is None:
        return True
    lines = {n for ref in refs for n in range(ref.span.line, ref.span.end_line + 1)}
    return any(scoped and any(first <= n <= last for n in lines) for first, last, scoped in statements)


def without_untouched(tree: cst.Module, refs: Sequence[FlagRef]) -> tuple[cst.Module, dict[str, cst.BaseStatement]]:
    """The module with each top-level def/class that holds no reference replaced by a marked
    stand-in of the same size: the pass then computes positions and rebuilds nodes only where
    references are, and `restore` puts the untouched statements back.
    """
    from flaglint.engine.scan import stand_in

    lines = sorted({n for ref in refs for n in (ref.span.line, ref.span.end_line)})
    originals: dict[str, cst.BaseStatement] = {}
    body = []
    first = 1 + len(tree.header)
    for index, statement in enumerate(tree.body):
        count = tree.code_for_node(statement).count("\n")
        last = first + count - 1
        holds = any(first <= line <= last for line in lines)
        first = last + 1
        marker = f"{_MARKER}{index}"
        replacement = statement if holds else stand_in(tree, statement, marker, count)
        if replacement is not statement:
            originals[marker] = statement
        body.append(replacement)
    return (tree.with_changes(body=body) if originals else tree), originals


def restore(tree: cst.Module, originals: Mapping[str, cst.BaseStatement]) -> cst.Module:
    if not originals:
        return tree
    body: list[cst.BaseStatement] = []
    for statement in tree.body:
        comment = getattr(getattr(getattr(statement, "body", None), "header", None), "comment", None)
        marker = comment.value[2:] if comment is not None else ""
        if marker in originals:
            body.append(originals[marker].with_changes(leading_lines=statement.leading_lines))
        else:
            body.append(statement)
    return tree.with_changes(body=body)
