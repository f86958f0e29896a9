"""Benchmark: the language server's quick fixes and cold start, as an editor sees them, with the
minimal JSON-RPC client of bench/lsp_bench.py.

On the standard library's argparse checking an archived flag in 20 methods (2,700 lines): the
code action's latency for a client that resolves actions (titles now, edit on resolve) and for
one that does not (the edit in the answer), the resolve's time, and the median didChange ->
publishDiagnostics while no plan runs and while one does (after 2 s, as a person reads first:
the planning process is up). On a 600-module project without a
cache: the first diagnostics after didOpen and a hover sent right after. `ast.parse` of the
module, timed in the same run, is the yardstick. Run: python bench/lsp_actions_bench.py. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import ast
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_bench import Client, type_one

RESOLVING = {"textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}}


def argparse_project(root: Path) -> Path:
    source = Path(argparse.__file__).read_text(encoding="utf-8").splitlines()
    bodies = [n for n, line in enumerate(source) if re.match(r"    def \w+\(self.*\):$", line)]
    for number in reversed(bodies[:: max(1, len(bodies) // 20)][:20]):
        source.insert(number + 1, '        if client.is_enabled("old"):\n            self._legacy = True  # typing ')
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
    (root / "flags.toml").write_text('[flags.old]\ntype = "release"\nstate = "archived"\n', encoding="utf-8")
    module = root / "app" / "big.py"
    text = "import UnleashClient\n\nclient = UnleashClient.UnleashClient()\n" + "\n".join(source) + "\n"
    module.write_text(text, encoding="utf-8")
    return module


def started(root: Path, capabilities: dict[str, Any]) -> Client:
    client = Client([sys.executable, "-m", "flaglint", "lsp"], root)
    client.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": capabilities})
    client.notify("initialized", {})
    return client


def opened(client: Client, path: Path) -> tuple[float, list[Any]]:
    start = time.perf_counter()
    document = {"uri": path.as_uri(), "languageId": "python", "version": 1, "text": path.read_text()}
    client.notify("textDocument/didOpen", {"textDocument": document})
    at, diagnostics = client.diagnostics_for(1)
    return at - start, diagnostics


def action_params(path: Path, diagnostics: list[Any]) -> dict[str, Any]:
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 4000, "character": 0}}
    return {"textDocument": {"uri": path.as_uri()}, "range": whole, "context": {"diagnostics": diagnostics}}


def timed(work: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        module = argparse_project(Path(folder) / "argparse")
        text = module.read_text()
        lines = text.splitlines()
        typing_line = next(n for n, line in enumerate(lines) if line.endswith("# typing "))
        rows.append(("ast.parse of the module (yardstick)", timed(lambda: ast.parse(text))[0]))

        client = started(module.parent.parent, RESOLVING)
        _, diagnostics = opened(client, module)
        time.sleep(2)  # as a person reads before asking for a fix: the planning process is up
        took, answer = timed(lambda: client.request("textDocument/codeAction", action_params(module, diagnostics)))
        rows.append(("code action, resolving client (titles)", took))
        actions = answer["result"]
        took, _ = timed(lambda: client.request("codeAction/resolve", actions[0]))
        rows.append(("codeAction/resolve (the edit)", took))
        version = 1
        quiet: list[float] = []
        busy: list[float] = []
        for run in range(args.runs):
            version += 1
            if run % 2:  # a new version's plan starts, then the edit comes while it runs
                client.request("textDocument/codeAction", action_params(module, diagnostics))
                time.sleep(0.01)
            start = time.perf_counter()
            type_one(client, module.as_uri(), lines, typing_line, version, insert=run % 4 < 2)
            at, _ = client.diagnostics_for(version)
            (busy if run % 2 else quiet).append(at - start)
        rows.append(("didChange -> diagnostics, median, no plan running", statistics.median(quiet)))
        rows.append(("didChange -> diagnostics, median, a plan running", statistics.median(busy)))
        client.process.kill()

        plain = started(module.parent.parent, {})
        _, diagnostics = opened(plain, module)
        time.sleep(2)
        took, _ = timed(lambda: plain.request("textDocument/codeAction", action_params(module, diagnostics)))
        rows.append(("code action, client without resolve (edit)", took))
        plain.process.kill()

        cold = Path(folder) / "cold"
        (cold / "app").mkdir(parents=True)
        (cold / "pyproject.toml").write_text("[tool.flaglint]\n", encoding="utf-8")
        body = "".join(f"def f{j}(x):\n    return x + {j}\n\n\n" for j in range(60))
        check = 'def g(client):\n    if client.is_enabled("old"):\n        return 1\n    return 2\n'
        for number in range(600):
            (cold / "app" / f"m{number}.py").write_text("import UnleashClient\n\n\n" + body + check)
        first = cold / "app" / "m0.py"
        server = started(cold, {})
        took, _ = opened(server, first)
        rows.append(("cold 600-module project: first diagnostics", took))
        line = first.read_text().splitlines().index('    if client.is_enabled("old"):')
        hover = {"textDocument": {"uri": first.as_uri()}, "position": {"line": line, "character": 25}}
        took, _ = timed(lambda: server.request("textDocument/hover", hover))
        rows.append(("cold 600-module project: hover right after", took))
        server.process.kill()
    for name, seconds in rows:
        print(f"{name:52} {seconds * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
