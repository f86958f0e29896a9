"""Core pieces the language server stands on, as plain function calls: which key argument the
cursor is typing in (completion), where a constant is bound (definition), and an editor's text
back to the file's bytes.
"""

from __future__ import annotations

import pytest

from flaglint.engine.detect import definition_line
from flaglint.engine.patterns import BUILTIN_PATTERNS, custom_pattern, key_being_typed
from flaglint.engine.source import source_encoding

PATTERNS = (
    *BUILTIN_PATTERNS,
    custom_pattern({"kind": "function", "name": "shop.flags.is_active", "key": 0}, 0),
    custom_pattern({"kind": "subscript", "name": "app.config", "match": "FF_*"}, 1),
)


@pytest.mark.parametrize(
    ("prefix", "typed", "row"),
    [
        ('if client.is_enabled("new-', "new-", "unleash.is_enabled"),
        ("x = ff.is_enabled('", "", "unleash.is_enabled"),
        ('client.is_enabled(feature_name="ab', "ab", "unleash.is_enabled"),
        ('client.is_enabled(\n    "multi', "multi", "unleash.is_enabled"),
        ('waffle.flag_is_active(request, "sw', "sw", "waffle.flag_is_active"),
        ('client.get_boolean_value(flag_key="k', "k", "openfeature.get_boolean_value"),
        ('is_active("', "", "custom.shop.flags.is_active"),
        ('app.config["FF_', "FF_", "custom.app.config#2"),
        ('client.is_enabled(key("a"), x)\nclient.is_enabled("b', "b", "unleash.is_enabled"),
    ],
)
def test_the_key_argument_being_typed(prefix: str, typed: str, row: str) -> None:
    found = key_being_typed(prefix, PATTERNS)
    assert found is not None
    assert found.typed == typed
    assert row in [p.id for p in found.patterns]


@pytest.mark.parametrize(
    "prefix",
    [
        'print("x',  # not a flag call
        'waffle.flag_is_active("req',  # the first argument of flag_is_active is the request
        'client.is_enabled(foo("a"), "b',  # the second argument is the context
        'client.is_enabled(other="ab',  # not the key keyword
        'client.is_enabled(f"x',  # an f-string key is dynamic: nothing to complete
        'client.is_enabled("a" if b else "c',
        '# client.is_enabled("x',  # a comment
        'client.is_enabled("done")',  # the string is closed
        'client.is_enabled("""doc',  # triple quotes
        'settings = {"a',  # a dict, not a call
    ],
)
def test_no_key_argument_being_typed(prefix: str) -> None:
    assert key_being_typed(prefix, PATTERNS) is None


def test_definition_line_of_constants_class_members_and_annotated_names() -> None:
    text = 'import enum\n\nA = "a"\nB: str = "b"\n\n\nclass Feature(enum.Enum):\n    X = "x"\n    Y = "y"\n'
    assert definition_line(text, "A") == 3
    assert definition_line(text, "B") == 4
    assert definition_line(text, "Feature.Y") == 9
    assert definition_line(text, "Feature.Z") is None
    assert definition_line(text, "Missing.X") is None
    assert definition_line("def broken(:\n", "A") is None


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("x = 1\n", "utf-8"),
        ("# -*- coding: latin-1 -*-\nx = 'é'\n", "iso-8859-1"),
        ("#!/usr/bin/env python\n# coding: cp1252\n", "cp1252"),
        ("# coding: no-such-codec\n", "utf-8"),
    ],
)
def test_source_encoding_follows_the_cookie(text: str, encoding: str) -> None:
    assert source_encoding(text) == encoding
