"""CPython's parse of a module (on a large stack when the tree is deep), and the names every
part of the ast front end shares."""

from __future__ import annotations

import ast
import builtins
import functools
import re
import warnings
from collections.abc import Iterator

from flaglint.engine.guard import deep
from flaglint.model import Problem

SUPPRESS = re.compile(r"#\s*flaglint:\s*ignore(?:\[([A-Z0-9,\s]*)\])?")
BUILTINS = frozenset(dir(builtins))
ENUM_BASES = {"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"}


@functools.lru_cache(maxsize=4)
def tree(text: str) -> ast.Module:
    """`ast.parse` of `text` (its warnings are the project's business, never printed here); a tree
    too deep for the default recursion limit is built on a large stack. The steps of one rewrite
    read the same few texts, so the last few trees are kept: callers only read them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text)
        except RecursionError:
            return deep(lambda: ast.parse(text))


def _ast(text: str, path: str) -> ast.Module:
    try:
        return tree(text)
    except SyntaxError as exc:
        exc.filename = path
        raise


def parse(path: str, text: str) -> ast.Module | Problem:
    """CPython's parse of `text`, or the Problem that says why it cannot be parsed."""
    try:
        return _ast(text, path)
    except SyntaxError as exc:
        return Problem(path, exc.lineno or 1, exc.offset or 0, f"syntax error: {exc.msg}")
    except (RecursionError, MemoryError):
        return Problem(path, 1, 0, "cannot parse: the code is nested too deeply")
    except ValueError as exc:  # source with NUL bytes
        return Problem(path, 1, 0, f"cannot parse: {exc}")


Function = ast.FunctionDef | ast.AsyncFunctionDef


def functions(
    tree: ast.AST, first: int = 1, last: int = 1 << 30, chain: tuple[str, ...] = (), in_class: bool = False
) -> Iterator[tuple[tuple[str, ...], Function, bool]]:
    """Every function of `tree`, at any depth: (its chain of enclosing def and class names, the
    def, whether a class holds it directly). Only those whose lines meet `first`..`last` (parts of
    the tree wholly outside are not entered)."""
    for child in ast.iter_child_nodes(tree):
        end = getattr(child, "end_lineno", None)
        if end is not None and (end < first or child.lineno > last):  # type: ignore[attr-defined]
            continue
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield (*chain, child.name), child, in_class
            yield from functions(child, first, last, (*chain, child.name), False)
        elif isinstance(child, ast.ClassDef):
            yield from functions(child, first, last, (*chain, child.name), True)
        else:
            yield from functions(child, first, last, chain, in_class)
