"""The core session every face calls: the project root, settings from --config, registry, scans of
files and of unsaved text, findings and clean plans, all as data.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from flaglint.project import Project, ProjectError

FILES = {
    "app/__init__.py": "",
    "app/keys.py": 'NEW_CHECKOUT = "new-checkout"\n',
    "app/views.py": (
        "import UnleashClient\n"
        "from app.keys import NEW_CHECKOUT\n\n"
        "def view(client):\n"
        "    if client.is_enabled(NEW_CHECKOUT):\n"
        "        return 'new'\n"
        "    return 'old'\n"
    ),
    "flags.toml": '[flags.new-checkout]\nstate = "rolled-out"\nvalue = true\ncreated = 2026-01-05\n',
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_a_config_outside_the_repository_supplies_settings_not_the_root(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "settings" / "flaglint.toml"
    outside.parent.mkdir()
    outside.write_text('ignore = ["FL007"]\ncache-dir = ".cache-from-outside"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "flaglint", "scan", "--config", str(outside)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "app/views.py:5:8: new-checkout (check, unleash.is_enabled)" in done.stdout
    assert "1 reference to 1 flag in 3 files" in done.stderr
    assert (repo / ".cache-from-outside").is_dir()
    assert not (outside.parent / ".cache-from-outside").exists()


def test_the_root_is_the_nearest_flaglint_pyproject(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
    project = Project.open([repo / "app" / "views.py"], cwd=repo.parent)
    assert project.root == repo.resolve()
    assert project.config.config_path == (repo / "pyproject.toml").resolve()


def test_session_scans_finds_and_plans(repo: Path) -> None:
    project = Project.open(cwd=repo, today=dt.date(2026, 11, 23), environ={})
    assert project.registry() is not None
    result = project.scan()
    assert [(r.path, r.key) for r in result.refs] == [("app/views.py", "new-checkout")]
    assert [(f.code, f.assume) for f in project.findings()] == [("FL003", "True")]
    assert project.removable() == {"new-checkout": "True"}
    (step,) = project.plan_clean({"new-checkout": "True"})
    assert [edit.path for edit in step.edits] == ["app/keys.py", "app/views.py"]


def test_unsaved_text_is_scanned_against_the_project_index(repo: Path) -> None:
    project = Project.open(cwd=repo, environ={})
    project.scan()
    edited = FILES["app/views.py"].replace("return 'old'", "return client.is_enabled('typo-flag')")
    found = project.scan_text(repo / "app" / "views.py", edited)
    assert [(r.span.line, r.key) for r in found.refs] == [(5, "new-checkout"), (7, "typo-flag")]
    codes = [f.code for f in project.findings_for(found.refs)]
    assert codes == ["FL003", "FL001"]
    assert project.includes(repo / "app" / "views.py")
    assert not project.includes(repo / "flags.toml")


def test_successive_edits_of_one_document_scan_like_fresh_text(repo: Path) -> None:
    """scan_text reuses the last result of a document while what the parser sees is unchanged;
    every kind of edit below must still give what a fresh session gives.
    """
    helper = "\n\ndef helper(items):\n    total = 0\n    for item in items:\n        total += item\n    return total\n"
    base = FILES["app/views.py"] + helper
    edits = [
        base,
        base.replace("total = 0", "total = 1"),  # inside a def without a check
        base.replace("total = 0", "total = client.is_enabled('typo-flag')"),  # a check appears there
        base.replace("if client.is_enabled(NEW_CHECKOUT):", "if client.is_enabled(NEW_CHECKOUT):  # flaglint: ignore"),
        base.replace("return 'old'", "return 'older'"),  # beside the check
        base.replace("def helper", "def helper_renamed"),
        "\n" + base,  # every line moves
    ]
    session = Project.open(cwd=repo, environ={})
    session.scan()
    path = repo / "app" / "views.py"
    for text in edits:
        fresh = Project.open(cwd=repo, environ={})
        fresh.scan()
        assert session.scan_text(path, text) == fresh.scan_text(path, text)
    again = session.scan_text(path, edits[2])
    assert [(r.span.line, r.key) for r in again.refs] == [(5, "new-checkout"), (11, "typo-flag")]


def test_problems_are_data(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.flaglint]\njobs = 0\n", encoding="utf-8")
    with pytest.raises(ProjectError) as raised:
        Project.open(cwd=repo)
    (problem,) = raised.value.problems
    assert (Path(problem.path).name, problem.line, problem.message) == (
        "pyproject.toml",
        2,
        "jobs must be a positive number",
    )
    with pytest.raises(ProjectError, match="no such file"):
        Project.open([repo / "missing.py"], cwd=repo)


def test_notes_collect_instead_of_printing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (repo / "flags.toml").open("a", encoding="utf-8") as registry:
        registry.write('[flags.undated]\nstate = "active"\n')  # no created date: git age is asked for
    project = Project.open(cwd=repo, environ={})
    project.registry()
    assert any("git" in note for note in project.notes)  # not a git repository: said once, as data
    assert capsys.readouterr() == ("", "")


def test_an_editor_follows_a_flag_object_to_where_it_was_made(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "edx"
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixtures" / "edx-toggles", root)
    (root / "flags.toml").write_text('[flags."demo.new_page"]\nstate = "rolled-out"\nvalue = true\n', encoding="utf-8")
    project = Project.open(cwd=root, today=dt.date(2026, 11, 23), environ={})
    views = root / "app" / "views.py"
    found = project.scan_text(views, views.read_text(encoding="utf-8"))  # the unsaved text of one document
    (check,) = found.refs
    assert (check.span.line, check.key) == (8, "demo.new_page")
    assert [(f.code, f.assume) for f in project.findings_for(found.refs)] == [("FL003", "True")]
    assert [(site.path, site.line) for site in project.definitions(check)] == [
        ("app/toggles.py", 10),
        ("flags.toml", 1),
    ]
