"""`flaglint lsp`: the editor face. Diagnostics, hovers, completion, definitions, references and
removal code actions, each a call into the core session (`Project`) of the document's project.

Every core call runs on one worker thread, in order, so the session is never used twice at once
and the protocol loop keeps answering. Edits are linted latest-first: a document's changes that
arrive while it is being linted are taken together by the next run, so a fast typist queues nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

import attrs
from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from flaglint import __version__
from flaglint.engine.config import ConfigError
from flaglint.engine.patterns import key_being_typed
from flaglint.engine.policy import REMOVABLE
from flaglint.faces import lsp_planner
from flaglint.faces.lsp_protocol import (
    client_capability,
    document_changes,
    file_uri,
    hover_text,
    is_about,
    lines_of,
    resolves_edits,
    site_location,
    text_edits,
    workspace_edits,
)
from flaglint.fix.step import Step, describe_value
from flaglint.model import Finding, FlagRef, Severity, Span
from flaglint.project import Project, ProjectError, encoded, find_root

T = TypeVar("T")
log = logging.getLogger(__name__)
Planned = tuple[Step, Project, Path]  # a plan with the session and document path it was made for

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
_COMPLETIONS = 200  # a registry of 100,000 flags is narrowed by what was typed, then capped
_CONTEXT_LINES = 20  # how far back a completion looks for the call it is typed in


@dataclasses.dataclass(frozen=True)
class Options:
    debounce: float = 0.005  # seconds a document waits after a change before it is linted
    poll: float = 1.0  # seconds between looks at flags.toml, the snapshot and the settings
    offline: bool = True  # the editor never calls a flag server; `flaglint registry pull` refreshes
    today: dt.date | None = None
    config_path: Path | None = None  # settings from this file (`--config`), as the CLI reads them
    registry_path: Path | None = None  # this flags.toml instead of the configured one (`--registry`)
    use_cache: bool = True
    # seconds a code action waits for its plan before it answers with titles alone (resolving clients)
    action_deadline: float = 0.05
    # seconds a code action waits for its plan's edits (clients that cannot resolve them later)
    plan_deadline: float = 10.0


class FlagServer(LanguageServer):
    """The language server; features are registered by `build_server`."""

    def __init__(self, options: Options) -> None:
        super().__init__("flaglint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.options = options
        self.core = ThreadPoolExecutor(1, thread_name_prefix="flaglint-core")
        self.planner = ThreadPoolExecutor(1, thread_name_prefix="flaglint-plan")  # plans when no process can
        self.plan_process: ProcessPoolExecutor | None = None  # plans, in a process of their own
        self.indexer = ThreadPoolExecutor(1, thread_name_prefix="flaglint-index")  # project-wide scans
        self.plans: dict[tuple[object, ...], asyncio.Future[Step]] = {}
        self.projects: dict[Path, Project | None] = {}
        self.stamps: dict[Path, dict[Path, tuple[int, int] | None]] = {}
        self.included: dict[str, bool] = {}
        self.roots: dict[Path, tuple[Path, Path | None]] = {}  # folder -> (project root, its settings)
        self.linting: dict[str, asyncio.Task[None]] = {}
        self.again: set[str] = set()
        self.shown: set[str] = set()
        self.watcher: asyncio.Task[None] | None = None
        self.shut_down = False  # `shutdown` came: `exit` then ends the process with code 0
        self.client_pid: int | None = None  # the editor's process, watched so the server ends with it

    async def call(self, func: Callable[..., T], *args: Any) -> T:
        """Run a core call on the core thread (one at a time, in order)."""
        return await asyncio.get_running_loop().run_in_executor(self.core, func, *args)

    # --- projects (core thread) ---

    def project_of(self, path: Path) -> Project | None:
        """The session of the project holding `path`; None (and a message, once) when its settings are broken."""
        cwd = self._folder_of(path)
        try:
            if path.parent not in self.roots:  # reading pyproject.toml files once per folder, not per keystroke
                self.roots[path.parent] = find_root([path], cwd)
            root, own = self.roots[path.parent]
        except ConfigError as exc:  # a settings file on the way that cannot be read
            self.tell(str(exc))
            broken = Path(exc.problems[0].path) if exc.problems else path
            self.projects[broken.parent] = None
            self.stamps[broken.parent] = _stamps([broken])  # tried again once it changes
            return None
        except OSError:
            return None
        if root not in self.projects:
            try:
                project = Project.open(
                    [path],
                    cwd=cwd,
                    config_path=self.options.config_path,
                    registry_path=self.options.registry_path,
                    offline=self.options.offline,
                    today=self.options.today,
                    use_cache=self.options.use_cache,
                    # Everything runs in this process: no worker is ever forked from a server whose
                    # threads may hold a lock, and none can outlive it.
                    jobs=1,
                )
            except ProjectError as exc:
                self.tell(str(exc))
                project = None
            self.projects[root] = project
            self.stamps[root] = _stamps(project.watched_files() if project else [own] if own else [])
        return self.projects[root]

    def _folder_of(self, path: Path) -> Path:
        folders = [Path(uris.to_fs_path(f.uri) or "/") for f in self.workspace.folders.values()]
        if self.workspace.root_path:
            folders.append(Path(self.workspace.root_path))
        inside = [f for f in folders if f == path or f in path.parents]
        return max(inside, key=lambda f: len(f.parts)) if inside else path.parent

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        """Show a message once (a broken setting is not repeated on every keystroke)."""
        if message not in self.shown:
            self.shown.add(message)
            self.window_show_message(types.ShowMessageParams(type=kind, message=f"flaglint: {message}"))

    def document(self, uri: str) -> tuple[TextDocument, Path, Project] | None:
        path = uris.to_fs_path(uri)
        if path is None or not path.endswith(".py"):
            return None
        project = self.project_of(Path(path))
        if project is None:
            return None
        if uri not in self.included:
            self.included[uri] = project.includes(Path(path))
        if not self.included[uri]:
            return None
        return self.workspace.get_text_document(uri), Path(path), project

    def lint(self, uri: str, text: str) -> list[types.Diagnostic] | None:
        """The document's diagnostics; None keeps the last ones (the text does not parse)."""
        found = self.document(uri)
        if found is None:
            return []
        _, path, project = found
        try:
            scan = project.scan_text(path, text)
            if scan.problems:
                return None
            findings = project.findings_for(scan.refs)
        except ProjectError as exc:
            self.tell(str(exc))
            return []
        lines = text.splitlines(keepends=True)
        return [self.diagnostic(finding, lines) for finding in findings]

    def diagnostic(self, finding: Finding, lines: Sequence[str]) -> types.Diagnostic:
        return types.Diagnostic(
            range=self.client_range(finding.span, lines),
            message=finding.message,
            severity=_SEVERITY[finding.severity],
            code=finding.code,
            source="flaglint",
            data={"key": finding.key, "fixable": finding.fixable},
        )

    def client_range(self, span: Span, lines: Sequence[str]) -> types.Range:
        """A core span (1-based code points) in the client's position units."""
        server = ServerTextRange(
            ServerTextPosition(span.line - 1, span.column - 1),
            ServerTextPosition(span.end_line - 1, span.end_column - 1),
        )
        return self.workspace.position_codec.range_to_client_units(lines, server)

    def ref_at(self, uri: str, position: types.Position) -> tuple[FlagRef, Project, TextDocument] | None:
        found = self.document(uri)
        if found is None:
            return None
        doc, path, project = found
        scan = project.scan_text(path, doc.source)
        at = doc.position_from_client_units(position)
        line, column = at.line + 1, at.character + 1
        for ref in scan.refs:
            s = ref.span
            if (s.line, s.column) <= (line, column) <= (s.end_line, s.end_column):
                return ref, project, doc
        return None

    def reload_if_changed(self) -> bool:
        """Reload what changed among the watched files of every project; True when anything did.
        New settings mean a new session; a new flags.toml or snapshot, a new registry. A project
        whose settings were broken is tried again once its settings file changes.
        """
        changed = False
        for root, project in list(self.projects.items()):
            before = self.stamps.get(root, {})
            now = _stamps(project.watched_files() if project is not None else list(before))
            if now == before:
                continue
            changed = True
            self.stamps[root] = now
            self.shown.clear()  # a fixed mistake made again is worth saying again
            settings = project.config.config_path if project is not None else None
            if project is None or (settings is not None and before.get(settings) != now.get(settings)):
                self.projects.pop(root)
                self.included.clear()
                self.roots.clear()
                continue
            try:
                project.reload_registry()
            except ProjectError as exc:
                self.tell(str(exc))
        return changed


def _stamps(paths: Sequence[Path]) -> dict[Path, tuple[int, int] | None]:
    stamps: dict[Path, tuple[int, int] | None] = {}
    for path in paths:
        try:
            info = path.stat()
            stamps[path] = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamps[path] = None
    return stamps


def build_server(options: Options | None = None) -> FlagServer:
    server = FlagServer(options or Options())

    # --- diagnostics ---

    def schedule(uri: str) -> None:
        task = server.linting.get(uri)
        if task is not None and not task.done():
            server.again.add(uri)
            return
        server.linting[uri] = asyncio.ensure_future(lint_until_settled(uri))

    async def lint_until_settled(uri: str) -> None:
        while True:
            server.again.discard(uri)
            await asyncio.sleep(server.options.debounce)
            if uri not in server.workspace.text_documents:
                return
            doc = server.workspace.get_text_document(uri)
            version, text = doc.version, doc.source
            try:
                diagnostics = await server.call(server.lint, uri, text)
            except Exception:  # a defect must not end the server: say so in the log and carry on
                log.exception("linting %s failed", uri)
                diagnostics = None
            if diagnostics is not None and uri in server.workspace.text_documents:
                server.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
                )
            if uri not in server.again:
                return

    def relint_all() -> None:
        for uri in list(server.workspace.text_documents):
            schedule(uri)

    async def watch() -> None:
        while True:
            await asyncio.sleep(server.options.poll)
            if server.client_pid is not None and not _alive(server.client_pid):
                log.warning("the editor (process %s) is gone: stopping", server.client_pid)
                _end(1)
            try:
                if await server.call(server.reload_if_changed):
                    relint_all()
            except Exception:
                log.exception("watching the registry failed")

    @server.feature(types.INITIALIZE)
    def initialize(ls: FlagServer, params: types.InitializeParams) -> None:
        ls.client_pid = params.process_id
        given = params.initialization_options
        if isinstance(given, dict):  # the editor's settings: those the command line did not give
            ls.options = _with_settings(ls.options, given, ls.tell)

    @server.feature(types.INITIALIZED)
    def initialized(ls: FlagServer, params: types.InitializedParams) -> None:
        ls.watcher = asyncio.ensure_future(watch())
        # The planning process starts once the first documents are checked (its start costs a
        # core's worth of imports), or at the first plan, whichever comes first.
        asyncio.get_running_loop().call_later(1.0, planning_process)

    def planning_process() -> ProcessPoolExecutor:
        if server.plan_process is None and not server.shut_down:
            server.plan_process = lsp_planner.start()
        assert server.plan_process is not None
        return server.plan_process

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: FlagServer, params: object) -> None:
        ls.shut_down = True
        ls.core.shutdown(wait=False, cancel_futures=True)  # no new core work; a running call is left behind
        ls.planner.shutdown(wait=False, cancel_futures=True)
        ls.indexer.shutdown(wait=False, cancel_futures=True)
        if ls.plan_process is not None:
            ls.plan_process.shutdown(wait=False, cancel_futures=True)

    @server.feature(types.EXIT)
    def exit_(ls: FlagServer, params: object) -> None:
        _end(0 if ls.shut_down else 1)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: FlagServer, params: types.DidOpenTextDocumentParams) -> None:
        schedule(params.text_document.uri)  # this document's diagnostics come from it alone
        found = await ls.call(ls.document, params.text_document.uri)
        if found is not None and found[2].last_scan is None and not found[2].indexing:
            await build_index(found[2])

    async def build_index(project: Project) -> None:
        """The project-wide index (references, hovers' counts, workspace actions), built on the
        index thread while the server answers; reported with `$/progress` where the client can."""
        run = await server.call(project.index_later)
        loop = asyncio.get_running_loop()
        report = await _progress(server, loop, f"flaglint: indexing {project.root.name}")
        try:
            built, result = await loop.run_in_executor(server.indexer, run, report)
        except Exception:  # a defect must not end the server: say so in the log, answer without the index
            log.exception("indexing %s failed", project.root)
            project.indexing = False
            return
        finally:
            if report is not None:
                report(-1, -1)
        await server.call(project.adopt_index, built, result)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="flaglint", inter_file_dependencies=True, workspace_diagnostics=False),
    )
    async def pull(ls: FlagServer, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        """Pull diagnostics (LSP 3.17), for clients that ask rather than listen."""
        uri = params.text_document.uri
        text = ls.workspace.get_text_document(uri).source
        found = await ls.call(ls.lint, uri, text)
        return types.RelatedFullDocumentDiagnosticReport(items=found or [])

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FlagServer, params: types.DidChangeTextDocumentParams) -> None:
        schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: FlagServer, params: types.DidSaveTextDocumentParams) -> None:
        if await ls.call(ls.reload_if_changed):
            relint_all()
            return
        found = await ls.call(ls.document, params.text_document.uri)
        if found is not None:
            await ls.call(found[2].refresh)  # constants may have moved: other documents' keys too
            relint_all()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: FlagServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = uris.to_fs_path(uri)
        ls.included.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        if path is not None:
            project = await ls.call(ls.project_of, Path(path))
            if project is not None:
                await ls.call(project.forget_text, Path(path))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched(ls: FlagServer, params: types.DidChangeWatchedFilesParams) -> None:
        if await ls.call(ls.reload_if_changed):
            relint_all()

    # --- hover, definition, references, completion ---

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: FlagServer, params: types.HoverParams) -> types.Hover | None:
        return await ls.call(hover_at, params.text_document.uri, params.position)

    def hover_at(uri: str, position: types.Position) -> types.Hover | None:
        found = server.ref_at(uri, position)
        if found is None:
            return None
        ref, project, doc = found
        where = server.client_range(ref.span, doc.lines)
        if ref.key is None:
            text = f"dynamic flag key `{ref.key_text}`: flaglint cannot tell which flag this is"
            return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=where)
        snapshot = project.registry()
        flag = snapshot.get(ref.key) if snapshot else None
        text = hover_text(project, ref.key, flag)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=where)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: FlagServer, params: types.DefinitionParams) -> list[types.Location] | None:
        return await ls.call(definition_at, params.text_document.uri, params.position)

    def definition_at(uri: str, position: types.Position) -> list[types.Location] | None:
        found = server.ref_at(uri, position)
        if found is None or found[0].key is None:
            return None
        ref, project, _ = found
        return [site_location(project, site) for site in project.definitions(ref)] or None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def references(ls: FlagServer, params: types.ReferenceParams) -> list[types.Location] | None:
        return await ls.call(references_at, params)

    def references_at(params: types.ReferenceParams) -> list[types.Location] | None:
        found = server.ref_at(params.text_document.uri, params.position)
        if found is None or found[0].key is None:
            return None
        ref, project, _ = found
        places = []
        texts: dict[str, Sequence[str]] = {}
        for other in project.references(ref.key):
            if other.path not in texts:
                texts[other.path] = lines_of(server, project, other.path)
            where = server.client_range(other.span, texts[other.path])
            places.append(types.Location(uri=file_uri(project, other.path), range=where))
        if params.context.include_declaration:
            places += [site_location(project, site) for site in project.definitions(ref)]
        return places

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=['"', "'", "-", "_", "."])
    )
    async def completion(ls: FlagServer, params: types.CompletionParams) -> types.CompletionList | None:
        return await ls.call(complete_at, params.text_document.uri, params.position)

    def complete_at(uri: str, position: types.Position) -> types.CompletionList | None:
        found = server.document(uri)
        if found is None:
            return None
        doc, _, project = found
        at = doc.position_from_client_units(position)
        lines = doc.lines
        if at.line >= len(lines):
            return None
        prefix = "".join(lines[max(0, at.line - _CONTEXT_LINES) : at.line]) + lines[at.line][: at.character]
        typed = key_being_typed(prefix, project.workspace.patterns)
        snapshot = project.registry() if typed else None
        if typed is None or snapshot is None:
            return None
        start = ServerTextPosition(at.line, at.character - len(typed.typed))
        replace = doc.range_to_client_units(ServerTextRange(start, at))
        flags = [
            f
            for f in snapshot.flags
            if f.key.startswith(typed.typed) and any(p.key_matches(f.key) for p in typed.patterns)
        ]
        flags.sort(key=lambda f: (f.state.value == "archived", f.key))
        items = [
            types.CompletionItem(
                label=f.key,
                kind=types.CompletionItemKind.Constant,
                detail=f"{f.type.value} flag, {f.state.value}" + (f", {f.owner}" if f.owner else ""),
                documentation=f.description or None,
                text_edit=types.TextEdit(range=replace, new_text=f.key),
                sort_text=f"{int(f.state.value == 'archived')}{f.key}",
            )
            for f in flags[:_COMPLETIONS]
        ]
        return types.CompletionList(is_incomplete=len(flags) > _COMPLETIONS, items=items)

    # --- code actions ---
    # The core thread reads the session (the document, its findings) and takes what a plan needs;
    # the plan itself runs on the planner thread, so diagnostics keep coming while it runs. One
    # plan per document version and flag serves the safe action, the unsafe one and their resolves.

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=True),
    )
    async def code_action(ls: FlagServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        offers = await ls.call(offers_at, params)
        if offers is None:
            return None
        actions: list[types.CodeAction] = []
        uri = params.text_document.uri
        for key, value in offers:

            def action(scope: str, unsafe: bool, key: str = key, value: str | None = value) -> types.CodeAction:
                title = f"Remove flag '{key}' ({describe_value(value)})"
                title += " in every file" if scope == "workspace" else ""
                title += ", with unsafe fixes" if unsafe else ""
                return types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[d for d in params.context.diagnostics if is_about(d, key)],
                    is_preferred=scope == "file" and not unsafe,
                    data={"uri": uri, "key": key, "value": value, "scope": scope, "unsafe": unsafe},
                )

            # An action is offered only when it changes something, and the unsafe one only when
            # it does more than the safe one: this file's plan (both applicabilities) says which.
            # A client that resolves actions gets the titles at once: from the plan when it is
            # ready (within `action_deadline`), else all of them; the edits come with the resolve.
            if resolves_edits(server):
                actions += await titles(action, ls.options.action_deadline)
                continue
            plan = await planned(action("file", False), ls.options.plan_deadline)
            if plan is None and await ls.call(server.document, uri) is not None:
                # still planning: say so, and the next request (same version) finds the plan made
                why = types.CodeActionDisabled(reason="still planning the removal: ask again in a moment")
                actions.append(attrs.evolve(action("file", False), disabled=why))
                continue
            safe = with_edit(action("file", False), plan)
            unsafe = with_edit(action("file", True), plan, unsafe=True)
            if safe.edit is not None or (safe.disabled is not None and unsafe.edit is None):
                actions.append(safe)  # a disabled one says why, when nothing else is offered
            if unsafe.edit is not None and unsafe.edit != safe.edit:
                actions.append(unsafe)
            if safe.edit is not None and workspace_edits(server):
                everywhere = action("workspace", False)  # every file: computed when chosen, where the client can
                actions.append(everywhere if resolves_edits(server) else await resolved(everywhere))
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: FlagServer, action: types.CodeAction) -> types.CodeAction:
        return await resolved(action)

    async def titles(action: Callable[[str, bool], types.CodeAction], deadline: float) -> list[types.CodeAction]:
        """The actions of one flag, without their edits, for a client that resolves them."""
        safe = action("file", False)
        planning = asyncio.ensure_future(planned(safe))  # goes on for the resolve if not ready now
        done, _ = await asyncio.wait({planning}, timeout=deadline)
        everywhere = [action("workspace", False)] if workspace_edits(server) else []
        if not done or planning.cancelled() or planning.exception() is not None or planning.result() is None:
            return [safe, action("file", True), *everywhere]  # the resolve says what came of it
        step, project, path = planning.result()  # type: ignore[misc]
        rel = project.config.relative(path.resolve())
        if step.refused or any(p.path == rel for p in step.problems):
            unsafe = step.with_unsafe
            if unsafe is not None and not unsafe.refused and any(e.path == rel for e in unsafe.edits):
                return [action("file", True)]
            return [await resolved(safe)]  # disabled, saying why
        mine = {e.after for e in step.edits if e.path == rel}
        offered = [safe] if mine else []
        more = {e.after for e in step.with_unsafe.edits if e.path == rel} if step.with_unsafe else mine
        if more and more != mine:  # the unsafe fixes change this file further
            offered.append(action("file", True))
        return [*offered, *everywhere] if offered and offered[0] is safe else offered

    async def resolved(action: types.CodeAction) -> types.CodeAction:
        data = action.data or {}
        plan = await planned(action)
        done = with_edit(action, plan, unsafe=bool(data.get("unsafe")))
        if plan is not None and data.get("unsafe") and plan[0].with_unsafe is None and done.disabled is None:
            reason = "no unsafe fix applies here: the removal without unsafe fixes does the same"
            return attrs.evolve(done, edit=None, disabled=types.CodeActionDisabled(reason=reason))
        if plan is not None and done.edit is None and done.disabled is None:
            return attrs.evolve(done, disabled=types.CodeActionDisabled(reason="nothing to change here"))
        return done

    def offers_at(params: types.CodeActionParams) -> list[tuple[str, str | None]] | None:
        """The removable flags of the findings in the range, with the value each keeps."""
        uri = params.text_document.uri
        found = server.document(uri)
        if found is None:
            return None
        doc, path, project = found
        scan = project.scan_text(path, doc.source)
        if scan.problems:
            return None
        wanted = doc.range_from_client_units(params.range)
        first, last = wanted.start.line + 1, wanted.end.line + 1
        removable = [
            f
            for f in project.findings_for(scan.refs)
            if f.code in REMOVABLE and f.span.line <= last and f.span.end_line >= first
        ]
        return list(project.retire_values(removable).items())

    async def planned(action: types.CodeAction, deadline: float | None = None) -> Planned | None:
        """The plan an action stands for (both applicabilities), made once per document version
        on the planner thread; a cancelled request leaves it to finish for the next one. With a
        `deadline` (seconds), None when it is not ready by then (it goes on for the resolve)."""
        prepared = await server.call(prepare_plan, action)
        if prepared is None:
            return None
        key, job, project, path = prepared
        future = server.plans.get(key)
        if future is None:
            if job is None:
                return None
            future = server.plans[key] = asyncio.ensure_future(plan_somewhere(job))
            for stale in [k for k in server.plans if k[0] == key[0] and k[1] != key[1]]:
                # an older version of the document: its plans are moot; one still queued is
                # dropped (one already running in the planning process ends on its own)
                server.plans.pop(stale).cancel()
        try:
            step = await asyncio.wait_for(asyncio.shield(future), deadline)
        except asyncio.TimeoutError:
            return None
        return step, project, path

    async def plan_somewhere(job: lsp_planner.PlanJob) -> Step:
        """A plan in the planning process; on this process's planner thread when that process
        cannot be had (it died, or the platform cannot spawn), and a new one is started."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(planning_process(), lsp_planner.run, job)
        except BrokenProcessPool:
            log.warning("the planning process ended; planning here, and starting a new one")
            server.plan_process = None
        return await loop.run_in_executor(server.planner, lsp_planner.run, job)

    def prepare_plan(
        action: types.CodeAction,
    ) -> tuple[tuple[object, ...], lsp_planner.PlanJob | None, Project, Path] | None:
        """(cache key, the plan to run when not cached, the session, the document's path) of an
        action, taken on the core thread."""
        data = action.data or {}
        uri = data["uri"]
        found = server.document(uri)
        if found is None:
            return None
        doc, path, project = found
        texts = {project.config.relative(path): doc.source}
        versions: tuple[tuple[str, int | None], ...] = ((uri, doc.version),)
        if data["scope"] == "workspace":
            for other in list(server.workspace.text_documents.values()):
                other_path = uris.to_fs_path(other.uri)
                if other_path and other_path.endswith(".py") and other.uri != uri:
                    texts[project.config.relative(Path(other_path).resolve())] = other.source
                    versions += ((other.uri, other.version),)
        key = (uri, doc.version, data["key"], data["value"], data["scope"], versions)
        if key in server.plans:
            return key, None, project, path
        only = None if data["scope"] == "workspace" else project.config.relative(path.resolve())
        overlay = tuple((rel, encoded(text)) for rel, text in texts.items())
        job = lsp_planner.PlanJob(project.config, ((data["key"], data["value"]),), overlay, only, project.use_cache)
        return key, job, project, path

    def with_edit(action: types.CodeAction, planned: Planned | None, unsafe: bool = False) -> types.CodeAction:
        """The action with the workspace edit of its plan (or disabled, saying why): built from
        what the core thread took for the plan, so no core call waits behind another plan."""
        if planned is None:
            return action
        step, project, path = planned
        step = (step.with_unsafe or step) if unsafe else step
        data = action.data if isinstance(action.data, dict) else {}
        only = None if data.get("scope") == "workspace" else project.config.relative(path.resolve())
        edits = [e for e in step.edits if only is None or e.path == only]
        problems = [p for p in step.problems if only is None or p.path == only]
        if problems:
            return attrs.evolve(action, disabled=types.CodeActionDisabled(reason=str(problems[0])))
        if step.refused:  # all or nothing: a flag that cannot be retired whole gets no edit
            key, why = step.refused[0]
            return attrs.evolve(action, disabled=types.CodeActionDisabled(reason=f"not retired: {key} ({why})"))
        if not edits:
            return action
        changes = []
        for edit in edits:
            target = file_uri(project, edit.path)
            open_doc = server.workspace.text_documents.get(target)
            changes.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=target, version=open_doc.version if open_doc else None
                    ),
                    edits=text_edits(server, edit.before.decode(edit.encoding), edit.after.decode(edit.encoding)),
                )
            )
        if document_changes(server):
            workspace_edit = types.WorkspaceEdit(document_changes=changes)
        else:
            plain = {c.text_document.uri: [e for e in c.edits if isinstance(e, types.TextEdit)] for c in changes}
            workspace_edit = types.WorkspaceEdit(changes=plain)
        return attrs.evolve(action, edit=workspace_edit)

    return server


def _with_settings(options: Options, given: dict[str, Any], tell: Callable[[str], None]) -> Options:
    """`Options` with the editor's `initializationOptions` (`config`, `registry`: paths; `today`:
    a date; `online`: a boolean) where the command line left them unset; a bad one is said once."""
    changes: dict[str, Any] = {}
    for name, field in (("config", "config_path"), ("registry", "registry_path")):
        value = given.get(name)
        if isinstance(value, str) and value and getattr(options, field) is None:
            path = Path(value).expanduser()
            if path.is_file():
                changes[field] = path.resolve()
            else:
                tell(f"initializationOptions.{name}: {value}: no such file")
    if isinstance(given.get("today"), str) and options.today is None:
        try:
            changes["today"] = dt.date.fromisoformat(given["today"])
        except ValueError:
            tell(f"initializationOptions.today: {given['today']!r} is not a date (YYYY-MM-DD)")
    if given.get("online") is True:
        changes["offline"] = False
    return dataclasses.replace(options, **changes)


async def _progress(
    server: FlagServer, loop: asyncio.AbstractEventLoop, title: str
) -> Callable[[int, int], None] | None:
    """A progress callback for work on another thread, shown with `$/progress` when the client
    can (`window.workDoneProgress`); (-1, -1) ends it. None when the client cannot show it."""
    if not client_capability(server, "window", "work_done_progress"):
        return None
    token = f"flaglint-{id(title)}-{loop.time()}"
    try:
        await server.work_done_progress.create_async(token)
    except Exception:  # the client refused the token: work on without progress
        return None
    server.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, percentage=0))
    shown = [-1]

    def report(done: int, total: int) -> None:
        if done < 0:
            loop.call_soon_threadsafe(server.work_done_progress.end, token, types.WorkDoneProgressEnd())
            return
        percentage = int(100 * done / max(total, 1))
        if percentage != shown[0]:
            shown[0] = percentage
            update = types.WorkDoneProgressReport(message=f"{done}/{total} files", percentage=percentage)
            loop.call_soon_threadsafe(server.work_done_progress.report, token, update)

    return report


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process of that number: it exists
        return True
    return True


def _end(code: int) -> None:
    """End the process now: a core call still running (a long plan) must not keep a server the
    editor asked to stop, or one whose editor is gone, alive. Nothing is left to write."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def serve(options: Options, tcp: int | None = None) -> int:
    """Run the server on stdin/stdout, or on 127.0.0.1:`tcp`; the exit code (0 after `shutdown`
    and `exit`; 1 when the client went away without them)."""
    server = build_server(options)
    # The protocol reader is a thread too: let it take the interpreter from a running lint within
    # half a millisecond, not the default 5 ms per hand-over, so typing never queues up.
    sys.setswitchinterval(0.0005)
    try:
        if tcp is None:
            server.start_io()
        else:
            server.start_tcp("127.0.0.1", tcp)
    finally:
        server.core.shutdown(wait=False, cancel_futures=True)
        server.planner.shutdown(wait=False, cancel_futures=True)
        if server.plan_process is not None:
            server.plan_process.shutdown(wait=False, cancel_futures=True)
        server.indexer.shutdown(wait=False, cancel_futures=True)
    _end(0 if server.shut_down else 1)  # stdin closed: the client is gone
    return 1
