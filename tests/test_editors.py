"""Real editors as clients of `flaglint lsp`, each loading the set-up shipped under lsp/: headless
Neovim 0.7 (Lua, start_client + buf_attach_client), Emacs with Eglot, Vim with ALE. Each editor
runs one session (driver scripts in tests/editors/): open a file, collect diagnostics and a
hover, apply the removal code action, write the buffer. The VS Code extension is built (VS Code
itself cannot be downloaded here).
"""

from __future__ import annotations

import functools
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # real servers, editors or many subprocesses

REPO = Path(__file__).resolve().parent.parent
EDITORS = Path(__file__).resolve().parent / "editors"
TODAY = "2026-11-23"
ACTION = "Remove flag 'new-checkout' (always on)"
CHECK_LINE = '    if unleash.is_enabled(NEW_CHECKOUT, {"userId": user_id}):'
SESSION_TIMEOUT = 120  # seconds: a hung editor or server fails the test


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    assert found, f"Debian's {package} is needed (scripts/test installs it)"
    return found


def _ale_runtime() -> str:
    found = glob.glob("/usr/share/vim-ale/plugin/ale.vim") or glob.glob(
        "/usr/share/vim*/**/plugin/ale.vim", recursive=True
    )
    assert found, "Debian's vim-ale is needed (scripts/test installs it)"
    return str(Path(found[0]).parent.parent)


def _nvim(shop: Path, env: dict[str, str]) -> list[str]:
    env["FLAGLINT_SETUP"] = str(REPO / "lsp" / "nvim")
    command = [sys.executable, "-m", "flaglint", "lsp", "--today", TODAY]
    env["FLAGLINT_CMD"] = json.dumps(command)
    return [_tool("nvim", "neovim"), "--headless", "--clean", "-c", f"luafile {EDITORS / 'nvim_session.lua'}"]


def _eglot(shop: Path, env: dict[str, str]) -> list[str]:
    env["FLAGLINT_SETUP"] = str(REPO / "lsp" / "emacs" / "flaglint-eglot.el")
    env["FLAGLINT_CMD"] = json.dumps([sys.executable, "-m", "flaglint", "lsp", "--today", TODAY])
    env["HOME"] = str(shop.parent / "home")  # no user init, no package state left behind
    return [_tool("emacs", "emacs-nox"), "--batch", "-q", "-l", str(EDITORS / "eglot-session.el")]


def _ale(shop: Path, env: dict[str, str]) -> list[str]:
    env["FLAGLINT_SETUP"] = str(REPO / "lsp" / "vim" / "flaglint.vim")
    env["FLAGLINT_ALE"] = _ale_runtime()
    env["FLAGLINT_EXECUTABLE"] = str(Path(sys.executable).parent / "flaglint")
    env["FLAGLINT_OPTIONS"] = f"--today {TODAY}"
    vim = _tool("vim", "vim")
    return [vim, "-N", "-u", "NONE", "-i", "NONE", "-n", "-es", "-S", str(EDITORS / "ale-session.vim")]


SESSIONS = {"neovim": _nvim, "emacs-eglot": _eglot, "vim-ale": _ale}


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], str]:
    """`flaglint check` lines and `flaglint clean` output for the fixture file, from the CLI."""
    shop = tmp_path_factory.mktemp("cli") / "demo-shop"
    shutil.copytree(REPO / "fixtures" / "demo-shop", shop)
    run = functools.partial(subprocess.run, cwd=shop, capture_output=True, text=True, check=False)
    lines = run([sys.executable, "-m", "flaglint", "check", "--today", TODAY, "shop/checkout.py"]).stdout.splitlines()
    done = run([sys.executable, "-m", "flaglint", "clean", "--flag", "new-checkout=on", "--allow-dirty"])
    assert done.returncode == 0, done.stderr
    return lines, (shop / "shop" / "checkout.py").read_text()


@pytest.mark.timeout(SESSION_TIMEOUT + 60)
@pytest.mark.parametrize("editor", sorted(SESSIONS))
def test_editor_session(editor: str, tmp_path: Path, expected: tuple[list[str], str]) -> None:
    shop = tmp_path / "demo-shop"
    shutil.copytree(REPO / "fixtures" / "demo-shop", shop)
    target = shop / "shop" / "checkout.py"
    line = target.read_text().splitlines().index(CHECK_LINE) + 1
    out = tmp_path / "session.json"
    env = {
        **os.environ,
        "FLAGLINT_FILE": str(target),
        "FLAGLINT_LINE": str(line),
        "FLAGLINT_COLUMN": str(CHECK_LINE.index("NEW_CHECKOUT") + 1),
        "FLAGLINT_ACTION": ACTION,
        "FLAGLINT_OUT": str(out),
    }
    command = SESSIONS[editor](shop, env)
    done = subprocess.run(
        command,
        cwd=shop,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SESSION_TIMEOUT,
        check=False,
    )
    error = Path(f"{out}.error")
    detail = (error.read_text() if error.exists() else "") + done.stderr[-2000:]
    assert done.returncode == 0, detail
    result: dict[str, Any] = json.loads(out.read_text())

    check_lines, cleaned = expected
    got = sorted(
        f"shop/checkout.py:{d['line']}:{d['column']}: {d['code']} {d['message']}" for d in result["diagnostics"]
    )
    assert got == sorted(line.removesuffix(" [fixable]") for line in check_lines)
    assert {d["source"] for d in result["diagnostics"]} == {"flaglint"}
    assert "`new-checkout`" in result["hover"]
    assert "release flag, owner team-payments" in result["hover"]
    assert "**rolled-out**: on for everyone in production" in result["hover"]
    assert ACTION in result["actions"]
    assert result["after"] == []
    assert target.read_text() == cleaned  # the editor wrote what `flaglint clean` writes


def test_vscode_extension_builds(tmp_path: Path) -> None:
    """`npm ci && npm run compile` in a copy of lsp/vscode: the TypeScript client compiles
    against vscode-languageclient and its manifest starts `flaglint lsp` for Python files.
    """
    npm = _tool("npm", "npm")
    work = tmp_path / "vscode"
    shutil.copytree(REPO / "lsp" / "vscode", work, ignore=shutil.ignore_patterns("node_modules", "out"))
    for step in (["ci", "--no-audit", "--no-fund", "--loglevel=error"], ["run", "compile"]):
        done = subprocess.run([npm, *step], cwd=work, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    compiled = (work / "out" / "extension.js").read_text()
    assert "vscode-languageclient" in compiled
    manifest = json.loads((work / "package.json").read_text())
    assert manifest["main"] == "./out/extension.js"
    assert "onLanguage:python" in manifest["activationEvents"]
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["flaglint.command"]["default"] == ["flaglint", "lsp"]
