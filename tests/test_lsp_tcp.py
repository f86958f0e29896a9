"""`flaglint lsp --tcp PORT`: the server listens on the loopback address only and speaks LSP there."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pygls import uris

pytestmark = pytest.mark.slow  # real servers, editors or many subprocesses

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _read_message(stream: socket.socket) -> dict[str, object]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += stream.recv(1)
    length = int(data.split(b"Content-Length:")[1].split(b"\r\n")[0])
    body = b""
    while len(body) < length:
        body += stream.recv(length - len(body))
    return json.loads(body)


@pytest.mark.timeout(60)
def test_tcp_listens_on_loopback_only(tmp_path: Path) -> None:
    shop = tmp_path / "demo-shop"
    shutil.copytree(FIXTURES / "demo-shop", shop)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "flaglint", "lsp", "--tcp", str(port)], cwd=shop)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                stream = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except ConnectionRefusedError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server never listened"
                time.sleep(0.1)
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=False)
        if listening.returncode == 0:  # every listening socket of that port is on the loopback address
            assert [line.split()[3] for line in listening.stdout.splitlines()] == [f"127.0.0.1:{port}"]
        with stream:
            root = uris.from_fs_path(str(shop))
            stream.sendall(
                _message(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "initialize",
                        "params": {"processId": None, "rootUri": root, "capabilities": {}},
                    }
                )
            )
            reply = _read_message(stream)
            assert reply["id"] == 1
            assert reply["result"]["serverInfo"]["name"] == "flaglint"  # type: ignore[index]
            assert reply["result"]["capabilities"]["hoverProvider"]  # type: ignore[index]
            stream.sendall(_message({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
            assert _read_message(stream)["id"] == 2
            stream.sendall(_message({"jsonrpc": "2.0", "method": "exit"}))
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
