"""The installed `flaglint` console script, run in a subprocess as a user or CI would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = "fixtures/demo-shop"
EXPECTED = REPO / "tests/expected/demo-report.json"
TODAY = "2026-11-21"


def flaglint(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("flaglint")
    assert exe, "the flaglint console script is not installed (pip install -e .)"
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_demo_report_json_matches_the_checked_in_expectation() -> None:
    done = flaglint("report", DEMO, "--format", "json", "--today", TODAY, "--no-cache")
    assert done.returncode == 0, done.stderr
    produced = json.loads(done.stdout)
    if os.environ.get("FLAGLINT_UPDATE_EXPECTED"):
        EXPECTED.write_text(json.dumps(produced, indent=2) + "\n", encoding="utf-8")
    assert produced == json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert produced["schema_version"] == 1
    assert set(produced["summary"]["by_code"]) == {f"FL00{n}" for n in range(1, 9)}


def test_demo_report_text_shows_every_code_and_no_colour_when_piped() -> None:
    done = flaglint("report", DEMO, "--today", TODAY)
    assert done.returncode == 0, done.stderr
    for code in (f"FL00{n}" for n in range(1, 9)):
        assert code in done.stdout
    assert "\x1b[" not in done.stdout
    assert "new-checkout" in done.stdout
    assert "rolled-out" in done.stdout
    assert all(line == line.rstrip() for line in done.stdout.splitlines())


def test_check_lists_findings_like_ruff_and_fails_on_errors() -> None:
    done = flaglint("check", DEMO, "--today", TODAY)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "fixtures/demo-shop/shop/checkout.py:11:8: FL003 flag 'new-checkout' is fully rolled out" in lines[3]
    assert "Found 10 findings (error 2, warning 6, info 2)." in done.stderr


def test_check_fail_on_levels() -> None:
    assert flaglint("check", DEMO, "--today", TODAY, "--fail-on", "never").returncode == 0
    only_warnings = f"{DEMO}/shop/checkout.py"
    assert flaglint("check", only_warnings, "--today", TODAY).returncode == 0
    assert flaglint("check", only_warnings, "--today", TODAY, "--fail-on", "warning").returncode == 1


def test_check_json(tmp_path: Path) -> None:
    done = flaglint("check", DEMO, "--today", TODAY, "--format", "json")
    findings = json.loads(done.stdout)["findings"]
    assert {f["code"] for f in findings} == {f"FL00{n}" for n in range(1, 9)}
    assert all({"path", "line", "column", "severity", "assume"} <= set(f) for f in findings)


def test_scan_lists_references() -> None:
    done = flaglint("scan", DEMO, "--format", "json")
    assert done.returncode == 0, done.stderr
    refs = json.loads(done.stdout)["references"]
    assert {r["sdk"] for r in refs} >= {"unleash", "openfeature", "launchdarkly", "posthog", "waffle", "custom"}
    text = flaglint("scan", DEMO)
    assert "fixtures/demo-shop/shop/ops.py:9:8: maintenance-mode (check, custom.shop.flags.is_feature_flag_active)" in (
        text.stdout
    )


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_clean_project_exits_zero(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "pyproject.toml": "[tool.flaglint]\n",
            "flags.toml": '[flags.k]\ntype = "kill-switch"\n',
            "app.py": 'import UnleashClient\nclient.is_enabled("k")\n',
        },
    )
    done = flaglint("check", cwd=root)
    assert (done.returncode, done.stdout) == (0, "")
    assert "No flag debt found." in done.stderr


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = project(tmp_path, {"pyproject.toml": "[tool.flaglint]\nfail-on = 'maybe'\n", "app.py": ""})
    done = flaglint("check", cwd=root)
    assert done.returncode == 2
    assert done.stderr.strip() == "flaglint: error: pyproject.toml:2: fail-on must be one of error, warning, info"


def test_bad_registry_lists_each_problem_and_exits_2(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {"pyproject.toml": "[tool.flaglint]\n", "flags.toml": '[flags.a]\nstate = "gone"\n', "app.py": ""},
    )
    done = flaglint("report", cwd=root)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("flaglint: error: flags.toml:2: flag 'a': unknown state 'gone'")


def test_syntax_error_is_one_line_and_the_run_goes_on(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "flags.toml": '[flags.k]\nstate = "off"\n',
            "broken.py": "client.is_enabled('k'\n",
            "ok.py": "import UnleashClient\nclient.is_enabled('k')\n",
        },
    )
    done = flaglint("check", "--today", TODAY, cwd=root)
    assert "broken.py:1:18: syntax error: '(' was never closed" in done.stderr
    assert "ok.py:2:1: FL004" in done.stdout
    assert done.returncode == 0


def test_missing_path_and_bad_date_are_usage_errors(tmp_path: Path) -> None:
    missing = flaglint("scan", "no/such/dir", cwd=tmp_path)
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "flaglint: error: no/such/dir: no such file or directory",
    )
    assert flaglint("check", "--today", "soon", cwd=tmp_path).returncode == 2


def test_python_dash_m_and_version() -> None:
    done = subprocess.run([sys.executable, "-m", "flaglint", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("flaglint, version ")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_jobs_and_cache_options(tmp_path: Path, jobs: str) -> None:
    shutil.copytree(REPO / DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns(".flaglint_cache"))
    first = flaglint("check", "demo", "--today", TODAY, "--jobs", jobs, "--format", "json", cwd=tmp_path)
    assert (tmp_path / "demo/.flaglint_cache").is_dir()
    second = flaglint("check", "demo", "--today", TODAY, "--jobs", jobs, "--format", "json", cwd=tmp_path)
    assert first.stdout == second.stdout
    assert len(json.loads(first.stdout)["findings"]) == 10


def test_progress_bar_appears_only_after_a_second_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from flaglint.faces import cli

    clock = iter([0.0, 0.5, 1.5, 1.6])
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    progress = cli._LazyProgress(clock=lambda: next(clock))
    progress(10, 100)
    assert progress.bar is None
    progress(20, 100)
    assert progress.bar is not None
    assert progress.bar.tasks[0].completed == 20
    progress(100, 100)
    progress.close()


def test_no_progress_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from flaglint.faces import cli

    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: False)
    progress = cli._LazyProgress()
    progress(1, 2)
    assert progress.bar is None
