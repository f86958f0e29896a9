"""A function's docstring once its flag is retired: the sentences that speak of the flag go.

A docstring that says "Update the menu. This is currently behind the PostHog feature flag
EDITABLE_URLS." says something false once the check is gone. A sentence (from a capital letter to
its full stop) that names the retired flag goes when it fills whole lines of the docstring, so
nothing else on those lines is touched; a docstring that would be left empty, or a sentence
sharing a line with another, stays for a person to reword.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

import libcst as cst

_SENTENCE = re.compile(r"[A-Z][^.!?]*[.!?](?=\s|$)")


def without_sentences(value: str, names: Callable[[str], bool]) -> str | None:
    """The docstring token `value` (quotes included) without the whole-line sentences that
    `names` says speak of a retired flag; None when nothing goes or it cannot be done cleanly."""
    if not value.endswith(('"""', "'''")) or value[:1] not in "\"'":
        return None
    lines = value.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    drop: set[int] = set()
    for found in _SENTENCE.finditer(value):
        if not names(found.group()):
            continue
        first = bisect.bisect_right(starts, found.start()) - 1
        last = bisect.bisect_right(starts, found.end() - 1) - 1
        if value[starts[first] : found.start()].strip() or value[found.end() : starts[last] + len(lines[last])].strip():
            return None  # it shares a line with other words: a person rewords it
        if first == 0 or last == len(lines) - 1:
            return None  # on the quotes' own line
        drop.update(range(first, last + 1))
    if not drop:
        return None
    kept = [line for number, line in enumerate(lines) if number not in drop]
    body = "\n".join(kept)[3:-3]
    if not body.strip():
        return None
    return "\n".join(kept)


def docstring_without(node: cst.FunctionDef, names: Callable[[str], bool]) -> cst.FunctionDef | None:
    """`node` with its docstring's sentences about a retired flag gone, or None when none go."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    first = body.body[0]
    if not isinstance(first, cst.SimpleStatementLine) or len(first.body) != 1:
        return None
    expression = first.body[0]
    if not isinstance(expression, cst.Expr) or not isinstance(expression.value, cst.SimpleString):
        return None
    new = without_sentences(expression.value.value, names)
    if new is None:
        return None
    string = expression.value.with_changes(value=new)
    statement = first.with_changes(body=[expression.with_changes(value=string)])
    return node.with_changes(body=body.with_changes(body=[statement, *body.body[1:]]))
