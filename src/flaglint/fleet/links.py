"""Code references where release managers look: on each Unleash flag, one link saying where the
fleet still checks it. flaglint owns only the links whose title starts with `flaglint:`; it adds,
updates and removes those, and never touches another. Pure planning: the HTTP is the caller's."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flaglint.engine.words import plural
from flaglint.model import FlagRef

TITLE_PREFIX = "flaglint:"
FIELDS = frozenset({"repo", "commit", "path", "line", "flag"})


@dataclass(frozen=True)
class Site:
    """The first place the fleet checks a flag (what a code-host link points at)."""

    repo: str
    commit: str
    path: str
    line: int


@dataclass(frozen=True)
class Feature:
    """An Unleash flag and the links it shows now."""

    project: str
    name: str
    links: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class LinkChange:
    action: str  # add | update | remove
    project: str
    flag: str
    url: str = ""
    title: str = ""
    link: str | None = None  # the id of the link updated or removed


def where_checked(
    refs: Mapping[str, Sequence[FlagRef]], commits: Mapping[str, str]
) -> tuple[dict[str, tuple[int, int]], dict[str, Site]]:
    """Per flag key: (references, repositories) across the fleet, and the first place it is
    checked (repositories, then paths and lines, in order)."""
    counts: dict[str, tuple[int, int]] = {}
    sites: dict[str, Site] = {}
    seen: set[tuple[str, str]] = set()
    for repo in sorted(refs):
        for ref in sorted(refs[repo], key=lambda r: (r.path, r.span.line)):
            if ref.key is None:
                continue
            total, repos = counts.get(ref.key, (0, 0))
            counts[ref.key] = (total + 1, repos + ((ref.key, repo) not in seen))
            seen.add((ref.key, repo))
            sites.setdefault(ref.key, Site(repo, commits.get(repo, ""), ref.path, ref.span.line))
    return counts, sites


def template_problem(template: str) -> str | None:
    """Why a link template cannot be used (a field it names that flaglint does not fill), or None."""
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as exc:
        return f"the link template is not valid: {exc}"
    unknown = sorted(names - FIELDS)
    if unknown:
        known = ", ".join("{" + f + "}" for f in sorted(FIELDS))
        return f"the link template names {', '.join('{' + u + '}' for u in unknown)}; it may use {known}"
    return None


def title(references: int, repositories: int) -> str:
    return f"{TITLE_PREFIX} {plural(references, 'reference')} in {plural(repositories, 'repository')}"


def plan(
    features: Sequence[Feature],
    counts: Mapping[str, tuple[int, int]],
    sites: Mapping[str, Site],
    *,
    template: str | None,
    report_url: str | None,
) -> list[LinkChange]:
    """What to change so that each flag the fleet checks (`counts`: references, repositories)
    shows one flaglint link, and a flag no longer checked shows none."""
    changes: list[LinkChange] = []
    for feature in features:
        ours = [link for link in feature.links if str(link.get("title") or "").startswith(TITLE_PREFIX)]
        references, repositories = counts.get(feature.name, (0, 0))
        if not references:
            changes += [_remove(feature, link) for link in ours]
            continue
        site = sites[feature.name]
        if template is not None:
            url = template.format(repo=site.repo, commit=site.commit, path=site.path, line=site.line, flag=feature.name)
        else:
            url = report_url or ""
        wanted = title(references, repositories)
        if not ours:
            changes.append(LinkChange("add", feature.project, feature.name, url, wanted))
            continue
        first, *extra = ours
        if first.get("url") != url or first.get("title") != wanted:
            changes.append(LinkChange("update", feature.project, feature.name, url, wanted, str(first.get("id"))))
        changes += [_remove(feature, link) for link in extra]
    return changes


def _remove(feature: Feature, link: Mapping[str, Any]) -> LinkChange:
    return LinkChange(
        "remove", feature.project, feature.name, str(link.get("url") or ""), str(link.get("title")), str(link["id"])
    )
