"""Invariants of the scanner, checked on generated modules."""

from __future__ import annotations

import ast
import functools
import json
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from flaglint.engine.detect import scan_source
from flaglint.engine.patterns import BUILTIN_PATTERNS
from flaglint.model import ModuleName

MODULE = ModuleName("gen.mod", "gen")

_PLAIN = [
    "def plain{n}(a, b=1):\n    '''Doc.\n\n    More.\n    '''\n    return a + b\n",
    "@decorator\n@other(1,\n       2)\ndef decorated{n}():\n    x = [\n        1,\n    ]\n    return x\n",
    "class Plain{n}:\n    attr = 1\n\n    def method(self):\n        # comment\n        return self.attr\n",
    "def one_liner{n}(): return 1\n",
    "async def coro{n}():\n    await thing()\n\n\n    # trailing comment in the block\n",
    "if CONDITION:\n    value{n} = 1\nelse:\n    value{n} = 2\n",
    "# a comment line\n\n",
]
_FLAGGED = [
    "def check{n}(client):\n    if client.is_enabled('k{n}'):\n        return 1\n    return 0\n",
    "class Holder{n}:\n    def m(self, client):\n"
    "        return (\n            client.is_enabled(\n                'k{n}'))\n",
    "RESULT{n} = client.is_enabled('k{n}')\n",
    "@decorated\ndef view{n}(client):  # é, ünïcode before the call\n    return 'ü' + str(client.is_enabled('k{n}'))\n",
]


@st.composite
def modules(draw: st.DrawFn) -> str:
    parts = ["import UnleashClient\n"]
    for n in range(draw(st.integers(min_value=1, max_value=12))):
        templates = _FLAGGED if draw(st.booleans()) else _PLAIN
        parts.append(draw(st.sampled_from(templates)).format(n=n))
        parts.append("\n" * draw(st.integers(min_value=0, max_value=2)))
    return "".join(parts)


def ast_calls(source: str) -> list[tuple[int, int, int, int]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "is_enabled":
            # ast columns are UTF-8 byte offsets; convert to 1-based character columns.
            lines = source.splitlines()
            start = len(lines[node.lineno - 1].encode()[: node.col_offset].decode()) + 1
            assert node.end_lineno is not None
            assert node.end_col_offset is not None
            end = len(lines[node.end_lineno - 1].encode()[: node.end_col_offset].decode()) + 1
            found.append((node.lineno, start, node.end_lineno, end))
    return sorted(found)


@settings(max_examples=150, deadline=None)
@given(modules())
def test_reference_positions_match_cpython(source: str) -> None:
    scan = scan_source("gen/mod.py", source, MODULE, BUILTIN_PATTERNS)
    spans = sorted((r.span.line, r.span.column, r.span.end_line, r.span.end_column) for r in scan.refs)
    assert spans == ast_calls(source)


_KEY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)


@settings(max_examples=200, deadline=None)
@given(_KEY_TEXT, st.sampled_from([repr, functools.partial(json.dumps, ensure_ascii=False)]))
def test_literal_keys_come_back_exactly(key: str, spell: Callable[[str], str]) -> None:
    literal = spell(key)
    source = f"import UnleashClient\nclient.is_enabled({literal})\n"
    (ref,) = scan_source("m.py", source, MODULE, BUILTIN_PATTERNS).refs
    assert ref.key == ast.literal_eval(literal) == key
