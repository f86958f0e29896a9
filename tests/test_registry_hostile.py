"""A flaky or hostile flag server, a bad token and bad Unleash settings: each is one line and exit 2,
the good snapshot stays, and the token is never shown. The server is a local HTTP server on
127.0.0.1 that answers the way the test tells it to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

TOKEN = "*:*.s3cr3t-token-value"
GOOD_FEATURE = {"name": "checkout", "type": "release", "createdAt": "2026-01-01T00:00:00Z", "stale": False}
Answer = Callable[[BaseHTTPRequestHandler, str, dict[str, list[str]]], None]


def send(
    handler: BaseHTTPRequestHandler, body: object, status: int = 200, headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def good(handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
    if handler.headers.get("Authorization") != TOKEN:
        send(handler, {"message": "no"}, 401)
    elif path == "/api/admin/environments":
        send(handler, {"version": 1, "environments": [{"name": "development"}, {"name": "production"}]})
    elif path == "/api/admin/search/features":
        archived = "archived" in query
        send(handler, {"features": [] if archived else [GOOD_FEATURE], "total": 0 if archived else 1})
    elif path == "/api/admin/search/events":
        send(handler, {"events": [], "total": 0})
    elif path == "/api/admin/features-batch/export":
        send(handler, {"features": [GOOD_FEATURE], "featureEnvironments": [], "featureStrategies": []})
    else:
        send(handler, {"message": "not found"}, 404)


class FakeUnleash:
    def __init__(self) -> None:
        self.answer: Answer = good
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                owner.answer(self, parts.path, parse_qs(parts.query))

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUnleash]:
    server = FakeUnleash()
    yield server
    server.server.shutdown()


@pytest.fixture
def answer(fake: FakeUnleash) -> Iterator[Callable[[Answer], None]]:
    def use(how: Answer) -> None:
        fake.answer = how

    yield use
    fake.answer = good


def project(root: Path, url: str, extra: str = "") -> Path:
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[tool.flaglint.registry.unleash]\nurl = "{url}"\ntoken-env = "FLAG_TOKEN"\ntimeout = 2\nretries = 1\n{extra}',
        encoding="utf-8",
    )
    (root / "app.py").write_text('import UnleashClient\nclient.is_enabled("checkout")\n', encoding="utf-8")
    return root


def pull(root: Path, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flaglint", "registry", "pull"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FLAG_TOKEN": token},
    )


def assert_one_line_failure(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert TOKEN not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith("flaglint: error")]
    assert len(lines) == 1, done.stderr
    for text in expected:
        assert text in lines[0]


def test_a_good_pull_then_bad_answers_keep_the_good_snapshot(
    fake: FakeUnleash, answer: Callable[[Answer], None], tmp_path: Path
) -> None:
    root = project(tmp_path / "p", fake.url)
    assert pull(root).returncode == 0
    snapshot = root / ".flaglint_cache" / "registry.json"
    stored = snapshot.read_bytes()
    assert b"checkout" in stored
    assert TOKEN.encode() not in stored

    def redirect(handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        send(handler, [], 302, {"Location": "http://127.0.0.2:9/api/admin/search/features"})

    def numbers(handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        send(handler, {"environments": [{"name": "production"}]} if "environments" in path else [1, 2, 3])

    def nameless(handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        if "search" in path:
            send(handler, {"features": [{"type": "release"}], "total": 1})
        else:
            good(handler, path, query)

    def total_text(handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        if "search" in path:
            send(handler, {"features": [GOOD_FEATURE], "total": "1"})
        else:
            good(handler, path, query)

    def endless(handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        if "search" in path:  # the same page whatever the offset, and a total never reached
            send(handler, {"features": [GOOD_FEATURE], "total": 10**9})
        else:
            good(handler, path, query)

    def export_text(handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        if "export" in path:
            send(handler, "an export")
        else:
            good(handler, path, query)

    cases = [
        (redirect, "redirects to http://127.0.0.2:9"),
        (numbers, "unexpected answer from the feature search"),
        (nameless, "a flag without a name"),
        (total_text, "unexpected answer from the feature search"),
        (endless, "does not page"),
        (export_text, "unexpected answer from the export"),
    ]
    for how, message in cases:
        answer(how)
        assert_one_line_failure(pull(root), message)
        assert snapshot.read_bytes() == stored, how.__name__


def test_a_server_that_drips_one_byte_at_a_time_is_given_up(
    fake: FakeUnleash, answer: Callable[[Answer], None], tmp_path: Path
) -> None:
    def drip(handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        try:
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n":
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(1.5)
        except OSError:
            return

    answer(drip)
    root = project(tmp_path / "p", fake.url)
    start = time.monotonic()
    done = pull(root)
    took = time.monotonic() - start
    assert_one_line_failure(done, "no complete answer within the timeout")
    assert took < 30  # the deadline is timeout x retries (+ connect), not one read at a time


def test_a_token_is_stripped_and_a_malformed_one_is_never_printed(fake: FakeUnleash, tmp_path: Path) -> None:
    root = project(tmp_path / "p", fake.url)
    assert pull(root, TOKEN + "\n").returncode == 0  # from a file or `echo`: the newline goes
    done = pull(root, "*:*.tökén-with-ümlauts")
    assert_one_line_failure(done, "$FLAG_TOKEN holds characters an API token cannot have")
    assert "ümlauts" not in done.stderr


def test_a_production_environment_the_server_lacks_is_named(fake: FakeUnleash, tmp_path: Path) -> None:
    root = project(tmp_path / "p", fake.url, 'production = ["prodution"]\n')
    assert_one_line_failure(pull(root), "no environment named 'prodution'", "development, production")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('timeout = "ten"', "timeout must be a number of seconds"),
        ("timeout = -1", "timeout must be a number of seconds"),
        ('retries = "x"', "retries must be a whole number"),
        ('url = "not a url"', "url must be an http:// or https:// address"),
        ("token-env = 5", "token-env must name an environment variable"),
        ("production = []", "production must name at least one"),
    ],
)
def test_bad_unleash_settings_are_one_line_with_the_line(tmp_path: Path, setting: str, message: str) -> None:
    root = tmp_path / "p"
    root.mkdir()
    key = setting.split(" ")[0]
    base = {"url": '"http://127.0.0.1:9"', "timeout": "2", "retries": "1"}
    base[key] = setting.split(" = ", 1)[1]
    lines = "".join(f"{k} = {v}\n" for k, v in base.items())
    (root / "pyproject.toml").write_text(f"[tool.flaglint.registry.unleash]\n{lines}", encoding="utf-8")
    number = 2 + list(base).index(key)
    for command in (["registry", "pull"], ["check"], ["scan"]):
        done = subprocess.run(
            [sys.executable, "-m", "flaglint", *command], cwd=root, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, done.stderr
        assert f"pyproject.toml:{number}: " in done.stderr
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_an_export_file_of_the_wrong_shape_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "export.json").write_text('"just a string"', encoding="utf-8")
    (root / "pyproject.toml").write_text('[tool.flaglint.registry.unleash-export]\npath = "export.json"\n')
    (root / "app.py").write_text('import UnleashClient\nclient.is_enabled("checkout")\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "flaglint", "check"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "not an Unleash export" in done.stderr
    assert "Traceback" not in done.stderr
