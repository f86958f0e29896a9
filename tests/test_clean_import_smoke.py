"""The import-smoke differential: for every case under fixtures/clean/, every module of the
project that imported before `clean` still imports after it (a fresh interpreter, the project
first on `sys.path`, missing third-party packages stood in for by stubs; see import_smoke.py).
A deletion that leaves something named (an enum member, a constant, a re-exported import) fails
here even when every file still parses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flaglint.engine.config import load_config
from flaglint.fix.clean import plan
from flaglint.fix.step import parse_flag_value
from flaglint.fix.write import apply
from tests.test_clean_fixtures import cases, setup, tomllib

SMOKE = Path(__file__).resolve().parent / "import_smoke.py"


def modules(root: Path) -> list[str]:
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if all(part.isidentifier() for part in parts):
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [name for name in names if name]


def imported(root: Path, names: list[str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, str(SMOKE), str(root), *names], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_every_module_that_imported_still_imports(case: Path, tmp_path: Path) -> None:
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    root = tmp_path / "project"
    setup(case, spec, root)
    names = modules(root)
    before = imported(root, names)
    config = load_config(root / "pyproject.toml", root)
    values = {key: parse_flag_value(text) for key, text in spec["flags"].items()}
    step = plan(config, values, unsafe=spec.get("unsafe", False), use_cache=False)
    assert apply(root, step.edits) == []
    after = imported(root, names)
    broken = {name: after.get(name) for name, verdict in before.items() if verdict == "ok" and after.get(name) != "ok"}
    assert broken == {}


def test_the_smoke_test_sees_a_dangling_name(tmp_path: Path) -> None:
    # The differential must be able to fail: a module reading a member that is gone does not import.
    (tmp_path / "flags.py").write_text("import enum\n\n\nclass Flag(enum.Enum):\n    A = 'a'\n")
    (tmp_path / "views.py").write_text("from flags import Flag\nimport waffle\n\nLABELS = {Flag.B: 1}\n")
    verdicts = imported(tmp_path, ["flags", "views"])
    assert verdicts["flags"] == "ok"
    assert verdicts["views"].startswith("AttributeError"), verdicts
