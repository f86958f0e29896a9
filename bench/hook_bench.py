"""Benchmark: the `flaglint` pre-commit hook over 10 changed files inside a 5,000-file repository.

Builds a throwaway git repository (5,000 modules, 1 in 10 with flag checks, key constants in one
module), points a .pre-commit-config.yaml at this checkout's HEAD, builds pre-commit's environment
once (not timed), then times `pre-commit run flaglint --files <10 files>` and the hook's own
command alone, with a cold and a warm flaglint cache. Run: python bench/hook_bench.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(repo: Path, files: int) -> list[str]:
    (repo / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
    (repo / "flags.toml").write_text(
        "".join(f'[flags.flag-{n}]\nstate = "active"\ncreated = 2026-11-01\n\n' for n in range(50)), encoding="utf-8"
    )
    package = repo / "app"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "keys.py").write_text("".join(f'FLAG_{n} = "flag-{n}"\n' for n in range(50)), encoding="utf-8")
    names = []
    for n in range(files):
        body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(20))
        if n % 10 == 0:
            check = f"def view(client):\n    if client.is_enabled(FLAG_{n % 50}):\n        return 1\n    return 0\n\n"
            body = f"import UnleashClient\nfrom app.keys import FLAG_{n % 50}\n\n" + check + body
        rel = f"app/m{n:04}.py"
        (repo / rel).write_text(body, encoding="utf-8")
        names.append(rel)
    return names


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        repo.mkdir()
        env = {**os.environ, "PRE_COMMIT_HOME": str(Path(folder) / "pre-commit-home")}
        env |= {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com"}
        env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
        names = build(repo, 5_000)
        config = f"repos:\n  - repo: {ROOT}\n    rev: {head.stdout.strip()}\n    hooks:\n      - id: flaglint\n"
        (repo / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
        for args in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-q", "-m", "x"]):
            subprocess.run(args, cwd=repo, env=env, check=True)
        subprocess.run([sys.executable, "-m", "pre_commit", "install-hooks"], cwd=repo, env=env, check=True)
        changed = names[::500]  # 10 files, one with checks
        hook = [sys.executable, "-m", "pre_commit", "run", "flaglint", "--files", *changed]
        alone = [sys.executable, "-m", "flaglint", "check", "--offline", *changed]
        rows = [
            ("pre-commit run flaglint, 10 files, cold cache", timed(hook, repo, env)),
            ("pre-commit run flaglint, 10 files, warm cache", timed(hook, repo, env)),
            ("flaglint check --offline, same 10 files", timed(alone, repo, env)),
            ("ast.parse of the same 10 files (yardstick)", _parse(repo, changed)),
        ]
        print("repository: 5,000 modules (1 in 10 with flag checks); 10 changed files")
        for name, seconds in rows:
            print(f"{name:48} {seconds:6.2f} s")


def _parse(repo: Path, names: list[str]) -> float:
    import ast

    start = time.perf_counter()
    for name in names:
        ast.parse((repo / name).read_bytes())
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
