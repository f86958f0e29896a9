"""Flag registries. A source turns into a Snapshot of Flag records; the policy never sees more.

Built in: the local `flags.toml` (`flags_toml`). Other sources (servers, exports) implement
`RegistrySource`. This module combines the configured sources, with the stored snapshot for
offline use.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flaglint.engine.config import Config, SourceSpec
from flaglint.model import Flag, Problem, Snapshot
from flaglint.registry.flags_toml import FlagsToml
from flaglint.registry.sources import RegistryError, RegistrySource, SourceError, read_json

if TYPE_CHECKING:
    from flaglint.registry.unleash import UnleashSettings

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass


__all__ = ["RegistryError", "RegistrySource", "SourceError", "load_registry", "pull", "read_json"]

# --- several sources, snapshot and offline use -------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """The combined registry and what the user should be told about how it was obtained."""

    snapshot: Snapshot | None
    notes: tuple[str, ...] = ()


def unleash_settings(spec: SourceSpec) -> UnleashSettings:
    """A `[registry.unleash]` table as the client's settings."""
    from flaglint.registry.unleash import UnleashSettings

    timeout = float(spec.option("timeout", 10))
    return UnleashSettings(
        url=spec.option("url"),
        projects=tuple(spec.option("projects", ["default"])),
        production=tuple(spec.option("production", ["production"])),
        token_env=spec.option("token-env", "UNLEASH_TOKEN"),
        connect_timeout=min(timeout, 3.0),
        read_timeout=timeout,
        retries=int(spec.option("retries", 3)),
    )


def _source(spec: SourceSpec, config: Config, environ: Mapping[str, str]) -> RegistrySource:
    from flaglint.registry.flagd import FlagdFile
    from flaglint.registry.unleash import UnleashExportFile, UnleashSource

    if spec.kind == "unleash":
        return UnleashSource(unleash_settings(spec), environ)
    if spec.kind == "code":
        from flaglint.registry.code import CodeDeclarations, Declaration

        found = [Declaration(config.root / file, name) for file, name in config.declarations]
        return CodeDeclarations(found, config.relative)
    path = Path(spec.option("path", ""))
    display = config.relative(path)
    if spec.kind == "unleash-export":
        return UnleashExportFile(path, spec.option("production", ["production"]), display)
    if spec.kind == "flagd":
        return FlagdFile(path, display)
    return _plugin(spec, config)


def _plugin(spec: SourceSpec, config: Config) -> RegistrySource:
    """A source from the `flaglint.registries` entry point group: factory(options, root)."""
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="flaglint.registries") if ep.name == spec.name]
    if not found:
        known = sorted(ep.name for ep in entry_points(group="flaglint.registries"))
        raise RegistryError(
            [Problem("registry", 0, 0, f"no registry plugin {spec.name!r} (installed: {known or 'none'})")]
        )
    try:
        return found[0].load()(dict(spec.options), config.root)
    except Exception as exc:  # a third-party plugin may fail in any way: one line, not a traceback
        raise RegistryError([Problem("registry", 0, 0, f"plugin {spec.name!r} failed to start: {exc}")]) from None


def _age(fetched: dt.datetime | None, now: dt.datetime) -> str:
    if fetched is None:
        return "of unknown age"
    hours = (now - fetched).total_seconds() / 3600
    return (
        f"{hours * 60:.0f} minutes old"
        if hours < 1
        else f"{hours:.1f} hours old"
        if hours < 48
        else f"{hours / 24:.0f} days old"
    )


def load_registry(
    config: Config,
    environ: Mapping[str, str],
    *,
    offline: bool = False,
    now: dt.datetime | None = None,
    use_cache: bool = True,
) -> Loaded:
    """Every configured source, combined (the first source that knows a key wins: flags.toml,
    then the others in config order). A server that cannot be reached, or `offline`, falls back
    to the stored snapshot of that source, with a note saying how old it is.
    """
    from flaglint.registry import snapshot

    now = now or dt.datetime.now(dt.timezone.utc)
    parts: list[Snapshot] = []
    notes: list[str] = []
    if config.registry_path is not None and (config.registry_path.exists() or config.registry_required):
        cache = config.cache_path if use_cache else None
        parts.append(FlagsToml(config.registry_path, config.relative(config.registry_path), cache).load())
    stored: dict[str, Snapshot] | None = None
    for spec in config.sources:
        source = _source(spec, config, environ)
        networked = spec.kind == "unleash"
        try:
            if networked and offline:
                raise SourceError(f"{source.name}: offline", unreachable=True)
            parts.append(source.load())
        except SourceError as exc:
            if not (networked and exc.unreachable):
                raise RegistryError([Problem("registry", 0, 0, str(exc))]) from None
            stored = snapshot.load(config.snapshot_path) if stored is None else stored
            if source.name not in stored:
                hint = "" if offline else f" ({exc})"
                raise RegistryError(
                    [Problem("registry", 0, 0, f"{source.name} is not reachable and no snapshot was pulled{hint}")]
                ) from None
            kept = stored[source.name]
            why = "offline" if offline else "the server is not reachable"
            notes.append(f"{why}: using the registry snapshot of {source.name}, {_age(kept.fetched_at, now)}")
            parts.append(kept)
    if not parts:
        return Loaded(None, tuple(notes))
    return Loaded(combine(parts), tuple(notes))


def combine(parts: Sequence[Snapshot]) -> Snapshot:
    """One snapshot of every source's flags, sorted by key; the first source to name a key wins."""
    if len(parts) == 1:
        keys = [flag.key for flag in parts[0].flags]
        if all(a < b for a, b in itertools.pairwise(keys)):  # sorted, no key twice: already the answer
            return parts[0]
    flags: dict[str, Flag] = {}
    for part in parts:
        for flag in part.flags:
            flags.setdefault(flag.key, flag)
    fetched = [p.fetched_at for p in parts if p.fetched_at]
    return Snapshot(
        tuple(sorted(flags.values(), key=lambda f: f.key)),
        source=", ".join(p.source for p in parts),
        fetched_at=min(fetched) if fetched else None,
    )


def pull(config: Config, environ: Mapping[str, str]) -> dict[str, Snapshot]:
    """Fetch every source that is not a local file and store them as the snapshot; nothing is
    written unless all of them answer.
    """
    from flaglint.registry import snapshot

    fetched: dict[str, Snapshot] = {}
    for spec in config.sources:
        source = _source(spec, config, environ)
        try:
            fetched[source.name] = source.load()
        except SourceError as exc:
            raise RegistryError([Problem("registry", 0, 0, str(exc))]) from None
    try:
        snapshot.save(config.snapshot_path, fetched)
    except OSError as exc:
        where = config.relative(config.snapshot_path)
        raise RegistryError([Problem(where, 0, 0, f"cannot store the snapshot: {exc.strerror}")]) from None
    return fetched
