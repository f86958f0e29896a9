"""No file can stop a run: every command meets deep nesting, huge files, special files and a
file that vanishes, reports each as one `path:line` line, and goes on with the other files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flaglint.engine import detect
from flaglint.engine.config import Config
from flaglint.engine.workspace import Workspace, discover
from flaglint.model import Problem

CHECK = 'import UnleashClient\nif client.is_enabled("perf-flag"):\n    mode = "new"\nelse:\n    mode = "old"\n'

FILES = {
    "good.py": CHECK,
    "elif_chain.py": "if a:\n    pass\n" + "".join(f"elif b{n}:\n    pass\n" for n in range(3000)) + CHECK,
    "plus_chain.py": "x = " + " + ".join(["a"] * 400) + "\n" + CHECK,
    "not_chain.py": "x = " + "not " * 1000 + "y\n" + CHECK,
    "concat.py": "TEXT = (\n" + "".join(f'    "piece {n} "\n' for n in range(2200)) + ")\n" + CHECK,
    "deep_parens.py": "x = " + "(" * 1500 + "1" + ")" * 1500 + "\n" + CHECK,
    "big.py": "DATA = [" + "1," * 2_600_000 + "]\n" + CHECK,
    "broken.py": "def f(:\n    pass\n" + CHECK,
    "newer_syntax.py": "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n" + CHECK,
}
REWRITTEN = ("good.py", "elif_chain.py", "plus_chain.py", "not_chain.py", "concat.py")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
    (root / "flags.toml").write_text('[flags.perf-flag]\nstate = "active"\ncreated = 2026-11-01\n', encoding="utf-8")
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    os.mkfifo(root / "fifo.py")
    (root / "zero.py").symlink_to("/dev/zero")
    return root


def flaglint(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "flaglint", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def assert_each_bad_file_is_one_line(stderr: str) -> None:
    assert "deep_parens.py:1:" in stderr
    assert "too many nested parentheses" in stderr
    assert "big.py:1: larger than max-file-size" in stderr
    assert "fifo.py:1: not a regular file; skipped" in stderr
    assert "zero.py:1: symlink to a file outside the project; skipped" in stderr
    assert "broken.py:1:" in stderr


@pytest.mark.parametrize("command", ["scan", "check", "report"])
def test_reading_commands_report_bad_files_and_go_on(hostile: Path, command: str) -> None:
    done = flaglint(hostile, command, "--no-cache")
    assert done.returncode == 0, done.stderr
    assert_each_bad_file_is_one_line(done.stderr)
    if command == "scan":
        found = {line.split(":", 1)[0] for line in done.stdout.splitlines() if "perf-flag" in line}
        assert found == {*REWRITTEN, "newer_syntax.py"}


def test_clean_rewrites_deep_files_and_skips_the_rest(hostile: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    root.mkdir()
    for path in hostile.iterdir():
        if path.is_symlink():
            (root / path.name).symlink_to(os.readlink(path))
        elif path.name == "fifo.py":
            os.mkfifo(root / path.name)
        else:
            (root / path.name).write_bytes(path.read_bytes())
    done = flaglint(root, "clean", "--flag", "perf-flag=on", "--allow-dirty", "--no-cache")
    assert done.returncode == 0, done.stderr
    for name in REWRITTEN:
        text = (root / name).read_text(encoding="utf-8")
        assert "perf-flag" not in text, name
        assert 'mode = "new"' in text
        assert 'mode = "old"' not in text
        assert not isinstance(detect.parse(name, text), Problem)  # parses (on a large stack if deep)
    # Syntax this interpreter does not know is rewritten too, checked with a parser that accepts it.
    newer = (root / "newer_syntax.py").read_text(encoding="utf-8")
    assert "except ValueError, TypeError:" in newer
    assert "perf-flag" not in newer
    for name in ("deep_parens.py", "big.py", "broken.py"):
        assert (root / name).read_text(encoding="utf-8") == FILES[name]


def test_max_file_size_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.flaglint]\nmax-file-size = "64 KiB"\n', encoding="utf-8")
    (tmp_path / "small.py").write_text(CHECK, encoding="utf-8")
    (tmp_path / "medium.py").write_text("X = 1\n" * 20_000 + CHECK, encoding="utf-8")
    done = flaglint(tmp_path, "scan")
    assert "small.py" in done.stdout
    size = (tmp_path / "medium.py").stat().st_size
    assert f"medium.py:1: larger than max-file-size ({size:,} > 65,536 bytes); skipped" in done.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.flaglint]\nmax-file-size = 'lots'\n", encoding="utf-8")
    bad = flaglint(tmp_path, "scan")
    assert bad.returncode == 2
    assert "pyproject.toml:2: max-file-size must be a positive size" in bad.stderr


def test_a_file_that_vanishes_between_discovery_and_reading(tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(CHECK, encoding="utf-8")
    config = Config(root=tmp_path)
    files, _ = discover(tmp_path, [tmp_path], config)
    (tmp_path / "b.py").unlink()
    workspace = Workspace(config, use_cache=False)
    scans = workspace._run(files)
    assert [p.message for p in scans["b.py"].problems] == ["cannot read: No such file or directory"]
    assert {ref.path for name in ("a.py", "c.py") for ref in scans[name].refs} == {"a.py", "c.py"}


@pytest.mark.parametrize("command", ["scan", "check", "report", "clean"])
def test_files_vanishing_during_a_real_run(tmp_path: Path, command: str) -> None:
    """Files are deleted while the command runs: whenever each one goes (before discovery, between
    discovery and reading, between planning and writing), the run ends normally, no traceback.
    """
    (tmp_path / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
    (tmp_path / "flags.toml").write_text('[flags.perf-flag]\nstate = "active"\n', encoding="utf-8")
    names = [f"m{n:04}.py" for n in range(1500)]
    for name in names:
        (tmp_path / name).write_text(CHECK + "VALUE = 1\n" * 50, encoding="utf-8")
    args = ["clean", "--flag", "perf-flag=on", "--allow-dirty"] if command == "clean" else [command]
    process = subprocess.Popen(
        [sys.executable, "-m", "flaglint", *args, "--no-cache"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for name in reversed(names[::3]):
        (tmp_path / name).unlink()
    out, err = process.communicate(timeout=300)
    assert "Traceback" not in err, err
    assert process.returncode in (0, 1), err
    if command == "scan":
        assert out.count("perf-flag") >= 1000


def test_broken_pyproject_is_an_error_for_every_command(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.flaglint\nexclude = 1\n", encoding="utf-8")
    (tmp_path / "a.py").write_text(CHECK, encoding="utf-8")
    for args in (["scan"], ["check"], ["report"], ["clean", "--flag", "perf-flag=on"]):
        done = flaglint(tmp_path, *args)
        assert done.returncode == 2, args
        assert "pyproject.toml:1: invalid TOML" in done.stderr
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == CHECK


def test_a_toml_error_at_the_end_of_the_file_is_reported_at_its_line(tmp_path: Path) -> None:
    # An array left open on line 192: TOML's parser says "at end of document", not a line.
    head = '[project]\nname = "x"\n' + "# settings\n" * 188
    (tmp_path / "pyproject.toml").write_text(head + "[tool.flaglint]\nexclude = [1,\n", encoding="utf-8")
    done = flaglint(tmp_path, "check")
    assert done.returncode == 2
    assert "pyproject.toml:192: invalid TOML: Invalid value (at end of document)" in done.stderr


def flaglint_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flaglint", *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("command", ["scan", "check", "report"])
def test_symlink_loops_and_dangling_links_are_one_line_each(tmp_path: Path, command: str) -> None:
    root = tmp_path / "links"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.flaglint]\n")
    (root / "pkg" / "good.py").write_text(CHECK)
    (root / "pkg" / "self.py").symlink_to("self.py")  # a link to itself
    (root / "pkg" / "one.py").symlink_to("two.py")  # a cycle
    (root / "pkg" / "two.py").symlink_to("one.py")
    (root / "pkg" / "gone.py").symlink_to("missing.py")  # a link to nothing
    (root / "loop").symlink_to("loop")
    done = flaglint_run(root, command)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert "pkg/self.py:1: symlink loop; skipped" in lines
    assert "pkg/one.py:1: symlink loop; skipped" in lines
    assert "pkg/gone.py:1: symlink to nothing; skipped" in lines
    named = flaglint_run(root, command, "loop")  # a loop given by name
    assert "Traceback" not in named.stderr
    assert "loop:1: symlink loop; skipped" in named.stderr.splitlines()
    if command == "scan":
        assert "perf-flag" in done.stdout  # the run went on with the good file


def test_an_unleash_url_the_parser_refuses_is_a_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.flaglint]\n\n[tool.flaglint.registry.unleash]\nurl = "http://[::1"\nprojects = ["default"]\n'
    )
    done = flaglint_run(tmp_path, "check")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "flaglint: error: pyproject.toml:4: registry.unleash.url is not a valid address (Invalid IPv6 URL)"
    ]


def test_registry_as_a_string_and_as_a_table_is_one_line_with_the_way_out(tmp_path: Path) -> None:
    settings = '[tool.flaglint]\nregistry = "flags.toml"\n\n[tool.flaglint.registry.code]\ndeclarations = ["a.py:F"]\n'
    (tmp_path / "pyproject.toml").write_text(settings, encoding="utf-8")
    done = flaglint(tmp_path, "check")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("flaglint: error: pyproject.toml:4: invalid TOML: Cannot overwrite a value")
    assert 'write [tool.flaglint.registry] with path = "flags.toml" instead' in line
