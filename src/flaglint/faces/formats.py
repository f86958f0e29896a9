"""CI faces of the flag-debt report: SARIF 2.1.0 for code scanning, Markdown for a pull request or a
job summary, GitHub workflow annotations. Pure functions over a built `Report`; no I/O.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pathspec

from flaglint import __version__
from flaglint.engine.debt import FlagRow, Report
from flaglint.engine.policy import REMOVABLE, RULES
from flaglint.model import Finding, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


# --- SARIF ---------------------------------------------------------------------------------------


def sarif(report: Report, path: Callable[[str], str]) -> dict[str, Any]:
    """One run with a rule per finding code; each result a physical location and a fingerprint per
    (code, flag, file, n-th such finding in the file) that does not move when lines shift.
    """
    codes = sorted(RULES)
    rules = [
        {
            "id": code,
            "name": "".join(word.capitalize() for word in RULES[code].title.split()),
            "shortDescription": {"text": RULES[code].title},
            "fullDescription": {"text": RULES[code].help},
            "help": {"text": RULES[code].help, "markdown": RULES[code].help},
            "defaultConfiguration": {"level": _LEVEL[RULES[code].severity]},
        }
        for code in codes
    ]
    seen: Counter[tuple[str, str | None, str]] = Counter()
    results = []
    for finding in sorted(report.findings, key=lambda f: (f.path, f.span.line, f.span.column, f.code)):
        where = path(finding.path)
        identity = (finding.code, finding.key, where)
        seen[identity] += 1
        digest = hashlib.sha256(f"{finding.code}|{finding.key}|{where}|{seen[identity]}".encode()).hexdigest()
        span = finding.span
        results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": codes.index(finding.code),
                "level": _LEVEL[finding.severity],
                "message": {"text": finding.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": Path(where).as_posix(), "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": max(1, span.line),
                                "startColumn": max(1, span.column),
                                "endLine": max(1, span.end_line),
                                "endColumn": max(1, span.end_column),
                            },
                        }
                    }
                ],
                "partialFingerprints": {"flaglint/v1": digest[:32]},
                "properties": {"flag": finding.key, "assume": finding.assume},
            }
        )
    driver = {"name": "flaglint", "version": __version__, "semanticVersion": __version__, "rules": rules}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}


# --- GitHub workflow annotations -----------------------------------------------------------------

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def github(findings: Sequence[Finding], path: Callable[[str], str]) -> str:
    """`::warning file=...,line=...::message` lines that a workflow run shows on the diff."""
    lines = []
    for f in findings:
        s = f.span
        props = f"file={_escape(path(f.path), prop=True)},line={s.line},col={s.column},endLine={s.end_line}"
        props += f",endColumn={s.end_column},title={f.code}"
        lines.append(f"::{_COMMAND[f.severity]} {props}::{_escape(f.code + ' ' + f.message)}\n")
    return "".join(lines)


# --- owners ----------------------------------------------------------------------------------------


def codeowners(root: Path) -> Callable[[str], str | None]:
    """The owner of a root-relative file from CODEOWNERS (root, .github/ or docs/; the last
    matching line wins, as GitHub reads it), or None.
    """
    rules: list[tuple[pathspec.PathSpec, str]] = []
    for place in ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"):
        try:
            text = (root / place).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for line in text.splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) >= 2:
                rules.append((pathspec.PathSpec.from_lines("gitwildmatch", [parts[0]]), " ".join(parts[1:])))
        break

    def owner(rel: str) -> str | None:
        found = None
        for spec, who in rules:
            if spec.match_file(rel):
                found = who
        return found

    return owner


def _owner(row: FlagRow, owner_of: Callable[[str], str | None]) -> str:
    """The registry's owner of a flag, else the CODEOWNERS owner of the first of its files that has one."""
    return row.owner or next((o for f in row.files if (o := owner_of(f))), None) or "(no owner)"


# --- Markdown --------------------------------------------------------------------------------------


def cell(text: object) -> str:
    """Text for a Markdown table cell: pipes escaped, one line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(
    report: Report,
    path: Callable[[str], str],
    *,
    owner_of: Callable[[str], str | None],
    removed_lines: int | None,
    assume: dict[str, str | None],
    worst: int = 10,
    config: str | None = None,
) -> str:
    """A PR comment or job summary: headline numbers, the worst offenders, a table per owner, and
    the command that retires the removable flags.
    """
    codes_by_flag = {row.key: set(row.codes) for row in report.rows}
    removable = [row for row in report.rows if codes_by_flag[row.key] & set(REMOVABLE)]
    stale = [row for row in report.rows if "FL005" in codes_by_flag[row.key]]
    references = sum(row.references for row in report.rows) + len(report.dynamic)
    owners = {row.key: _owner(row, owner_of) for row in report.rows}
    out = ["## Flag debt", ""]
    headline = [
        ("flags", len(report.rows)),
        ("removable", len(removable)),
        ("stale", len(stale)),
        ("references", references),
        ("lines behind dead flags", "-" if removed_lines is None else removed_lines),
    ]
    out.append("| " + " | ".join(name for name, _ in headline) + " |")
    out.append("|" + " --- |" * len(headline))
    out.append("| " + " | ".join(str(value) for _, value in headline) + " |")
    out.append("")

    def weight(row: Any) -> tuple[int, int, int]:
        return (-len(codes_by_flag[row.key] & set(REMOVABLE)), -row.references, -(row.age_days or 0))

    offenders = [row for row in sorted(report.rows, key=weight) if row.codes][:worst]
    if offenders:
        out += [
            "### Worst offenders",
            "",
            "| flag | owner | why | age | refs | findings |",
            "| --- | --- | --- | ---: | ---: | --- |",
        ]
        for row in offenders:
            age = f"{row.age_days}d" if row.age_days is not None else "-"
            out.append(
                f"| `{cell(row.key)}` | {cell(owners[row.key])} | {cell(row.why)} | {age} | {row.references}"
                f" | {' '.join(row.codes)} |"
            )
        out.append("")
    per_owner: dict[str, Counter[str]] = defaultdict(Counter)
    for row in report.rows:
        tally = per_owner[owners[row.key]]
        tally["flags"] += 1
        tally["removable"] += bool(codes_by_flag[row.key] & set(REMOVABLE))
        tally["stale"] += "FL005" in codes_by_flag[row.key]
        tally["references"] += row.references
    if per_owner:
        out += [
            "### By owner",
            "",
            "| owner | flags | removable | stale | references |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for who, tally in sorted(per_owner.items(), key=lambda item: (-item[1]["removable"], item[0])):
            out.append(
                f"| {cell(who)} | {tally['flags']} | {tally['removable']} | {tally['stale']} | {tally['references']} |"
            )
        out.append("")
    if assume:
        flags = " ".join(
            f"--flag {shlex.quote(f'{key}={_flag_value(value)}')}" for key, value in sorted(assume.items())
        )
        settings = f"--config {shlex.quote(config)} " if config else ""  # the settings this report was made with
        out += ["### Retire the removable flags", "", "```sh", f"flaglint clean {settings}{flags}", "```", ""]
    else:
        out += ["Nothing to retire.", ""]
    return "\n".join(out)


def _flag_value(value: str | None) -> str:
    return "off" if value is None else "on" if value == "True" else value


# --- HTML ------------------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Flag debt</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.muted{color:#667}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1.5rem}
.headline{display:flex;gap:2rem;flex-wrap:wrap;margin:1rem 0}.headline div{font-size:1.6rem;font-weight:600}
.headline span{display:block;font-size:.8rem;font-weight:400;color:#667}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ec}
td.num,th.num{text-align:right}svg text{font-size:11px;fill:#1d2330}
</style></head><body data-charts="0" data-errors="">
<h1>Flag debt</h1><p class="muted" id="subtitle"></p>
<div class="headline" id="headline"></div>
<div class="grid">
<section><h2>Flags by state</h2><svg id="by-state" class="chart" width="100%" height="220"></svg></section>
<section><h2>Flags by owner</h2><svg id="by-owner" class="chart" width="100%" height="220"></svg></section>
<section><h2>Age of referenced flags (days)</h2><svg id="ages" class="chart" width="100%" height="220"></svg></section>
<section><h2>Debt over time</h2><svg id="trend" class="chart" width="100%" height="220"></svg>
<p class="muted" id="trend-note"></p></section>
</div>
<h2>Flags</h2><table id="flags"><thead><tr><th>flag</th><th>owner</th><th>state</th><th>why</th>
<th class="num">age</th><th class="num">refs</th><th>findings</th></tr></thead><tbody></tbody></table>
<script id="data" type="application/json">__DATA__</script>
<script>
function note(text) { document.body.dataset.errors += text + ";"; }
window.addEventListener("error", function (e) { note(e.message || "error"); });
window.addEventListener("unhandledrejection", function (e) { note(String(e.reason)); });
(function (original) {  // console errors count too
  console.error = function () {
    note(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})(console.error);
(function () {
  var data = JSON.parse(document.getElementById("data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    parent.appendChild(node); return node;
  }
  function label(parent, x, y, text, anchor) {
    var t = el("text", {x: x, y: y, "text-anchor": anchor || "start"}, parent); t.textContent = text; return t;
  }
  function bars(id, pairs) {
    var svg = document.getElementById(id), width = svg.getBoundingClientRect().width || 400;
    var max = Math.max.apply(null, pairs.map(function (p) { return p[1]; }).concat([1]));
    var row = Math.min(24, 200 / Math.max(pairs.length, 1));
    pairs.forEach(function (p, i) {
      var w = Math.max(2, (width - 170) * p[1] / max), y = 8 + i * row;
      label(svg, 0, y + row * 0.65, p[0]);
      el("rect", {x: 120, y: y, width: w, height: row * 0.7, fill: "#4b6cd8", "class": "bar"}, svg);
      label(svg, 126 + w, y + row * 0.65, String(p[1]));
    });
    if (!pairs.length) { label(svg, 0, 20, "nothing to show"); }
    document.body.dataset.charts = String(Number(document.body.dataset.charts) + 1);
  }
  function line(id, points) {
    var svg = document.getElementById(id), width = svg.getBoundingClientRect().width || 400, height = 200;
    if (points.length < 2) {
      label(svg, 0, 20, points.length ? "one sample so far" : "no history: run flaglint history");
      document.body.dataset.charts = String(Number(document.body.dataset.charts) + 1); return;
    }
    var max = Math.max.apply(null, points.map(function (p) { return p[1]; }).concat([1]));
    var step = (width - 40) / (points.length - 1);
    var path = points.map(function (p, i) {
      return (i ? "L" : "M") + (20 + i * step) + "," + (height - 20 - (height - 40) * p[1] / max);
    }).join(" ");
    el("path", {d: path, fill: "none", stroke: "#d8574b", "stroke-width": 2, "class": "trend"}, svg);
    label(svg, 20, height - 4, points[0][0]); label(svg, width - 20, height - 4, points[points.length - 1][0], "end");
    label(svg, 20, 14, "max " + max + " references");
    document.body.dataset.charts = String(Number(document.body.dataset.charts) + 1);
  }
  document.getElementById("subtitle").textContent = data.subtitle;
  var head = document.getElementById("headline");
  data.headline.forEach(function (h) {
    var d = document.createElement("div"); d.textContent = h[1];
    var s = document.createElement("span"); s.textContent = h[0]; d.appendChild(s); head.appendChild(d);
  });
  bars("by-state", data.byState); bars("by-owner", data.byOwner); bars("ages", data.ages);
  line("trend", data.trend);
  var body = document.querySelector("#flags tbody");
  data.rows.forEach(function (r) {
    var tr = document.createElement("tr");
    r.forEach(function (cell, i) {
      var td = document.createElement("td"); td.textContent = cell; if (i === 4 || i === 5) td.className = "num";
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
})();
</script></body></html>
"""


def html(
    report: Report,
    *,
    owner_of: Callable[[str], str | None],
    trend: Sequence[tuple[str, int]] = (),
) -> str:
    """One self-contained page (no network at view time): headline, charts drawn in the page from
    embedded data (flags by state, by owner, an age histogram, the trend from `flaglint history`),
    and the flag table. The page marks `data-charts` with the number of charts it drew.
    """
    owners = Counter(_owner(row, owner_of) for row in report.rows)
    buckets = [(0, 30), (30, 90), (90, 180), (180, 365), (365, None)]
    ages = [row.age_days for row in report.rows if row.references and row.age_days is not None]
    histogram = [
        (f"{low}-{high}" if high else f"{low}+", sum(1 for a in ages if a >= low and (high is None or a < high)))
        for low, high in buckets
    ]
    removable = sum(1 for row in report.rows if set(row.codes) & set(REMOVABLE))
    data = {
        "subtitle": f"{len(report.rows)} flags in {report.files_scanned} files as of {report.today}",
        "headline": [
            ["flags", len(report.rows)],
            ["removable", removable],
            ["stale", sum(1 for row in report.rows if "FL005" in row.codes)],
            ["references", sum(row.references for row in report.rows) + len(report.dynamic)],
        ],
        "byState": sorted(report.by_state.items(), key=lambda item: -item[1]),
        "byOwner": owners.most_common(8),
        "ages": histogram,
        "trend": list(trend),
        "rows": [
            [
                row.key,
                row.owner or "-",
                row.state,
                row.why,
                "-" if row.age_days is None else row.age_days,
                row.references,
                " ".join(row.codes),
            ]
            for row in report.rows
        ],
    }
    embedded = json.dumps(data).replace("</", "<\\/")  # never closes the script element early
    return _PAGE.replace("__DATA__", embedded)
