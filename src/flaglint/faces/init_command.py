"""`flaglint init`: propose the `[tool.flaglint]` that describes a project's flags, printed or
written into its pyproject.toml (never over settings already there without showing the diff)."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from flaglint.faces.cli import EXIT_FINDINGS, Common, _open, common_options, handle_errors
from flaglint.fix.write import write_atomic
from flaglint.infer.propose import propose
from flaglint.infer.render import has_settings, merged, render, summary


@click.command("init")
@common_options
@click.option("--write", is_flag=True, help="Write the proposal into pyproject.toml (see --force).")
@click.option("--force", is_flag=True, help="With --write: replace [tool.flaglint] settings that are already there.")
@handle_errors
def init(common: Common, write: bool, force: bool) -> None:
    """Read the project (never importing or running it) and propose its [tool.flaglint]: the SDKs it
    uses, its own flag wrappers and test helpers, its lists of flags and registry files, each
    checked by a scan before it is proposed."""
    project = _open(common)
    proposal = propose(project.config, jobs=common.jobs)
    text = render(proposal)
    click.echo(summary(proposal), err=True)
    if not write:
        click.echo(text, nl=False)
        return
    target = project.root / "pyproject.toml"
    try:
        existing = target.read_text(encoding="utf-8") if target.exists() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{target}: cannot read: {exc}") from None
    new = merged(existing, text)
    if has_settings(existing) and not force:
        diff = difflib.unified_diff(
            (existing or "").splitlines(True), new.splitlines(True), "pyproject.toml", "pyproject.toml (proposed)"
        )
        click.echo("".join(diff), nl=False)
        click.echo(
            "flaglint init: pyproject.toml already has [tool.flaglint] settings; nothing written. "
            "The diff above is what `flaglint init --write --force` writes.",
            err=True,
        )
        raise SystemExit(EXIT_FINDINGS)
    _write(target, new)
    click.echo(f"flaglint init: wrote the proposal into {_shown(target)}", err=True)


def _write(target: Path, text: str) -> None:
    try:
        write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        raise click.ClickException(f"{target}: cannot write: {exc.strerror}") from None


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
