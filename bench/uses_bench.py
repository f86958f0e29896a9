"""The use index's cost, cold and warm: a project of 1,500 modules that all mention the name of
an enum member `clean` deletes (in a comment), so the index must read every one of them to know
nothing names it. The first plan parses them; the next plan (another run on the same cache)
reads what they say from `.flaglint_cache/uses.json`.

Prints, timed in the same run: `ast.parse` of the same files (the yardstick), the first plan and
a second one. Run: python bench/uses_bench.py. Asserts nothing.
"""

from __future__ import annotations

import ast
import tempfile
import time
from pathlib import Path

from flaglint.engine.config import load_config
from flaglint.engine.workspace import Workspace
from flaglint.fix.clean import plan

SETTINGS = """[tool.flaglint.registry.code]
declarations = ["app/flags.py:Flag"]

[[tool.flaglint.patterns]]
kind = "method"
name = "enabled"
receiver = "flags"
"""
FLAGS = 'import enum\n\n\nclass Flag(enum.Enum):\n    NEW_UPLOAD = "new-upload"\n    OLD_BANNER = "old-banner"\n'
CHECK = "\ndef view(request):\n    if request.flags.enabled(Flag.OLD_BANNER):\n        return 1\n    return 2\n"


def build(root: Path, modules: int = 1500) -> list[Path]:
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text(SETTINGS, encoding="utf-8")
    (root / "app/__init__.py").write_text("", encoding="utf-8")
    (root / "app/flags.py").write_text(FLAGS, encoding="utf-8")
    paths = []
    for number in range(modules):
        functions = "".join(f"def f{j}(x):\n    return x + {j}\n\n\n" for j in range(60))
        body = f"from app.flags import Flag\n\n{functions}LABEL = Flag.NEW_UPLOAD\nID = {number}\n"
        body += "# OLD_BANNER was the old banner\n" + (CHECK if number == 0 else "")
        path = root / f"app/m{number}.py"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paths = build(root)
        start = time.perf_counter()
        for path in paths:
            ast.parse(path.read_bytes())
        rows = [("ast.parse of the same files", time.perf_counter() - start, len(paths))]
        config = load_config(root / "pyproject.toml", root)
        for label in ("plan, use index cold", "plan again, use index cached"):
            workspace = Workspace(config)
            workspace.scan()
            start = time.perf_counter()
            plan(config, {"old-banner": None}, workspace=workspace)
            rows.append((label, time.perf_counter() - start, workspace.mentions.parsed))
        print(f"corpus: {len(paths):,} modules mentioning the deleted member's name")
        for label, seconds, parsed in rows:
            print(f"{label:32} {seconds * 1000:8.0f} ms  files parsed: {parsed:,}")


if __name__ == "__main__":
    main()
