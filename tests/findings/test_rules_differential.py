"""The findings engine against the plain reference (`reference_rules.py`) on random frames:
every finding, in order, with the same text and the same evidence rows, and the same
suppressed findings. Frames mix nulls, equal times, times exactly a window apart, values
that print like a null (`nan`, `<NA>`), `?` (what a missing name counts as in spreads),
addresses that are not addresses, and thresholds low enough for every rule to fire."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from analyzer.findings.config import FindingsConfig, parse_config
from analyzer.findings.engine import evaluate_rules
from analyzer.findings.model import Finding
from analyzer.frame.schema import frame_from_rows
from tests.findings.reference_rules import reference_results


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible frames, not secrets


START = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
ACCOUNTS = ["111111111111", "222222222222", "333333333333", "<NA>", "nan", None]
USERS = ["alice", "bob", "Admin", "?", "nan", "<NA>", "", "ünï", "a b\x00", None]
ADDRESSES = [
    "10.0.0.1", "10.0.0.2", "10.9.8.7", "192.0.2.1", "2001:db8::1", "2001:db8::2",
    "198.51.100.7", "not-an-ip", "fe80::1%eth0", "?", "", None,
]  # fmt: skip
AGENTS = ["Mozilla/5.0 (X11)", "Mozilla/5.0 (Mac)", "curl/8.0", "aws-cli/2", "?", None]
REGIONS = ["us-east-1", "eu-west-1", "nan", None]
PROVIDERS = [
    "IAM Identity Center",
    "arn:aws:iam::111111111111:saml-provider/Okta",
    "arn:aws:iam::222222222222:saml-provider/Okta",
    "arn:aws:iam::٣٣٣:saml-provider/Okta",  # digits Python's \d reads, ASCII ones do not
    None,
]
SESSIONS = ["alice@example.com", "bob@example.com", "AWSReservedSSO_Admin_1/alice", None]


def _time(rng: random.Random, base: datetime) -> datetime | None:
    """Times on a coarse grid (ties, windows ending exactly on a row) and off it."""
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.6:
        return base + timedelta(minutes=rng.randrange(0, 40))
    return base + timedelta(
        seconds=rng.randrange(0, 2400), microseconds=rng.choice([0, 1, 999_999])
    )


def _row(rng: random.Random, n: int, base: datetime) -> dict[str, Any]:
    pick = rng.choice
    kind = pick(["login"] * 6 + ["mfa_check", None])
    return {
        "event_id": pick([f"e{n}"] * 8 + [f"e{rng.randrange(5)}", None]),
        "event_time": _time(rng, base),
        "event_name": pick(["ConsoleLogin", "ConsoleLogin", "GetSigninToken", "CheckMfa"]),
        "event_kind": kind,
        "account_id": pick(ACCOUNTS),
        "identity_type": pick(["Root", "IAMUser", "IAMUser", "AssumedRole", None]),
        "user_name": pick(USERS),
        "unknown_user": pick([True, False, False, None]),
        "identity_center_user_id": pick([None, None, "u-1", "u-2"]),
        "identity_provider": pick(PROVIDERS),
        "session_name": pick(SESSIONS),
        "role_name": pick(["AWSReservedSSO_Admin_1", "Broker", None]),
        "source_ip": pick(ADDRESSES),
        "user_agent": pick(AGENTS),
        "outcome": pick(["success", "success", "failure", "failure", None]),
        "failure_kind": pick(["mfa", "password", None]),
        "mfa_status": pick(["no_mfa", "mfa", None]),
        "region": pick(REGIONS),
        "endpoint": pick(["us-east-1.signin.aws.amazon.com", None]),
    }


def random_frame(rng: random.Random, rows: int, base: datetime = START) -> pd.DataFrame:
    return frame_from_rows([_row(rng, n, base) for n in range(rows)])


def random_config(rng: random.Random, suppress: bool) -> FindingsConfig:
    minutes = rng.choice([1, 2, 5, 10])
    data: dict[str, Any] = {
        "rules": {
            "root_failures": {"failures": rng.choice([1, 2, 3])},
            "brute_force_user": {"failures": rng.choice([2, 3]), "minutes": minutes},
            "brute_force_ip": {"failures": rng.choice([2, 3]), "minutes": minutes},
            "password_spray": {"users": rng.choice([2, 3]), "minutes": minutes},
            "success_after_failures": {"failures": rng.choice([1, 2]), "minutes": minutes},
            "unknown_user": {"attempts": rng.choice([1, 2])},
            "multiple_ips": {"ips": rng.choice([2, 3]), "minutes": minutes},
            "dormant_user": {"days": rng.choice([1, 5])},
            "org_failures_from_ip": {"accounts": 2, "minutes": minutes},
            "org_new_place_many_accounts": {"accounts": 2, "minutes": minutes},
            "member_root_signin": {"management_account": "111111111111"},
        }
    }
    if suppress:
        data["allow"] = {"cidrs": ["10.0.0.0/8"], "user_agents": ["Mozilla/5.0*"]}
        data["suppress"] = [
            {"rules": ["brute_force_ip", "org_failures_from_ip", "new_source_ip"],
             "cidrs": ["10.0.0.0/16", "2001:db8::/32"], "reason": "office"},
            {"rules": ["no_mfa", "brute_force_user", "multiple_ips", "root_signin"],
             "users": ["alice", "?", "nan"]},
            {"rules": ["password_spray", "mfa_failure", "unknown_user"],
             "user_agents": ["curl/8.0", "Mozilla/5.0 (X11)"], "users": ["bob", "Admin"]},
            {"rules": ["new_source_ip", "new_user_agent", "no_mfa"], "users": ["carol", "bob"],
             "identity_types": ["AssumedRole"], "accounts": [ACCOUNTS[0]]},
        ]  # fmt: skip
    return parse_config(data)


def assert_same(frame: pd.DataFrame, baseline: pd.DataFrame | None, config: FindingsConfig) -> None:
    results = evaluate_rules(frame, baseline, config)
    expected, silenced = reference_results(frame, baseline, config)
    got = [(f.rule_id, f.severity, f.title, f.description) for f in results.findings]
    assert got == [finding[:4] for finding in expected]
    for finding, want in zip(results.findings, expected, strict=True):
        assert finding.as_dict() == Finding(*want).as_dict()  # before the evidence is built
        pd.testing.assert_frame_equal(finding.evidence, want[4])
    assert [
        (s.rule_id, s.severity, s.title, s.events, s.first_event, s.entries)
        for s in results.suppressed
    ] == silenced


@pytest.mark.parametrize("seed", range(25))
def test_same_findings_without_history(seed: int) -> None:
    rng = _rng(seed)
    assert_same(random_frame(rng, rng.randrange(1, 160)), None, random_config(rng, False))


@pytest.mark.parametrize("seed", range(25))
def test_same_findings_with_history(seed: int) -> None:
    rng = _rng(1000 + seed)
    baseline = random_frame(
        rng, rng.randrange(0, 120), START - timedelta(days=rng.choice([0, 3, 30]))
    )
    assert_same(random_frame(rng, rng.randrange(1, 160)), baseline, random_config(rng, False))


@pytest.mark.parametrize("seed", range(25))
def test_same_findings_and_suppressions(seed: int) -> None:
    rng = _rng(2000 + seed)
    baseline = (
        random_frame(rng, rng.randrange(0, 80), START - timedelta(days=10)) if seed % 2 else None
    )
    assert_same(random_frame(rng, rng.randrange(1, 160)), baseline, random_config(rng, True))


def test_empty_frames() -> None:
    empty = frame_from_rows([])
    assert_same(empty, None, FindingsConfig())
    assert_same(empty, empty, FindingsConfig())
    assert_same(random_frame(_rng(7), 50), empty, random_config(_rng(7), True))


def test_every_rule_fires_somewhere() -> None:
    """The random frames are able to make each rule fire (else the comparison proves little)."""
    fired: set[str] = set()
    for seed in range(40):
        rng = _rng(1000 + seed)
        baseline = random_frame(
            rng, rng.randrange(0, 120), START - timedelta(days=rng.choice([0, 3, 30]))
        )
        frame = random_frame(rng, rng.randrange(1, 160))
        fired |= {
            f.rule_id for f in evaluate_rules(frame, baseline, random_config(rng, False)).findings
        }
    assert fired == set(FindingsConfig().rules)


def test_a_null_address_is_inside_no_network() -> None:
    """A CIDR entry never matches a row without a source IP (nor one that is not an
    address), and matching one does not fail (Arrow once refused the nulls)."""
    config = parse_config(
        {"suppress": [{"rules": ["no_mfa"], "cidrs": ["10.0.0.0/8", "::/16"], "reason": "x"}]}
    )
    rows = [
        {**_row(_rng(n), n, START), "event_kind": "login", "outcome": "success",
         "identity_type": "IAMUser", "mfa_status": "no_mfa", "user_name": "carol",
         "source_ip": ip}
        for n, ip in enumerate(["10.1.2.3", "10.1.2.4"])
    ]  # fmt: skip
    silenced = evaluate_rules(frame_from_rows(rows), None, config)
    assert [s.rule_id for s in silenced.suppressed] == ["no_mfa"]
    for odd in (None, "not-an-ip", ""):
        frame = frame_from_rows([*rows, {**rows[0], "event_id": "odd", "source_ip": odd}])
        results = evaluate_rules(frame, None, config)
        assert "no_mfa" in {f.rule_id for f in results.findings}
        assert results.suppressed == []
        assert_same(frame, None, config)
