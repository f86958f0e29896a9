"""The records flaglint builds in bulk behave as the frozen dataclasses they are declared as."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
from typing import Any

import pytest

from flaglint.model import (
    Finding,
    Flag,
    FlagRef,
    FlagState,
    FlagType,
    KeySource,
    Location,
    RefKind,
    Severity,
    Span,
    record,
)

SPAN = Span(3, 4, 3, 20)
EXAMPLES: list[Any] = [
    SPAN,
    Location("flags.toml", 12),
    FlagRef("app/x.py", SPAN, "k", KeySource.LITERAL, '"k"', "is_enabled", "unleash", RefKind.CHECK, "False"),
    Flag(
        "k",
        FlagType.RELEASE,
        FlagState.OFF,
        owner="team",
        created=dt.date(2026, 1, 2),
        location=Location("flags.toml", 12),
        last_seen=(("production", dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)),),
    ),
    Finding("FL008", Severity.INFO, "unused", "k", "flags.toml", SPAN),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: type(e).__name__)
def test_a_record_is_built_as_its_fields_say(example: Any) -> None:
    cls = type(example)
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in params] == [f.name for f in fields]
    for param, field in zip(params, fields, strict=True):
        expected = inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
        assert param.default == expected, field.name
    values = [getattr(example, f.name) for f in fields]
    by_position = cls(*values)
    by_name = cls(**{f.name: v for f, v in zip(fields, values, strict=True)})
    assert by_position == by_name == example
    assert hash(by_position) == hash(example)
    assert tuple(getattr(by_name, f.name) for f in fields) == tuple(values)
    assert repr(by_position) == repr(example)
    first = fields[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(example, first, values[0])
    with pytest.raises(TypeError):
        cls(*values, "one too many")
    with pytest.raises((AttributeError, TypeError)):  # slots: no other attribute (3.11 says it as a TypeError)
        example.not_a_field = 1
    assert dataclasses.replace(example) == example


def test_defaults_apply_and_differ_per_field() -> None:
    flag = Flag("k", FlagType.RELEASE, FlagState.ACTIVE)
    assert (flag.value, flag.description, flag.stale, flag.environments, flag.last_seen) == (None, "", False, (), ())
    assert dataclasses.replace(flag, stale=True).stale is True
    assert Finding("FL001", Severity.ERROR, "m", None, "p", SPAN).assume is None


def test_a_record_refuses_what_its_init_cannot_build() -> None:
    with pytest.raises(TypeError, match="__post_init__"):

        @record
        class Checked:
            a: int

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError, match="plain positional"):

        @record
        class Listed:
            items: list[int] = dataclasses.field(default_factory=list)
