"""CI flag-debt reports through the `flaglint` command on the demo shop: SARIF that the official
2.1.0 schema accepts with fingerprints that survive moved lines, Markdown for a pull request,
GitHub annotations, gates with one-line reasons, and owners from CODEOWNERS.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "fixtures" / "demo-shop"
SCHEMA = REPO / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
TODAY = "2026-11-21"


def flaglint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flaglint", *args, "--today", TODAY, "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    copy = tmp_path / "shop"
    shutil.copytree(DEMO, copy)
    return copy


def test_sarif_is_valid_2_1_0_with_a_rule_per_code(shop: Path) -> None:
    done = flaglint(shop, "report", "--format", "sarif")
    assert done.returncode == 0, done.stderr
    log = json.loads(done.stdout)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(log)
    (run,) = log["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == [f"FL00{n}" for n in range(1, 10)]
    assert all(rule["help"]["text"] for rule in run["tool"]["driver"]["rules"])
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"FL001", "FL002", "FL003", "FL004", "FL005"}
    first = results[0]["locations"][0]["physicalLocation"]
    assert not first["artifactLocation"]["uri"].startswith("/")
    assert first["region"]["startLine"] >= 1
    assert len({r["partialFingerprints"]["flaglint/v1"] for r in results}) == len(results)


def test_sarif_fingerprints_do_not_churn_when_lines_move(shop: Path) -> None:
    def fingerprints() -> dict[str, tuple[str, int]]:
        results = json.loads(flaglint(shop, "report", "--format", "sarif").stdout)["runs"][0]["results"]
        found = {}
        for r in results:
            where = r["locations"][0]["physicalLocation"]
            if where["artifactLocation"]["uri"] == "shop/checkout.py":
                found[r["partialFingerprints"]["flaglint/v1"]] = (r["ruleId"], where["region"]["startLine"])
        return found

    before = fingerprints()
    checkout = shop / "shop" / "checkout.py"
    checkout.write_text("# a comment that moves every line\n\n" + checkout.read_text(encoding="utf-8"))
    after = fingerprints()
    assert before
    assert set(after) == set(before)
    assert all(after[key][1] == before[key][1] + 2 for key in before)


def test_markdown_summary_has_headline_worst_offenders_owners_and_the_clean_command(shop: Path) -> None:
    done = flaglint(shop, "report", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("## Flag debt\n")
    assert "| flags | removable | stale | references | lines behind dead flags |" in text
    assert "### Worst offenders" in text
    assert "| team-payments |" in text
    assert "### By owner" in text
    command = next(line for line in text.splitlines() if line.startswith("flaglint clean "))
    assert "--flag new-checkout=on" in command
    assert "--flag dynamic-pricing=" in command
    # The command does what it says: run it, and nothing removable is left.
    done = subprocess.run(
        [sys.executable, "-m", "flaglint", *command.split()[1:], "--allow-dirty"],
        cwd=shop,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    again = flaglint(shop, "report", "--format", "markdown").stdout
    assert "| removable |" in again
    headline = again.splitlines()[4]
    assert headline.split("|")[2].strip() == "0", again


def test_output_file_and_github_annotations(shop: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "debt.md"
    done = flaglint(shop, "report", "--format", "markdown", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("## Flag debt")
    annotations = flaglint(shop, "report", "--format", "github").stdout.splitlines()
    assert any(line.startswith("::error file=shop/") and ",title=FL001::FL001 " in line for line in annotations)
    assert any(line.startswith("::warning file=") for line in annotations)
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in annotations)


@pytest.mark.parametrize(
    ("gate", "tripped", "reason"),
    [
        (["--max-removable", "100"], False, ""),
        (["--max-removable", "1"], True, "removable flags: "),
        (["--max-age", "10000"], False, ""),
        (["--max-age", "30"], True, "older than 30 days: "),
        (["--fail-on", "error"], True, "findings at or above error"),
    ],
)
def test_gates_exit_1_with_a_one_line_reason(shop: Path, gate: list[str], tripped: bool, reason: str) -> None:
    done = flaglint(shop, "report", "--format", "json", *gate)
    assert done.returncode == (1 if tripped else 0), done.stderr
    gates = [line for line in done.stderr.splitlines() if line.startswith("flaglint: gate: ")]
    assert len(gates) == (1 if tripped else 0)
    if tripped:
        assert reason in gates[0]


def test_owners_come_from_codeowners_when_the_registry_has_none(shop: Path) -> None:
    (shop / ".github").mkdir()
    (shop / ".github" / "CODEOWNERS").write_text("*.py @org/everyone\n/shop/checkout.py @org/checkout\n")
    registry = shop / "flags.toml"
    registry.write_text(registry.read_text(encoding="utf-8").replace('owner = "team-payments"\n', ""))
    text = flaglint(shop, "report", "--format", "markdown").stdout
    assert "| @org/checkout |" in text


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_html_report_is_one_self_contained_page_whose_charts_draw_in_chromium(shop: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is needed (scripts/test installs it)"
    page = tmp_path / "debt.html"
    done = flaglint(shop, "report", "--format", "html", "--output", str(page))
    assert done.returncode == 0, done.stderr
    text = page.read_text(encoding="utf-8")
    assert "<script src" not in text
    assert "<link" not in text  # nothing fetched at view time
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, *profile, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-charts="4"' in dom.stdout  # every chart drew
    assert 'data-errors=""' in dom.stdout  # and no script error was raised
    assert dom.stdout.count('class="bar"') >= 5
    assert "new-checkout" in dom.stdout
    shot = tmp_path / "debt.png"
    subprocess.run(
        [chromium, *CHROMIUM_FLAGS, *profile, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000
    # The check can fail: a page that logs a console error is caught.
    broken = tmp_path / "broken.html"
    broken.write_text(text.replace("</body>", '<script>console.error("boom")</script></body>'), encoding="utf-8")
    command = [chromium, *CHROMIUM_FLAGS, *profile, "--dump-dom", broken.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert 'data-errors="boom;"' in dom.stdout


def test_lifecycle_fields_from_flags_toml_and_flagd_reach_check_and_report(tmp_path: Path) -> None:
    """The lifecycle through the command: a settling rollout and a flag in development (flags.toml),
    a flagd flag in development, and `settle-days` from the config.
    """
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.flaglint]\nsettle-days = 30\n[tool.flaglint.registry.flagd]\npath = "flags.json"\n', encoding="utf-8"
    )
    (root / "flags.toml").write_text(
        '[flags.settling]\nstate = "rolled-out"\nvalue = true\nstage = "live"\nchanged = 2026-11-01\n\n'
        '[flags.building]\nstate = "off"\nstage = "pre-live"\ncreated = 2026-11-10\n',
        encoding="utf-8",
    )
    flagd = {
        "flags": {
            "flagd-new": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "on",
                "metadata": {"stage": "initial"},
            }
        }
    }
    (root / "flags.json").write_text(json.dumps(flagd), encoding="utf-8")
    calls = "".join(f'client.is_enabled("{key}")\n' for key in ("settling", "building", "flagd-new"))
    (root / "app.py").write_text("import UnleashClient\n\n" + calls, encoding="utf-8")
    check = flaglint(root, "check", "--format", "json", "--fail-on", "never")
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["findings"] == []  # nothing to remove yet
    rows = {r["key"]: r for r in json.loads(flaglint(root, "report", "--format", "json").stdout)["flags"]}
    assert rows["settling"]["status"] == "settling"
    assert rows["settling"]["why"] == (
        "on for everyone in production for 20 days; removable once unchanged for 30 days"
    )
    assert (rows["building"]["status"], rows["building"]["stage"]) == ("in development", "pre-live")
    assert (rows["flagd-new"]["status"], rows["flagd-new"]["stage"]) == ("in development", "initial")


def test_the_markdown_reports_clean_command_runs_as_printed(shop: Path) -> None:
    # The shop's settings live in a file of their own, given with --config: the suggested command
    # carries it, and run exactly as printed it retires the removable flags.
    pyproject = shop / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    head, _, settings = text.partition("[tool.flaglint]\n")
    (shop / "flaglint.toml").write_text(settings.replace("[[tool.flaglint.patterns]]", "[[patterns]]"))
    pyproject.write_text(head, encoding="utf-8")
    done = flaglint(shop, "report", "--format", "markdown", "--config", "flaglint.toml")
    assert done.returncode == 0, done.stderr
    command = done.stdout.split("```sh\n", 1)[1].split("\n```", 1)[0]
    assert command.startswith("flaglint clean --config flaglint.toml --flag ")
    ran = subprocess.run(
        [sys.executable, "-m", "flaglint", *shlex.split(command)[1:], "--today", TODAY, "--no-cache"],
        cwd=shop,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode in (0, 1), ran.stderr  # 1: a flag it could not retire whole says so
    assert "Removed flag" in ran.stderr
