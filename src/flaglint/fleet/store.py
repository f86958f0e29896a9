"""The fleet's results in one DuckDB file, kept across runs for trends and queryable with SQL:
`runs`, `repositories`, `scans` (one per repository, commit and settings), `refs` (the flag
references each scan found), `run_repositories` (which scan each run used), and, when a registry
was known, `flags` and `findings` per run. A scan is keyed by commit, so a repository that did
not move is not scanned again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flaglint.engine.cache import ref_fields, ref_from_fields
from flaglint.fleet.task import RepoScan
from flaglint.model import Finding, Flag, FlagRef

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (schema_version INTEGER);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, started TIMESTAMP, finished TIMESTAMP, settings VARCHAR,
    registry VARCHAR, config VARCHAR, repositories INTEGER, scanned INTEGER, reused INTEGER);
CREATE TABLE IF NOT EXISTS repositories (name VARCHAR PRIMARY KEY, location VARCHAR, first_seen TIMESTAMP);
CREATE TABLE IF NOT EXISTS scans (
    repo VARCHAR, commit VARCHAR, settings VARCHAR, scanned_at TIMESTAMP, files INTEGER,
    own_settings BOOLEAN, problems INTEGER, PRIMARY KEY (repo, commit, settings));
CREATE TABLE IF NOT EXISTS refs (
    repo VARCHAR, commit VARCHAR, settings VARCHAR, path VARCHAR, line INTEGER, "column" INTEGER,
    end_line INTEGER, end_column INTEGER, key VARCHAR, key_source VARCHAR, key_text VARCHAR,
    pattern VARCHAR, sdk VARCHAR, kind VARCHAR, default_value VARCHAR, pinned VARCHAR, key_symbol VARCHAR,
    suppressed VARCHAR[]);
CREATE TABLE IF NOT EXISTS problems (
    repo VARCHAR, commit VARCHAR, settings VARCHAR, path VARCHAR, line INTEGER, message VARCHAR);
CREATE TABLE IF NOT EXISTS run_repositories (
    run_id INTEGER, repo VARCHAR, commit VARCHAR, ref VARCHAR, reused BOOLEAN, PRIMARY KEY (run_id, repo));
CREATE TABLE IF NOT EXISTS flags (
    run_id INTEGER, key VARCHAR, type VARCHAR, state VARCHAR, owner VARCHAR, created DATE,
    remove_by DATE, repositories INTEGER, "references" INTEGER);
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER, code VARCHAR, severity VARCHAR, key VARCHAR, repo VARCHAR, path VARCHAR,
    line INTEGER, message VARCHAR);
"""


class StoreError(Exception):
    """The store cannot be opened (locked by another run, not a DuckDB file)."""


@dataclass(frozen=True)
class Run:
    run_id: int
    started: dt.datetime
    repositories: int
    references: int
    flags: int


class Store:
    """The fleet's DuckDB file; opened for one command and closed after it."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        import duckdb

        self.path = path
        self._types: dict[str, list[str]] = {}
        try:
            self.db = duckdb.connect(str(path), read_only=read_only)
            if not read_only:
                self.db.execute(SCHEMA)
                if self.db.execute("SELECT count(*) FROM meta").fetchone() == (0,):
                    self.db.execute("INSERT INTO meta VALUES (?)", [SCHEMA_VERSION])
            found = self.db.execute("SELECT max(schema_version) FROM meta").fetchone()
        except duckdb.Error as exc:
            raise StoreError(f"{path}: {str(exc).splitlines()[0]}") from None
        if found is None or found[0] != SCHEMA_VERSION:
            self.db.close()
            raise StoreError(f"{path}: a fleet store of another flaglint version: scan into a new store")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing a run ---

    def has_scan(self, repo: str, commit: str, settings: str) -> bool:
        found = self.db.execute(
            "SELECT 1 FROM scans WHERE repo = ? AND commit = ? AND settings = ?", [repo, commit, settings]
        ).fetchone()
        return found is not None

    def start_run(self, started: dt.datetime, settings: str, registry: str | None, config: str | None) -> int:
        """A new run; `config` is the organisation settings file it used (a report reads it again)."""
        row = self.db.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()
        run_id = int(row[0]) if row else 1
        self.db.execute(
            "INSERT INTO runs VALUES (?, ?, NULL, ?, ?, ?, 0, 0, 0)",
            [run_id, _naive(started), settings, registry, config],
        )
        return run_id

    def settings_of(self, run_id: int) -> tuple[str | None, str | None]:
        """The organisation settings file and the registry a run used."""
        row = self.db.execute("SELECT config, registry FROM runs WHERE run_id = ?", [run_id]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def add_repository(self, name: str, location: str, seen: dt.datetime) -> None:
        self.db.execute(
            "INSERT INTO repositories VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET location = excluded.location",
            [name, location, _naive(seen)],
        )

    def save_scan(self, scan: RepoScan, settings: str, at: dt.datetime) -> None:
        """One repository's scan at one commit (its parts merged: a large one comes in batches)."""
        if self.has_scan(scan.repo, scan.commit, settings):
            return  # written once: a task run again after a worker died finds it there
        self.db.execute("BEGIN TRANSACTION")
        self.db.execute(
            "INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?, ?)",
            [scan.repo, scan.commit, settings, _naive(at), scan.files, scan.settings == "own", len(scan.problems)],
        )
        rows = [(scan.repo, scan.commit, settings, ref.path, *ref_fields(ref)) for ref in scan.refs]
        if rows:
            self._insert("refs", rows)
        problems = [(scan.repo, scan.commit, settings, p.path, p.line, p.message) for p in scan.problems]
        if problems:
            self._insert("problems", problems)
        self.db.execute("COMMIT")

    def _insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows in one statement, a list per column (row by row, DuckDB takes ~1 ms a row)."""
        if table not in self._types:
            query = "SELECT data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index"
            self._types[table] = [str(r[0]) for r in self.db.execute(query, [table]).fetchall()]
        picks = ", ".join(f"CAST(unnest(${n + 1}) AS {kind})" for n, kind in enumerate(self._types[table]))
        self.db.execute(f"INSERT INTO {table} SELECT {picks}", [list(c) for c in zip(*rows, strict=True)])

    def use_scan(self, run_id: int, repo: str, commit: str, ref: str, reused: bool) -> None:
        self.db.execute("INSERT INTO run_repositories VALUES (?, ?, ?, ?, ?)", [run_id, repo, commit, ref, reused])

    def finish_run(self, run_id: int, finished: dt.datetime, scanned: int, reused: int) -> None:
        self.db.execute(
            "UPDATE runs SET finished = ?, repositories = ?, scanned = ?, reused = ? WHERE run_id = ?",
            [_naive(finished), scanned + reused, scanned, reused, run_id],
        )

    def save_verdicts(
        self,
        run_id: int,
        flags: Iterable[tuple[Flag, int, int]],
        findings: Iterable[tuple[str | None, str, Finding]],
    ) -> None:
        """The registry's flags (with how many repositories and references name each) and the
        findings (with their repository and path) of a run, for SQL over the history."""
        self.db.execute("DELETE FROM flags WHERE run_id = ?", [run_id])
        self.db.execute("DELETE FROM findings WHERE run_id = ?", [run_id])
        rows = [
            (run_id, f.key, f.type.value, f.state.value, f.owner, f.created, f.remove_by, repos, refs)
            for f, repos, refs in flags
        ]
        if rows:
            self._insert("flags", rows)
        found = [
            (run_id, f.code, f.severity.value, f.key, repo, path, f.span.line, f.message) for repo, path, f in findings
        ]
        if found:
            self._insert("findings", found)

    # --- reading ---

    def latest_run(self) -> int | None:
        row = self.db.execute("SELECT max(run_id) FROM runs WHERE finished IS NOT NULL").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def run_repositories(self, run_id: int) -> list[tuple[str, str, int]]:
        """(repository, commit, files scanned) of every repository a run covered."""
        rows = self.db.execute(
            "SELECT r.repo, r.commit, s.files FROM run_repositories r JOIN runs USING (run_id)"
            " JOIN scans s ON s.repo = r.repo AND s.commit = r.commit AND s.settings = runs.settings"
            " WHERE r.run_id = ? ORDER BY r.repo",
            [run_id],
        ).fetchall()
        return [(str(repo), str(commit), int(files)) for repo, commit, files in rows]

    def references(self, run_id: int) -> dict[str, list[FlagRef]]:
        """Every reference a run's repositories hold, by repository (paths in the repository)."""
        rows = self.db.execute(
            "SELECT refs.* FROM refs JOIN run_repositories r ON refs.repo = r.repo AND refs.commit = r.commit"
            " JOIN runs ON runs.run_id = r.run_id AND refs.settings = runs.settings WHERE r.run_id = ?"
            " ORDER BY refs.repo, refs.path, refs.line, refs.column",
            [run_id],
        ).fetchall()
        found: dict[str, list[FlagRef]] = {}
        for row in rows:
            found.setdefault(str(row[0]), []).append(ref_from_fields(row[3], row[4:]))
        return found

    def problems(self, run_id: int) -> list[tuple[str, str, int, str]]:
        rows = self.db.execute(
            "SELECT p.repo, p.path, p.line, p.message FROM problems p JOIN run_repositories r"
            " ON p.repo = r.repo AND p.commit = r.commit JOIN runs ON runs.run_id = r.run_id"
            " AND p.settings = runs.settings WHERE r.run_id = ? ORDER BY p.repo, p.path, p.line",
            [run_id],
        ).fetchall()
        return [(str(a), str(b), int(c), str(d)) for a, b, c, d in rows]

    def trend(self) -> list[Run]:
        """Every finished run, oldest first, with what it counted."""
        rows = self.db.execute(
            "SELECT runs.run_id, runs.started, count(DISTINCT r.repo), count(refs.key_text),"
            " count(DISTINCT refs.key) FROM runs LEFT JOIN run_repositories r USING (run_id)"
            " LEFT JOIN refs ON refs.repo = r.repo AND refs.commit = r.commit AND refs.settings = runs.settings"
            " WHERE runs.finished IS NOT NULL GROUP BY runs.run_id, runs.started ORDER BY runs.run_id"
        ).fetchall()
        return [Run(int(a), b, int(c), int(d), int(e)) for a, b, c, d, e in rows]

    def export_parquet(self, folder: Path) -> list[Path]:
        """Each table as `<table>.parquet` in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for (table,) in self.db.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall():
            target = folder / f"{table}.parquet"
            quoted = str(target).replace("'", "''")
            self.db.execute(f"COPY {table} TO '{quoted}' (FORMAT parquet)")
            written.append(target)
        return written


def _naive(moment: dt.datetime) -> dt.datetime:
    """DuckDB's TIMESTAMP is UTC without a zone."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
