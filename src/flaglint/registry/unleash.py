"""Unleash as a flag registry: the Admin API of a live server (8.x) or an export file.

The mapping from Unleash's JSON to `Flag` records is pure; `fetch` does the HTTP (httpx) with
timeouts, bounded retries and one-line errors.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flaglint.model import FLAG_TYPES, Flag, FlagState, FlagType, Snapshot
from flaglint.registry.sources import SourceError, day, moment, read_json

PAGE = 1000
MAX_PAGES = 1000  # a million flags: past that a server that never stops paging is not trusted
_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces, as HTTP headers allow


@dataclass(frozen=True)
class UnleashSettings:
    url: str
    projects: tuple[str, ...] = ("default",)
    production: tuple[str, ...] = ("production",)
    token_env: str = "UNLEASH_TOKEN"
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    retries: int = 3


# --- mapping (pure) ------------------------------------------------------------------------------


def strategy_is_full(strategy: Mapping[str, Any]) -> bool:
    """Enabled, unconstrained, unsegmented, and `default` or `flexibleRollout` at 100 %."""
    if strategy.get("disabled") or strategy.get("constraints") or strategy.get("segments"):
        return False
    name = strategy.get("name")
    if name == "default":
        return True
    return name == "flexibleRollout" and str((strategy.get("parameters") or {}).get("rollout")) == "100"


def environment_verdict(enabled: bool, strategies: Sequence[Mapping[str, Any]]) -> str:
    """'on' when fully on, 'off' when disabled or without an enabled strategy, else 'partial'."""
    live = [s for s in strategies if not s.get("disabled")]
    if not enabled or not live:
        return "off"
    return "on" if any(strategy_is_full(s) for s in live) else "partial"


def last_seen(feature: Mapping[str, Any]) -> tuple[tuple[str, dt.datetime], ...]:
    """(environment, lastSeenAt) from a search result's environments (or an export's)."""
    found = []
    for env in _dicts(feature.get("environments")):
        seen = moment(env.get("lastSeenAt"))
        if seen is not None and isinstance(env.get("name"), str):
            found.append((env["name"], seen))
    return tuple(sorted(found))


def map_flag(
    feature: Mapping[str, Any],
    environments: Mapping[str, str],
    production: Sequence[str],
    *,
    potentially_stale: bool,
    source: str,
    changed: dt.date | None = None,
) -> Flag:
    """One Unleash feature as a Flag; `environments` maps environment name to its verdict."""
    lifecycle = feature.get("lifecycle") or {}
    stage = lifecycle.get("stage") if isinstance(lifecycle, dict) else None
    archived = bool(feature.get("archived") or feature.get("archivedAt") or stage == "archived")
    prod = [environments.get(env, "off") for env in production]
    value = None
    if archived:
        state = FlagState.ARCHIVED
    elif stage == "completed" and lifecycle.get("status") == "kept":
        state = FlagState.ROLLED_OUT
        variant = lifecycle.get("statusValue")
        value = repr(variant) if variant else "True"
    elif stage == "completed" and lifecycle.get("status") == "discarded":
        state = FlagState.OFF
    elif prod and all(v == "on" for v in prod):
        state, value = FlagState.ROLLED_OUT, "True"
    elif prod and all(v == "off" for v in prod):  # with no production environment nothing is off
        state = FlagState.OFF
    else:
        state = FlagState.ACTIVE
    return Flag(
        key=str(feature["name"]),
        type=FLAG_TYPES.get(str(feature.get("type")), FlagType.RELEASE),
        state=state,
        value=value,
        created=day(feature.get("createdAt")),
        description=str(feature.get("description") or ""),
        stale=bool(feature.get("stale")),
        potentially_stale=potentially_stale,
        lifecycle="archived" if archived else stage,
        source=source,
        environments=tuple(sorted(environments.items())),
        stage_since=day(lifecycle.get("enteredStageAt")) if isinstance(lifecycle, dict) else None,
        changed=changed,
        last_seen=last_seen(feature),
    )


def verdicts_from_export(export: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """flag -> environment -> verdict, from an export's featureEnvironments and featureStrategies.

    An export covers one environment: its strategies name their flag but not the environment.
    """
    strategies: dict[str, list[Mapping[str, Any]]] = {}
    for strategy in _dicts(export.get("featureStrategies")):
        strategies.setdefault(str(strategy.get("featureName")), []).append(strategy)
    verdicts: dict[str, dict[str, str]] = {}
    for env in _dicts(export.get("featureEnvironments")):
        name = str(env.get("featureName") or env.get("name"))
        verdict = environment_verdict(bool(env.get("enabled")), strategies.get(name, []))
        verdicts.setdefault(name, {})[str(env.get("environment"))] = verdict
    return verdicts


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def flags_from_export(export: Mapping[str, Any], production: Sequence[str], source: str) -> list[Flag]:
    """Flags from an Unleash export file (the JSON the export API or UI produces)."""
    if not isinstance(export, dict) or not isinstance(export.get("features"), list):
        raise SourceError(f"{source}: not an Unleash export (no 'features' list)")
    verdicts = verdicts_from_export(export)
    return [
        map_flag(f, verdicts.get(f["name"], {}), production, potentially_stale=False, source=source)
        for f in export["features"]
        if isinstance(f, dict) and isinstance(f.get("name"), str)
    ]


# --- HTTP ------------------------------------------------------------------------------------------


class UnleashClient:
    """Admin API calls with timeouts, retries with backoff on connection errors and 5xx."""

    def __init__(
        self,
        settings: UnleashSettings,
        token: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: Any = None,
    ) -> None:
        import httpx

        self.settings = settings
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=settings.url.rstrip("/"),
            headers={"Authorization": token, "Accept": "application/json"},
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; its attempts together never outlast the timeout x retries, however slowly
        the server sends (a byte at a time resets httpx's read timeout, not this deadline).
        """
        import httpx

        deadline = time.monotonic() + self.settings.read_timeout * self.settings.retries + self.settings.connect_timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._bounded(method, path, deadline, **kwargs)
            except httpx.TimeoutException:
                if attempt >= self.settings.retries:
                    message = f"{self.settings.url}: no answer within the timeout"
                    raise SourceError(message, unreachable=True) from None
            except httpx.TransportError as exc:
                if attempt >= self.settings.retries:
                    message = f"{self.settings.url}: cannot connect ({_reason(exc)})"
                    raise SourceError(message, unreachable=True) from None
            else:
                limited = response.status_code == 429
                if (response.status_code < 500 and not limited) or attempt >= self.settings.retries:
                    return self._decode(response, path)
                if limited:  # Unleash limits feature search to 15 requests a minute by default
                    self.sleep(_retry_after(response.headers.get("Retry-After"), attempt))
                    continue
            self.sleep(0.2 * 2 ** (attempt - 1))

    def _bounded(self, method: str, path: str, deadline: float, **kwargs: Any) -> Any:
        """The response, read whole on a helper thread that is given up at `deadline`."""
        import httpx

        outcome: list[Any] = []

        def call() -> None:
            try:
                outcome.append(self.http.request(method, path, **kwargs))
            except BaseException as exc:  # handed to the caller's thread
                outcome.append(exc)

        worker = threading.Thread(target=call, name="flaglint-http", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if not outcome:
            raise SourceError(f"{self.settings.url}: no complete answer within the timeout", unreachable=True)
        if isinstance(outcome[0], httpx.HTTPError | OSError):
            raise outcome[0]
        if isinstance(outcome[0], BaseException):
            raise SourceError(f"{self.settings.url}: the request failed ({type(outcome[0]).__name__})")
        return outcome[0]

    def _decode(self, response: Any, path: str) -> Any:
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "elsewhere")
            raise SourceError(
                f"{self.settings.url}{path}: the server redirects to {target}; not followed, so the token "
                "stays with the configured server (set url to the final address)"
            )
        if status in (401, 403):
            raise SourceError(
                f"{self.settings.url}: the token was refused ({status}); check ${self.settings.token_env}"
            )
        if status == 404:
            raise SourceError(f"{self.settings.url}{path}: not found (404); check the URL and the project names")
        if status == 429:
            message = f"{self.settings.url}{path}: rate limited by the server (429); try again in a minute"
            raise SourceError(message, unreachable=True)
        if status >= 500:
            raise SourceError(f"{self.settings.url}{path}: the server answered {status}", unreachable=True)
        if status >= 400:
            raise SourceError(f"{self.settings.url}{path}: the server answered {status}")
        if status == 204 or not response.content:  # a write answers with no body
            return None
        try:
            return response.json()
        except ValueError:
            raise SourceError(f"{self.settings.url}{path}: the answer is not valid JSON") from None

    def _pages(self, path: str, params: Mapping[str, str], key: str, what: str) -> Iterator[list[dict[str, Any]]]:
        """The items of a paged search (`limit`/`offset`, `total`), a page at a time, each checked to
        be a list of objects; a server that repeats a page or never reaches its total is refused.
        """
        offset, previous = 0, None
        for _ in range(MAX_PAGES):
            page = self.request("GET", path, params={**params, "limit": str(PAGE), "offset": str(offset)})
            items = page.get(key) if isinstance(page, dict) else None
            total = page.get("total") if isinstance(page, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items) or type(total) is not int:
                raise SourceError(f"{self.settings.url}: unexpected answer from the {what}")
            if items and items == previous:
                raise SourceError(f"{self.settings.url}: the {what} does not page (offset ignored)")
            yield items
            offset, previous = offset + len(items), items
            if not items or offset >= total:
                return
        raise SourceError(f"{self.settings.url}: the {what} did not end after {MAX_PAGES} pages")

    def search(self, project: str, extra: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every flag of a project through /api/admin/search/features."""
        found: dict[str, dict[str, Any]] = {}
        params = {"project": f"IS:{project}", **(extra or {})}
        for features in self._pages("/api/admin/search/features", params, "features", "feature search"):
            for feature in features:
                if not isinstance(feature.get("name"), str) or not feature["name"]:
                    raise SourceError(f"{self.settings.url}: the feature search returned a flag without a name")
                found.setdefault(feature["name"], feature)
        return list(found.values())

    def links(self, project: str, name: str) -> list[dict[str, Any]]:
        """The links a flag shows in Unleash (8.2+): id, url, title."""
        found = self.request("GET", _feature_path(project, name))
        return [dict(link) for link in _dicts(found.get("links"))] if isinstance(found, dict) else []

    def add_link(self, project: str, name: str, url: str, title: str) -> None:
        self.request("POST", f"{_feature_path(project, name)}/link", json={"url": url, "title": title})

    def update_link(self, project: str, name: str, link: str, url: str, title: str) -> None:
        path = f"{_feature_path(project, name)}/link/{quote(link, safe='')}"
        self.request("PUT", path, json={"url": url, "title": title})

    def delete_link(self, project: str, name: str, link: str) -> None:
        self.request("DELETE", f"{_feature_path(project, name)}/link/{quote(link, safe='')}")

    def export(self, names: Sequence[str], environment: str) -> dict[str, Any]:
        body = {"features": list(names), "environment": environment}
        answer = self.request("POST", "/api/admin/features-batch/export", json=body)
        lists = ("features", "featureEnvironments", "featureStrategies")
        if not isinstance(answer, dict) or not all(isinstance(answer.get(k, []), list) for k in lists):
            raise SourceError(f"{self.settings.url}: unexpected answer from the export")
        if not all(isinstance(item, dict) for k in lists for item in answer.get(k, [])):
            raise SourceError(f"{self.settings.url}: unexpected answer from the export")
        return answer

    def production_changes(self, names: Sequence[str], environments: Sequence[str]) -> dict[str, dt.date]:
        """The date of the newest event that changed each flag in `environments` (switched on or
        off, a strategy added, changed or removed), from the event search, newest first.
        """
        changed: dict[str, dt.date] = {}
        where = f"IS_ANY_OF:{','.join(environments)}"
        for start in range(0, len(names), 40):  # a bounded URL per request
            params = {"feature": f"IS_ANY_OF:{','.join(names[start : start + 40])}", "environment": where}
            for events in self._pages("/api/admin/search/events", params, "events", "event search"):
                for event in events:
                    when = day(event.get("createdAt"))
                    name = event.get("featureName")
                    if isinstance(name, str) and when is not None:
                        changed[name] = max(when, changed.get(name, when))
        return changed

    def environments(self) -> list[str]:
        """The names of the server's environments."""
        answer = self.request("GET", "/api/admin/environments")
        found = answer.get("environments") if isinstance(answer, dict) else answer
        if not isinstance(found, list) or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) for e in found
        ):
            raise SourceError(f"{self.settings.url}: unexpected answer from the environment list")
        return [e["name"] for e in found]


MAX_RETRY_AFTER = 5.0


def _feature_path(project: str, name: str) -> str:
    return f"/api/admin/projects/{quote(project, safe='')}/features/{quote(name, safe='')}"


def _retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait after a 429: the server's Retry-After (capped), else exponential backoff."""
    try:
        return min(float(header), MAX_RETRY_AFTER) if header else min(0.5 * 2**attempt, MAX_RETRY_AFTER)
    except ValueError:
        return min(0.5 * 2**attempt, MAX_RETRY_AFTER)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120] if text.strip() else type(exc).__name__


def fetch(client: UnleashClient) -> list[Flag]:
    """Every flag of the configured projects, with production verdicts from batch exports."""
    settings = client.settings
    known = client.environments()
    unknown = [name for name in settings.production if name not in known]
    if unknown:
        raise SourceError(
            f"{settings.url}: no environment named {', '.join(map(repr, unknown))} "
            f"(the server has: {', '.join(known) or 'none'}); fix registry.unleash.production"
        )
    features: list[dict[str, Any]] = []
    stale: set[str] = set()
    for project in settings.projects:
        features.extend(client.search(project))
        features.extend(client.search(project, {"archived": "IS:true"}))
        stale.update(f["name"] for f in client.search(project, {"state": "IS:potentially-stale"}))
    live = sorted({f["name"] for f in features if not (f.get("archived") or f.get("archivedAt"))})
    verdicts: dict[str, dict[str, str]] = {}
    for environment in settings.production:
        if not live:
            break
        for name, envs in verdicts_from_export(client.export(live, environment)).items():
            verdicts.setdefault(name, {}).update(envs)
    # When each flag that is fully on or off in production last changed there: a rollout settles,
    # a switched-off flag dies, only after a while. No production event at all: unchanged since creation.
    settled = [
        name
        for name in live
        if (prod := [verdicts.get(name, {}).get(env, "off") for env in settings.production])
        and len(set(prod)) == 1
        and prod[0] in ("on", "off")
    ]
    changes = client.production_changes(settled, settings.production) if settled else {}
    flags: dict[str, Flag] = {}
    for feature in features:
        name = feature["name"]
        flag = map_flag(
            feature,
            verdicts.get(name, {}),
            settings.production,
            potentially_stale=name in stale,
            source=settings.url,
            changed=changes.get(name, day(feature.get("createdAt"))) if name in settled else None,
        )
        flags.setdefault(flag.key, flag)
    return sorted(flags.values(), key=lambda f: f.key)


class UnleashSource:
    """A live Unleash server; the token comes from an environment variable, never from config."""

    def __init__(self, settings: UnleashSettings, environ: Mapping[str, str]) -> None:
        self.settings = settings
        self.environ = environ
        self.name = f"unleash {settings.url}"

    def load(self) -> Snapshot:
        token = (self.environ.get(self.settings.token_env) or "").strip()
        if not token:
            raise SourceError(f"{self.settings.url}: set ${self.settings.token_env} to an Unleash admin API token")
        if not _TOKEN.fullmatch(token):  # never echoed: it is a secret even when it is malformed
            raise SourceError(
                f"{self.settings.url}: ${self.settings.token_env} holds characters an API token cannot have"
            )
        client = UnleashClient(self.settings, token)
        try:
            flags = fetch(client)
        finally:
            client.close()
        return Snapshot(tuple(flags), source=self.name, fetched_at=dt.datetime.now(dt.timezone.utc))


class UnleashExportFile:
    def __init__(self, path: Path, production: Sequence[str], display: str) -> None:
        self.path = path
        self.production = tuple(production)
        self.name = display

    def load(self) -> Snapshot:
        data = read_json(self.path, self.name, "Unleash export")
        return Snapshot(tuple(flags_from_export(data, self.production, self.name)), source=self.name)
