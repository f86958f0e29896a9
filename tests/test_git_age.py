"""Age from git: the first commit that added a reference to a key, for flags with no creation date."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import git

from flaglint.engine.gitinfo import first_seen

TODAY = "2026-11-21"


def commit(repo: git.Repo, files: dict[str, str], when: str, message: str) -> None:
    root = Path(repo.working_tree_dir or ".")
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    repo.git.add("-A")
    stamp = f"{when}T12:00:00+00:00"
    env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    repo.git.commit("-m", message, env=env)


def make_history(root: Path) -> git.Repo:
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.invalid")
    commit(repo, {"app.py": "x = 1\n"}, "2026-01-01", "start")
    commit(repo, {"app.py": 'x = 1\nclient.is_enabled("old-search")\n'}, "2026-03-10", "old search")
    commit(repo, {"views.py": 'client.is_enabled("old-search-v2")\nclient.is_enabled("dark")\n'}, "2026-06-01", "more")
    commit(repo, {"app.py": 'x = 2\nclient.is_enabled("old-search")\n'}, "2026-07-01", "edit")
    return repo


def test_first_commit_per_key_in_one_query(tmp_path: Path) -> None:
    make_history(tmp_path)
    cache = tmp_path / ".flaglint_cache" / "git-age.json"
    dates, note = first_seen(tmp_path, ["old-search", "dark", "old-search-v2", "never-used"], cache)
    assert note is None
    assert dates == {
        "old-search": dt.date(2026, 3, 10),
        "old-search-v2": dt.date(2026, 6, 1),
        "dark": dt.date(2026, 6, 1),
    }
    assert json.loads(cache.read_text())["keys"]["old-search"] == "2026-03-10"
    assert first_seen(tmp_path, ["dark"], cache) == ({"dark": dt.date(2026, 6, 1)}, None)


def test_not_a_repository_and_shallow_clone_are_notes(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    dates, note = first_seen(plain, ["k"], None)
    assert dates == {}
    assert note is not None
    assert "not a git repository" in note
    origin = tmp_path / "origin"
    origin.mkdir()
    make_history(origin)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow)], check=True)
    dates, note = first_seen(shallow, ["old-search"], None)
    assert dates == {}
    assert note is not None
    assert "shallow clone" in note


def test_report_uses_git_age_for_undated_flags(tmp_path: Path) -> None:
    repo = make_history(tmp_path)
    commit(
        repo,
        {
            "pyproject.toml": "[tool.flaglint]\n",
            "flags.toml": '[flags.old-search]\ntype = "release"\n[flags.dark]\ntype = "permission"\n',
            "app.py": 'import UnleashClient\nclient.is_enabled("old-search")\nclient.is_enabled("dark")\n',
        },
        "2026-08-01",
        "registry",
    )
    exe = shutil.which("flaglint")
    assert exe
    done = subprocess.run(
        [exe, "report", "--today", TODAY, "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert done.returncode == 0, done.stderr
    rows = {row["key"]: row for row in json.loads(done.stdout)["flags"]}
    assert rows["old-search"]["in_code_since"] == "2026-03-10"
    assert rows["old-search"]["age_days"] == (dt.date(2026, 11, 21) - dt.date(2026, 3, 10)).days
    assert rows["old-search"]["codes"] == ["FL005"]
    assert rows["dark"]["codes"] == []
