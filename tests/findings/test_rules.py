"""Every rule with a case that fires and one that does not."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analyzer.findings.config import ConfigError, FindingsConfig, load_config, parse_config
from analyzer.findings.defaults import FailureBurst
from analyzer.findings.engine import Finding, run_rules
from analyzer.frame.schema import frame_from_rows
from analyzer.normalize import normalize_record
from tests.conftest import console_login

ROOT = {"type": "Root", "arn": "arn:aws:iam::1:root", "accountId": "1"}
FAIL = {"responseElements": {"ConsoleLogin": "Failure"}, "errorMessage": "Failed authentication"}
MFA = {"additionalEventData": {"MFAUsed": "Yes"}}


def user(name: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "userName": name,
        "accountId": "1",
        "arn": f"arn:aws:iam::1:user/{name}",
    }


def event(n: int, minute: int, **overrides: Any) -> dict[str, Any]:
    record = console_login(eventID=f"e{n}", eventTime=f"2026-11-03T10:{minute:02d}:00Z", **MFA)
    record.update(overrides)
    return record


def frame(*records: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for record in records:
        normalized = normalize_record(record, "t")
        assert normalized is not None
        rows.append(normalized.row)
    return frame_from_rows(rows)


def fired(
    data: pd.DataFrame, baseline: pd.DataFrame | None = None, config: FindingsConfig | None = None
) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in run_rules(data, baseline, config or FindingsConfig()):
        found.setdefault(finding.rule_id, []).append(finding)
    return found


def test_root_signin() -> None:
    assert "root_signin" in fired(frame(event(1, 0, userIdentity=ROOT)))
    assert "root_signin" not in fired(frame(event(1, 0)))


def test_root_failures_threshold() -> None:
    three = [event(n, n, userIdentity=ROOT, **FAIL) for n in range(3)]
    assert len(fired(frame(*three))["root_failures"][0].evidence) == 3
    assert "root_failures" not in fired(frame(*three[:2]))


def test_no_mfa_is_identity_aware() -> None:
    no_mfa = event(1, 0, additionalEventData={"MFAUsed": "No"})
    saml = event(
        2,
        0,
        additionalEventData={"MFAUsed": "No"},
        userIdentity={"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Okta/frank"},
    )
    found = fired(frame(no_mfa, saml))
    assert [f.title for f in found["no_mfa"]] == ["Console sign-in without MFA: Anaya"]
    assert "no_mfa" not in fired(frame(saml, event(3, 0)))


def test_mfa_failure() -> None:
    assert "mfa_failure" in fired(frame(event(1, 0, **FAIL)))  # MFAUsed Yes on a failure
    plain = event(1, 0, **FAIL, additionalEventData={"MFAUsed": "No"})
    assert "mfa_failure" not in fired(frame(plain))


def test_brute_force_user_and_ip() -> None:
    burst = [event(n, n * 2, **FAIL, sourceIPAddress="192.0.2.9") for n in range(5)]
    found = fired(frame(*burst))
    assert len(found["brute_force_user"][0].evidence) == 5
    slow = [event(n, 0, **FAIL, eventTime=f"2026-11-0{n + 1}T10:00:00Z") for n in range(5)]
    assert "brute_force_user" not in fired(frame(*slow))
    many = [
        event(n, n, **FAIL, sourceIPAddress="192.0.2.9", userIdentity=user(f"u{n % 2}"))
        for n in range(10)
    ]
    assert "brute_force_ip" in fired(frame(*many))
    assert "brute_force_ip" not in fired(frame(*many[:9]))


def test_password_spray_by_ip() -> None:
    spray = [
        event(n, n, **FAIL, sourceIPAddress="192.0.2.7", userIdentity=user(f"u{n}"))
        for n in range(3)
    ]
    found = fired(frame(*spray))
    assert any(f.title == "Password spray from 192.0.2.7" for f in found["password_spray"])
    assert "password_spray" not in fired(frame(*spray[:2]))


def test_success_after_failures() -> None:
    failures = [event(n, n, **FAIL) for n in range(3)]
    found = fired(frame(*failures, event(9, 5)))
    assert len(found["success_after_failures"][0].evidence) == 4
    assert "success_after_failures" not in fired(frame(*failures[:2], event(9, 5)))
    late = event(9, 0, eventTime="2026-11-03T13:00:00Z")
    assert "success_after_failures" not in fired(frame(*failures, late))


def test_unknown_user() -> None:
    hidden = event(
        1,
        0,
        **FAIL,
        userIdentity={
            "type": "IAMUser",
            "accountId": "1",
            "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
        },
    )
    assert "unknown_user" in fired(frame(hidden))
    assert "unknown_user" not in fired(frame(event(1, 0, **FAIL)))


def test_first_seen_ip_agent_region_against_history() -> None:
    baseline = frame(event(1, 0, eventTime="2026-10-01T10:00:00Z"))
    now = frame(
        event(2, 0, sourceIPAddress="203.0.113.99", userAgent="curl/8", awsRegion="eu-north-1")
    )
    found = fired(now, baseline)
    assert [f.title for f in found["new_source_ip"]] == ["New source IP for Anaya: 203.0.113.99"]
    assert "new_user_agent" in found
    assert "new_region" in found
    same = frame(event(2, 0))
    quiet = fired(same, baseline)
    assert not {"new_source_ip", "new_user_agent", "new_region"} & set(quiet)
    assert "new_source_ip" not in fired(now, None)  # no history: no baseline, no claim


def test_multiple_ips() -> None:
    hops = [event(n, n, sourceIPAddress=f"198.51.100.{n}") for n in range(3)]
    assert "multiple_ips" in fired(frame(*hops))
    spread = [
        event(n, 0, sourceIPAddress=f"198.51.100.{n}", eventTime=f"2026-11-0{n + 1}T10:00:00Z")
        for n in range(3)
    ]
    assert "multiple_ips" not in fired(frame(*spread))


def test_dormant_user() -> None:
    old = frame(event(1, 0, eventTime="2026-06-01T10:00:00Z"))
    recent = frame(event(1, 0, eventTime="2026-10-20T10:00:00Z"))
    assert "dormant_user" in fired(frame(event(2, 0)), old)
    assert "dormant_user" not in fired(frame(event(2, 0)), recent)


def test_getsignintoken_outside_portal() -> None:
    broker = event(
        1,
        0,
        eventName="GetSigninToken",
        userIdentity={"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Broker/grace"},
    )
    portal = event(
        2,
        0,
        eventName="GetSigninToken",
        userIdentity={
            "type": "AssumedRole",
            "arn": "arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_1/dana",
        },
    )
    assert [f.title for f in fired(frame(broker, portal))["getsignintoken_outside_portal"]] == [
        "Console sign-in token minted outside the Identity Center portal: grace"
    ]


def test_allow_lists_are_exact_and_spare_root() -> None:
    """The blanket `[allow]` table: exact user names and user agents, never a root row."""
    config = parse_config(
        {
            "allow": {
                "cidrs": ["192.0.2.0/24"],
                "users": ["breakglass"],
                "user_agents": ["CorpBrowser/2.1"],
            }
        }
    )
    no_mfa = {"additionalEventData": {"MFAUsed": "No"}, "sourceIPAddress": "203.0.113.5"}
    rows = frame(
        event(2, 0, userIdentity=user("breakglass"), **no_mfa),
        event(3, 0, userIdentity=user("carol"), userAgent="CorpBrowser/2.1", **no_mfa),
        event(4, 0, userIdentity=user("dave"), **{**no_mfa, "sourceIPAddress": "192.0.2.10"}),
    )
    assert fired(rows, config=config) == {}
    assert set(fired(rows)) == {"no_mfa"}
    spoofed = frame(event(5, 0, userIdentity=user("erin"), userAgent="x CorpBrowser/2.1", **no_mfa))
    assert set(fired(spoofed, config=config)) == {"no_mfa"}  # a substring is not a match
    root = frame(event(1, 0, userIdentity=ROOT, **{**no_mfa, "sourceIPAddress": "192.0.2.10"}))
    assert set(fired(root, config=config)) == {"root_signin", "no_mfa"}


def test_config_thresholds_and_disabling() -> None:
    config = parse_config(
        {
            "rules": {
                "root_failures": {"failures": 2, "severity": "high"},
                "root_signin": {"enabled": False},
            }
        }
    )
    rows = frame(
        *[event(n, n, userIdentity=ROOT, **FAIL) for n in range(2)], event(5, 9, userIdentity=ROOT)
    )
    found = fired(rows, config=config)
    assert found["root_failures"][0].severity == "high"
    assert "root_signin" not in found


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rule": {}}, "unknown key 'rule'"),
        ({"rules": {"nope": {}}}, "rules.nope: no such rule"),
        (
            {"rules": {"brute_force_user": {"failure": 3}}},
            "rules.brute_force_user.failure: unknown setting",
        ),
        ({"rules": {"brute_force_user": {"failures": "3"}}}, "failures must be int, not str"),
        ({"rules": {"brute_force_user": {"failures": 0}}}, "failures must be at least 1"),
        ({"rules": {"no_mfa": {"severity": "urgent"}}}, "severity must be one of"),
        ({"rules": {"no_mfa": {"enabled": "yes"}}}, "enabled must be bool"),
        ({"allow": {"cidrs": ["nope"]}}, "'nope' is not a CIDR"),
        ({"allow": {"ips": []}}, "allow.ips: unknown key"),
        ({"rules": 5}, "rules must be a table, not int"),
        ({"rules": {"no_mfa": 5}}, "rules.no_mfa must be a table, not int"),
        ({"allow": ["x"]}, "allow must be a table, not array"),
        ({"allow": {"users": [[["x"]]]}}, "allow.users must be an array of strings"),
        ({"rules": {"brute_force_user": {"minutes": 10**20}}}, "minutes must be at most 527040"),
        ({"rules": {"dormant_user": {"days": 10**12}}}, "days must be at most 36600"),
        ({"rules": {"multiple_ips": {"ips": 1.5}}}, "ips must be int, not float"),
    ],
)
def test_config_errors_name_the_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("'", "'")):
        parse_config(data, "audit.toml")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\xff\xfe binary", "not a UTF-8 text file"),
        (b"rules = 5", "rules must be a table, not int"),
        (b"[allow]\nusers = " + b"[" * 5000 + b"]" * 5000, "allow.users: nested too deeply"),
        (b"x = " + b"{a=" * 3000 + b"1" + b"}" * 3000, "x: nested too deeply"),
        (b"[rules.dormant_user]\ndays = " + b"9" * 5000, "rules.dormant_user.days: not a usable"),
        (b"[rules.brute_force_ip]\nminutes = 9223372036854775807", "at most 527040"),
    ],
)
def test_config_file_errors_name_the_key(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "audit.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_config_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.toml"
    path.write_text('[rules.brute_force_ip]\nfailures = 4\n[allow]\nusers = ["bg"]\n')
    config = load_config(path)
    assert config.rules["brute_force_ip"] == FailureBurst(severity="high", failures=4, minutes=15)
    assert [(s.name, s.users) for s in config.suppressions] == [("allow.users", frozenset({"bg"}))]
    path.write_text("[rules\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


PUBLIC = Path(__file__).parent.parent / "data" / "public_events"


def public(file: str, index: int) -> pd.DataFrame:
    record = json.loads((PUBLIC / file).read_text())["Records"][index]
    record.setdefault("eventTime", "2026-11-03T10:00:00Z")
    return frame(record)


@pytest.mark.parametrize(
    ("file", "index", "rule", "expected"),
    [  # Panther's stated results for the same records (tests/data/public_events/expected.jsonl)
        ("panther-analysis__aws_console_login_without_mfa.json", 0, "no_mfa", True),
        ("panther-analysis__aws_console_login_without_mfa.json", 3, "no_mfa", False),
        ("panther-analysis__aws_console_login_without_mfa.json", 8, "no_mfa", False),
        ("panther-analysis__aws_console_root_login.json", 0, "root_signin", True),
        ("panther-analysis__aws_cloudtrail_unsuccessful_mfa_attempt.json", 1, "mfa_failure", True),
        ("panther-analysis__aws_cloudtrail_unsuccessful_mfa_attempt.json", 0, "mfa_failure", False),
        (
            "panther-analysis__aws_console_getsignintoken.json",
            0,
            "getsignintoken_outside_portal",
            True,
        ),
        (
            "panther-analysis__aws_console_getsignintoken.json",
            1,
            "getsignintoken_outside_portal",
            False,
        ),
    ],
)
def test_public_records_agree_with_panther(
    file: str, index: int, rule: str, expected: bool
) -> None:
    assert (rule in fired(public(file, index))) is expected
