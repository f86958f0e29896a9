"""This repository as a pre-commit hook repository, driven by the real `pre-commit` (PyPI) from a
throwaway consumer repository: a commit adding an archived flag is blocked with the finding, a clean
file passes, and the fixer retires a rolled-out flag (failing its first run, passing the second).

pre-commit builds the hook's environment once per session (it installs flaglint from this checkout's
HEAD commit into a virtualenv), so the whole module shares one PRE_COMMIT_HOME.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real servers, editors or many subprocesses

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = """\
[flags.old-banner]
state = "archived"

[flags.new-checkout]
state = "rolled-out"
value = true
created = 2025-01-01
"""
ROLLED_OUT = (
    'import UnleashClient\n\nif client.is_enabled("new-checkout"):\n    mode = "new"\nelse:\n    mode = "old"\n'
)


def run(cwd: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=env, timeout=900)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    if shutil.which("git") is None:
        pytest.fail("git is needed")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    home = tmp_path_factory.mktemp("pre-commit-home")
    repo = tmp_path_factory.mktemp("consumer")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    (repo / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
    (repo / "flags.toml").write_text(REGISTRY, encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {head.stdout.strip()}\n    hooks:\n"
        "      - id: flaglint\n      - id: flaglint-clean\n",
        encoding="utf-8",
    )
    run(repo, "git", "init", "-q", "-b", "main", env=env)
    run(repo, "git", "add", ".", env=env)
    run(repo, "git", "commit", "-q", "-m", "start", env=env)
    run(repo, sys.executable, "-m", "pre_commit", "install", env=env)
    run(repo, sys.executable, "-m", "pre_commit", "install-hooks", env=env)  # builds the environment once
    return repo, env


def test_a_commit_adding_an_archived_flag_is_blocked(consumer: tuple[Path, dict[str, str]]) -> None:
    repo, env = consumer
    (repo / "banner.py").write_text('import UnleashClient\n\nshow = client.is_enabled("old-banner")\n')
    run(repo, "git", "add", "banner.py", env=env)
    done = run(repo, "git", "commit", "-q", "-m", "banner", env=env, check=False)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "banner.py:3:8: FL002 flag 'old-banner' is archived but still referenced" in output
    run(repo, "git", "reset", "-q", "--hard", "HEAD", env=env)
    (repo / "banner.py").unlink(missing_ok=True)


def test_a_clean_file_passes(consumer: tuple[Path, dict[str, str]]) -> None:
    repo, env = consumer
    (repo / "util.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    run(repo, "git", "add", "util.py", env=env)
    done = run(repo, "git", "commit", "-q", "-m", "util", env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_fixer_retires_a_rolled_out_flag_then_passes(consumer: tuple[Path, dict[str, str]]) -> None:
    repo, env = consumer
    (repo / "checkout.py").write_text(ROLLED_OUT, encoding="utf-8")
    run(repo, "git", "add", "checkout.py", env=env)
    first = run(repo, "git", "commit", "-q", "-m", "checkout", env=env, check=False)
    assert first.returncode != 0  # the fixer changed a file: the commit stops so the change is seen
    assert "files were modified by this hook" in first.stdout + first.stderr
    assert (repo / "checkout.py").read_text(encoding="utf-8") == 'import UnleashClient\n\nmode = "new"\n'
    run(repo, "git", "add", "checkout.py", env=env)
    second = run(repo, "git", "commit", "-q", "-m", "checkout", env=env, check=False)
    assert second.returncode == 0, second.stdout + second.stderr


def test_hook_definitions_are_valid(consumer: tuple[Path, dict[str, str]]) -> None:
    _, env = consumer
    done = run(ROOT, sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml", env=env)
    assert done.returncode == 0
    assert (ROOT / "pre-commit-hooks.yaml").resolve() == (ROOT / ".pre-commit-hooks.yaml").resolve()


def test_a_check_on_a_flag_object_takes_its_key_from_an_unstaged_module(consumer: tuple[Path, dict[str, str]]) -> None:
    # The hook is given page.py alone; the key of BANNER is where it was made, in toggles.py.
    repo, env = consumer
    (repo / "toggles.py").write_text(
        'from edx_toggles.toggles import WaffleSwitch\n\nBANNER = WaffleSwitch("old-banner", module_name=__name__)\n'
    )
    run(repo, "git", "add", "toggles.py", env=env)
    made = run(repo, "git", "commit", "-q", "-m", "toggles", env=env, check=False)
    assert made.returncode == 0, made.stdout + made.stderr  # a declaration alone: its checks carry findings
    (repo / "page.py").write_text("from toggles import BANNER\n\nshow = BANNER.is_enabled()\n")
    run(repo, "git", "add", "page.py", env=env)
    done = run(repo, "git", "commit", "-q", "-m", "page", env=env, check=False)
    assert done.returncode != 0
    assert "page.py:3:8: FL002 flag 'old-banner' is archived but still referenced" in done.stdout + done.stderr
    run(repo, "git", "reset", "-q", "--hard", "HEAD", env=env)
    (repo / "page.py").unlink(missing_ok=True)
