"""Reference tables for the documentation, made from the tables the code runs on (the policy's
rules, the SDK patterns), so the docs never drift from them: the MkDocs build fills the
`<!-- flaglint:rules -->` and `<!-- flaglint:sdks -->` markers of the pages with these."""

from __future__ import annotations

from collections.abc import Iterable

from flaglint.engine.patterns import BUILTIN_PATTERNS, SDKS, Arg, Pattern, Shape
from flaglint.engine.policy import REMOVABLE, RULES


def rules_table() -> str:
    """One row per finding code: severity, title, what it means and what to do."""
    rows = ["| code | severity | finding | what to do | `clean --from-registry` |", "| --- | --- | --- | --- | --- |"]
    for code, rule in RULES.items():
        removable = "retires it" if code in REMOVABLE else ""
        rows.append(f"| {code} | {rule.severity.value} | {rule.title} | {_cell(rule.help)} | {removable} |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _argument(arg: Arg) -> str:
    if arg.index is not None:
        name = arg.keywords[0] if arg.keywords else f"#{arg.index}"
        return name
    return f"{arg.keywords[0]}=" if arg.keywords else ""


def _spelt(pattern: Pattern) -> str:
    """How a row's call looks: `is_enabled(feature_name)`, `X = WaffleSwitch(name)`."""
    key = _argument(pattern.key)
    name = pattern.name.rsplit(".", 1)[-1]
    if pattern.shape is Shape.METHOD:
        return f"`.{name}({key})`"
    return f"`{name}({key})`"


def sdks_table(patterns: Iterable[Pattern] = BUILTIN_PATTERNS) -> str:
    """One row per built-in SDK: the package it is known by, and each call with its kind."""
    rows = ["| SDK (`sdks = [...]`) | package | calls (kind) |", "| --- | --- | --- |"]
    by_sdk: dict[str, list[Pattern]] = {sdk: [] for sdk in SDKS}
    for pattern in patterns:
        by_sdk.setdefault(pattern.sdk, []).append(pattern)
    for sdk, rows_of in by_sdk.items():
        called = {row.name.split(".")[0] for row in rows_of if row.shape is Shape.CALL}
        packages = sorted({p for row in rows_of for p in row.packages} | called)
        seen: dict[str, None] = {}
        for row in rows_of:
            seen.setdefault(f"{_spelt(row)} ({row.kind.value})")
        rows.append(f"| `{sdk}` | {', '.join(f'`{p}`' for p in packages)} | {', '.join(seen)} |")
    return "\n".join(rows)


MARKERS = {"<!-- flaglint:rules -->": rules_table, "<!-- flaglint:sdks -->": sdks_table}


def expand(markdown: str) -> str:
    """A page with every marker replaced by its table."""
    for marker, table in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, table())
    return markdown
