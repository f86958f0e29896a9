"""`flaglint fleet` through the console script, on a real Dask cluster (a scheduler and worker
processes started once for the session, as `dask scheduler` / `dask worker` do), with git
repositories in a temporary folder: checkouts, a bare mirror and a file:// URL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unleash_seed import Server

pytest.importorskip("distributed")
duckdb = pytest.importorskip("duckdb")
from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402

pytestmark = pytest.mark.slow  # real Dask scheduler and workers

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-12-07"
REGISTRY = """
[flags.new-checkout]
type = "release"
owner = "team-payments"
created = 2026-01-05
state = "rolled-out"
value = true

[flags.search-v2]
type = "release"
owner = "team-search"
created = 2026-11-20
state = "active"

[flags.old-banner]
type = "release"
owner = "team-web"
created = 2025-01-01
state = "active"

[flags.house-flag]
type = "release"
owner = "team-web"
created = 2026-11-20
state = "active"
"""


class Cluster:
    def __init__(self, folder: Path, workers: int) -> None:
        self.file = folder / "scheduler.json"
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": folder}
        module = [sys.executable, "-m"]
        self.scheduler = subprocess.Popen(
            [*module, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(self.file)],
            **quiet,  # type: ignore[call-overload]
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not self.file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        self.workers = subprocess.Popen(
            [*module, "distributed.cli.dask_worker", self.address, "--nworkers", str(workers), "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1"],
            **quiet,  # type: ignore[call-overload]
        )  # fmt: skip
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)

    def stop(self) -> None:
        for process in (self.workers, self.scheduler):
            process.terminate()
        for process in (self.workers, self.scheduler):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("dask"), workers=2)
    try:
        yield running
    finally:
        running.stop()


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    commit(root, files, "init")
    return root


def commit(root: Path, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def flaglint(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("flaglint")
    assert exe
    return subprocess.run(
        [exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


SDK = 'from UnleashClient import UnleashClient\n\nclient = UnleashClient(url="http://127.0.0.1", app_name="app")\n'


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """Three repositories: payments (a checkout), search (given as a bare mirror), web (its own
    settings: a house wrapper the organisation's settings do not know), and the org settings."""
    make_repo(
        tmp_path / "payments",
        {"app/views.py": SDK + '\n\ndef checkout():\n    return client.is_enabled("new-checkout")\n'},
    )
    make_repo(
        tmp_path / "search-src",
        {
            "app/keys.py": 'SEARCH = "search-v2"\n',
            "app/search.py": SDK + "from app.keys import SEARCH\n\n\ndef search():\n"
            '    if client.is_enabled(SEARCH):\n        return 2\n    return client.is_enabled("new-checkout")\n',
        },
    )
    git(tmp_path, "clone", "-q", "--bare", "search-src", "search.git")
    own = """\
        [tool.flaglint]
        [[tool.flaglint.patterns]]
        kind = "function"
        name = "web.flags.house_flag"
        key = 0
    """
    make_repo(
        tmp_path / "web",
        {
            "pyproject.toml": own,
            "web/flags.py": "def house_flag(key):\n    return False\n",
            "web/page.py": 'from web.flags import house_flag\n\n\ndef page():\n    return house_flag("house-flag")\n',
        },
    )
    (tmp_path / "flags.toml").write_text(REGISTRY, encoding="utf-8")
    (tmp_path / "org.toml").write_text('registry = "flags.toml"\n', encoding="utf-8")
    (tmp_path / "repos.txt").write_text("# the fleet\npayments\n\nsearch.git main\nweb\n", encoding="utf-8")
    return tmp_path


def report(root: Path, *args: str) -> dict[str, object]:
    done = flaglint("fleet", "report", "--format", "json", "--today", TODAY, *args, cwd=root)
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_scan_and_report_across_repositories(cluster: Cluster, fleet: Path) -> None:
    scheduler = ("--scheduler", cluster.address)
    done = flaglint("fleet", "scan", "--from", "repos.txt", "--config", "org.toml", *scheduler, cwd=fleet)
    assert done.returncode == 0, done.stderr
    assert "fleet run 1: 3 repositories scanned, 0 unchanged" in done.stderr

    data = report(fleet)
    flags = {row["key"]: row for row in data["flags"]}  # type: ignore[attr-defined]
    assert {r["name"]: r["files"] for r in flags["new-checkout"]["repositories"]} == {
        "payments": ["app/views.py"],
        "search": ["app/search.py"],
    }
    assert flags["search-v2"]["repositories"] == [{"name": "search", "files": ["app/search.py"], "references": 1}]
    # the repository's own settings apply: its wrapper is a check, so the flag is not "unused"
    assert [r["name"] for r in flags["house-flag"]["repositories"]] == ["web"]
    fl008 = [f for f in data["findings"] if f["code"] == "FL008"]  # type: ignore[attr-defined]
    assert [f["key"] for f in fl008] == ["old-banner"]
    assert fl008[0]["message"] == "flag 'old-banner' has no reference in any of 3 repositories: safe to archive"
    assert fl008[0]["repository"] is None
    fl003 = sorted((f["repository"], f["path"]) for f in data["findings"] if f["code"] == "FL003")  # type: ignore[attr-defined]
    assert fl003 == [("payments", "app/views.py"), ("search", "app/search.py")]
    debt = {r["name"]: (r["references"], r["debt"]) for r in data["repositories"]}  # type: ignore[attr-defined]
    assert debt == {"payments": (1, 1), "search": (2, 1), "web": (1, 0)}
    owners = {o["owner"]: (o["flags"], o["removable"]) for o in data["owners"]}  # type: ignore[attr-defined]
    assert owners == {"team-payments": (1, 1), "team-search": (1, 0), "team-web": (2, 1)}

    # A second run scans nothing that did not move; a new commit is scanned alone.
    again = flaglint("fleet", "scan", "--from", "repos.txt", "--config", "org.toml", *scheduler, cwd=fleet)
    assert "fleet run 2: 0 repositories scanned, 3 unchanged" in again.stderr, again.stderr
    commit(fleet / "payments", {"app/banner.py": SDK + 'BANNER = client.is_enabled("old-banner")\n'}, "banner")
    third = flaglint("fleet", "scan", "--from", "repos.txt", "--config", "org.toml", *scheduler, cwd=fleet)
    assert "fleet run 3: 1 repository scanned, 2 unchanged" in third.stderr, third.stderr
    data = report(fleet)
    assert not [f for f in data["findings"] if f["code"] == "FL008"]  # type: ignore[attr-defined]
    assert [run["references"] for run in data["trend"]] == [4, 4, 5]  # type: ignore[attr-defined]

    # Every run is kept, and SQL reads the store.
    with duckdb.connect(str(fleet / "fleet.duckdb"), read_only=True) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM scans").fetchone() == (4,)
        per_run = db.execute("SELECT run_id, count(*) FROM findings WHERE code = 'FL008' GROUP BY run_id").fetchall()
        assert sorted(per_run) == [(1, 1), (2, 1)]


def test_report_formats_and_parquet(cluster: Cluster, fleet: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    done = flaglint(
        "fleet", "scan", "payments", "web", "--config", "org.toml", "--scheduler", cluster.address, cwd=fleet
    )
    assert done.returncode == 0, done.stderr

    sarif = flaglint("fleet", "report", "--format", "sarif", "--today", TODAY, cwd=fleet)
    log = json.loads(sarif.stdout)
    schema = json.loads((REPO / "fixtures/sarif/sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    runs = {run["automationDetails"]["id"]: run for run in log["runs"]}
    assert set(runs) == {"flaglint-fleet/payments/", "flaglint-fleet/web/", "flaglint-fleet/registry/"}
    results = runs["flaglint-fleet/payments/"]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"app/views.py"}
    assert runs["flaglint-fleet/payments/"]["properties"]["commit"] == git(fleet / "payments", "rev-parse", "HEAD")

    markdown = flaglint("fleet", "report", "--format", "markdown", "--today", TODAY, cwd=fleet)
    assert "| `new-checkout` | rolled-out | team-payments | payments (1) | 1 | FL003 |" in markdown.stdout
    html = flaglint("fleet", "report", "--format", "html", "--output", "out/fleet.html", "--today", TODAY, cwd=fleet)
    assert html.returncode == 0, html.stderr
    assert 'data-charts="' in (fleet / "out/fleet.html").read_text(encoding="utf-8")
    table = flaglint("fleet", "report", "--today", TODAY, cwd=fleet)
    assert "FL008 no reference in any of 2 repositories, safe to archive: old-banner, search-v2" in table.stdout

    exported = flaglint("fleet", "export", "parquet", cwd=fleet)
    assert exported.returncode == 0, exported.stderr
    with duckdb.connect() as db:
        refs = db.execute(f"SELECT repo, key FROM '{fleet / 'parquet/refs.parquet'}' ORDER BY repo").fetchall()
    assert refs == [("payments", "new-checkout"), ("web", "house-flag")]


def test_batches_resolve_keys_across_the_whole_tree(cluster: Cluster, fleet: Path) -> None:
    """A repository split into one-file tasks finds what one task finds (keys named by a constant
    in a module of another batch still resolve)."""
    scheduler = ("--scheduler", cluster.address)
    whole = flaglint("fleet", "scan", "search.git", "--store", "whole.duckdb", *scheduler, cwd=fleet)
    split = flaglint(
        "fleet", "scan", "search.git", "--store", "split.duckdb", "--batch-files", "1", *scheduler, cwd=fleet
    )
    assert whole.returncode == split.returncode == 0, split.stderr
    keys = []
    for store in ("whole.duckdb", "split.duckdb"):
        with duckdb.connect(str(fleet / store), read_only=True) as db:
            keys.append(db.execute("SELECT path, line, key FROM refs ORDER BY path, line").fetchall())
            assert db.execute("SELECT files FROM scans").fetchone() == (2,)
    assert keys[0] == keys[1] == [("app/search.py", 8, "search-v2"), ("app/search.py", 10, "new-checkout")]


def test_bad_repositories_are_one_line_each_and_the_rest_is_stored(cluster: Cluster, fleet: Path) -> None:
    (fleet / "not-git").mkdir()
    done = flaglint(
        "fleet", "scan", "payments", "missing", "not-git", "file:///nowhere/at/all.git", "web#no-such-ref",
        "--scheduler", cluster.address, cwd=fleet,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert "flaglint: missing: no such folder" in lines
    assert "flaglint: not-git: not a git repository" in lines
    assert any(line.startswith("flaglint: cannot fetch file:///nowhere/at/all.git: ") for line in lines)
    assert "flaglint: web: no commit at 'no-such-ref'" in lines
    assert "1 repository scanned" in done.stderr
    assert "Traceback" not in done.stderr
    junk = fleet / "junk.duckdb"
    junk.write_text("not a database", encoding="utf-8")
    for command in (("scan", "payments"), ("report",), ("export", "out")):
        failed = flaglint("fleet", *command, "--store", str(junk), cwd=fleet)
        assert failed.returncode == 2
        assert failed.stderr.startswith(f"flaglint: error: {junk}: "), failed.stderr
        assert "Traceback" not in failed.stderr
    missing = flaglint("fleet", "report", "--store", "none.duckdb", cwd=fleet)
    assert missing.stderr == "flaglint: error: none.duckdb: no fleet store here: run `flaglint fleet scan` first\n"


def test_urls_are_mirrored_and_fetched_again(cluster: Cluster, fleet: Path) -> None:
    url = (fleet / "payments").as_uri()
    scheduler = ("--scheduler", cluster.address)
    env = {"DASK_SCHEDULER_ADDRESS": cluster.address}  # the cluster named the way Dask's own tools name it
    first = flaglint("fleet", "scan", url, "--workers", "1", cwd=fleet, env=env)
    nowhere = {"DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:9"}
    unreachable = flaglint("fleet", "scan", url, "--store", "x.duckdb", cwd=fleet, env=nowhere)
    assert unreachable.returncode == 2
    assert unreachable.stderr.startswith("flaglint: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")
    assert first.returncode == 0, first.stderr
    mirrors = list((fleet / ".flaglint_cache/fleet").glob("*.git"))
    assert len(mirrors) == 1
    commit(fleet / "payments", {"app/more.py": SDK + 'X = client.is_enabled("search-v2")\n'}, "more")
    second = flaglint("fleet", "scan", url, *scheduler, cwd=fleet)
    assert "1 repository scanned" in second.stderr, second.stderr
    with duckdb.connect(str(fleet / "fleet.duckdb"), read_only=True) as db:
        repos = db.execute("SELECT DISTINCT repo FROM refs").fetchall()
        head = git(fleet / "payments", "rev-parse", "HEAD")
        keys = db.execute("SELECT key FROM refs WHERE commit = ? ORDER BY key", [head]).fetchall()
    assert repos == [(f"{fleet.name}/payments",)]
    assert keys == [("new-checkout",), ("search-v2",)]


def test_embedded_cluster_is_the_default(fleet: Path) -> None:
    env = {"DASK_SCHEDULER_ADDRESS": ""}
    done = flaglint("fleet", "scan", "payments", "search.git", "--workers", "2", cwd=fleet, env=env)
    assert done.returncode == 0, done.stderr
    assert "2 repositories scanned" in done.stderr
    assert len(report(fleet)["repositories"]) == 2  # type: ignore[arg-type]


class _DieOnce(WorkerPlugin):
    """A worker plugin: the first worker to start a flaglint scan task dies on the spot."""

    name = "flaglint-test-die-once"

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
        if finish == "executing" and "flaglint-scan" in str(key):
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.close(fd)
            os._exit(1)


def test_a_worker_dying_mid_run_loses_nothing(fleet: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    import cloudpickle  # type: ignore[import-untyped]
    from distributed import Client

    own = Cluster(tmp_path_factory.mktemp("dying"), workers=2)
    try:
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        marker = fleet / "died"
        with Client(own.address, timeout="30s") as client:
            client.register_plugin(_DieOnce(str(marker)))
        done = flaglint(
            "fleet", "scan", "--from", "repos.txt", "--config", "org.toml", "--scheduler", own.address, cwd=fleet
        )
        assert marker.exists()  # a worker did die under a scan task
        assert done.returncode == 0, done.stderr
        assert "3 repositories scanned" in done.stderr
        with duckdb.connect(str(fleet / "fleet.duckdb"), read_only=True) as db:
            assert db.execute("SELECT count(*) FROM scans").fetchone() == (3,)
            assert db.execute("SELECT count(*) FROM refs").fetchone() == (4,)
            assert db.execute("SELECT count(*) FROM run_repositories").fetchone() == (3,)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        own.stop()


def test_publish_links_to_unleash(cluster: Cluster, fleet: Path, unleash: Server) -> None:
    """Dry run by default; --apply adds flaglint's links, updates them as references change,
    removes them when no repository checks the flag, and never touches a link of someone else."""
    import httpx

    api = httpx.Client(base_url=unleash.url, headers={"Authorization": unleash.token}, timeout=30)
    names = ("new-checkout", "search-v2", "old-banner")
    feature = "/api/admin/projects/default/features"
    try:
        for name in names:
            assert api.post(feature, json={"name": name, "type": "release"}).status_code in (200, 201)
        design = {"url": "https://wiki.example.com/banner", "title": "Design doc"}
        stale = {"url": "https://old.example.com", "title": "flaglint: 3 references in 1 repository"}
        for link in (design, stale):
            assert api.post(f"{feature}/old-banner/link", json=link).status_code == 204
        (fleet / "org.toml").write_text(
            f'[registry.unleash]\nurl = "{unleash.url}"\ntoken-env = "FLEET_TEST_TOKEN"\n', encoding="utf-8"
        )
        env = {"FLEET_TEST_TOKEN": unleash.token}
        scheduler = ("--scheduler", cluster.address)
        scan = flaglint(
            "fleet", "scan", "payments", "search.git", "--config", "org.toml", *scheduler, cwd=fleet, env=env
        )
        assert scan.returncode == 0, scan.stderr
        template = "https://git.example.com/{repo}/blob/{commit}/{path}#L{line}"
        payments = git(fleet / "payments", "rev-parse", "HEAD")

        def links(name: str) -> list[tuple[str, str]]:
            found = api.get(f"{feature}/{name}").json()["links"]
            return sorted((link["title"], link["url"]) for link in found)

        dry = flaglint("fleet", "publish", "--unleash", "--link-template", template, cwd=fleet, env=env)
        assert dry.returncode == 0, dry.stderr
        assert "2 to add, 0 to update, 1 to remove (dry run: --apply writes them)" in dry.stderr
        assert links("new-checkout") == []

        applied = flaglint("fleet", "publish", "--unleash", "--apply", "--link-template", template, cwd=fleet, env=env)
        assert applied.returncode == 0, applied.stderr
        url = f"https://git.example.com/payments/blob/{payments}/app/views.py#L7"
        assert links("new-checkout") == [("flaglint: 2 references in 2 repositories", url)]
        assert links("search-v2")[0][0] == "flaglint: 1 reference in 1 repository"
        assert links("old-banner") == [("Design doc", "https://wiki.example.com/banner")]

        # References change: the link follows; nothing left to do is nothing done.
        commit(fleet / "payments", {"app/views.py": "def checkout():\n    return 1\n"}, "checkout for all")
        flaglint("fleet", "scan", "payments", "search.git", "--config", "org.toml", *scheduler, cwd=fleet, env=env)
        report_url = "https://flags.example.com/fleet.html"
        again = flaglint("fleet", "publish", "--unleash", "--apply", "--report-url", report_url, cwd=fleet, env=env)
        assert "0 to add, 2 to update, 0 to remove (written)" in again.stderr, again.stderr
        assert links("new-checkout") == [("flaglint: 1 reference in 1 repository", report_url)]
        idle = flaglint("fleet", "publish", "--unleash", "--report-url", report_url, cwd=fleet, env=env)
        assert "0 to add, 0 to update, 0 to remove" in idle.stderr

        wrong = {"FLEET_TEST_TOKEN": "*:*.wrong"}
        refused = flaglint("fleet", "publish", "--unleash", "--report-url", report_url, cwd=fleet, env=wrong)
        assert refused.returncode == 2
        assert "the token was refused (401)" in refused.stderr
        bad = flaglint("fleet", "publish", "--unleash", "--link-template", "https://x/{repository}", cwd=fleet, env=env)
        assert bad.stderr.startswith("flaglint: error: the link template names {repository}; it may use")
    finally:
        for name in names:
            api.delete(f"{feature}/{name}")
            api.delete(f"/api/admin/archive/{name}")
        api.close()


def test_a_terminal_sees_a_progress_bar(cluster: Cluster, fleet: Path) -> None:
    import pty
    import select

    exe = shutil.which("flaglint")
    assert exe
    leader, follower = pty.openpty()
    command = [exe, "fleet", "scan", "--from", "repos.txt", "--config", "org.toml", "--scheduler", cluster.address]
    process = subprocess.Popen(command, cwd=fleet, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0, seen.decode(errors="replace")
    text = seen.decode(errors="replace")
    assert "scanning repositories" in text
    assert "3/3" in text
    assert "3 repositories scanned" in text


def test_a_file_that_does_not_parse_is_one_problem_and_the_rest_is_scanned(cluster: Cluster, fleet: Path) -> None:
    broken = SDK + '\n\ndef broken(:\n    return client.is_enabled("search-v2")\n'
    make_repo(fleet / "shaky", {"app/ok.py": SDK + 'X = client.is_enabled("old-banner")\n', "app/bad.py": broken})
    done = flaglint("fleet", "scan", "shaky", "--config", "org.toml", "--scheduler", cluster.address, cwd=fleet)
    assert done.returncode == 0, done.stderr
    data = report(fleet)
    assert [(p["path"], p["line"]) for p in data["problems"]] == [("shaky/app/bad.py", 6)]  # type: ignore[attr-defined]
    flags = {row["key"]: row for row in data["flags"]}  # type: ignore[attr-defined]
    assert [r["name"] for r in flags["old-banner"]["repositories"]] == ["shaky"]
    table = flaglint("fleet", "report", "--today", TODAY, cwd=fleet)
    assert "1 file could not be read or parsed, e.g. shaky/app/bad.py:6: syntax error" in table.stdout


def test_suppressions_hold_across_the_fleet(cluster: Cluster, fleet: Path) -> None:
    quiet = SDK + '\n\ndef legacy():\n    return client.is_enabled("new-checkout")  # flaglint: ignore[FL003]\n'
    make_repo(fleet / "legacy", {"app/legacy.py": quiet})
    scheduler = ("--scheduler", cluster.address)
    done = flaglint("fleet", "scan", "legacy", "payments", "--config", "org.toml", *scheduler, cwd=fleet)
    assert done.returncode == 0, done.stderr
    data = report(fleet)
    fl003 = [(f["repository"], f["path"]) for f in data["findings"] if f["code"] == "FL003"]  # type: ignore[attr-defined]
    assert fl003 == [("payments", "app/views.py")]
    flags = {row["key"]: row for row in data["flags"]}  # type: ignore[attr-defined]
    assert [r["name"] for r in flags["new-checkout"]["repositories"]] == ["legacy", "payments"]
