"""A proposal as the commented `[tool.flaglint]` a user reads, and how it goes into pyproject.toml."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

from flaglint.engine.tomlpos import in_table
from flaglint.engine.words import plural
from flaglint.infer.propose import Proposal, Proposed


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value))


def render(proposal: Proposal) -> str:
    """The proposal as TOML with its evidence as comments (every line of it is valid TOML)."""
    custom = sum(1 for ref in proposal.refs if ref.pattern.startswith("custom."))
    lines = [
        f"# Proposed by `flaglint init` from {plural(proposal.files, 'Python file')}: a scan with these settings",
        f"# finds {plural(len(proposal.refs), 'flag reference')} ({custom:,} through the patterns below).",
        "[tool.flaglint]",
    ]
    if proposal.src is not None:
        lines.append(f"src = {_value(list(proposal.src))}  # folders that hold the packages the code imports")
    if proposal.sdks:
        names = [sdk for sdk, _ in proposal.sdks]
        counts = ", ".join(f"{sdk} {count}" for sdk, count in proposal.sdks)
        lines += [f"sdks = {_value(names)}  # references found: {counts}"]
    else:
        lines += ["# no built-in SDK is used (sdks left to all of them)"]
    if any(kind == "flags.toml" for kind, _ in proposal.registries):
        lines += ["# flags.toml is the registry (the default when present)"]
    for kind, path in proposal.registries:
        if kind != "flags.toml":
            lines += ["", f"[tool.flaglint.registry.{kind}]", f"path = {_value(path)}"]
    if proposal.declarations:
        lines += [
            "",
            "# The project's own lists of flags: every key in them is a known flag (registry.code).",
            "[tool.flaglint.registry.code]",
            "declarations = [",
        ]
        for key_set, checks in proposal.declarations:
            size = plural(len(key_set.members), "key")
            lines.append(f"    {_value(key_set.declaration)},  # {size}; named by {plural(checks, 'call')}")
        lines.append("]")
    for proposed in proposal.patterns:
        lines += ["", *_pattern(proposed)]
    if proposal.dropped:
        lines += ["", "# Candidates checked and left out:"]
        lines += [f"#   {what}: {why}" for what, why in proposal.dropped]
    if proposal.unread:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        lines += ["", f"# Not read for proposals (this Python, {version}, cannot parse them; the scan reads them):"]
        lines += [f"#   {rel}" for rel in proposal.unread[:_UNREAD_SHOWN]]
        if len(proposal.unread) > _UNREAD_SHOWN:
            lines.append(f"#   and {plural(len(proposal.unread) - _UNREAD_SHOWN, 'more file')}")
    return "\n".join(lines) + "\n"


_UNREAD_SHOWN = 5


def _pattern(proposed: Proposed) -> list[str]:
    evidence = (
        f"# {proposed.what}: {plural(proposed.sites, 'match')} in {plural(proposed.files, 'file')}, "
        f"{proposed.resolved:,} naming a known key"
    )
    lines = [evidence]
    if proposed.examples:
        lines.append(f"#   e.g. {', '.join(proposed.examples)}")
    if proposed.note:
        lines.append(f"#   {proposed.note}")
    lines.append("[[tool.flaglint.patterns]]")
    lines += [f"{key} = {_value(value)}" for key, value in proposed.entry.items()]
    return lines


def merged(existing: str | None, proposal_text: str) -> str:
    """pyproject.toml's text with its `[tool.flaglint...]` tables replaced by the proposal (added at
    the end when it has none; the whole file when there is none)."""
    if not existing:
        return proposal_text
    lines = existing.splitlines(keepends=True)
    kept = [line for line, ours in zip(lines, in_table(existing, "tool.flaglint"), strict=True) if not ours]
    text = "".join(kept).rstrip("\n")
    return (text + "\n\n" if text else "") + proposal_text


def has_settings(existing: str | None) -> bool:
    return existing is not None and any(in_table(existing, "tool.flaglint"))


def summary(proposal: Proposal) -> str:
    """One line for stderr: what the proposal finds."""
    kinds = Counter(p.entry.get("flag-kind", p.entry["kind"]) for p in proposal.patterns)
    parts = [plural(len(proposal.patterns), "pattern")]
    if kinds:
        parts.append("(" + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ")")
    return (
        f"flaglint init: {' '.join(parts)}, {plural(len(proposal.declarations), 'declaration')}; "
        f"{plural(len(proposal.refs), 'flag reference')} found with them"
    )
