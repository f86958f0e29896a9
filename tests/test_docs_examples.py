"""Every configuration example in the docs (and README.md) is a test.

Each ```toml block is preceded by `<!-- example: NAME -->`, and tests/docs_examples.toml holds, for
NAME, the small project the example describes and what a scan with the block as its settings must
find, exactly (see that file for the other kinds: a settings block that must load, a flags.toml
entry, plain TOML). A block without a marker, or a marker without an example, fails.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from flaglint.engine.config import load_config
from flaglint.engine.workspace import Workspace
from flaglint.registry.flags_toml import FlagsToml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
PAGES = [*sorted((HERE.parent / "docs").glob("*.md")), HERE.parent / "README.md"]
EXAMPLES: dict[str, dict[str, Any]] = tomllib.loads((HERE / "docs_examples.toml").read_text(encoding="utf-8"))[
    "example"
]
_BLOCK = re.compile(r"(?:<!-- example: ([\w-]+) -->\n)?```toml\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str | None, str]]:
    """(page, example name or None, the block's text) of every TOML block in the docs."""
    found = []
    for page in PAGES:
        for match in _BLOCK.finditer(page.read_text(encoding="utf-8")):
            found.append((page.name, match.group(1), match.group(2)))
    return found


def test_every_toml_block_names_its_example_and_every_example_is_used() -> None:
    unnamed = [page for page, name, _ in blocks() if name is None]
    assert unnamed == []
    named = [name for _, name, _ in blocks() if name is not None]
    assert sorted(set(named)) == sorted(EXAMPLES)
    assert len(named) == len(set(named))


@pytest.mark.parametrize(("page", "name", "block"), blocks(), ids=[f"{p}:{n}" for p, n, _ in blocks()])
def test_the_example_does_what_the_docs_say(page: str, name: str | None, block: str, tmp_path: Path) -> None:
    assert name is not None, f"a TOML block of {page} names no example"
    example = EXAMPLES[name]
    kind = example.get("kind", "project")
    if kind == "toml":
        tomllib.loads(block)
        return
    if kind == "registry":
        (tmp_path / "flags.toml").write_text(block, encoding="utf-8")
        snapshot = FlagsToml(tmp_path / "flags.toml", "flags.toml", None).load()
        assert sorted(flag.key for flag in snapshot.flags) == sorted(example["flags"])
        return
    settings = tmp_path / example.get("file", "pyproject.toml")  # another name: keys at top level
    settings.write_text(block, encoding="utf-8")
    config = load_config(settings, tmp_path)  # a problem is a ConfigError
    if kind == "settings":
        expect = example.get("expect", {})
        if "patterns" in expect:
            assert sorted(p.name for p in config.custom_patterns) == sorted(expect["patterns"])
        if "registry" in expect:
            assert config.registry_path == tmp_path / expect["registry"]
        return
    for rel, text in example["files"].items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    refs = Workspace(config, use_cache=False).scan().refs
    found = sorted(f"{r.path}:{r.span.line} {r.key} {r.kind.value}" for r in refs)
    assert found == sorted(example["expect"]["finds"])


def test_generated_tables_hold_every_rule_and_every_sdk() -> None:
    from flaglint.engine.patterns import SDKS
    from flaglint.engine.policy import RULES
    from flaglint.faces.docs import expand

    page = expand("# Findings\n\n<!-- flaglint:rules -->\n\n# SDKs\n\n<!-- flaglint:sdks -->\n")
    assert "<!--" not in page
    assert all(f"| {code} | {rule.severity.value} | {rule.title} |" in page for code, rule in RULES.items())
    assert all(f"| `{sdk}` |" in page for sdk in SDKS)
    pages = "".join(p.read_text(encoding="utf-8") for p in PAGES)
    assert "<!-- flaglint:rules -->" in pages
    assert "<!-- flaglint:sdks -->" in pages
