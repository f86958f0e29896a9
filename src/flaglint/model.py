"""Plain data shared by every part of flaglint: references, flags, findings, failures."""

from __future__ import annotations

import datetime as dt
import enum
import re
import sys
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar, cast

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - only what a type checker reads differs

    def dataclass_transform(**_: Any) -> Any:
        return lambda decorated: decorated


_R = TypeVar("_R")


TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_tests?\.py$|conftest\.py$)")


def is_test_file(rel: str) -> bool:
    """Whether a root-relative path is a test module (or a conftest.py) by pytest's conventions."""
    return TEST_FILE.search(rel) is not None


@dataclass_transform(frozen_default=True)
def record(cls: type[_R]) -> type[_R]:
    """A frozen dataclass with slots, for the records flaglint builds by the hundred thousand (a
    registry of 100,000 flags, a finding per unused flag): the dataclass's frozen `__init__` stores
    each field with a call to `object.__setattr__`, five times the cost of a plain one; this
    `__init__` stores each slot through its descriptor (an 18-field Flag: 5.9 µs -> 2.7 µs). Equality,
    hashing, repr, `replace` and the refusal to assign stay the dataclass's own.
    """
    made = dataclass(frozen=True, slots=True)(cls)
    if hasattr(made, "__post_init__"):
        raise TypeError(f"{made.__name__}: a record has no __post_init__")
    names, params, scope = [], [], {}
    for item in fields(cast(Any, made)):
        if item.default_factory is not MISSING or not item.init or item.kw_only:
            raise TypeError(f"{made.__name__}.{item.name}: a record field is a plain positional one")
        names.append(item.name)
        scope[f"_set_{item.name}"] = getattr(made, item.name).__set__
        if item.default is MISSING:
            params.append(item.name)
        else:
            scope[f"_default_{item.name}"] = item.default
            params.append(f"{item.name}=_default_{item.name}")
    body = "".join(f"    _set_{name}(self, {name})\n" for name in names)
    exec(f"def __init__(self, {', '.join(params)}):\n{body}", scope)  # the text is built from field names only
    init = scope["__init__"]
    init.__qualname__ = f"{made.__qualname__}.__init__"
    made.__init__ = init  # type: ignore[method-assign]
    return made


class RefKind(str, enum.Enum):
    """What a flag reference does with the flag."""

    CHECK = "check"
    VARIANT = "variant"
    VALUE = "value"
    DECORATOR = "decorator"
    TEST_OVERRIDE = "test-override"
    PREDICATE = "predicate"  # a framework keyword: `@view_config(feature="k")` applies only while k is on
    DECLARATION = "declaration"  # a flag object made in code: `X = WaffleSwitch("k", module_name=__name__)`


class KeySource(str, enum.Enum):
    """How the flag key of a reference was found."""

    LITERAL = "literal"
    CONSTANT = "constant"
    ENUM = "enum"
    ATTRIBUTE = "attribute"
    OBJECT = "object"  # the key the flag object a check is called on was made with (`X.is_enabled()`)
    DYNAMIC = "dynamic"


class FlagType(str, enum.Enum):
    RELEASE = "release"
    EXPERIMENT = "experiment"
    OPERATIONAL = "operational"
    KILL_SWITCH = "kill-switch"
    PERMISSION = "permission"
    SUNSET = "sunset"


class FlagState(str, enum.Enum):
    ACTIVE = "active"
    ROLLED_OUT = "rolled-out"
    OFF = "off"
    ARCHIVED = "archived"


# Enum members by their text, for readers of large registries (a dict look-up beats Enum(value)).
FLAG_TYPES = {t.value: t for t in FlagType}
FLAG_STATES = {s.value: s for s in FlagState}
# Lifecycle stages before archiving, as Unleash records them; the first two are "in development".
STAGES = ("initial", "pre-live", "live", "completed")


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@record
class Span:
    """A 1-based line/column range in a file; end is exclusive in columns."""

    line: int
    column: int
    end_line: int
    end_column: int


@record
class FlagRef:
    """One place in the code that reads, checks or pins a flag."""

    path: str
    span: Span
    key: str | None
    key_source: KeySource
    key_text: str
    pattern: str
    sdk: str
    kind: RefKind
    default: str | None = None
    pinned: str | None = None
    key_symbol: str | None = None
    suppressed: frozenset[str] = frozenset()

    @property
    def resolved(self) -> bool:
        return self.key is not None

    def is_suppressed(self, code: str) -> bool:
        return "*" in self.suppressed or code in self.suppressed


@record
class Location:
    path: str
    line: int


@record
class Flag:
    """What a registry knows about one flag."""

    key: str
    type: FlagType
    state: FlagState
    value: str | None = None
    owner: str | None = None
    created: dt.date | None = None
    remove_by: dt.date | None = None
    description: str = ""
    stale: bool = False
    location: Location | None = None
    potentially_stale: bool = False
    lifecycle: str | None = None  # initial | pre-live | live | completed | archived
    source: str = ""
    environments: tuple[tuple[str, str], ...] = ()  # (environment, "on" | "off" | "partial")
    in_code_since: dt.date | None = None  # first commit that referenced the key (from git)
    stage_since: dt.date | None = None  # when the flag entered its lifecycle stage
    changed: dt.date | None = None  # last change of its production configuration (on, off, strategies)
    last_seen: tuple[tuple[str, dt.datetime], ...] = ()  # (environment, last SDK evaluation there)

    @property
    def in_development(self) -> bool:
        """Not yet evaluated in production (Unleash's `initial` and `pre-live` stages)."""
        return self.lifecycle in STAGES[:2]

    def seen_in(self, environments: Iterable[str] | None = None) -> dt.datetime | None:
        """The last evaluation by an SDK in `environments` (default: anywhere), if known."""
        if not self.last_seen:
            return None
        wanted = None if environments is None else set(environments)
        times = [at for env, at in self.last_seen if wanted is None or env in wanted]
        return max(times) if times else None


@dataclass(frozen=True)
class Problem:
    """An expected failure (bad input file, bad config entry), reported as one line."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.column:
            where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Snapshot:
    """Every flag a registry source knows about, at one moment."""

    flags: tuple[Flag, ...]
    source: str
    fetched_at: dt.datetime | None = None
    _index: dict[str, Flag] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({flag.key: flag for flag in self.flags})

    def get(self, key: str) -> Flag | None:
        return self._index.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._index


@record
class Finding:
    """A policy verdict about a reference or a registry flag."""

    code: str
    severity: Severity
    message: str
    key: str | None
    path: str
    span: Span
    assume: str | None = None

    @property
    def fixable(self) -> bool:
        return self.assume is not None


@dataclass(frozen=True)
class ModuleName:
    """A file's dotted module name and its package (for relative imports)."""

    name: str
    package: str


@dataclass(frozen=True)
class ModuleDefs:
    """What a module defines that can name a flag key: string constants, class attributes, enum
    members, and flag objects (`X = WaffleSwitch("k")`: name -> the key they were made with).
    """

    values: tuple[tuple[str, str], ...] = ()
    enum_members: frozenset[str] = frozenset()
    aliases: tuple[tuple[str, str], ...] = ()
    objects: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FileScan:
    """What one file holds: its flag references (keys maybe still symbols) and its definitions."""

    refs: tuple[FlagRef, ...]
    defs: ModuleDefs
    problems: tuple[Problem, ...] = ()
    # (first line, last line) of each top-level statement and of each statement in a top-level
    # class's body, 1-based, decorators included, as CPython parsed them: where a rewrite's
    # reduction may cut the text
    layout: tuple[tuple[int, int], ...] = ()
