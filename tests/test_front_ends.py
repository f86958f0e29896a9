"""The two detection front ends agree: `detect` (stdlib ast, what every face runs) and `scan`
(LibCST, the reference whose spans the codemod matches) find the same references with the same
spans, keys, key texts and qualified symbols, and the same module definitions: on every fixture
file and on generated programs full of imports, aliases, shadowing, scopes and key spellings.
"""

from __future__ import annotations

import ast
import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flaglint.engine import detect, scan, stubs
from flaglint.engine.patterns import BUILTIN_PATTERNS, custom_pattern, custom_rows
from flaglint.model import FileScan, ModuleName

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = (
    *BUILTIN_PATTERNS,
    custom_pattern({"kind": "attribute", "name": "django.conf.settings", "match": "ENABLE_*"}, 0),
    custom_pattern({"kind": "subscript", "name": "app.config", "match": "FF_*"}, 0),
    custom_pattern({"kind": "function", "name": "app.flags.is_on"}, 0),
    custom_pattern({"kind": "method", "name": "has_feature", "receiver": "project"}, 0),
    custom_pattern({"kind": "decorator", "name": "app.flags.flagged"}, 0),
    custom_pattern({"kind": "function", "name": "app.flags.pin_on", "flag-kind": "test-override", "pin": True}, 0),
    custom_pattern({"kind": "function", "name": "app.pins.pin_off", "flag-kind": "test-override", "pin": False}, 0),
    custom_pattern({"kind": "function", "name": "pin_to", "flag-kind": "test-override", "pin-keyword": "to"}, 0),
    custom_pattern({"kind": "subscript", "name": "settings.FEATURES", "flag-kind": "test-override"}, 0),
    custom_pattern({"kind": "function", "name": "app.flags.multi_enabled", "flag": "multi", "default": 0}, 0),
    *custom_rows({"kind": "membership", "name": "app.features"}, 0),
    custom_pattern(
        {
            "kind": "keyword",
            "name": "pyramid.view.view_config",
            "key-keyword": "feature",
            "negate": "pyramid.config.not_",
        },
        0,
    ),
)
MODULE = ModuleName("app.views", "app")


def both(text: str, module: ModuleName = MODULE) -> tuple[FileScan, FileScan]:
    return (
        scan.scan_source("app/views.py", text, module, PATTERNS),
        detect.scan_source("app/views.py", text, module, PATTERNS),
    )


def assert_equal(text: str, module: ModuleName = MODULE) -> FileScan:
    reference, fast = both(text, module)
    assert fast.refs == reference.refs, text
    assert fast.defs == reference.defs, text
    assert [(p.line, p.message) for p in fast.problems][:1] == [(p.line, p.message) for p in reference.problems][:1]
    return fast


FIXTURE_FILES = sorted(p for p in (ROOT / "fixtures").rglob("*.py"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_every_fixture_file_scans_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parts = path.relative_to(ROOT / "fixtures").with_suffix("").parts
    assert_equal(text, ModuleName(".".join(parts[-2:]), parts[-2] if len(parts) > 1 else ""))


def test_syntax_errors_are_placed_alike() -> None:
    reference, fast = both("import UnleashClient\nif client.is_enabled('a')\n    pass\n")
    assert fast.problems
    assert reference.problems
    assert fast.problems[0].line == reference.problems[0].line == 2


PINNING = {
    "a project's pin helper": (
        "import app.flags\nfrom app.pins import pin_to\n\napp.flags.pin_on('a')\npin_to('b', to=False)\n",
        [("a", "test-override", "True"), ("b", "test-override", "False")],
    ),
    "waffle model rows": (
        "from waffle.models import Flag, Switch\n\n"
        "Flag.objects.create(name='a', everyone=True)\n"
        "row, made = Flag.objects.update_or_create(name='b', defaults={'everyone': False, 'note': 'x'})\n"
        "Switch.objects.get_or_create(name='c', defaults={'active': True})\n"
        "Flag.objects.get_or_create(name='d', defaults=options)\n"
        "Flag.objects.filter(name='e').delete()\n",
        [
            ("a", "test-override", "True"),
            ("b", "test-override", "False"),
            ("c", "test-override", "True"),
            ("d", "test-override", None),
        ],
    ),
    "a call under another submodule of an imported package": (
        "def m():\n    app.pins.pin_off('a')\n\nimport app.flags\n",
        [("a", "test-override", "False")],
    ),
    "a subscript assignment (pytest-django's settings fixture)": (
        "def test_a(settings, on):\n    settings.FEATURES['a'] = True\n    settings.FEATURES['b'] = on\n"
        "    settings.FEATURES['c'] = x = False\n    settings.FEATURES['d'] += 1\n    print(settings.FEATURES['e'])\n",
        [("a", "test-override", "True"), ("b", "test-override", "on")],
    ),
    "a function that checks one flag, named by its pattern": (
        "from app.flags import multi_enabled\nimport app\n\nmulti_enabled()\napp.flags.multi_enabled(True)\n"
        "multi_enabled\nother.multi_enabled()\n",
        [("multi", "check", None), ("multi", "check", None)],
    ),
    "a membership test, in and not in": (
        "import app\n\nif 'lists' in app.features:\n    pass\nx = ('dev' not in app.features)\n"
        "y = 'a' in app.features in z\nw = 'b' in other\n",
        [("lists", "check", None), ("dev", "check", None)],
    ),
    "a keyword flag, negated or not": (
        "from pyramid.config import not_\nfrom pyramid.view import view_config\n\n"
        "@view_config(route_name='a', feature=not_('old-form'))\ndef a(request):\n    pass\n\n"
        "@view_config(feature='new-form')\ndef b(request):\n    pass\n",
        [("old-form", "predicate", "False"), ("new-form", "predicate", "True")],
    ),
}


@pytest.mark.parametrize(("text", "expected"), PINNING.values(), ids=PINNING.keys())
def test_both_read_the_value_a_reference_pins_or_asks_for(text: str, expected: list[tuple[str, str, str]]) -> None:
    found = assert_equal(text)
    assert [(r.key, r.kind.value, r.pinned) for r in found.refs] == expected


# --- generated programs -------------------------------------------------------------------------

NAMES = ["client", "flags", "waffle", "flag_is_active", "KEY", "OTHER", "Feature", "project", "settings", "app"]

KEYS = [
    '"plain-key"',
    "'single'",
    "KEY",
    "OTHER",
    "(KEY)",
    "( 'grouped' )",
    "Feature.A",
    "Feature.A.value",
    "Feature.B.name",
    "app.flags.KEY",
    "consts.KEY",
    'f"dyn-{x}"',
    "item",
    "get_key()",
    '"implicit" "concat"',
    "'é-ü'",
]

CALLS = [
    "client.is_enabled({key})",
    "flags.is_enabled({key}, context)",
    "unleash.get_variant(feature_name={key})",
    "flag_is_active(request, {key})",
    "waffle.flag_is_active(request, {key})",
    "fia(request, {key})",
    "ldclient.get().variation({key}, ctx, default=False)",
    "of_client.get_boolean_value({key}, False)",
    "gb.is_off({key})",
    "view_config(route_name='r', feature={key})",
    "view_config(feature=not_({key}))",
    "app.flags.pin_on({key})",
    "app.pins.pin_off({key})",
    "pin_to({key}, to=False)",
    "view_config(feature=not_({key}, x))",
    "posthog.feature_enabled({key}, user)",
    "ph.get_feature_flag({key}, user)",
    "is_on({key})",
    "app.flags.is_on({key})",
    "app.flags.multi_enabled()",
    "{key} in app.features",
    "({key} not in app.features)",
    "project.has_feature({key})",
    "widget.has_feature({key})",
    "settings.ENABLE_SEARCH",
    "settings.OTHER_THING",
    "app.config[{key}]",
    "app.config['FF_NEW']",
    "config[{key}]",
    "plugin.is_enabled({key})",
    "(client).is_enabled( {key} )",
    "client.is_enabled(*args)",
    "client.is_enabled()",
    "Flag.objects.update_or_create(name={key}, defaults={{'everyone': True}})",
    "Switch.objects.create(name={key}, active=False)",
    "Flag.objects.get_or_create(name={key}, defaults=options)",
]

TOP = [
    "import UnleashClient",
    "import waffle",
    "from waffle import flag_is_active",
    "from waffle import flag_is_active as fia",
    "from waffle.models import Flag, Switch",
    "import ldclient",
    "import posthog as ph",
    "from openfeature import api",
    "from django.conf import settings",
    "from pyramid.view import view_config\nfrom pyramid.config import not_",
    "from app.flags import KEY, is_on",
    "from . import consts",
    "from .flags import KEY as OTHER",
    "import app.flags",
    "import app",
    'KEY = "module-key"',
    "OTHER: str = 'other-key'",
    "class Feature(enum.Enum):\n    A = 'feature-a'\n    B = 'feature-b'\n",
    "class Feature(str, Enum):\n    A = auto()\n",
    "class Holder:\n    KEY = 'class-key'\n\n    def method(self, item):\n        return {call}\n",
    "def helper(item, client=None):\n    return {call}\n",
    "def shadow():\n    {name} = object()\n    return {call}\n",
    "def late():\n    value = {call}\n    {name} = 1\n    return value\n",
    "def outer():\n    {name} = None\n\n    def inner(item):\n        return {call}\n\n    return inner\n",
    "def setter():\n    global {name}\n    {name} = 'from-global'\n",
    "def pinning(settings, value):\n    settings.FEATURES[KEY] = value\n    app.config['FF_NEW'] = {call}\n",
    "def importer():\n    from waffle import flag_is_active\n    return {call}\n",
    "values = [{call} for item in items if item]",
    "table = {{item: {call} for item in items}}",
    "check = lambda item: {call}",
    "result = {call}",
    "if {call}:\n    pass\nelif other:\n    pass\nelse:\n    pass",
    "@waffle_flag({key})\ndef view(request):\n    pass",
    "@app.flags.flagged({key})\n@other\ndef view2():\n    pass",
    "{name} = make()",
    "def {name}(*args):\n    return None",
    "class Plain:\n    def method(self):\n        return 1\n",
    "def quiet(a, b=1):\n    '''A docstring (unbalanced.'''\n    return a + b\n",
    "try:\n    import UnleashClient as uc\nexcept ImportError:\n    uc = None",
    "with opened() as handle:\n    {call}",
    "for item in items:\n    {call}",
    'x = """\ndef not_code():\n    client.is_enabled(\'in-string\')\n"""',
    "# flaglint: ignore[FL001]\n{call}  # flaglint: ignore",
    "x = foo(\nbar)\ndef after():\n    return {call}",
    's = """\ndef fake():\n    client.is_enabled("in-string")\n"""',
    "# a comment with ''' and (\ndef g():\n    return 1",
    'def h():\n    """Doc with ( and \'\'\' inside."""\n    return {call}',
    "class Docs:\n    '''A (docstring.'''\n\n    def m(self):\n        return r'\\(' + \"#\"\n",
    "data = [\n    1,\n]\ndef tail():\n    pass",
]


@st.composite
def programs(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(min_value=1, max_value=9))):
        template = draw(st.sampled_from(TOP))
        call = draw(st.sampled_from(CALLS)).format(key=draw(st.sampled_from(KEYS)))
        parts.append(template.format(call=call, key=draw(st.sampled_from(KEYS)), name=draw(st.sampled_from(NAMES))))
    return "\n".join(parts) + "\n"


@settings(
    max_examples=int(os.environ.get("FLAGLINT_FRONT_END_EXAMPLES", "600")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(programs(), st.sampled_from([MODULE, ModuleName("app", "app"), ModuleName("top", "")]))
def test_generated_programs_scan_the_same(text: str, module: ModuleName) -> None:
    assert_equal(text, module)


# --- the rewrite's reduction --------------------------------------------------------------------


def assert_reduction_sound(text: str, lines: set[int]) -> None:
    """A reduction parses wherever the original does, and expands back to the original exactly:
    cut by the text alone, and cut where the scan's parse says statements begin and end."""
    assert_one_reduction_sound(text, lines, ())
    view = detect.scan_view(text, BUILTIN_PATTERNS)
    try:
        tree = ast.parse(view)
    except (SyntaxError, ValueError):
        return
    assert_one_reduction_sound(text, lines, detect.layout(tree, text, view))


def assert_one_reduction_sound(text: str, lines: set[int], layout: tuple[tuple[int, int], ...]) -> None:
    reduction = stubs.reduce_for_rewrite(text, lines, layout)
    if reduction is None:
        return
    assert reduction.expand(reduction.text) == text
    with warnings.catch_warnings():  # old escapes in stdlib strings are not what is tested
        warnings.simplefilter("ignore")
        try:
            compile(text, "<original>", "exec", flags=0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
        except SyntaxError:
            return
        compile(reduction.text, "<reduced>", "exec", flags=0x400, dont_inherit=True)
    for line in lines:  # a kept line stays, word for word, where the line map says
        moved = reduction.to_reduced(line)
        assert reduction.text.splitlines()[moved - 1] == text.splitlines()[line - 1]


@settings(
    max_examples=int(os.environ.get("FLAGLINT_FRONT_END_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(programs(), st.data())
def test_reductions_of_generated_programs_are_sound(text: str, data: st.DataObject) -> None:
    code_lines = [n for n, line in enumerate(text.split("\n"), start=1) if line.strip()[:1] not in ("", "#")]
    keep = data.draw(st.sets(st.sampled_from(code_lines), max_size=3)) if code_lines else set()
    assert_reduction_sound(text, keep)  # references sit on code lines


def test_reductions_of_the_standard_library_are_sound() -> None:
    """Every 7th module of the running interpreter's standard library, keeping its last line."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    modules = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)[::7]
    assert len(modules) > 100
    for path in modules:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        assert_reduction_sound(text, {max(1, text.count("\n"))})


@pytest.mark.parametrize(
    "table",
    [
        # a data table whose closing bracket sits at the margin (CPython's codec tables)
        "decoding_map.update({\n    0x80: 0xc7,  # LATIN 'C'\n    0x81: 0xfc,\n})\n",
        # a raw string continued with a backslash at the end of the line (tokenizer tests)
        "check(r'\"a\\\nb', 1)\ncheck(r'c', 2)\ncheck(r'd', 3)\n",
    ],
)
def test_untouched_statements_of_these_shapes_are_stood_in(table: str) -> None:
    text = f"import os\n\n{table}\nvalue = 1\nif flags.enabled('k'):\n    x = 1\n"
    checked = text.count("\n") - 1
    reduction = stubs.reduce_for_rewrite(text, {checked})
    assert reduction is not None
    assert "0xfc" not in reduction.text
    assert "check(" not in reduction.text
    assert_reduction_sound(text, {checked})


@pytest.mark.parametrize(
    "before",
    [
        # a string whose last line looks like a comment, right above the next def
        'def a():\n    s = """\n# x"""\n    return s\ndef b():\n    return 1\n',
        # a raw pattern that the text's own string search misreads (CPython's idlelib)
        '_match = re.compile(r"""\n    \\""" [^"\\\\]* (?:\n    (?: \\""" )?\n""", re.VERBOSE).match\n\n',
    ],
)
def test_the_scans_layout_cuts_where_statements_begin_and_end(before: str) -> None:
    """With the layout the scan's parse gives, a region ends where its statement does (a line
    inside a string is never a comment), and text the string search misreads is stood in too."""
    text = f"import os\n\n{before}\nvalue = 1\nif flags.enabled('k'):\n    x = 1\n"
    checked = text.count("\n") - 1
    view = detect.scan_view(text, BUILTIN_PATTERNS)
    found = detect.layout(ast.parse(view), text, view)
    reduction = stubs.reduce_for_rewrite(text, {checked}, found)
    assert reduction is not None
    assert all(line not in reduction.text for line in before.splitlines() if line.strip())
    assert_reduction_sound(text, {checked})


def reduced_at_the_check(text: str) -> tuple[stubs.Reduction, int]:
    """The reduction of `text` that keeps its next-to-last line (where the check is)."""
    checked = text.count("\n") - 1
    reduction = stubs.reduce_for_rewrite(text, {checked})
    assert reduction is not None
    return reduction, checked


def test_runs_of_stood_in_defs_become_one_statement_that_binds_their_names() -> None:
    """LibCST's parse costs by the node: consecutive stood-in defs and classes become one
    assignment of the names the code left in view mentions, the comment block above a def goes
    with it, and a decorator whose closing bracket sits at the margin stays with what it
    decorates."""
    text = (
        "import os\n\n\n"
        "# what a does\n"
        "def a():\n    return os.sep\n\n\n"
        "@decorate(\n    'x',\n)\n"
        "class B:\n    pass\n\n\n"
        "def c():\n    return 2\n\n\n"
        "value = 1\n"
        "if flags.enabled('k'):\n    x = a() + c()\n"
    )
    reduction, checked = reduced_at_the_check(text)
    assert f"a = c = {stubs.STUB_VALUE}" in reduction.text
    assert "B" not in reduction.text  # nothing in view names it
    assert "# what a does" not in reduction.text
    assert "@decorate" not in reduction.text
    assert_reduction_sound(text, {checked})


def test_stood_in_code_that_nothing_in_view_names_binds_nothing() -> None:
    text = (
        "def helper():\n    return 1\n\n\n"
        "TABLE = {\n    'a': 1,\n    'b': 2,\n}\n\n\n"
        "class Other:\n    x = 1\n    y = 2\n\n\n"
        "if flags.enabled('k'):\n    x = 1\n"
    )
    reduction, checked = reduced_at_the_check(text)
    assert reduction.text.startswith("pass #")
    assert not any(word in reduction.text for word in ("helper", "TABLE", "Other", stubs.STUB_VALUE))
    assert_reduction_sound(text, {checked})


def test_flag_objects_are_named_alike_with_keys_spelt_from_constants() -> None:
    found = assert_equal(
        "from edx_toggles.toggles import WaffleFlag, WaffleSwitch\n"
        'NS = "course_experience"\n'
        'KEY = "app.plain"\n'
        'A = WaffleFlag(f"{NS}.relative_dates", __name__)\n'
        "B: WaffleSwitch = WaffleSwitch(KEY, module_name=__name__)\n"
        'C = WaffleSwitch(f"{NS!r}.x", module_name=__name__)\n'
        'D = WaffleSwitch(f"{OTHER}.x", module_name=__name__)\n'
        'print(WaffleSwitch("inline.switch", module_name=__name__).is_enabled())\n'
        "def f():\n"
        "    return A.is_enabled() or B.is_enabled() or C.is_enabled()\n"
    )
    assert found.defs.objects == (("A", "course_experience.relative_dates"), ("B", "app.plain"))
    made = [(r.span.line, r.key, r.key_symbol) for r in found.refs if r.kind.value == "declaration"]
    assert made == [
        (4, "course_experience.relative_dates", "app.views.A"),
        (5, "app.plain", "app.views.B"),
        (6, None, None),  # a conversion: not a plain spelling
        (7, None, None),  # a name the module does not define
        (8, "inline.switch", None),  # made but not bound to a name: nothing to import or remove
    ]
    imported = assert_equal(
        "from edx_toggles.toggles import WaffleSwitch\nfrom app.keys import NAME\nX = WaffleSwitch(NAME, __name__)\n"
    )
    assert [(r.key, r.key_symbol) for r in imported.refs] == [(None, None)]  # another module's key: not followed
