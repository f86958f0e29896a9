"""`flaglint init`'s core: read a project and propose the `[tool.flaglint]` that describes its flags.

It finds the key sets the project defines (keysets.py), the calls that take those keys (calls.py),
the built-in SDKs it uses, settings flags read through a settings object, and registry files that
are present. Every proposed pattern is then verified the way it will be used: the project is
scanned with it, and a pattern whose matches mostly do not resolve to known keys is narrowed (a
method to the receivers seen) or dropped, with the reason. Nothing of the project is imported or
run. Plain data in, plain data out: the face prints or writes it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flaglint.engine.config import Config, SourceSpec
from flaglint.engine.mentions import quiet_parse
from flaglint.engine.patterns import PatternError, custom_rows
from flaglint.engine.workspace import Workspace, discover, module_name
from flaglint.infer.calls import SET_PINS, Callee, Keys, call_sites
from flaglint.infer.holders import holder_candidates
from flaglint.infer.keysets import FLAGGY, KeySet, key_sets_of
from flaglint.infer.proposed import MIN_SITES, Proposed
from flaglint.model import FlagRef, KeySource, ModuleName

_KEEP_RATIO = 0.5  # a pattern whose matches mostly do not name known keys is narrowed or dropped
_PIN_NAME = re.compile(r"override|toggle|enable|disable|activate|set_|with_|pin|flag_on|flag_off", re.I)


@dataclass
class Proposal:
    files: int
    sdks: list[tuple[str, int]] = field(default_factory=list)  # (sdk, checks found)
    declarations: list[tuple[KeySet, int]] = field(default_factory=list)  # (key set, checks naming it)
    patterns: list[Proposed] = field(default_factory=list)
    registries: list[tuple[str, str]] = field(default_factory=list)  # (kind, path)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (pattern, why)
    refs: tuple[FlagRef, ...] = ()  # what a scan with the proposal finds
    src: tuple[str, ...] | None = None  # source roots to propose, when the project's differ
    unread: list[str] = field(default_factory=list)  # files this interpreter cannot parse (newer syntax)


def propose(config: Config, jobs: int | None = None) -> Proposal:
    """The proposal for the project at `config.root` (its own `[tool.flaglint]`, if any, is the
    starting point for files to skip; its patterns are not reused)."""
    base = dataclasses.replace(config, custom_patterns=(), sources=(), sdks=None)
    files, _ = discover(base.root, [base.root], base)
    texts = list(_read(base, files))
    roots = source_roots(files, (text for _, text in texts), base.src)
    if roots != base.src:  # module names (and so keys imported from other modules) follow the roots
        base = dataclasses.replace(base, src=roots)
    trees = [(rel, quiet_parse(text)) for rel, text in texts]
    parsed = [(rel, tree) for rel, tree in trees if tree is not None]
    modules = [(rel, tree, ModuleName(*module_name(rel, base.src))) for rel, tree in parsed]
    registries = _registry_files(base.root)
    literals = _registry_keys(base, registries)
    sets = [s for rel, tree in parsed for s in key_sets_of(rel, tree)]
    keys = _keys(sets, literals)
    builtin = _scan(base, [], jobs)  # what the SDK tables find already is no wrapper's
    taken = {(ref.path, ref.span.line) for ref in builtin}
    callees = call_sites(modules, keys)
    for callee in callees.values():
        callee.sites = [site for site in callee.sites if (site.path, site.line) not in taken]
    candidates = [c for c in (_candidate(callee) for callee in callees.values()) if c is not None]
    candidates += holder_candidates(modules, keys)
    proposal = Proposal(len(files), registries=registries, src=roots if roots != config.src else None)
    proposal.unread = [rel for rel, tree in trees if tree is None]
    known = {k for s in sets for k in s.keys} | literals
    kept = _verify(base, candidates, known, proposal, jobs)
    proposal.patterns = kept
    scan = _scan(base, [p.entry for p in kept], jobs)
    proposal.refs = scan
    found = Counter(ref.sdk for ref in scan if not ref.pattern.startswith("custom."))
    proposal.sdks = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    named = Counter(site.key for callee in callees.values() for site in callee.sites)
    for key_set in sets:
        checks = sum(named[k] for k in key_set.keys)
        if key_set.kind in ("class", "collection") and checks:
            proposal.declarations.append((key_set, checks))
    proposal.declarations.sort(key=lambda item: (-item[1], item[0].declaration))
    return proposal


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)[\w.]*[ \t]+import|import[ \t]+([A-Za-z_]\w*))", re.M)


def source_roots(files: list[str], texts: Iterable[str], given: tuple[str, ...]) -> tuple[str, ...]:
    """The folders module names start from: those given, and every folder below the root that
    holds a package the project's own code imports by its top name (`backend/src` when code says
    `from baserow.core import ...` and `backend/src/baserow/__init__.py` exists)."""
    imported = {a or b for text in texts for a, b in _IMPORT.findall(text)}
    roots: dict[str, None] = dict.fromkeys(given)
    for rel in files:
        parts = rel.split("/")
        if len(parts) >= 3 and parts[-1] == "__init__.py" and parts[-2] in imported:
            folder = "/".join(parts[:-2])
            if not any(folder == r or (folder.startswith(f"{r}/") and r != ".") for r in roots if r != "."):
                roots.setdefault(folder)
    return tuple(roots)


def _read(config: Config, files: Iterable[str]) -> Iterator[tuple[str, str]]:
    for rel in files:
        try:
            data = (config.root / rel).read_bytes()
        except OSError:
            continue
        if len(data) <= config.max_file_size:
            yield rel, data.decode("utf-8", "replace")


def _keys(sets: list[KeySet], literals: set[str]) -> Keys:
    members: dict[str, dict[str, str]] = {}
    constants: dict[str, str] = {}
    for key_set in sets:
        if key_set.kind == "class":
            members.setdefault(key_set.name, {}).update(key_set.members)
        elif key_set.kind in ("constant", "module"):
            constants.update(key_set.members)
    literal_keys = literals | {k for s in sets if s.kind not in ("constant", "module") for k in s.keys}
    return Keys(members, constants, literal_keys)


# Names of what gates a product rather than a release: `LicenseHandler.workspace_has_feature(K)`,
# `billing.plan_allows(K)`. Their keys name features that are sold, and stay.
PRODUCT_GATE = re.compile(r"licen[cs]|entitle|subscription|billing|pricing|(?:^|[._])(?:plans?|tiers?)(?:[._]|$)", re.I)


def _candidate(callee: Callee) -> Proposed | None:
    """The pattern table a callee's sites suggest, or None when they are too few (one site is
    enough for a callee whose name says flag: `is_feature_active`, `has_feature`)."""
    short = callee.name.rsplit(".", 1)[-1]
    if len(callee.sites) < (1 if FLAGGY.search(short) else MIN_SITES):
        return None
    if PRODUCT_GATE.search(callee.name) or any(PRODUCT_GATE.search(r) for r in callee.receivers()):
        return None  # what a licence or plan allows is sold, not released: no flag to retire
    if short.startswith("_"):
        return None  # a private helper passes keys along inside a module: not the project's flag API
    where = callee.where()
    entry: dict[str, Any] = {"kind": callee.kind, "name": callee.name}
    tests = sum(1 for s in callee.sites if s.test)
    decorators = sum(1 for s in callee.sites if s.decorator)
    if short in SET_PINS and tests == len(callee.sites):  # config.FEATURE_FLAGS.add(K) in tests
        receivers, parts = callee.receivers(), callee.name.split(".")
        holder = receivers.most_common(1)[0][0] if receivers else parts[-2] if len(parts) > 1 else ""
        if FLAGGY.search(holder) is None:
            return None
        entry.update({"receiver": holder} if callee.kind == "method" else {})
        entry.update({"flag-kind": "test-override", "pin": SET_PINS[short]})
    elif tests >= 0.8 * len(callee.sites) and _PIN_NAME.search(short):
        entry["flag-kind"] = "test-override"
        entry.update(_pin(callee))
        shapes = {site.shape for site in callee.sites}
        if len(shapes) == 1 and None not in shapes:  # it pins settings named alike: only those are flags
            entry["match"] = shapes.pop()
    elif decorators >= 0.8 * len(callee.sites) and callee.kind == "function":
        entry["kind"] = "decorator"
    if callee.kind == "keyword":
        entry["key-keyword"] = where
    elif isinstance(where, int):
        if where:
            entry["key"] = where
    else:
        entry["key-keyword"] = where
    example = callee.sites[0]
    shape = f"{example.receiver}.{short}" if callee.kind == "method" else short
    least = 1 if FLAGGY.search(short) else MIN_SITES
    literal = sum(1 for s in callee.sites if s.literal) >= 0.5 * len(callee.sites)
    deciding = sum(1 for s in callee.sites if s.condition)
    checks = entry["kind"] in ("function", "method") and "flag-kind" not in entry
    if literal and checks and deciding < 0.5 * len(callee.sites):
        return None  # taken on its name alone, it must decide branches: else it takes strings as data
    if callee.kind == "method" and short == "get":  # a mapping whose name says flag: FEATURES.get("k")
        receiver = callee.receivers().most_common(1)[0][0] if callee.receivers() else None
        if receiver is None:
            return None
        entry["receiver"] = receiver
    return Proposed(entry, f"{shape}(…)", receivers=callee.receivers(), least=least, literal_ok=literal)


def _pin(callee: Callee) -> dict[str, Any]:
    """How a test helper says the value it pins: the boolean argument most of its calls give, or
    (no such argument) its name (`enable_*` pins on, `disable_*` off)."""
    seen = Counter(where for site in callee.sites for where, _ in site.pins)
    if seen:
        where, count = seen.most_common(1)[0]
        if count >= 0.8 * len(callee.sites):
            return {"pin-arg": where} if isinstance(where, int) else {"pin-keyword": where}
    name = callee.name.rsplit(".", 1)[-1].lower()
    if re.search(r"disable|deactivate|off", name):
        return {"pin": False}
    if re.search(r"enable|activate|on$", name):
        return {"pin": True}
    return {}


def _rows(entries: list[dict[str, Any]]) -> tuple[list[Any], dict[str, int]]:
    """Pattern rows for the entries, and which entry each row id comes from."""
    rows: list[Any] = []
    owner: dict[str, int] = {}
    for number, entry in enumerate(entries):
        try:
            made = custom_rows(entry, number)
        except PatternError:
            continue
        for row in made:
            owner[row.id] = number
        rows.extend(made)
    return rows, owner


def _scan(config: Config, entries: list[dict[str, Any]], jobs: int | None) -> tuple[FlagRef, ...]:
    rows, _ = _rows(entries)
    configured = dataclasses.replace(config, custom_patterns=tuple(rows))
    return Workspace(configured, jobs=jobs, use_cache=False).scan().refs


def _verify(
    config: Config, candidates: list[Proposed], known: set[str], proposal: Proposal, jobs: int | None
) -> list[Proposed]:
    """Scan with every candidate; keep those whose matches resolve to known keys, narrow a method
    to the receivers its evidence showed, drop the rest (saying why)."""
    pending = candidates
    kept: list[Proposed] = []
    for _ in range(2):  # the scan as proposed, then once more for the narrowed ones
        if not pending:
            break
        refs = _scan(config, [p.entry for p in pending], jobs)
        _, owner = _rows([p.entry for p in pending])
        by_entry: dict[int, list[FlagRef]] = {}
        for ref in refs:
            if ref.pattern in owner:
                by_entry.setdefault(owner[ref.pattern], []).append(ref)
        retry = []
        for number, candidate in enumerate(pending):
            found = by_entry.get(number, [])
            good = [r for r in found if _good(r, known, candidate.literal_ok)]
            candidate.sites, candidate.resolved = len(found), len(good)
            candidate.files = len({r.path for r in found})
            candidate.examples = tuple(f"{r.path}:{r.span.line}" for r in (good or found)[:3])
            if len(found) >= candidate.least and len(good) >= _KEEP_RATIO * len(found):
                kept.append(candidate)
                continue
            narrowed = _narrowed(candidate, found, good)
            if narrowed is not None:
                retry.append(narrowed)
                continue
            why = f"{len(good)} of its {len(found)} matches resolve to a known key"
            proposal.dropped.append((_describe(candidate.entry), why))
        pending = retry
    for candidate in pending:
        proposal.dropped.append((_describe(candidate.entry), "its matches still do not resolve to known keys"))
    return kept


def _good(ref: FlagRef, known: set[str], literal_ok: bool) -> bool:
    """Whether a match names a key the project defines (or, where a name says flag, any key it
    spells out: a literal, a constant; an attribute a settings pattern reads)."""
    if ref.key is None or ref.key_source is KeySource.DYNAMIC:
        # where a name says flag, a key held by a setting named for a flag counts (settings.X_FLAG_KEY)
        setting = ref.key_text.rsplit(".", 1)[-1]
        return literal_ok and setting.isupper() and FLAGGY.search(setting) is not None
    return ref.key in known or ref.key_source is KeySource.ATTRIBUTE or literal_ok


def _narrowed(candidate: Proposed, found: list[FlagRef], good: list[FlagRef]) -> Proposed | None:
    """A method pattern limited to the receiver most of its good matches have, when it is one."""
    entry = candidate.entry
    if entry["kind"] != "method" or "receiver" in entry or not good:
        return None
    seen = Counter({name: n for name, n in candidate.receivers.items() if name not in ("<call>", "<expr>")})
    total = sum(candidate.receivers.values())
    if not seen or not total:
        return None
    glob = _receiver_glob(seen)
    if glob is None or sum(n for name, n in seen.items() if fnmatch.fnmatchcase(name, glob)) < _KEEP_RATIO * total:
        return None
    narrowed = dict(entry, receiver=glob)
    note = f"narrowed to receiver {glob!r}"
    return Proposed(narrowed, candidate.what, note=note, receivers=candidate.receivers, least=candidate.least)


def _receiver_glob(seen: Counter[str]) -> str | None:
    """The receiver that most evidence sites have (`project`), or the shared end of their names
    (`*project` for `project`, `main_project`, `parent_project`)."""
    names = [name for name, _ in seen.most_common()]
    if len(names) == 1:
        return names[0]
    tail = names[0]
    for name in names[1:]:
        while not name.endswith(tail):
            tail = tail[1:]
    tail = tail.lstrip("_.")
    return f"*{tail}" if len(tail) >= 3 else names[0]


def _describe(entry: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {json.dumps(v)}" for k, v in entry.items())


def _registry_files(root: Path) -> list[tuple[str, str]]:
    """Registry files at the top of the project: flags.toml, flagd definitions, an Unleash export."""
    found = []
    if (root / "flags.toml").is_file():
        found.append(("flags.toml", "flags.toml"))
    for folder, dirs, names in os.walk(root):
        depth = Path(folder).relative_to(root).parts
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "site-packages"))
        if len(depth) >= 2:
            dirs[:] = []
        for name in sorted(names):
            if not name.endswith(".json"):
                continue
            path = Path(folder, name)
            kind = _registry_kind(path)
            if kind is not None:
                found.append((kind, path.relative_to(root).as_posix()))
    return found


def _registry_kind(path: Path) -> str | None:
    try:
        if path.stat().st_size > 20_000_000:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    flags = data.get("flags")
    if "flagd" in str(data.get("$schema", "")) or (
        isinstance(flags, dict) and flags and all(isinstance(v, dict) and "variants" in v for v in flags.values())
    ):
        return "flagd"
    features = data.get("features")
    if isinstance(features, list) and features and all(isinstance(f, dict) and "name" in f for f in features):
        return "unleash-export"
    return None


def _registry_keys(config: Config, registries: list[tuple[str, str]]) -> set[str]:
    """The keys the registry files present know (a source that cannot be read knows none)."""
    from flaglint.registry.load import RegistryError, load_registry

    sources = tuple(
        SourceSpec(kind, kind, (("path", str(config.root / path)),))
        for kind, path in registries
        if kind != "flags.toml"
    )
    registry = config.root / "flags.toml" if any(kind == "flags.toml" for kind, _ in registries) else None
    try:
        loaded = load_registry(
            dataclasses.replace(config, registry_path=registry, sources=sources), {}, offline=True, use_cache=False
        )
    except (RegistryError, OSError, ValueError):
        return set()
    return {flag.key for flag in loaded.snapshot.flags} if loaded.snapshot is not None else set()
