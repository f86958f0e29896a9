"""Benchmark: time from didChange to publishDiagnostics of `flaglint lsp`, measured by a minimal
JSON-RPC client of its own (no pygls on this side), as an editor sees it.

The module is the standard library's argparse with 20 flag checks (bench/module_bench.py), about
2,700 lines. Each run types one character (an incremental change) and waits for the diagnostics
of that document version: in a def without a check, then beside a check. A burst of 1,000
changes sent back to back then shows how long the last version takes to be answered and what the
burst leaves in the server's memory. `ast.parse` of the same text, timed in the same run, is the
yardstick. Run: python bench/lsp_bench.py [--runs 60] [--debounce 0.005].
"""

from __future__ import annotations

import argparse
import ast
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from module_bench import module_text


class Client:
    """Just enough LSP client: framed JSON-RPC over the server's stdin/stdout."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.published: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self.replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(stream.read(length))
            if message.get("method") == "textDocument/publishDiagnostics":
                self.published.put((time.perf_counter(), message["params"]))
            elif "id" in message and message["id"] in self.replies:
                self.replies[message["id"]].put(message)

    def send(self, payload: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **payload}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def request(self, method: str, params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.replies[self.next_id] = queue.Queue()
        self.send({"id": self.next_id, "method": method, "params": params})
        reply = self.replies[self.next_id].get(timeout=60)
        del self.replies[self.next_id]
        return reply

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def diagnostics_for(self, version: int) -> tuple[float, list[Any]]:
        while True:
            at, params = self.published.get(timeout=60)
            if params.get("version") == version:
                return at, params["diagnostics"]


def type_one(client: Client, uri: str, lines: list[str], line: int, version: int, insert: bool) -> None:
    """Type one character at the end of `line` (or delete it again): one incremental change."""
    column = len(lines[line])
    change = {
        "range": {
            "start": {"line": line, "character": column - (0 if insert else 1)},
            "end": {"line": line, "character": column},
        },
        "text": "x" if insert else "",
    }
    lines[line] = lines[line] + "x" if insert else lines[line][:-1]
    client.notify(
        "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
    )


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--debounce", type=float, default=0.005)
    args = parser.parse_args()
    lines = module_text(lines=2_700).splitlines()
    plain = lines.index("        return list(self.__dict__.items())")
    flagged = next(n for n, line in enumerate(lines) if line == "            pass")
    for line in (plain, flagged):  # the typing happens in a comment, so every version parses
        lines[line] += "  # typing "
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
        (root / "flags.toml").write_text(
            '[flags.new-flag]\ntype = "release"\nstate = "rolled-out"\nvalue = true\n', encoding="utf-8"
        )
        (root / "app").mkdir()
        (root / "app" / "__init__.py").write_text("", encoding="utf-8")
        (root / "app" / "keys.py").write_text('class FLAG_KEYS:\n    NEW = "new-flag"\n', encoding="utf-8")
        big = root / "app" / "big.py"
        big.write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "flaglint", "lsp", "--debounce", str(args.debounce)]
        client = Client(command, root)
        uri = big.as_uri()
        client.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
        client.notify("initialized", {})
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
        )
        _, first = client.diagnostics_for(1)
        version = 1
        current = list(lines)
        results: dict[str, list[float]] = {}
        yardstick: list[float] = []
        for name, line in (("typing in a def without a check", plain), ("typing beside a check", flagged)):
            times = []
            for run in range(args.runs):
                version += 1
                start = time.perf_counter()
                type_one(client, uri, current, line, version, insert=run % 2 == 0)  # type, then delete
                at, _ = client.diagnostics_for(version)
                times.append(at - start)
                edited = "\n".join(current) + "\n"
                start = time.perf_counter()
                ast.parse(edited)
                yardstick.append(time.perf_counter() - start)
            results[name] = times
        before = rss_kb(client.process.pid)
        start = time.perf_counter()
        for run in range(1_000):  # a fast typist: one character per change, nothing waited for
            version += 1
            type_one(client, uri, current, plain, version, insert=run % 2 == 0)
        at, last = client.diagnostics_for(version)
        burst = at - start
        after = rss_kb(client.process.pid)
        client.request("shutdown", None)
        client.notify("exit", None)
        client.process.wait(timeout=30)
    print(
        f"module: {len(lines):,} lines, 20 flag checks, {len(first)} diagnostics, debounce {args.debounce * 1e3:.0f} ms"
    )
    for name, times in results.items():
        median = statistics.median(times) * 1e3
        print(f"didChange -> publishDiagnostics, {name:32} median {median:6.1f} ms   best {min(times) * 1e3:6.1f} ms")
    print(f"{'ast.parse of the same text (yardstick)':66} median {statistics.median(yardstick) * 1e3:6.1f} ms")
    print(f"1,000 changes back to back: last version answered {burst * 1e3:.0f} ms after the first was sent")
    print(
        f"server memory: {before / 1024:.1f} MiB before the burst, {after / 1024:.1f} MiB after "
        f"({len(last)} diagnostics)"
    )


if __name__ == "__main__":
    main()
