"""Nothing lost, nothing written outside the project: the cache folder, symlinks, killed runs,
owners, a rejected commit and foreign cache files, each driven through the `flaglint` command.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flaglint.engine.cache import _FORMAT as SCAN_FORMAT

CHECK = 'import UnleashClient\n\nif client.is_enabled("old-flag"):\n    mode = "new"\nelse:\n    mode = "old"\n'
AFTER = 'import UnleashClient\n\nmode = "new"\n'
REGISTRY = '[flags.old-flag]\nstate = "rolled-out"\nvalue = true\ncreated = 2025-01-01\n'


def flaglint(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flaglint", *args], cwd=root, capture_output=True, text=True, timeout=timeout
    )


def project(tmp_path: Path, settings: str = "", files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(f"[tool.flaglint]\n{settings}", encoding="utf-8")
    (root / "flags.toml").write_text(REGISTRY, encoding="utf-8")
    for rel, text in (files or {"app/views.py": CHECK}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# --- the cache folder --------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["../outside", "<absolute>", ".", "app"])
def test_a_cache_dir_that_is_not_flaglints_own_is_a_config_error(tmp_path: Path, where: str) -> None:
    elsewhere = tmp_path / "elsewhere"  # an absolute path outside the project
    where = str(elsewhere) if where == "<absolute>" else where
    root = project(tmp_path, f'src = ["."]\ncache-dir = "{where}"\n')
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "scan-keep.json").write_text("{}", encoding="utf-8")
    (root / "scan-results.json").write_text("{}", encoding="utf-8")
    before = sorted(p.name for p in root.iterdir())
    done = flaglint(root, "scan")
    assert done.returncode == 2, done.stderr
    assert "pyproject.toml:3: cache-dir" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in root.iterdir()) == before  # no .gitignore, nothing deleted
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["scan-keep.json"]
    assert not elsewhere.exists()


def test_the_cache_is_tagged_and_only_its_own_files_are_replaced(tmp_path: Path) -> None:
    root = project(tmp_path, 'cache-dir = "build/lint-cache"\n')
    assert flaglint(root, "scan").returncode == 0
    cache = root / "build" / "lint-cache"
    assert (
        (cache / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert not (root / ".gitignore").exists()
    (cache / "scan-keep.json").write_text("{}", encoding="utf-8")  # not a name flaglint makes
    (root / "pyproject.toml").write_text('[tool.flaglint]\ncache-dir = "build/lint-cache"\nsdks = ["unleash"]\n')
    assert flaglint(root, "scan").returncode == 0  # another fingerprint: the old scan file goes
    assert (cache / "scan-keep.json").exists()
    assert len(list(cache.glob("scan-????????????????.json"))) == 1


@pytest.mark.parametrize(
    "content",
    [
        "[]",
        "null",
        '"text"',
        f'{{"format": {SCAN_FORMAT}, "files": []}}',
        f'{{"format": {SCAN_FORMAT}, "files": {{"app/views.py": "x"}}}}',
    ],
)
def test_cache_files_of_the_wrong_shape_are_rebuilt(tmp_path: Path, content: str) -> None:
    root = project(tmp_path)
    first = flaglint(root, "scan")
    (scan_file,) = (root / ".flaglint_cache").glob("scan-*.json")
    scan_file.write_text(content, encoding="utf-8")
    (root / ".flaglint_cache" / "registry.json").write_text(content, encoding="utf-8")
    (root / ".flaglint_cache" / "git-age.json").write_text(content, encoding="utf-8")
    again = flaglint(root, "scan")
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert again.stdout == first.stdout
    assert json.loads(scan_file.read_text(encoding="utf-8"))["format"] == SCAN_FORMAT


def test_a_file_rewritten_within_the_same_timestamp_is_not_served_stale(tmp_path: Path) -> None:
    root = project(tmp_path)
    views = root / "app" / "views.py"
    stat = views.stat()
    assert "old-flag" in flaglint(root, "scan").stdout
    views.write_text(CHECK.replace("old-flag", "new-flag"), encoding="utf-8")  # same size
    os.utime(views, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    assert views.stat().st_size == stat.st_size
    out = flaglint(root, "scan").stdout
    assert "new-flag" in out
    assert "old-flag" not in out


# --- symlinks ----------------------------------------------------------------------------------


def test_clean_writes_a_linked_file_through_its_target_once_and_keeps_the_link(tmp_path: Path) -> None:
    root = project(tmp_path)
    alias = root / "app" / "alias.py"
    alias.symlink_to("views.py")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "shared.py").write_text(CHECK, encoding="utf-8")
    (root / "app" / "shared.py").symlink_to(outside / "shared.py")
    (root / "vendor").symlink_to(outside, target_is_directory=True)
    done = flaglint(root, "clean", "--flag", "old-flag=on", "--allow-dirty")
    assert done.returncode == 0, done.stderr
    assert alias.is_symlink()
    assert os.readlink(alias) == "views.py"
    assert (root / "app" / "views.py").read_text(encoding="utf-8") == AFTER
    assert "1 file changed" in done.stderr
    assert "app/shared.py:1: symlink to a file outside the project; skipped" in done.stderr, done.stderr
    assert (outside / "shared.py").read_text(encoding="utf-8") == CHECK
    named = flaglint(root, "clean", "--flag", "old-flag=on", "--allow-dirty", "vendor")
    assert "vendor:1: outside the project (through a symlink?); skipped" in named.stderr
    assert (outside / "shared.py").read_text(encoding="utf-8") == CHECK
    assert "Traceback" not in named.stderr


# --- killed and interrupted runs ---------------------------------------------------------------


def test_temp_files_of_a_killed_run_are_removed_by_the_next_and_no_others(tmp_path: Path) -> None:
    root = project(tmp_path)
    dead, alive = dead_pid(), os.getpid()
    stray = root / "app" / f".views.py.{dead}.k3j_x9.flaglint"
    busy = root / "app" / f".views.py.{alive}.a8b2c1.flaglint"  # a running flaglint's
    mine = root / "app" / ".notes.flaglint"  # not a name flaglint makes
    cache_stray = root / ".flaglint_cache" / f".scan-{dead}-q1w2e3.tmp"
    assert flaglint(root, "scan").returncode == 0  # makes the cache folder
    for path in (stray, busy, mine, cache_stray):
        path.write_text("partial", encoding="utf-8")
    done = flaglint(root, "scan")
    assert done.returncode == 0
    assert "removed 2 temporary files left by an interrupted flaglint run" in done.stderr
    assert not stray.exists()
    assert not cache_stray.exists()
    assert busy.exists()
    assert mine.exists()


def test_sigkill_during_clean_never_leaves_a_partial_file_and_the_next_run_tidies(tmp_path: Path) -> None:
    files = {f"app/m{n:03}.py": f"# module {n}\n" + "x = 1\n" * 300 + CHECK for n in range(400)}
    root = project(tmp_path, "", files)
    expected = {rel: text.replace(CHECK, AFTER) for rel, text in files.items()}
    rng = random.Random(7)
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-m", "flaglint", "clean", "--flag", "old-flag=on", "--allow-dirty", "--no-cache"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.8, 3.0))
        child.kill()
        child.wait()
        for rel, text in files.items():
            now = (root / rel).read_text(encoding="utf-8")
            assert now in (text, expected[rel]), rel
    done = flaglint(root, "clean", "--flag", "old-flag=on", "--allow-dirty")
    assert done.returncode == 0, done.stderr
    assert all((root / rel).read_text(encoding="utf-8") == expected[rel] for rel in files)
    assert not [p for p in root.rglob("*") if p.name.endswith((".flaglint", ".tmp"))]


def test_sigterm_ends_the_run_and_its_workers_and_removes_its_temp_files(tmp_path: Path) -> None:
    files = {f"app/m{n:03}.py": "x = 1\n" * 2000 + CHECK for n in range(300)}
    root = project(tmp_path, "jobs = 2\n", files)
    child = subprocess.Popen(
        [sys.executable, "-m", "flaglint", "scan", "--no-cache"], cwd=root, stderr=subprocess.PIPE, text=True
    )
    workers = wait_for_children(child.pid)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130
    assert "flaglint: interrupted" in err
    assert "Traceback" not in err
    assert gone(workers)


def test_workers_end_with_a_parent_that_is_killed(tmp_path: Path) -> None:
    files = {f"app/m{n:03}.py": "x = 1\n" * 2000 + CHECK for n in range(300)}
    root = project(tmp_path, "jobs = 2\n", files)
    child = subprocess.Popen([sys.executable, "-m", "flaglint", "scan", "--no-cache"], cwd=root)
    workers = wait_for_children(child.pid)
    child.kill()
    child.wait()
    assert gone(workers)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_for_children(pid: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = children(pid)
        if len(found) >= 2:
            return found
        time.sleep(0.05)
    raise AssertionError("the scan never started its worker processes")


def gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.append(pid)
        if not alive:
            return True
        time.sleep(0.1)
    return False


# --- owners and a rejected commit --------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can own files of other users")
def test_clean_keeps_the_owner_and_group_of_a_rewritten_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    views = root / "app" / "views.py"
    os.chown(views, 4321, 4322)
    os.chmod(views, 0o640)
    assert flaglint(root, "clean", "--flag", "old-flag=on", "--allow-dirty").returncode == 0
    stat = views.stat()
    assert (stat.st_uid, stat.st_gid, stat.st_mode & 0o777) == (4321, 4322, 0o640)
    assert views.read_text(encoding="utf-8") == AFTER


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def test_a_rejected_commit_on_branch_leaves_the_user_where_they_started(tmp_path: Path) -> None:
    root = project(tmp_path)
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "start")
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy: no commits today' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "flaglint", "clean", "--flag", "old-flag=on", "--branch", "retire-old-flag"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
        | {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"},
    )
    assert done.returncode == 2
    assert "policy: no commits today" in done.stderr
    assert "back on 'main' with the files as they were; branch 'retire-old-flag' was removed" in done.stderr
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(root, "status", "--porcelain").strip() == ""
    assert "retire-old-flag" not in git(root, "branch")
    assert (root / "app" / "views.py").read_text(encoding="utf-8") == CHECK
