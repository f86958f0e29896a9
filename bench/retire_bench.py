"""Benchmark: retiring one flag from one large module, checked once or 20 times.

The module is the standard library's argparse (~2,700 lines) with `if client.is_enabled("old"):`
inserted at the top of 1 or 20 of its methods. A file's cost should follow the module, not
checks x module: printed beside it, timed in the same run, LibCST's parse + codegen of the same
text and `ast.parse` (the yardsticks). `clean.plan` runs in this process (`jobs=1`, no cache), as
the language server plans a quick fix. Run: python bench/retire_bench.py [--runs 5]. Asserts nothing.
"""

from __future__ import annotations

import argparse
import ast
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst as cst

from flaglint.engine.config import Config
from flaglint.fix.clean import plan


def module_text(checks: int) -> str:
    source = Path(argparse.__file__).read_text(encoding="utf-8").splitlines()
    bodies = [n for n, line in enumerate(source) if re.match(r"    def \w+\(self.*\):$", line)]
    step = max(1, len(bodies) // checks)
    out = list(source)
    for number in reversed(bodies[::step][:checks]):
        out.insert(number + 1, '        if client.is_enabled("old"):\n            self._legacy = True')
    out.insert(0, "import UnleashClient\n\nclient = UnleashClient.UnleashClient()")
    return "\n".join(out) + "\n"


def timed(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for checks in (1, 20):
        text = module_text(checks)
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            (root / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
            (root / "big.py").write_text(text, encoding="utf-8")
            config = Config(root=root)

            def retire(config: Config = config) -> None:
                step = plan(config, {"old": None}, use_cache=False, jobs=1)
                if len(step.edits) != 1 or step.refused:
                    raise SystemExit(f"unexpected plan: {step.refused or step.problems}")

            rows.append((f"clean.plan, {checks:2} check(s) of the flag", timed(args.runs, retire)))
    rows.append(("LibCST parse + codegen (yardstick)", timed(args.runs, lambda: cst.parse_module(text).code)))
    rows.append(("ast.parse (yardstick)", timed(args.runs, lambda: ast.parse(text))))
    print(f"module: argparse, {text.count(chr(10)):,} lines; median of {args.runs} runs")
    for name, seconds in rows:
        print(f"{name:42} {seconds * 1e3:8.0f} ms")
    one, twenty, libcst_time = rows[0][1], rows[1][1], rows[2][1]
    print(f"20 checks / 1 check: {twenty / one:.2f}x; 20 checks / LibCST parse + codegen: {twenty / libcst_time:.2f}x")


if __name__ == "__main__":
    main()
