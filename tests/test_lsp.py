"""The language server end to end: `flaglint lsp` in a subprocess, driven by pytest-lsp's client
with the recorded capabilities of real editors (Neovim, VS Code). One server per capability set
and module; every wait is bounded, so a dead server fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls import uris
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]  # real server subprocesses
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TODAY = "2026-11-23"
WAIT = 20.0  # seconds any answer may take before the test fails


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lsp") / "demo-shop"
    shutil.copytree(FIXTURES / "demo-shop", root)
    return root


def _published(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.versions[params.uri] = params.version  # type: ignore[attr-defined]


def _client() -> LanguageClient:
    """pytest-lsp's client, also remembering which version each publishDiagnostics was for."""
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _published
    register_lsp_features(client, features)
    client.versions = {}  # type: ignore[attr-defined]
    return client


def _server(today: str = TODAY) -> ClientServerConfig:
    # the quick fixes' lists are asserted exactly: wait for each plan (the deadline has its own test)
    command = [sys.executable, "-m", "flaglint", "lsp", "--today", today, "--poll", "0.2", "--action-deadline", "30"]
    return ClientServerConfig(server_command=command, client_factory=_client)


@pytest_lsp.fixture(scope="module", config=_server(), params=["neovim@v0.7.0", "visual_studio_code"])
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, shop: Path) -> AsyncIterator[None]:
    params = types.InitializeParams(
        capabilities=client_capabilities(request.param),
        root_uri=uris.from_fs_path(str(shop)),
        workspace_folders=[types.WorkspaceFolder(uri=uris.from_fs_path(str(shop)) or "", name="demo-shop")],
    )
    await asyncio.wait_for(lsp_client.initialize_session(params), WAIT)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


def uri_of(path: Path) -> str:
    return uris.from_fs_path(str(path)) or ""


async def open_doc(client: LanguageClient, path: Path, text: str | None = None, *, parses: bool = True) -> str:
    uri = uri_of(path)
    text = path.read_text() if text is None else text
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    if parses:  # text that does not parse gets no diagnostics until it does
        await diagnostics_for(client, uri, version=1)
    return uri


async def diagnostics_for(client: LanguageClient, uri: str, version: int | None = None) -> list[types.Diagnostic]:
    """The diagnostics of `uri` once they are published (for `version`, when given)."""

    async def wait() -> list[types.Diagnostic]:
        while True:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if uri in client.diagnostics and (version is None or client.versions.get(uri) == version):  # type: ignore[attr-defined]
                return list(client.diagnostics[uri])

    if uri in client.diagnostics and (version is None or client.versions.get(uri) == version):  # type: ignore[attr-defined]
        return list(client.diagnostics[uri])
    return await asyncio.wait_for(wait(), WAIT)


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def close(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


def check_lines(shop: Path, rel: str, *args: str) -> list[str]:
    """`flaglint check` on one file: what the editor's diagnostics must say."""
    done = subprocess.run(
        [sys.executable, "-m", "flaglint", "check", "--today", TODAY, *args, rel],
        cwd=shop,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.splitlines()


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP text edits (ASCII text, so UTF-16 columns are characters)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        return starts[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def edits_by_uri(edit: types.WorkspaceEdit) -> dict[str, list[types.TextEdit]]:
    if edit.document_changes:
        changes = [c for c in edit.document_changes if isinstance(c, types.TextDocumentEdit)]
        return {c.text_document.uri: [e for e in c.edits if isinstance(e, types.TextEdit)] for c in changes}
    return {uri: list(edits) for uri, edits in (edit.changes or {}).items()}


async def code_actions(
    client: LanguageClient, uri: str, line: int, diagnostics: Sequence[types.Diagnostic] = ()
) -> list[types.CodeAction]:
    """The code actions offered at the start of `line`."""
    at = types.Position(line=line, character=0)
    found = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=at, end=at),
                context=types.CodeActionContext(diagnostics=list(diagnostics)),
            )
        ),
        WAIT,
    )
    return [a for a in found or [] if isinstance(a, types.CodeAction)]


def as_line(diagnostic: types.Diagnostic, rel: str) -> str:
    start = diagnostic.range.start
    return f"{rel}:{start.line + 1}:{start.character + 1}: {diagnostic.code} {diagnostic.message}"


async def test_diagnostics_say_what_check_says(client: LanguageClient, shop: Path) -> None:
    expected = [line.removesuffix(" [fixable]") for line in check_lines(shop, "shop")]
    for rel in ("shop/checkout.py", "shop/account.py", "shop/views.py", "shop/pricing.py"):
        uri = await open_doc(client, shop / rel)
        got = client.diagnostics[uri]
        assert {d.source for d in got} == {"flaglint"}
        assert sorted(as_line(d, rel) for d in got) == sorted(line for line in expected if line.startswith(rel))
        close(client, uri)


async def test_unsaved_text_is_checked_and_fixed_code_clears(client: LanguageClient, shop: Path) -> None:
    path = shop / "shop" / "checkout.py"
    text = path.read_text()
    uri = await open_doc(client, path)
    assert {d.code for d in client.diagnostics[uri]} == {"FL003", "FL006"}
    # Half-typed code that does not parse keeps the last good diagnostics.
    change(client, uri, 2, text + "\ndef broken(:\n")
    await asyncio.sleep(0.5)
    assert {d.code for d in client.diagnostics[uri]} == {"FL003", "FL006"}
    # The check is gone from the buffer (not the disk): the diagnostics go too.
    fixed = text.replace('unleash.is_enabled(NEW_CHECKOUT, {"userId": user_id})', "True")
    change(client, uri, 3, fixed)
    assert await diagnostics_for(client, uri, version=3) == []
    # A key typed wrong gets the did-you-mean, at the typed place.
    typo = text.replace("NEW_CHECKOUT, {", '"new-chekout", {')
    change(client, uri, 4, typo)
    (found,) = await diagnostics_for(client, uri, version=4)
    assert found.code == "FL001"
    assert "did you mean 'new-checkout'" in found.message
    assert found.range.start.line == 10
    close(client, uri)


async def test_excluded_files_get_no_diagnostics(client: LanguageClient, shop: Path) -> None:
    migration = shop / "migrations" / "0001_flags.py"
    migration.parent.mkdir(exist_ok=True)
    migration.write_text((shop / "shop" / "checkout.py").read_text())
    uri = await open_doc(client, migration)
    assert list(client.diagnostics[uri]) == []
    close(client, uri)


async def test_hover_tells_the_flags_story(client: LanguageClient, shop: Path) -> None:
    path = shop / "shop" / "checkout.py"
    uri = await open_doc(client, path)
    line = path.read_text().splitlines().index('    if unleash.is_enabled(NEW_CHECKOUT, {"userId": user_id}):')
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=30)
            )
        ),
        WAIT,
    )
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "`new-checkout`" in text
    assert "release flag, owner team-payments" in text
    assert "**rolled-out**: on for everyone in production" in text
    assert "created 2026-01-05" in text
    assert "remove by 2026-03-01" in text
    assert "1 reference in 1 file" in text
    assert "One-page checkout" in text
    assert hover.range is not None
    assert hover.range.start.line == line
    # Nothing to say away from a flag reference.
    away = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)
        )
    )
    assert away is None
    close(client, uri)


async def test_code_action_edit_is_what_clean_writes(client: LanguageClient, shop: Path, tmp_path: Path) -> None:
    path = shop / "shop" / "checkout.py"
    text = path.read_text()
    uri = await open_doc(client, path)
    diagnostics = client.diagnostics[uri]
    line = next(d.range.start.line for d in diagnostics if d.code == "FL003")
    actions = await code_actions(client, uri, line, diagnostics)
    assert actions
    titles = [a.title for a in actions]
    assert "Remove flag 'new-checkout' (always on)" in titles
    action = next(a for a in actions if a.title == "Remove flag 'new-checkout' (always on)")
    assert isinstance(action, types.CodeAction)
    assert action.kind == types.CodeActionKind.QuickFix
    if action.edit is None:  # the client resolves lazily (VS Code)
        action = await asyncio.wait_for(client.code_action_resolve_async(action), WAIT)
    assert action.edit is not None
    edits = edits_by_uri(action.edit)
    assert list(edits) == [uri]
    after = apply_edits(text, edits[uri])
    # The same removal by the CLI, on a copy of the project.
    copy = tmp_path / "shop-copy"
    shutil.copytree(shop, copy, ignore=shutil.ignore_patterns(".flaglint_cache", "migrations"))
    subprocess.run(
        [sys.executable, "-m", "flaglint", "clean", "--flag", "new-checkout=on", "--allow-dirty", "shop/checkout.py"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    assert after == (copy / "shop" / "checkout.py").read_text()
    assert "is_enabled" not in after
    close(client, uri)


async def test_workspace_wide_removal_edits_every_file(client: LanguageClient, shop: Path, tmp_path: Path) -> None:
    path = shop / "shop" / "views.py"
    uri = await open_doc(client, path)
    gift = next(d for d in client.diagnostics[uri] if d.code == "FL003")
    actions = await code_actions(client, uri, gift.range.start.line, [gift])
    everywhere = [a for a in actions if a.title.endswith("in every file")]
    assert [a.title for a in everywhere] == ["Remove flag 'ENABLE_GIFT_CARDS' (always on) in every file"]
    action = everywhere[0]
    if action.edit is None:
        action = await asyncio.wait_for(client.code_action_resolve_async(action), WAIT)
    assert action.edit is not None
    edits = edits_by_uri(action.edit)
    copy = tmp_path / "shop-copy"
    shutil.copytree(shop, copy, ignore=shutil.ignore_patterns(".flaglint_cache", "migrations"))
    subprocess.run(
        [sys.executable, "-m", "flaglint", "clean", "--flag", "ENABLE_GIFT_CARDS=on", "--allow-dirty"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    changed = {
        str(p.relative_to(copy))
        for p in copy.rglob("*.py")
        if p.read_text() != (shop / p.relative_to(copy)).read_text()
    }
    assert {str(Path(uris.to_fs_path(u) or "").relative_to(shop)) for u in edits} == changed
    for target, target_edits in edits.items():
        rel = Path(uris.to_fs_path(target) or "").relative_to(shop)
        assert apply_edits((shop / rel).read_text(), target_edits) == (copy / rel).read_text()
    close(client, uri)


async def test_completion_offers_registry_keys_in_the_key_argument(client: LanguageClient, shop: Path) -> None:
    path = shop / "shop" / "checkout.py"
    text = path.read_text() + '\n\ndef typing(unleash: Any) -> bool:\n    return unleash.is_enabled("new-\n'
    uri = await open_doc(client, path, text, parses=False)
    line = len(text.splitlines()) - 1
    column = len(text.splitlines()[-1])
    result = await asyncio.wait_for(
        client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=column),
            )
        ),
        WAIT,
    )
    assert isinstance(result, types.CompletionList)
    labels = [item.label for item in result.items]
    assert labels == ["new-checkout"]
    item = result.items[0]
    assert item.detail == "release flag, rolled-out, team-payments"
    assert item.text_edit is not None
    assert item.text_edit.range.start == types.Position(line=line, character=column - len("new-"))  # type: ignore[union-attr]
    # Outside a key argument: nothing.
    outside = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=3)
        )
    )
    assert outside is None
    close(client, uri)


async def test_definition_and_references(client: LanguageClient, shop: Path) -> None:
    path = shop / "shop" / "checkout.py"
    uri = await open_doc(client, path)
    line = path.read_text().splitlines().index('    if unleash.is_enabled(NEW_CHECKOUT, {"userId": user_id}):')
    document = types.TextDocumentIdentifier(uri=uri)
    position = types.Position(line=line, character=30)
    found = await asyncio.wait_for(
        client.text_document_definition_async(types.DefinitionParams(text_document=document, position=position)), WAIT
    )
    assert isinstance(found, list)
    places = [(Path(uris.to_fs_path(f.uri) or "").relative_to(shop).as_posix(), f.range.start.line + 1) for f in found]
    flags_toml = (shop / "flags.toml").read_text().splitlines()
    constants = (shop / "shop" / "flags.py").read_text().splitlines()
    assert places == [
        ("shop/flags.py", constants.index('NEW_CHECKOUT = "new-checkout"') + 1),
        ("flags.toml", flags_toml.index("[flags.new-checkout]") + 1),
    ]
    refs = await asyncio.wait_for(
        client.text_document_references_async(
            types.ReferenceParams(
                text_document=document,
                position=position,
                context=types.ReferenceContext(include_declaration=False),
            )
        ),
        WAIT,
    )
    assert refs is not None
    assert [(Path(uris.to_fs_path(r.uri) or "").name, r.range.start.line) for r in refs] == [("checkout.py", line)]
    close(client, uri)


async def test_registry_change_republishes(client: LanguageClient, shop: Path) -> None:
    registry = shop / "flags.toml"
    before = registry.read_text()
    path = shop / "shop" / "search.py"
    uri = await open_doc(client, path)
    assert {d.code for d in client.diagnostics[uri]} == {"FL005"}
    try:
        client.diagnostics.pop(uri)
        registry.write_text(
            before.replace('owner = "team-search"', 'owner = "team-search"\nstale = false', 1).replace(
                'created = 2026-08-01\nstate = "active"', 'created = 2026-11-01\nstate = "archived"', 1
            )
        )
        got = await diagnostics_for(client, uri)
        assert {d.code for d in got} == {"FL002"}
    finally:
        registry.write_text(before)
    client.diagnostics.pop(uri, None)
    assert {d.code for d in await diagnostics_for(client, uri)} == {"FL005"}
    close(client, uri)


async def test_a_fast_typist_gets_the_last_texts_diagnostics(client: LanguageClient, shop: Path) -> None:
    path = shop / "shop" / "checkout.py"
    text = path.read_text()
    uri = await open_doc(client, path)
    pid = client._server.pid if client._server else None
    rss_before = _rss(pid)
    for version in range(2, 1002):
        body = text + f"\n# note {'x' * (version % 50)}\n"
        change(client, uri, version, body if version % 7 else body + "def half(:\n")
    change(client, uri, 1002, text.replace("NEW_CHECKOUT, {", '"dynamic-pricing", {'))
    got = await diagnostics_for(client, uri, version=1002)
    assert {d.code for d in got} == {"FL004"}
    # Still answering at once after the burst.
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=10, character=30)
            )
        ),
        WAIT,
    )
    assert hover is not None
    assert "`dynamic-pricing`" in hover.contents.value  # type: ignore[union-attr]
    rss_after = _rss(pid)
    if rss_before and rss_after:
        assert rss_after - rss_before < 64 * 1024  # kB: the burst leaves nothing behind
    close(client, uri)


def _rss(pid: int | None) -> int | None:
    """Resident memory of a process in kB (Linux), or None."""
    if pid is None or not os.path.exists(f"/proc/{pid}/status"):
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


async def test_unsafe_removal_is_a_separate_action_only_when_it_does_more(client: LanguageClient, shop: Path) -> None:
    checkout = await open_doc(client, shop / "shop" / "checkout.py")
    assert not [a.title for a in await code_actions(client, checkout, 10) if "unsafe" in a.title]
    close(client, checkout)

    path = shop / "shop" / "exports.py"
    text = (
        "from typing import Any\n\nfrom shop.flags import feature_flagged_view\n\n\n"
        '@feature_flagged_view("recs-ml")\ndef export_recs(request: Any) -> tuple[int, str]:\n    return 200, ""\n'
    )
    uri = await open_doc(client, path, text)  # unsaved: the file is not on disk
    assert [d.code for d in client.diagnostics[uri]] == ["FL002"]
    actions = await code_actions(client, uri, 5)
    by_title = {a.title: a for a in actions}
    # The safe removal changes nothing here (a flagged view goes only as an unsafe fix): not offered.
    assert list(by_title) == ["Remove flag 'recs-ml' (always off), with unsafe fixes"]
    unsafe = by_title["Remove flag 'recs-ml' (always off), with unsafe fixes"]
    assert unsafe.is_preferred is False
    if unsafe.edit is None:  # a client that resolves actions gets the edit on resolve
        unsafe = await asyncio.wait_for(client.code_action_resolve_async(unsafe), WAIT)
    assert unsafe.edit is not None
    after = apply_edits(text, edits_by_uri(unsafe.edit)[uri])
    assert "export_recs" not in after
    assert "feature_flagged_view" not in after
    close(client, uri)


async def test_broken_registry_and_settings_are_one_message_and_recover(client: LanguageClient, shop: Path) -> None:
    registry, settings = shop / "flags.toml", shop / "pyproject.toml"
    good_registry, good_settings = registry.read_text(), settings.read_text()
    path = shop / "shop" / "checkout.py"
    uri = await open_doc(client, path)
    assert {d.code for d in client.diagnostics[uri]} == {"FL003", "FL006"}
    try:
        for broken, text in ((registry, "[flags.new-checkout\n"), (settings, "[tool.flaglint\n")):
            client.messages.clear()
            client.diagnostics.pop(uri, None)
            broken.write_text(text)
            assert await diagnostics_for(client, uri) == []
            shown = [m.message for m in client.messages]
            assert len(shown) == 1
            assert shown[0].startswith("flaglint: ")
            assert f"{broken.name}:1" in shown[0]
            assert "Traceback" not in shown[0]
            broken.write_text(good_registry if broken == registry else good_settings)
            client.diagnostics.pop(uri, None)
            assert {d.code for d in await diagnostics_for(client, uri)} == {"FL003", "FL006"}
            # Still answering requests.
            hover = await asyncio.wait_for(
                client.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(line=10, character=30),
                    )
                ),
                WAIT,
            )
            assert hover is not None
    finally:
        registry.write_text(good_registry)
        settings.write_text(good_settings)
    close(client, uri)


async def test_a_flag_object_is_followed_to_where_it_was_made(client: LanguageClient, tmp_path: Path) -> None:
    # An Open edX project beside the workspace: `USE_NEW_PAGE.is_enabled()` in views.py takes its key
    # from `USE_NEW_PAGE = WaffleSwitch("demo.new_page", ...)` in toggles.py.
    root = tmp_path / "edx"
    shutil.copytree(FIXTURES / "edx-toggles", root)
    (root / "flags.toml").write_text('[flags."demo.new_page"]\nstate = "rolled-out"\nvalue = true\n')
    path = root / "app" / "views.py"
    text = path.read_text()
    uri = await open_doc(client, path)
    diagnostics = client.diagnostics[uri]
    assert [(d.code, d.range.start.line + 1) for d in diagnostics] == [("FL003", 8)]
    document = types.TextDocumentIdentifier(uri=uri)
    position = types.Position(line=7, character=12)  # on USE_NEW_PAGE.is_enabled()
    found = await asyncio.wait_for(
        client.text_document_definition_async(types.DefinitionParams(text_document=document, position=position)), WAIT
    )
    assert isinstance(found, list)
    places = [(Path(uris.to_fs_path(f.uri) or "").relative_to(root).as_posix(), f.range.start.line + 1) for f in found]
    assert places == [("app/toggles.py", 10), ("flags.toml", 1)]
    actions = await code_actions(client, uri, 7, diagnostics)
    action = next(a for a in actions if a.title == "Remove flag 'demo.new_page' (always on)")
    assert isinstance(action, types.CodeAction)
    if action.edit is None:  # the client resolves lazily (VS Code)
        action = await asyncio.wait_for(client.code_action_resolve_async(action), WAIT)
    assert action.edit is not None
    after = apply_edits(text, edits_by_uri(action.edit)[uri])
    assert "USE_NEW_PAGE" not in after
    assert '    return "new"\n' in after
    close(client, uri)
