from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.unleash_seed import Server, unleash_server


@pytest.fixture(scope="session")
def unleash() -> Iterator[Server]:
    """A real Unleash 8 server (scripts/unleash-up), started once per test session; a module that
    adds flags removes them (archived and deleted) before it ends."""
    with unleash_server() as running:
        yield running


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write a dict of relative path -> text (dedented) under a fresh project folder."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "project"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return make
