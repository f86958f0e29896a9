"""Benchmark: `flaglint history --points 12` over the demo shop with 300 generated commits (each
edits one module: adds or removes a flag check), cold (no history cache) and warm, beside `git
log` of the same range as the yardstick. Run: python bench/history_bench.py.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com"}
ENV |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = ENV if when is None else {**ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def timed(repo: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=repo, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "shop"
        shutil.copytree(ROOT / "fixtures" / "demo-shop", repo)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "start", when="2026-01-01T00:00:00Z")
        modules = sorted((repo / "shop").glob("*.py"))
        for n in range(300):
            target = rng.choice(modules)
            text = target.read_text(encoding="utf-8")
            if "generated" in text and rng.random() < 0.4:
                text = text.split("\n# generated")[0] + "\n"
            else:
                text += f'\n# generated {n}\nif client.is_enabled("gen-{n % 40}"):\n    pass\n'
            target.write_text(text, encoding="utf-8")
            git(repo, "commit", "-q", "-am", f"change {n}", when=f"2026-{1 + n // 30:02}-{1 + n % 28:02}T12:00:00Z")
        flaglint = [sys.executable, "-m", "flaglint", "history", "--since", "2025-12-01", "--points", "12"]
        cold = timed(repo, *flaglint, "--no-cache")
        timed(repo, *flaglint)  # fills the cache
        warm = timed(repo, *flaglint)
        yard = timed(repo, "git", "log", "--first-parent", "--stat", "--since", "2025-12-01")
        print(f"repository: demo shop ({len(modules)} modules) + 300 commits; 12 points sampled")
        for name, seconds in [
            ("flaglint history --points 12, no cache", cold),
            ("flaglint history --points 12, cached blobs", warm),
            ("git log --stat of the range (yardstick)", yard),
        ]:
            print(f"{name:44} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
