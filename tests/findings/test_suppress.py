"""Suppressions cannot hide an attack: scoped to the rules they name, exact, never catch-all,
never a blanket pass for root or password guessing, and every report says what they hid."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from analyzer.findings.config import ConfigError, load_config, parse_config
from analyzer.findings.engine import evaluate_rules
from analyzer.render.formats import OutputFormat
from analyzer.render.registry import renderer_for
from analyzer.reports import SECTION_NAMES, build_report
from tests.conftest import hermetic_env, write_trail
from tests.entry.test_cli import command
from tests.findings.test_rules import FAIL, ROOT, event, fired, frame, user

README = Path(__file__).resolve().parents[2] / "README.md"
CORP = "Mozilla/5.0 CorpManagedBrowser/2.1"
NO_MFA = {"additionalEventData": {"MFAUsed": "No"}}


def readme_config() -> str:
    """The example configuration as README shows it."""
    text = README.read_text(encoding="utf-8")
    start = text.index("Configuration (`--config audit.toml`)")
    return text[start:].split("```toml\n", 1)[1].split("```", 1)[0]


def root_attack() -> list[dict[str, Any]]:
    """11 failed root passwords, then a root sign-in without MFA, all from a user agent
    that contains the allowed browser's name."""
    failures = [
        event(
            n, n, userIdentity=ROOT, userAgent=f"evil {CORP}", sourceIPAddress="203.0.113.9", **FAIL
        )
        for n in range(11)
    ]
    success = event(
        20, 12, userIdentity=ROOT, userAgent=f"evil {CORP}", sourceIPAddress="203.0.113.9", **NO_MFA
    )
    return [*failures, success]


def test_readme_example_config_does_not_hide_a_root_attack(tmp_path: Path) -> None:
    path = tmp_path / "audit.toml"
    path.write_text(readme_config(), encoding="utf-8")
    found = fired(frame(*root_attack()), config=load_config(path))
    assert {"root_signin", "root_failures", "no_mfa", "brute_force_user"} <= set(found)
    # even a blanket entry equal to the attacker's user agent is no pass for root
    exact = parse_config({"allow": {"user_agents": [f"evil {CORP}"]}})
    found = fired(frame(*root_attack()), config=exact)
    assert {"root_signin", "root_failures", "no_mfa", "brute_force_user"} <= set(found)


def test_readme_example_config_still_fails_the_run(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text(readme_config(), encoding="utf-8")
    for index, record in enumerate(root_attack()):
        write_trail(tmp_path / "logs" / f"r{index}.json.gz", [record])
    result = subprocess.run(
        [*command(), "--logs", str(tmp_path / "logs"), "--config", str(config),
         "--since", "2026-11-01", "--until", "2026-12-01", "--fail-on", "high", "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False, env=hermetic_env(),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["suppressed"]["total"] == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"allow": {"user_agents": [""]}}, "allow.user_agents: an empty string would match"),
        ({"allow": {"users": ["  "]}}, "allow.users: an empty string would match"),
        ({"allow": {"users": []}}, "allow.users is empty"),
        ({"allow": {"user_agents": ["*"]}}, "would match almost any user agent"),
        ({"allow": {"user_agents": ["Mozilla*"]}}, "would match almost any user agent"),
        ({"allow": {"cidrs": ["0.0.0.0/0"]}}, "wider than /8"),
        ({"allow": {"cidrs": ["::/0"]}}, "wider than /16"),
        ({"allow": {"cidrs": ["0.0.0.0/1"]}}, "wider than /8"),
        ({"suppress": [{"users": ["bg"]}]}, r"suppress\[0\].rules: required"),
        ({"suppress": [{"rules": [], "users": ["bg"]}]}, r"suppress\[0\].rules is empty"),
        ({"suppress": [{"rules": ["no_mfa"]}]}, "give users, user_agents or cidrs"),
        ({"suppress": [{"rules": ["nope"], "users": ["bg"]}]}, "no such rule 'nope'"),
        ({"suppress": [{"rules": ["no_mfa"], "ips": ["x"]}]}, r"suppress\[0\].ips: unknown key"),
        ({"suppress": {"rules": ["no_mfa"]}}, r"suppress must be an array of tables"),
        ({"suppress": [{"rules": ["no_mfa"], "users": ["bg"], "reason": 5}]}, "reason must be"),
    ],
)
def test_empty_and_catch_all_entries_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(data, "audit.toml")


def test_entries_silence_only_the_rules_they_name() -> None:
    config = parse_config(
        {"suppress": [{"rules": ["no_mfa"], "users": ["breakglass"], "reason": "vault"}]}
    )
    rows = frame(
        *[event(n, n, userIdentity=user("breakglass"), **FAIL) for n in range(5)],
        event(9, 9, userIdentity=user("breakglass"), **NO_MFA),
    )
    results = evaluate_rules(rows, None, config)
    reported = {f.rule_id for f in results.findings}
    assert {"brute_force_user", "success_after_failures"} <= reported
    assert "no_mfa" not in reported
    assert [(s.rule_id, s.entries) for s in results.suppressed] == [
        ("no_mfa", ("suppress[0] (vault)",))
    ]


def test_every_criterion_of_an_entry_must_match() -> None:
    config = parse_config(
        {"suppress": [{"rules": ["no_mfa"], "users": ["bg"], "cidrs": ["198.51.100.0/24"]}]}
    )
    inside = frame(event(1, 0, userIdentity=user("bg"), sourceIPAddress="198.51.100.7", **NO_MFA))
    outside = frame(event(1, 0, userIdentity=user("bg"), sourceIPAddress="203.0.113.7", **NO_MFA))
    assert "no_mfa" not in fired(inside, config=config)
    assert "no_mfa" in fired(outside, config=config)


def test_user_agents_match_exactly_or_by_an_anchored_prefix() -> None:
    config = parse_config(
        {"suppress": [{"rules": ["no_mfa"], "user_agents": ["CorpManagedBrowser/*"]}]}
    )
    for agent, hidden in [
        ("CorpManagedBrowser/2.1", True),
        ("CorpManagedBrowser/3.0 (Windows)", True),
        ("Mozilla/5.0 CorpManagedBrowser/2.1", False),
        ("corpmanagedbrowser/2.1", False),
    ]:
        rows = frame(event(1, 0, userIdentity=user("amy"), userAgent=agent, **NO_MFA))
        assert ("no_mfa" not in fired(rows, config=config)) is hidden, agent


def test_blanket_entries_never_silence_root_or_password_guessing() -> None:
    """An office address in `[allow]` hides first-seen noise, never a brute force from it;
    only an entry naming the rule can."""
    office = "198.51.100.0/24"
    burst = frame(
        *[
            event(n, n, userIdentity=user(f"u{n % 4}"), sourceIPAddress="198.51.100.7", **FAIL)
            for n in range(12)
        ]
    )
    blanket = parse_config({"allow": {"cidrs": [office]}})
    assert {"brute_force_ip", "password_spray"} <= set(fired(burst, config=blanket))
    assert "unknown_user" not in fired(burst, config=blanket)
    named = parse_config({"suppress": [{"rules": ["brute_force_ip"], "cidrs": [office]}]})
    assert "brute_force_ip" not in fired(burst, config=named)
    assert "password_spray" in fired(burst, config=named)


def test_one_unmatched_row_keeps_the_finding() -> None:
    """Suppression applies to findings, not rows: allowed rows cannot thin an attacker's
    burst, and a finding with any row outside the entry is reported whole."""
    config = parse_config(
        {"suppress": [{"rules": ["brute_force_user"], "cidrs": ["198.51.100.0/24"]}]}
    )
    rows = frame(
        *[
            event(n, n, userIdentity=user("amy"), sourceIPAddress="198.51.100.7", **FAIL)
            for n in range(4)
        ],
        event(4, 4, userIdentity=user("amy"), sourceIPAddress="203.0.113.7", **FAIL),
    )
    results = evaluate_rules(rows, None, config)
    assert [len(f.evidence) for f in results.findings if f.rule_id == "brute_force_user"] == [5]
    assert results.suppressed == []


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_report_says_what_was_suppressed(fmt: OutputFormat) -> None:
    config = parse_config(
        {
            "suppress": [
                {"rules": ["no_mfa"], "users": ["bg"], "reason": "break-glass"},
                {"rules": ["no_mfa"], "users": ["svc"]},
            ]
        }
    )
    rows = frame(
        event(1, 0, userIdentity=user("bg"), **NO_MFA),
        event(2, 1, userIdentity=user("svc"), **NO_MFA),
        event(3, 2, userIdentity=user("amy"), **NO_MFA),
    )
    results = evaluate_rules(rows, None, config)
    report = build_report(
        rows, None, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC),
        findings=results.findings, suppressed=results.suppressed,
    )  # fmt: skip
    out = io.StringIO()
    renderer_for(fmt, frame=rows).render(report, out, list(SECTION_NAMES))
    text = out.getvalue()
    if fmt is OutputFormat.json:
        data = json.loads(text)["suppressed"]
        assert data["total"] == 2
        assert data["by_entry"] == {"suppress[0] (break-glass)": 1, "suppress[1]": 1}
        assert [f["title"] for f in data["findings"]] == [
            "Console sign-in without MFA: bg",
            "Console sign-in without MFA: svc",
        ]
        return
    plain = text.replace("\\", "")
    if fmt is OutputFormat.csv:
        block = plain.split("section,suppressed\n", 1)[1].split("\n\n", 1)[0]
        assert len(block.splitlines()) == 1 + 2  # the header and one row per finding
    else:
        assert re.search(r"Suppressed findings \(2\)", plain)
    assert "suppress[0] (break-glass)" in plain
    assert "suppress[1]" in plain


def principal(kind: str, account: str) -> dict[str, Any]:
    if kind == "IAMUser":
        return {"type": kind, "userName": "alice", "accountId": account,
                "arn": f"arn:aws:iam::{account}:user/alice"}  # fmt: skip
    return {"type": kind, "accountId": account, "principalId": "AROAX:alice",
            "arn": f"arn:aws:sts::{account}:assumed-role/Broker/alice"}  # fmt: skip


def test_a_users_entry_matches_names_administrators_give_unless_told_otherwise() -> None:
    """`users = ["alice"]` written for the IAM user alice silenced a role session anyone
    allowed to assume the role may name alice (found by an adversarial review)."""
    from analyzer.findings.suppress import matches

    rows = frame(
        event(1, 1, userIdentity=principal("IAMUser", "1" * 12), recipientAccountId="1" * 12),
        event(2, 2, userIdentity=principal("AssumedRole", "1" * 12), recipientAccountId="1" * 12),
        event(3, 3, userIdentity=principal("IAMUser", "2" * 12), recipientAccountId="2" * 12),
    )
    assert list(rows["user_name"]) == ["alice"] * 3

    def matched(entry: dict[str, Any]) -> list[bool]:
        [suppression] = parse_config({"suppress": [{"rules": ["no_mfa"], **entry}]}).suppressions
        return list(matches(suppression, rows))

    assert matched({"users": ["alice"]}) == [True, False, True]
    assert matched({"users": ["alice"], "identity_types": ["AssumedRole"]}) == [False, True, False]
    assert matched({"users": ["alice"], "accounts": ["222222222222"]}) == [False, False, True]
    with pytest.raises(ConfigError, match=r"accounts: '12' is not a 12-digit account ID"):
        parse_config({"suppress": [{"rules": ["no_mfa"], "users": ["a"], "accounts": ["12"]}]})
    with pytest.raises(ConfigError, match=r"identity_types: no identity type 'IamUser'"):
        parse_config(
            {"suppress": [{"rules": ["no_mfa"], "users": ["a"], "identity_types": ["IamUser"]}]}
        )
    with pytest.raises(ConfigError, match="give users, user_agents or cidrs"):
        parse_config({"suppress": [{"rules": ["no_mfa"], "identity_types": ["IAMUser"]}]})
