"""The readable JSON layout of reports and snapshots reads back as the same value, always."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from flaglint.engine.jsontext import dumps

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=40)


@given(values)
def test_dumps_reads_back_as_the_same_value(value: object) -> None:
    assert json.loads(dumps(value)) == value


def test_each_list_element_is_one_line() -> None:
    text = dumps({"findings": [{"code": "FL001", "line": 3}, {"code": "FL003", "line": 9}]})
    assert text.splitlines() == [
        "{",
        '  "findings": [',
        '    {"code": "FL001", "line": 3},',
        '    {"code": "FL003", "line": 9}',
        "  ]",
        "}",
    ]
