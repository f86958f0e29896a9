"""Generated projects where a name `clean` would like to delete (a declared enum member, a key
constant, a helper) is also named elsewhere: in a module-level dict, another module's import, a
template, `__all__`, a dotted string in settings, a test. Whatever the mix, safe or unsafe,
`clean` never leaves the name dangling: every module that imported before imports after, and a
name a template or a string names is still defined.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flaglint.engine.config import load_config
from flaglint.fix.clean import plan
from flaglint.fix.write import apply
from tests.test_clean_import_smoke import imported, modules

FLAGS = """
import enum


class Flag(enum.Enum):
    NEW_UPLOAD = "new-upload"
    OLD_BANNER = "old-banner"
"""
KEYS = """
OLD_BANNER_KEY = "old-banner"
NEW_UPLOAD_KEY = "new-upload"
"""
HELPERS = """
from app import keys


def banner_on(client):
    return client.is_enabled(keys.OLD_BANNER_KEY)
"""

# Each place names one of the three definitions the retirement touches: (file, text, name).
PLACES = {
    "dict": ("app/labels.py", "from app.flags import Flag\n\nLABELS = {Flag.OLD_BANNER: 1}\n", "OLD_BANNER"),
    "import": ("app/other.py", "from app.keys import OLD_BANNER_KEY\n\nKNOWN = [OLD_BANNER_KEY]\n", "OLD_BANNER_KEY"),
    "template": ("app/templates/page.html", "{{ keys.OLD_BANNER_KEY }}\n", "OLD_BANNER_KEY"),
    "all": ("app/keys.py", KEYS + '\n__all__ = ["OLD_BANNER_KEY", "NEW_UPLOAD_KEY"]\n', "OLD_BANNER_KEY"),
    "settings": ("app/settings.py", 'CHECKS = ["app.helpers.banner_on"]\n', "banner_on"),
    "test": ("tests/test_flags.py", "from app.flags import Flag\n\nMEMBER = Flag.OLD_BANNER\n", "OLD_BANNER"),
    "helper-test": ("tests/test_helpers.py", "from app.helpers import banner_on\n\nH = banner_on\n", "banner_on"),
}
VIEW = "{}\n\n\ndef view(client):\n    if {}:\n        return 1\n    return 0\n"
CHECKS = {
    "enum": VIEW.format("from app.flags import Flag", "client.is_enabled(Flag.OLD_BANNER)"),
    "constant": VIEW.format("from app import keys", "client.is_enabled(keys.OLD_BANNER_KEY)"),
    "helper": VIEW.format("from app.helpers import banner_on", "banner_on(client)"),
}


def build(root: Path, check: str, places: list[str]) -> None:
    files = {
        "pyproject.toml": textwrap.dedent(
            """
            [tool.flaglint.registry.code]
            declarations = ["app/flags.py:Flag"]

            [[tool.flaglint.patterns]]
            kind = "function"
            name = "app.helpers.banner_on"
            flag = "old-banner"
            """
        ),
        "app/__init__.py": "",
        "app/flags.py": FLAGS,
        "app/keys.py": KEYS,
        "app/helpers.py": HELPERS,
        "app/views.py": CHECKS[check],
    }
    for place in places:
        rel, text, _ = PLACES[place]
        files[rel] = text
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text.lstrip("\n"), encoding="utf-8")


def defined(root: Path, name: str) -> bool:
    return any(f"{name} =" in p.read_text() or f"def {name}(" in p.read_text() for p in root.rglob("*.py"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    check=st.sampled_from(sorted(CHECKS)),
    places=st.lists(st.sampled_from(sorted(PLACES)), unique=True, max_size=3),
    value=st.sampled_from(["True", None]),
    unsafe=st.booleans(),
)
def test_clean_never_leaves_a_name_dangling(
    tmp_path_factory: object, check: str, places: list[str], value: str | None, unsafe: bool
) -> None:
    root: Path = tmp_path_factory.mktemp("project")  # type: ignore[attr-defined]
    build(root, check, places)
    names = modules(root)
    before = imported(root, names)
    assert all(verdict == "ok" for verdict in before.values()), before
    config = load_config(root / "pyproject.toml", root)
    step = plan(config, {"old-banner": value}, unsafe=unsafe, use_cache=False)
    assert apply(root, step.edits) == []
    after = imported(root, names)
    assert {name: verdict for name, verdict in after.items() if verdict != "ok"} == {}
    for place in places:
        if place in ("template", "settings", "all"):  # named only as text: still defined
            assert defined(root, PLACES[place][2]), (place, step.notes)
