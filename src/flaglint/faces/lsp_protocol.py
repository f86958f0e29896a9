"""What the language server says in the protocol's terms: client capabilities, text edits,
positions, locations and hover text, turned from the core's plain data."""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls import uris
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from flaglint.engine.policy import since
from flaglint.engine.source import decode
from flaglint.model import Flag, Location
from flaglint.project import Project

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer


def is_about(diagnostic: types.Diagnostic, key: str) -> bool:
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    return diagnostic.source == "flaglint" and data.get("key") == key


def client_capability(server: LanguageServer, *names: str) -> Any:
    found: Any = server.client_capabilities
    for name in names:
        found = getattr(found, name, None) if found is not None else None
    return found


def resolves_edits(server: LanguageServer) -> bool:
    support = client_capability(server, "text_document", "code_action", "resolve_support")
    return support is not None and "edit" in (support.properties or [])


def workspace_edits(server: LanguageServer) -> bool:
    return client_capability(server, "workspace", "workspace_edit") is not None


def document_changes(server: LanguageServer) -> bool:
    return bool(client_capability(server, "workspace", "workspace_edit", "document_changes"))


def text_edits(server: LanguageServer, before: str, after: str) -> list[types.TextEdit]:
    """Line-wise edits turning `before` into `after` (whole lines, so no column arithmetic can drift)."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    starts = [0]
    for line in old:
        starts.append(starts[-1] + len(line))
    edits = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = line_start(old, i1), line_start(old, i2)
        client = server.workspace.position_codec.range_to_client_units(old, ServerTextRange(start, end))
        edits.append(types.TextEdit(range=client, new_text="".join(new[j1:j2])))
    return edits


def line_start(lines: Sequence[str], index: int) -> ServerTextPosition:
    """The start of line `index`; past the last line, the end of the text."""
    if index < len(lines):
        return ServerTextPosition(index, 0)
    if not lines:
        return ServerTextPosition(0, 0)
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return ServerTextPosition(len(lines), 0)
    return ServerTextPosition(len(lines) - 1, len(last))


def file_uri(project: Project, rel: str) -> str:
    path = Path(rel) if os.path.isabs(rel) else project.root / rel
    return uris.from_fs_path(str(path)) or ""


def lines_of(server: LanguageServer, project: Project, rel: str) -> Sequence[str]:
    doc = server.workspace.text_documents.get(file_uri(project, rel))
    if doc is not None:
        return doc.lines
    try:
        text = decode(rel, project.workspace.read(rel))
    except OSError:
        return []
    return text.splitlines(keepends=True) if isinstance(text, str) else []


def site_location(project: Project, site: Location) -> types.Location:
    line = max(site.line - 1, 0)
    start = types.Position(line=line, character=0)
    return types.Location(uri=file_uri(project, site.path), range=types.Range(start=start, end=start))


def hover_text(project: Project, key: str, flag: Flag | None) -> str:
    """What a hover says about a flag, in Markdown: registry facts and the policy's reading."""
    row = project.flag_row(key)
    files = len(row.files)
    uses = f"{row.references} reference{'s' * (row.references != 1)} in {files} file{'s' * (files != 1)}"
    if flag is None:
        return f"**`{key}`**: not in the registry\n\n{uses}"
    head = f"**`{key}`**: {row.type} flag" + (f", owner {row.owner}" if row.owner else "")
    reading = f"**{row.state}**: {row.why}" + (f" ({', '.join(row.codes)})" if row.codes else "")
    facts = []
    if row.created:
        facts.append(f"created {row.created}")
    if row.in_code_since:
        facts.append(f"in code since {row.in_code_since}")
    if row.stage:
        facts.append(f"stage {row.stage}" + (f" since {row.stage_since}" if row.stage_since else ""))
    if row.remove_by:
        facts.append(f"remove by {row.remove_by}")
    lines = [head, reading]
    if facts:
        lines.append(" · ".join(facts))
    if flag.environments:
        lines.append("rollout: " + ", ".join(f"{env} {state}" for env, state in flag.environments))
    if flag.last_seen:
        lines.append(
            "last evaluated: " + ", ".join(f"{env} {since(at, project.now)} ago" for env, at in flag.last_seen)
        )
    lines.append(uses)
    if flag.description:
        lines.append(flag.description)
    return "\n\n".join(lines)
