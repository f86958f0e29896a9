"""The language server's life, driven by an independent JSON-RPC client over real pipes: it ends
when asked (`shutdown` + `exit`) even while the core is busy, when its editor goes away (stdin
closed, or the `processId` it gave is gone), leaves no process behind when killed outright, and
reads settings from `--config` like the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]  # a server that hangs fails its test

WAIT = 10.0
# A view checking a flag through the project's own wrapper, which a settings file describes.
WRAPPED_VIEW = 'def page(request):\n    if request.flags.enabled("no-such-flag"):\n        return 1\n    return 2\n'


class Client:
    """A bare LSP client: Content-Length framing on the server's stdin and stdout."""

    def __init__(self, cwd: Path, *args: str) -> None:
        command = [sys.executable, "-m", "flaglint", "lsp", "--poll", "0.1", *args]
        self.process = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.next_id = 0
        self.received: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def read(self) -> dict[str, Any]:
        stream = self.process.stdout
        assert stream is not None
        length = 0
        while True:
            line = stream.readline()
            assert line, "the server closed its output"
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        message: dict[str, Any] = json.loads(stream.read(length))
        self.received.append(message)
        if "id" in message and "method" in message:  # a request of the server's: say yes
            self.send({"id": message["id"], "result": None})
        return message

    def request(self, method: str, params: object = None) -> dict[str, Any]:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == self.next_id and "method" not in message:
                return message

    def initialize(self, root: Path, process_id: int | None = None, capabilities: object = None) -> None:
        params = {"processId": process_id, "rootUri": root.as_uri(), "capabilities": capabilities or {}}
        self.request("initialize", params)
        self.send({"method": "initialized", "params": {}})

    def open(self, path: Path) -> None:
        document = {"uri": path.as_uri(), "languageId": "python", "version": 1, "text": path.read_text()}
        self.send({"method": "textDocument/didOpen", "params": {"textDocument": document}})

    def diagnostics(self, path: Path) -> list[dict[str, Any]]:
        while True:
            message = self.read()
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == path.as_uri():
                found: list[dict[str, Any]] = message["params"]["diagnostics"]
                return found

    def wait(self) -> tuple[int, float]:
        start = time.monotonic()
        code = self.process.wait(timeout=WAIT)
        return code, time.monotonic() - start


def big_project(root: Path, modules: int = 600) -> Path:
    """Modules enough that a cold scan keeps the core busy for a while."""
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.flaglint]\n")
    (root / "app" / "__init__.py").write_text("")
    body = "".join(f"def f{j}(x):\n    return x + {j}\n\n\n" for j in range(60))
    check = 'def g(client):\n    if client.is_enabled("old-flag"):\n        return 1\n    return 2\n'
    for number in range(modules):
        text = "import UnleashClient\n\n\n" + body + (check if number % 3 == 0 else "")
        (root / "app" / f"m{number}.py").write_text(text)
    return root / "app" / "m0.py"


def argparse_module(root: Path) -> Path:
    """The standard library's argparse (2,700 lines) checking an archived flag in 20 methods:
    planning its removal takes several times as long as checking an edit."""
    import argparse

    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.flaglint]\n")
    (root / "flags.toml").write_text('[flags.old]\ntype = "release"\nstate = "archived"\n')
    source = Path(argparse.__file__).read_text().splitlines()
    bodies = [n for n, line in enumerate(source) if line.startswith("    def ") and line.endswith("):")]
    for number in reversed(bodies[:: max(1, len(bodies) // 20)][:20]):
        source.insert(number + 1, '        if client.is_enabled("old"):\n            self._legacy = True')
    module = root / "app" / "big.py"
    module.write_text("import UnleashClient\n\nclient = UnleashClient.UnleashClient()\n" + "\n".join(source) + "\n")
    return module


def wrapped_project(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(root, view, settings file) of a project whose flag wrapper is described outside it."""
    root = tmp_path / "shop"
    (root / "app").mkdir(parents=True)
    view = root / "app" / "views.py"
    view.write_text(WRAPPED_VIEW)
    (root / "flags.toml").write_text('[flags.new-upload]\ntype = "release"\nstate = "active"\n')
    settings = tmp_path / "flaglint.toml"
    settings.write_text('[[patterns]]\nkind = "method"\nname = "enabled"\nreceiver = "flags"\n')
    return root, view, settings


def descendants(pid: int) -> set[int]:
    """Every living process under `pid` (its workers, and theirs)."""
    table = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.add(child)
            pending.append(child)
    return found


def test_shutdown_and_exit_end_the_server_at_once_even_while_it_scans(tmp_path: Path) -> None:
    opened = big_project(tmp_path / "big")
    client = Client(tmp_path / "big")
    client.initialize(tmp_path / "big")
    client.open(opened)  # a cold project scan starts on the core thread
    time.sleep(0.2)
    assert client.request("shutdown")["result"] is None
    client.send({"method": "exit"})
    assert client.wait()[0] == 0  # at once: a hang fails the wait


def test_a_closed_stdin_ends_the_server(tmp_path: Path) -> None:
    opened = big_project(tmp_path / "big", modules=60)
    client = Client(tmp_path / "big")
    client.initialize(tmp_path / "big")
    client.open(opened)
    assert client.process.stdin is not None
    client.process.stdin.close()
    assert client.wait()[0] == 1  # no shutdown came: the client went away


def test_the_server_ends_with_its_editor(tmp_path: Path) -> None:
    big_project(tmp_path / "big", modules=6)
    editor = subprocess.Popen(["sleep", "60"])
    client = Client(tmp_path / "big")
    client.initialize(tmp_path / "big", process_id=editor.pid)
    editor.kill()
    editor.wait()
    assert client.wait()[0] == 1


def test_no_process_of_the_server_outlives_kill_9(tmp_path: Path) -> None:
    opened = big_project(tmp_path / "big")
    client = Client(tmp_path / "big")
    client.initialize(tmp_path / "big")
    client.open(opened)
    seen: set[int] = set()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # whatever it starts: the index, the planning process
        seen |= descendants(client.process.pid)
        time.sleep(0.02)
    client.process.kill()
    client.process.wait()
    left = [pid for pid in seen if Path(f"/proc/{pid}").exists()]
    deadline = time.monotonic() + WAIT  # a process still starting ends once it has started
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [pid for pid in left if Path(f"/proc/{pid}").exists()]
    assert left == []


def test_settings_come_from_config_like_the_cli(tmp_path: Path) -> None:
    # The project's pattern lives in a settings file outside pyproject.toml: only with --config
    # does the server see the wrapper's checks.
    root, view, settings = wrapped_project(tmp_path)
    plain = Client(root)
    plain.initialize(root)
    plain.open(view)
    assert plain.diagnostics(view) == []
    plain.process.kill()
    plain.process.wait()
    configured = Client(root, "--config", str(settings))
    configured.initialize(root)
    configured.open(view)
    assert [d["code"] for d in configured.diagnostics(view)] == ["FL001"]
    configured.request("shutdown")
    configured.send({"method": "exit"})
    assert configured.wait()[0] == 0
    assert os.path.exists(settings)


def test_diagnostics_keep_coming_while_a_quick_fix_is_planned(tmp_path: Path) -> None:
    # A large module checking an archived flag 20 times: planning its removal takes several times
    # as long as checking an edit. The plan runs off the diagnostics path, so the edit's
    # diagnostics arrive before the code action's answer.
    root = tmp_path / "big"
    module = argparse_module(root)
    source = module.read_text().splitlines()
    client = Client(root)
    client.initialize(root)
    client.open(module)
    first = client.diagnostics(module)
    assert {d["code"] for d in first} == {"FL002"}
    # the whole module: the edit sent right after moves the lines the action is asked about
    at = {"start": {"line": 0, "character": 0}, "end": {"line": len(source) + 10, "character": 0}}
    client.send(
        {
            "id": 99,
            "method": "textDocument/codeAction",
            "params": {
                "textDocument": {"uri": module.as_uri()},
                "range": at,
                "context": {"diagnostics": first},
            },
        }
    )
    time.sleep(0.1)  # the plan is under way (it takes several times as long)
    change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# edited\n"}
    client.send(
        {
            "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": module.as_uri(), "version": 2}, "contentChanges": [change]},
        }
    )
    order: list[str] = []
    while len(order) < 2:
        message = client.read()
        if message.get("id") == 99:
            order.append("action")
            assert any("Remove flag 'old'" in a["title"] for a in message["result"]), message
        elif message.get("method") == "textDocument/publishDiagnostics" and message["params"].get("version") == 2:
            order.append("diagnostics")
    assert order == ["diagnostics", "action"]
    client.process.kill()
    client.process.wait()


def test_a_cold_project_answers_while_its_index_is_built(tmp_path: Path) -> None:
    # 600 modules and no cache: the opened document's diagnostics come from it alone, a hover is
    # answered while the project-wide index is still being built on its own thread, and the index
    # is reported with $/progress (begin ... end) to a client that can show it.
    opened = big_project(tmp_path / "big")
    (tmp_path / "big" / "flags.toml").write_text('[flags.old-flag]\ntype = "release"\nstate = "archived"\n')
    client = Client(tmp_path / "big")
    client.initialize(tmp_path / "big", capabilities={"window": {"workDoneProgress": True}})
    client.open(opened)
    assert {d["code"] for d in client.diagnostics(opened)} == {"FL002"}
    line = opened.read_text().splitlines().index('    if client.is_enabled("old-flag"):')
    hover = {"textDocument": {"uri": opened.as_uri()}, "position": {"line": line, "character": 25}}
    answer = client.request("textDocument/hover", hover)
    assert "old-flag" in answer["result"]["contents"]["value"]
    kinds = [m["params"]["value"]["kind"] for m in client.received if m.get("method") == "$/progress"]
    assert "end" not in kinds  # the hover did not wait for the index
    while "end" not in kinds:
        message = client.read()
        if message.get("method") == "$/progress":
            kinds.append(message["params"]["value"]["kind"])
    assert kinds[0] == "begin"
    later = client.request("textDocument/hover", hover)
    assert "200 references in 200 files" in later["result"]["contents"]["value"]
    client.process.kill()
    client.process.wait()


def test_pull_diagnostics_and_settings_from_initialization_options(tmp_path: Path) -> None:
    # An editor that passes its settings in initializationOptions (no command-line flags) and
    # pulls diagnostics (LSP 3.17) gets what --config and the push both give.
    root, view, settings = wrapped_project(tmp_path)
    client = Client(root)
    params = {
        "processId": None,
        "rootUri": root.as_uri(),
        "capabilities": {"textDocument": {"diagnostic": {"dynamicRegistration": False}}},
        "initializationOptions": {"config": str(settings)},
    }
    started = client.request("initialize", params)
    assert started["result"]["capabilities"]["diagnosticProvider"]["identifier"] == "flaglint"
    client.send({"method": "initialized", "params": {}})
    client.open(view)
    report = client.request("textDocument/diagnostic", {"textDocument": {"uri": view.as_uri()}})
    assert report["result"]["kind"] == "full"
    assert [d["code"] for d in report["result"]["items"]] == ["FL001"]
    client.process.kill()
    client.process.wait()


def test_a_slow_quick_fix_answers_with_titles_and_resolves_its_edit(tmp_path: Path) -> None:
    # A client that resolves actions: when the plan takes longer than the deadline, the code
    # action answers with the titles alone, and the resolve brings the edit (the same plan).
    root = tmp_path / "big"
    module = argparse_module(root)
    client = Client(root, "--action-deadline", "0")
    capabilities = {"textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}}
    client.initialize(root, capabilities=capabilities)
    client.open(module)
    first = client.diagnostics(module)
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 3000, "character": 0}}
    context = {"diagnostics": first}
    answer = client.request(
        "textDocument/codeAction", {"textDocument": {"uri": module.as_uri()}, "range": whole, "context": context}
    )
    titles = [a["title"] for a in answer["result"]]
    assert titles == ["Remove flag 'old' (always off)", "Remove flag 'old' (always off), with unsafe fixes"]
    assert all("edit" not in a for a in answer["result"])
    safe, unsafe = answer["result"]
    done = client.request("codeAction/resolve", safe)["result"]
    edits = done["edit"]["changes"][module.as_uri()]
    assert edits
    assert not any("is_enabled" in e["newText"] for e in edits)
    extra = client.request("codeAction/resolve", unsafe)["result"]
    assert "no unsafe fix applies here" in extra["disabled"]["reason"]
    client.process.kill()
    client.process.wait()


def test_a_client_without_resolve_is_told_when_the_plan_is_not_ready(tmp_path: Path) -> None:
    # Past --plan-deadline the action says it is still being planned; asked again once the plan
    # is made (the same document version), it comes with its edit.
    root = tmp_path / "big"
    module = argparse_module(root)
    client = Client(root, "--plan-deadline", "0")
    client.initialize(root)
    client.open(module)
    first = client.diagnostics(module)
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 3000, "character": 0}}
    params = {"textDocument": {"uri": module.as_uri()}, "range": whole, "context": {"diagnostics": first}}
    waiting = client.request("textDocument/codeAction", params)["result"]
    assert [a.get("disabled", {}).get("reason") for a in waiting] == [
        "still planning the removal: ask again in a moment"
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        ready = client.request("textDocument/codeAction", params)["result"]
        if ready and "edit" in ready[0]:
            break
    assert ready[0]["title"] == "Remove flag 'old' (always off)"
    assert ready[0]["edit"]["changes"][module.as_uri()]
    client.process.kill()
    client.process.wait()
