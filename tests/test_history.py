"""`flaglint history` on a real git repository made in a temp folder: counts at sampled commits,
read from git objects (the working tree is never touched), and the HTML report's trend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(root: Path, *args: str, when: str | None = None) -> None:
    env = ENV if when is None else {**ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def flaglint(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flaglint", *args], cwd=root, capture_output=True, text=True, timeout=120
    )


def check(key: str) -> str:
    return f'import UnleashClient\n\nif client.is_enabled("{key}"):\n    x = 1\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    # Five commits, a month apart: the debt grows to 3 flags / 4 references, then a flag is removed.
    steps: list[dict[str, str | None]] = [
        {"app/a.py": check("one")},
        {"app/b.py": check("two")},
        {"app/c.py": check("two") + check("three")},
        {"app/d.py": "def plain():\n    return 1\n"},
        {"app/b.py": None},
    ]
    for month, files in enumerate(steps, start=1):
        for rel, text in files.items():
            if text is None:
                (root / rel).unlink()
            else:
                (root / rel).write_text(text, encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"step {month}", when=f"2026-0{month}-15T12:00:00Z")
    return root


def test_history_counts_flags_and_references_at_sampled_commits(repo: Path) -> None:
    done = flaglint(repo, "history", "--since", "2026-01-01", "--points", "5", "--format", "json")
    assert done.returncode == 0, done.stderr
    samples = json.loads(done.stdout)["samples"]
    assert [(s["date"], s["flags"], s["references"]) for s in samples] == [
        ("2026-01-15", 1, 1),
        ("2026-02-15", 2, 2),
        ("2026-03-15", 3, 4),
        ("2026-04-15", 3, 4),
        ("2026-05-15", 3, 3),
    ]
    fewer = json.loads(flaglint(repo, "history", "--since", "2026-01-01", "--points", "2", "--format", "json").stdout)
    assert [s["date"] for s in fewer["samples"]] == ["2026-01-15", "2026-05-15"]  # the ends, evenly spread
    assert not (repo / "app" / "b.py").exists()  # nothing was checked out


def test_history_reuses_counts_by_blob_and_feeds_the_html_trend(repo: Path) -> None:
    first = flaglint(repo, "history", "--since", "2026-01-01")
    assert first.returncode == 0, first.stderr
    assert "2026-03-15" in first.stdout
    (stored,) = (repo / ".flaglint_cache").glob("history-*.json")
    counts = json.loads(stored.read_text(encoding="utf-8"))
    assert len(counts) == 4  # one entry per distinct Python blob (a.py, b.py, c.py, d.py), not per commit
    page = flaglint(repo, "report", "--format", "html").stdout
    data = json.loads(page.split('<script id="data" type="application/json">')[1].split("</script>")[0])
    assert [point[1] for point in data["trend"]] == [1, 2, 4, 4, 3]


def test_history_outside_git_and_bad_since_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
    outside = flaglint(tmp_path, "history")
    assert outside.returncode == 2
    assert "history needs a git repository with commits" in outside.stderr
    bad = flaglint(tmp_path, "history", "--since", "last summer")
    assert bad.returncode == 2
    assert "--since 'last summer'" in bad.stderr


def test_history_counts_since_back_from_today(repo: Path) -> None:
    """`--today` moves the day `--since 60d` counts back from, as it does for every report."""
    dated = flaglint(repo, "history", "--since", "2026-03-01", "--format", "json")
    moved = flaglint(repo, "history", "--today", "2026-04-30", "--since", "60d", "--format", "json")
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout) == json.loads(dated.stdout)
    samples = json.loads(moved.stdout)["samples"]
    assert samples
    assert all(s["date"] >= "2026-03-01" for s in samples)
