"""The single table of flag-check patterns: built-in SDK rows plus `[tool.flaglint]` custom rows.

Scan, codemod, language server and docs all read this table; adding an SDK is adding rows.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from flaglint.model import RefKind


class Shape(str, enum.Enum):
    """The syntax a pattern matches."""

    CALL = "call"  # f(KEY): a function known by its (qualified) name
    METHOD = "method"  # obj.m(KEY): a method on some receiver
    ATTRIBUTE = "attribute"  # settings.ENABLE_X: the attribute name is the key
    SUBSCRIPT = "subscript"  # app.config["FF_X"]: the subscript is the key
    MEMBERSHIP = "membership"  # "k" in web.ctx.features: the left operand is the key


@dataclass(frozen=True)
class Arg:
    """Where an argument sits in a call: by position, or by one of its keyword names; with `item`,
    the value under that string key of the dict literal given there (`defaults={"everyone": True}`).
    """

    index: int | None = None
    keywords: tuple[str, ...] = ()
    item: str | None = None


NO_ARG = Arg()


@dataclass(frozen=True)
class Pattern:
    id: str
    sdk: str
    shape: Shape
    name: str
    kind: RefKind
    key: Arg = NO_ARG
    default: Arg = NO_ARG
    pinned: Arg = NO_ARG
    packages: tuple[str, ...] = ()
    receiver: str | None = None
    match: str | None = None
    negated: bool = False  # the call answers "is the flag off?" (GrowthBook is_off)
    substitutable: bool = True  # False: the call returns an object (details, variant), not the value
    negation: str | None = None  # kind "keyword": the call that negates its key (`not_("k")`), last name
    pin: str | None = None  # a test helper that always pins one value ("True" / "False")
    # A check on a flag object (`X.is_enabled()`) or a pin of one (`override_waffle_switch(X, True)`):
    # the receiver, or the key argument, is X, and the key is the one X was made with.
    on_object: bool = False
    flag: str | None = None  # a function that checks one flag, named here, and takes no key argument
    # A value-select helper (`value_for(K, on=A, off=B)`): the arguments it answers when on / off.
    when_on: Arg = NO_ARG
    when_off: Arg = NO_ARG

    @property
    def selects(self) -> bool:
        return self.when_on != NO_ARG

    @property
    def on_receiver(self) -> bool:
        return self.on_object and self.key == NO_ARG

    @property
    def token(self) -> str:
        """The identifier that must appear in a file's text for this pattern to match there."""
        return self.name.rsplit(".", 1)[-1]

    def key_matches(self, key: str) -> bool:
        return self.match is None or fnmatch.fnmatchcase(key, self.match)

    def admits(self, key: str | None, symbol: str | None) -> bool:
        """Whether a reference this row found is one, by `match`: a literal key must match it; a
        key named by a constant is resolved later and kept; a dynamic key is not the row's."""
        if self.match is None:
            return True
        return self.key_matches(key) if key is not None else symbol is not None


def _method(
    sdk: str,
    name: str,
    kind: RefKind,
    packages: tuple[str, ...],
    key: Arg,
    default: Arg = NO_ARG,
    *,
    negated: bool = False,
    substitutable: bool = True,
) -> Pattern:
    return Pattern(
        f"{sdk}.{name}",
        sdk,
        Shape.METHOD,
        name,
        kind,
        key,
        default,
        packages=packages,
        negated=negated,
        substitutable=substitutable,
    )


def _call(
    sdk: str,
    qualified: str,
    kind: RefKind,
    key: Arg,
    default: Arg = NO_ARG,
    pinned: Arg = NO_ARG,
) -> Pattern:
    short = qualified.rsplit(".", 1)[-1]
    return Pattern(f"{sdk}.{short}", sdk, Shape.CALL, qualified, kind, key, default, pinned)


_UNLEASH = ("UnleashClient",)
_OPENFEATURE = ("openfeature",)
_LAUNCHDARKLY = ("ldclient",)
_FLAGSMITH = ("flagsmith",)
_GROWTHBOOK = ("growthbook",)
_POSTHOG = ("posthog",)

_OF_KEY = Arg(0, ("flag_key", "key"))
_OF_DEFAULT = Arg(1, ("default_value",))


def _openfeature_rows() -> list[Pattern]:
    rows = []
    for typ, kind in (
        ("boolean", RefKind.CHECK),
        ("string", RefKind.VARIANT),
        ("integer", RefKind.VALUE),
        ("float", RefKind.VALUE),
        ("object", RefKind.VALUE),
    ):
        for suffix in ("value", "details"):
            name = f"get_{typ}_{suffix}"
            rows.append(
                _method("openfeature", name, kind, _OPENFEATURE, _OF_KEY, _OF_DEFAULT, substitutable=suffix == "value")
            )
    return rows


BUILTIN_PATTERNS: tuple[Pattern, ...] = (
    # Unleash: client.is_enabled(feature_name, context=None, fallback_function=None)
    _method("unleash", "is_enabled", RefKind.CHECK, _UNLEASH, Arg(0, ("feature_name",))),
    _method("unleash", "get_variant", RefKind.VARIANT, _UNLEASH, Arg(0, ("feature_name",)), substitutable=False),
    # OpenFeature: client.get_<type>_value(flag_key, default_value, evaluation_context=None, ...)
    *_openfeature_rows(),
    # LaunchDarkly: client.variation(key, context, default)
    _method("launchdarkly", "variation", RefKind.VALUE, _LAUNCHDARKLY, Arg(0, ("key",)), Arg(2, ("default",))),
    _method("launchdarkly", "variation_detail", RefKind.VALUE, _LAUNCHDARKLY, Arg(0, ("key",)), Arg(2, ("default",))),
    # Flagsmith: flags.is_feature_enabled(feature_name), flags.get_feature_value(feature_name)
    _method("flagsmith", "is_feature_enabled", RefKind.CHECK, _FLAGSMITH, Arg(0, ("feature_name",))),
    _method("flagsmith", "get_feature_value", RefKind.VALUE, _FLAGSMITH, Arg(0, ("feature_name",))),
    # GrowthBook: gb.is_on(key), gb.is_off(key), gb.get_feature_value(key, fallback), gb.eval_feature(key)
    _method("growthbook", "is_on", RefKind.CHECK, _GROWTHBOOK, Arg(0, ("key",))),
    _method("growthbook", "is_off", RefKind.CHECK, _GROWTHBOOK, Arg(0, ("key",)), negated=True),
    _method("growthbook", "get_feature_value", RefKind.VALUE, _GROWTHBOOK, Arg(0, ("key",)), Arg(1, ("fallback",))),
    _method("growthbook", "eval_feature", RefKind.VALUE, _GROWTHBOOK, Arg(0, ("key",)), substitutable=False),
    # PostHog: posthog.feature_enabled(key, distinct_id, ...), also on a Posthog() client
    _method("posthog", "feature_enabled", RefKind.CHECK, _POSTHOG, Arg(0, ("key",))),
    _method("posthog", "get_feature_flag", RefKind.VARIANT, _POSTHOG, Arg(0, ("key",))),
    _method("posthog", "get_feature_flag_payload", RefKind.VALUE, _POSTHOG, Arg(0, ("key",))),
    _call("posthog", "posthog.feature_enabled", RefKind.CHECK, Arg(0, ("key",))),
    _call("posthog", "posthog.get_feature_flag", RefKind.VARIANT, Arg(0, ("key",))),
    _call("posthog", "posthog.get_feature_flag_payload", RefKind.VALUE, Arg(0, ("key",))),
    # django-waffle
    _call("waffle", "waffle.flag_is_active", RefKind.CHECK, Arg(1, ("flag_name",))),
    _call("waffle", "waffle.switch_is_active", RefKind.CHECK, Arg(0, ("switch_name",))),
    _call("waffle", "waffle.sample_is_active", RefKind.CHECK, Arg(0, ("sample_name",))),
    _call("waffle", "waffle.decorators.waffle_flag", RefKind.DECORATOR, Arg(0, ("flag_name",))),
    _call("waffle", "waffle.decorators.waffle_switch", RefKind.DECORATOR, Arg(0, ("switch_name",))),
    _call(
        "waffle", "waffle.testutils.override_flag", RefKind.TEST_OVERRIDE, Arg(0, ("name",)), pinned=Arg(1, ("active",))
    ),
    _call(
        "waffle",
        "waffle.testutils.override_switch",
        RefKind.TEST_OVERRIDE,
        Arg(0, ("name",)),
        pinned=Arg(1, ("active",)),
    ),
    _call(
        "waffle",
        "waffle.testutils.override_sample",
        RefKind.TEST_OVERRIDE,
        Arg(0, ("name",)),
        pinned=Arg(1, ("active",)),
    ),
)


def _waffle_rows() -> tuple[Pattern, ...]:
    """django-waffle's model rows, the other way tests pin a flag or switch on or off:
    `Flag.objects.create(name=K, everyone=True)`, `Switch.objects.update_or_create(name=K,
    defaults={"active": False})`.
    """
    rows = []
    for model, field in (("Flag", "everyone"), ("Switch", "active")):
        for method in ("create", "get_or_create", "update_or_create"):
            pinned = Arg(None, (field,)) if method == "create" else Arg(None, ("defaults",), field)
            qualified = f"waffle.models.{model}.objects.{method}"
            rows.append(
                Pattern(
                    f"waffle.{model}.{method}",
                    "waffle",
                    Shape.CALL,
                    qualified,
                    RefKind.TEST_OVERRIDE,
                    Arg(None, ("name",)),
                    pinned=pinned,
                )
            )
    return tuple(rows)


BUILTIN_PATTERNS += _waffle_rows()


def _object_rows(
    sdk: str,
    constructors: tuple[str, ...],
    key: Arg,
    checks: tuple[str, ...],
    pins: tuple[tuple[str, Arg, Arg], ...] = (),
) -> tuple[Pattern, ...]:
    """Flag objects: made in code with their key (`X = WaffleSwitch("app.k", module_name=__name__)`,
    a declaration), checked with a method on them (`X.is_enabled()`), pinned in tests by helpers
    that take the object (`override_waffle_switch(X, active=True)`: name, object, value arguments).
    """
    made = tuple(_call(sdk, constructor, RefKind.DECLARATION, key) for constructor in constructors)
    checked = tuple(Pattern(f"{sdk}.{m}", sdk, Shape.METHOD, m, RefKind.CHECK, on_object=True) for m in checks)
    pinned = tuple(
        Pattern(
            f"{sdk}.{helper.rsplit('.', 1)[-1]}",
            sdk,
            Shape.CALL,
            helper,
            RefKind.TEST_OVERRIDE,
            target,
            pinned=value,
            on_object=True,
        )
        for helper, target, value in pins
    )
    return made + checked + pinned


# edx-toggles (Open edX): WaffleSwitch(name, module_name), WaffleFlag(name, module_name, log_prefix);
# tests pin them with override_waffle_switch(switch, active) and override_waffle_flag(flag, active).
_EDX_TOGGLES = ("edx_toggles.toggles.WaffleSwitch", "edx_toggles.toggles.WaffleFlag")
_EDX_PINS = (
    ("edx_toggles.toggles.testutils.override_waffle_switch", Arg(0, ("switch",)), Arg(1, ("active",))),
    ("edx_toggles.toggles.testutils.override_waffle_flag", Arg(0, ("flag",)), Arg(1, ("active",))),
)
BUILTIN_PATTERNS += _object_rows("edx-toggles", _EDX_TOGGLES, Arg(0, ("name",)), ("is_enabled",), _EDX_PINS)

SDKS: tuple[str, ...] = tuple(dict.fromkeys(p.sdk for p in BUILTIN_PATTERNS))

# Receiver names that look like a flag client; with a static key they confirm an SDK method call.
CLIENT_NAME = re.compile(
    r"(?i)(unleash|flag|feature|toggle|launchdarkly|^ld|openfeature|^of_|posthog|growthbook|^gb$|flagsmith|client)"
)


def names_match(wanted: str, names: Iterable[str | None]) -> bool:
    """Whether one of `names` is the dotted name `wanted` or ends with it (`x.settings`); a
    `wanted` with glob characters (`*project`, `*`) matches a name or any of its dotted tails."""
    if not any(char in wanted for char in "*?["):
        return any(n == wanted or (n or "").endswith("." + wanted) for n in names)
    for name in names:
        parts = (name or "").split(".")
        if name and any(fnmatch.fnmatchcase(".".join(parts[i:]), wanted) for i in range(len(parts))):
            return True
    return False


def call_strength(
    row: Pattern,
    *,
    func_names: set[str | None],
    func_last: str | None,
    method: str | None,
    receiver_last: str | None,
    imported: set[str],
    receiver_names: Callable[[], set[str | None]],
    key_static: Callable[[], bool],
) -> int:
    """How surely a call is a flag check of `row`, from facts any front end extracts: 0 = not at
    all; qualified names (3) beat imports of the SDK (2), which beat client-like receiver names (1).
    `method` is the attribute called (None for a plain name); the callables are asked only when needed.
    """
    if row.on_receiver:  # `X.is_enabled()`: any SDK row that matches the call as well wins
        return 1 if method == row.name and key_static() else 0
    if row.shape is Shape.CALL:
        if "." in row.name:
            return 3 if row.name in func_names else 0
        matched = func_last == row.name or any(n and n.rsplit(".", 1)[-1] == row.name for n in func_names)
        return 2 if matched else 0
    if method != row.name:
        return 0
    if row.sdk == "custom":
        return 2 if row.receiver is None or names_match(row.receiver, receiver_names()) else 0
    if any(n and n.split(".")[0] in row.packages for n in func_names):
        return 3
    if imported.intersection(row.packages):
        return 2
    return 1 if CLIENT_NAME.search(receiver_last or "") and key_static() else 0


_CUSTOM_KINDS = {
    "function": Shape.CALL,
    "method": Shape.METHOD,
    "attribute": Shape.ATTRIBUTE,
    "subscript": Shape.SUBSCRIPT,
    "membership": Shape.MEMBERSHIP,
}
_DECORATOR = "decorator"
_KEYWORD_KIND = "keyword"
_SPECIAL_KINDS = (_DECORATOR, _KEYWORD_KIND)


class PatternError(ValueError):
    """A custom pattern entry that cannot be used; the message names the field."""


_OBJECT_KIND = "object"


def custom_rows(entry: Mapping[str, Any], number: int) -> tuple[Pattern, ...]:
    """The rows of one `[[tool.flaglint.patterns]]` table: one, or for kind = "object" (a class of
    flag objects of the project's own, `X = CourseWaffleFlag("k", __name__)` checked with
    `X.is_enabled(course)`) the constructor's declaration row and one row per checking method; a
    membership test and its `not in`; a subscript pin and the read of what it pins.
    """
    if entry.get("kind") == "membership":  # `"k" in X` checks k; `"k" not in X` is its negation
        if entry.get("flag-kind", RefKind.CHECK.value) != RefKind.CHECK.value:
            raise PatternError("kind = 'membership' is a check: it takes no flag-kind")
        row = custom_pattern(entry, number)
        return (row, replace(row, id=f"{row.id}:not-in", negated=True))
    if entry.get("kind") == "subscript" and entry.get("flag-kind") == RefKind.TEST_OVERRIDE.value:
        # `settings.FEATURES[K] = True` pins K; reading `settings.FEATURES[K]` back is K's value
        row = custom_pattern(entry, number)
        return (row, replace(row, id=f"{row.id}:read", kind=RefKind.CHECK))
    if entry.get("kind") != _OBJECT_KIND:
        return (custom_pattern(entry, number),)
    unknown = sorted(set(entry) - {"kind", "name", "key", "key-keyword", "check"})
    if unknown:
        raise PatternError(f"unknown field {unknown[0]!r} for kind = 'object' (allowed: key, key-keyword, check)")
    name = entry.get("name")
    if not isinstance(name, str) or not _dotted(name) or "." not in name:
        raise PatternError("name must be the dotted name of the class that makes the flag objects (app.toggles.Flag)")
    checks = entry.get("check", ["is_enabled"])
    checks = [checks] if isinstance(checks, str) else checks
    if not isinstance(checks, list) or not checks or not all(isinstance(c, str) and c.isidentifier() for c in checks):
        raise PatternError("check is a method name, or a list of them, that checks the object (is_enabled)")
    rows = _object_rows("custom", (name,), _arg(entry, "key", "key-keyword", default_index=0), tuple(checks))
    suffix = "" if number == 0 else f"#{number + 1}"
    return tuple(replace(row, id=row.id + suffix) for row in rows)


def custom_pattern(entry: Mapping[str, Any], number: int) -> Pattern:
    """Build a Pattern from one `[[tool.flaglint.patterns]]` table."""
    allowed = {
        *("kind", "name", "receiver", "key", "key-keyword", "default", "default-keyword", "match", "flag-kind"),
        *("negate", "pin", "pin-arg", "pin-keyword", "flag", "on", "on-keyword", "off", "off-keyword"),
    }
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise PatternError(f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    kind_text = entry.get("kind")
    if kind_text not in (*_CUSTOM_KINDS, *_SPECIAL_KINDS):
        kinds = ", ".join([*_CUSTOM_KINDS, *_SPECIAL_KINDS, _OBJECT_KIND])
        raise PatternError(f"kind must be one of {kinds}, not {kind_text!r}")
    name = entry.get("name")
    if not isinstance(name, str) or not _dotted(name):
        raise PatternError("name must be a dotted Python name")
    negate = entry.get("negate")
    if negate is not None and (kind_text != _KEYWORD_KIND or not isinstance(negate, str) or not _dotted(negate)):
        raise PatternError("negate is a dotted name and only applies to kind = 'keyword'")
    if kind_text == _KEYWORD_KIND and not isinstance(entry.get("key-keyword"), str):
        raise PatternError("kind = 'keyword' needs key-keyword, the keyword that names the flag (feature)")
    pin = entry.get("pin")
    pinned = _arg(entry, "pin-arg", "pin-keyword", default_index=None)
    if (pin is not None or pinned != NO_ARG) and entry.get("flag-kind") != RefKind.TEST_OVERRIDE.value:
        raise PatternError("pin, pin-arg and pin-keyword only apply to flag-kind = 'test-override'")
    if pin is not None and (not isinstance(pin, bool) or pinned != NO_ARG):
        raise PatternError("pin is true or false (the value the helper always pins), without pin-arg/pin-keyword")
    shape = Shape.CALL if kind_text in _SPECIAL_KINDS else _CUSTOM_KINDS[kind_text]
    if kind_text in _SPECIAL_KINDS:
        ref_kind = RefKind.DECORATOR if kind_text == _DECORATOR else RefKind.PREDICATE
    else:
        ref_kind = _ref_kind(entry.get("flag-kind", "check"))
    receiver = entry.get("receiver")
    if receiver is not None and (shape is not Shape.METHOD or not isinstance(receiver, str)):
        raise PatternError("receiver is a dotted name and only applies to kind = 'method'")
    match = entry.get("match")
    if match is not None and not isinstance(match, str):
        raise PatternError("match must be a glob string")
    if shape is Shape.ATTRIBUTE and match is None:
        raise PatternError("kind = 'attribute' needs match, a glob over attribute names such as 'ENABLE_*'")
    key = _arg(entry, "key", "key-keyword", default_index=None if kind_text == _KEYWORD_KIND else 0)
    default = _arg(entry, "default", "default-keyword", default_index=None)
    if shape in (Shape.ATTRIBUTE, Shape.SUBSCRIPT, Shape.MEMBERSHIP):
        key = NO_ARG
    when_on = _arg(entry, "on", "on-keyword", default_index=None)
    when_off = _arg(entry, "off", "off-keyword", default_index=None)
    if (when_on == NO_ARG) != (when_off == NO_ARG):
        raise PatternError("a value-select helper names both the argument answered when on and when off")
    if when_on != NO_ARG and (kind_text not in ("function", "method") or ref_kind is not RefKind.CHECK):
        raise PatternError("on/off (a value-select helper) apply to kind = 'function' or 'method' checks")
    flag = entry.get("flag")
    if flag is not None:
        if not isinstance(flag, str) or not flag or kind_text not in ("function", "method"):
            raise PatternError("flag is the key a function or method always checks, for kind = 'function' or 'method'")
        if "key" in entry or "key-keyword" in entry:
            raise PatternError("flag names the key the call checks: it takes no key or key-keyword")
        key = NO_ARG
    return Pattern(
        id=f"custom.{name}" if number == 0 else f"custom.{name}#{number + 1}",
        sdk="custom",
        shape=shape,
        name=name,
        kind=ref_kind,
        key=key,
        default=default,
        receiver=receiver,
        match=match,
        negation=negate.rsplit(".", 1)[-1] if negate else None,
        pinned=pinned,
        pin=None if pin is None else str(pin),
        flag=flag,
        when_on=when_on,
        when_off=when_off,
    )


def _dotted(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][\w.]*", text) is not None


def _ref_kind(text: object) -> RefKind:
    try:
        return RefKind(text)
    except ValueError:
        raise PatternError(f"flag-kind must be one of {', '.join(k.value for k in RefKind)}, not {text!r}") from None


def _arg(entry: Mapping[str, Any], pos_field: str, kw_field: str, default_index: int | None) -> Arg:
    keyword = entry.get(kw_field)
    # A key named only by keyword is read from that keyword only: `get(Project)` is no check of
    # a key passed as `get(Feature, feature_id="k")`.
    index = entry.get(pos_field, None if keyword is not None else default_index)
    if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
        raise PatternError(f"{pos_field} must be a non-negative argument position")
    if keyword is not None and not (isinstance(keyword, str) and keyword.isidentifier()):
        raise PatternError(f"{kw_field} must be a keyword argument name")
    return Arg(index, (keyword,) if keyword else ())


def select(sdks: Iterable[str] | None, custom: Iterable[Pattern]) -> tuple[Pattern, ...]:
    """The active table: the built-in rows of the chosen SDKs (all when None), then the custom rows."""
    chosen = set(SDKS if sdks is None else sdks)
    return tuple(p for p in BUILTIN_PATTERNS if p.sdk in chosen) + tuple(custom)


@dataclass(frozen=True)
class TypedKey:
    """A flag key being typed: the text so far inside the quotes, and the rows whose key it is."""

    typed: str
    patterns: tuple[Pattern, ...]


_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\s*\Z")
_KEYWORD = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*\Z")


def key_being_typed(prefix: str, patterns: Iterable[Pattern]) -> TypedKey | None:
    """Whether `prefix` (a module's text up to the cursor, from some line start) ends inside a
    plain string literal that is the key argument of a pattern's call or subscript. Text-based on
    purpose: a file being typed rarely parses.
    """
    opened, in_string = _open_string(prefix)
    if opened is None:
        return None
    depth, commas, stop = 0, 0, -1
    for at in range(opened - 1, -1, -1):
        char = prefix[at]
        if in_string[at]:
            continue
        if char in ")]}":
            depth += 1
        elif char in "([{":
            if depth == 0:
                stop = at
                break
            depth -= 1
        elif char == "," and depth == 0:
            commas += 1
    if stop < 0 or prefix[stop] == "{":
        return None
    callee = _CALLEE.search(prefix, 0, stop)
    if callee is None:
        return None
    last = callee.group(1).rsplit(".", 1)[-1]
    start = max(stop, prefix.rfind(",", stop, opened)) + 1
    keyword = _KEYWORD.match(prefix, start, opened)
    rows = []
    for row in patterns:
        if prefix[stop] == "[":
            hit = row.shape is Shape.SUBSCRIPT and names_match(row.name, [callee.group(1)])
        elif row.shape not in (Shape.CALL, Shape.METHOD) or row.token != last:
            hit = False
        elif keyword is not None:
            hit = keyword.group(1) in row.key.keywords
        else:
            hit = commas == row.key.index and prefix[start:opened].strip() == ""
        if hit:
            rows.append(row)
    return TypedKey(prefix[opened + 1 :], tuple(rows)) if rows else None


def _open_string(text: str) -> tuple[int | None, list[bool]]:
    """The position of the quote of a one-line string still open at the end of `text`, if any
    (None for f-strings, bytes and triple quotes), and which characters lie inside strings.
    """
    inside = [False] * len(text)
    at = 0
    while at < len(text):
        char = text[at]
        if char == "#":
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            inside[at:end] = [True] * (end - at)
            at = end
            continue
        if char not in "'\"":
            at += 1
            continue
        quote = text[at : at + 3] if text[at : at + 3] in ('"""', "'''") else char
        end = at + len(quote)
        while end < len(text) and not text.startswith(quote, end) and (len(quote) == 3 or text[end] != "\n"):
            end += 2 if text[end] == "\\" else 1
        if end >= len(text):
            marker = _CALLEE.search(text, 0, at)  # f"..., b"..., u"...
            plain = len(quote) == 1 and not (marker and marker.end() == at and marker.group(1).lower() != "u")
            inside[at:] = [True] * (len(text) - at)
            return (at if plain else None), inside
        inside[at : end + len(quote)] = [True] * (end + len(quote) - at)
        at = end + len(quote)
    return None, inside
