"""Benchmark: scanning one module's unsaved text, as the language server does on every edit.

The module is a real one (the standard library's argparse, ~2,650 lines) with 20 flag checks
inserted into its functions, padded to 3,000 lines; keys are resolved against the cached index of
the rest of the project. Prints the median and best of `Project.scan_text`, with `ast.parse` of
the same text timed in the same run as the yardstick. Run: python bench/module_bench.py.
"""

from __future__ import annotations

import argparse
import ast
import re
import statistics
import tempfile
import time
from pathlib import Path

from flaglint.project import Project


def module_text(checks: int = 20, lines: int = 3_000) -> str:
    source = Path(argparse.__file__).read_text(encoding="utf-8").splitlines()
    bodies = [n for n, line in enumerate(source) if re.match(r"    def \w+\(self.*\):$", line)]
    step = max(1, len(bodies) // checks)
    out = list(source)
    for count, number in enumerate(reversed(bodies[::step][:checks])):
        key = "FLAG_KEYS.NEW" if count % 4 == 0 else f'"flag-{count}"'
        out.insert(number + 1, f"        if client.is_enabled({key}):\n            pass")
    out.insert(0, "import UnleashClient\nfrom app.keys import FLAG_KEYS")
    text = "\n".join(out) + "\n"
    while text.count("\n") < lines:
        text += "# padding to the target size\n"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    text = module_text()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
        (root / "app").mkdir()
        (root / "app" / "__init__.py").write_text("", encoding="utf-8")
        (root / "app" / "keys.py").write_text('class FLAG_KEYS:\n    NEW = "new-flag"\n', encoding="utf-8")
        (root / "app" / "big.py").write_text(text, encoding="utf-8")
        project = Project.open([root], cwd=root)
        project.scan()  # the cached index of the project
        found = project.scan_text(root / "app" / "big.py", text)
        # Typing in a function without a check (most keystrokes), and in one with a check.
        plain = "        return list(self.__dict__.items())"
        flagged = "            pass"
        if plain not in text or flagged not in text:
            raise SystemExit("this Python's argparse lacks the lines the edits change")
        cases = {
            "edit outside the checks": [text.replace(plain, f"{plain}  # {n}", 1) for n in range(args.runs)],
            "edit beside a check": [text.replace(flagged, f"            x = {n}", 1) for n in range(args.runs)],
        }
        rows = []
        for name, edits in cases.items():
            times, yard = [], []
            for edited in edits:
                start = time.perf_counter()
                project.scan_text(root / "app" / "big.py", edited)
                times.append(time.perf_counter() - start)
                start = time.perf_counter()
                ast.parse(edited)
                yard.append(time.perf_counter() - start)
            rows.append((f"Project.scan_text, {name}", times))
        rows.append(("ast.parse of the same texts (yardstick)", yard))
    resolved = sum(1 for r in found.refs if r.key)
    print(f"module: {text.count(chr(10)):,} lines, {len(found.refs)} flag checks found, {resolved} keys resolved")
    for name, times in rows:
        median = statistics.median(times) * 1e3
        print(f"{name:42} median {median:6.1f} ms   best {min(times) * 1e3:6.1f} ms")


if __name__ == "__main__":
    main()
