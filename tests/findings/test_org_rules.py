"""Cross-account rules, each with cases that fire and cases that must not."""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.findings.config import (
    ConfigError,
    FindingsConfig,
    parse_config,
    with_management_account,
)
from analyzer.findings.defaults import AccountSpread, MemberRoot
from analyzer.findings.org_rules import person_key
from tests.findings.test_rules import FAIL, event, fired, frame

ACCOUNTS = ["111111111111", "222222222222", "333333333333"]


def root(account: str) -> dict[str, Any]:
    return {"type": "Root", "arn": f"arn:aws:iam::{account}:root", "accountId": account}


def failed(n: int, minute: int, account: str, ip: str = "203.0.113.9") -> dict[str, Any]:
    return event(n, minute, userIdentity=root(account), recipientAccountId=account,
                 sourceIPAddress=ip, **FAIL)  # fmt: skip


def sso(account: str, person: str = "jane@example.com") -> dict[str, Any]:
    role = "AWSReservedSSO_Admin_0123456789abcdef"
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE:{person}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{person}",
        "accountId": account,
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "userName": role,
                              "arn": f"arn:aws:iam::{account}:role/{role}"},
        },
    }  # fmt: skip


def signin(n: int, minute: int, account: str, ip: str, who: dict[str, Any]) -> dict[str, Any]:
    return event(n, minute, userIdentity=who, recipientAccountId=account, sourceIPAddress=ip)


def test_failures_from_one_address_in_several_accounts() -> None:
    spray = frame(*(failed(i, i * 10, a) for i, a in enumerate(ACCOUNTS)))
    [finding] = fired(spray)["org_failures_from_ip"]
    assert finding.title == "Sign-ins failing in 3 accounts from 203.0.113.9"
    assert set(finding.evidence["account_id"]) == set(ACCOUNTS)
    # two accounts only; three accounts but more than an hour apart; three addresses
    assert "org_failures_from_ip" not in fired(frame(failed(1, 0, ACCOUNTS[0]),
                                                     failed(2, 5, ACCOUNTS[1]),
                                                     failed(3, 9, ACCOUNTS[1])))  # fmt: skip
    apart = [failed(1, 0, ACCOUNTS[0]), failed(2, 30, ACCOUNTS[1]),
             {**failed(3, 0, ACCOUNTS[2]), "eventTime": "2026-11-03T11:31:00Z"}]  # fmt: skip
    assert "org_failures_from_ip" not in fired(frame(*apart))
    spread = [failed(i, i, a, ip=f"198.51.100.{i}") for i, a in enumerate(ACCOUNTS)]
    assert "org_failures_from_ip" not in fired(frame(*spread))
    # successes are not failures
    ok = [signin(i, i, a, "203.0.113.9", root(a)) for i, a in enumerate(ACCOUNTS)]
    assert "org_failures_from_ip" not in fired(frame(*ok))


def test_threshold_is_configurable() -> None:
    config = parse_config({"rules": {"org_failures_from_ip": {"accounts": 2}}})
    two = frame(failed(1, 0, ACCOUNTS[0]), failed(2, 5, ACCOUNTS[1]))
    assert "org_failures_from_ip" in fired(two, config=config)


def test_one_person_opening_many_accounts_from_a_new_address() -> None:
    home = signin(1, 0, ACCOUNTS[0], "192.0.2.10", sso(ACCOUNTS[0]))
    away = [signin(10 + i, 20 + i, a, "198.51.100.66", sso(a)) for i, a in enumerate(ACCOUNTS)]
    [finding] = fired(frame(home, *away))["org_new_place_many_accounts"]
    assert (
        finding.title == "jane@example.com signed in to 3 accounts from a new address 198.51.100.66"
    )
    assert len(finding.evidence) == 3
    # the same with history: the address is new against the baseline
    baseline = frame(signin(90, 0, ACCOUNTS[0], "192.0.2.10", sso(ACCOUNTS[0])))
    assert "org_new_place_many_accounts" in fired(frame(*away), baseline)
    # not new when history has seen the person there
    known = frame(signin(91, 0, ACCOUNTS[1], "198.51.100.66", sso(ACCOUNTS[1])))
    assert "org_new_place_many_accounts" not in fired(frame(*away), known)


def test_no_finding_for_known_places_few_accounts_or_different_people() -> None:
    home = signin(1, 0, ACCOUNTS[0], "192.0.2.10", sso(ACCOUNTS[0]))
    usual = [signin(10 + i, 20 + i, a, "192.0.2.10", sso(a)) for i, a in enumerate(ACCOUNTS)]
    assert "org_new_place_many_accounts" not in fired(frame(home, *usual))
    two = [signin(10 + i, 20 + i, a, "198.51.100.66", sso(a)) for i, a in enumerate(ACCOUNTS[:2])]
    assert "org_new_place_many_accounts" not in fired(frame(home, *two))
    people = [signin(10 + i, 20 + i, a, "198.51.100.66", sso(a, f"p{i}@example.com"))
              for i, a in enumerate(ACCOUNTS)]  # fmt: skip
    assert "org_new_place_many_accounts" not in fired(frame(home, *people))
    # nothing known about the person before this address: nothing to compare with
    away = [signin(10 + i, 20 + i, a, "198.51.100.66", sso(a)) for i, a in enumerate(ACCOUNTS)]
    assert "org_new_place_many_accounts" not in fired(frame(*away))

    # IAM users of the same name in three accounts are three principals, not one person
    def iam(account: str) -> dict[str, Any]:
        return {"type": "IAMUser", "userName": "ops", "accountId": account,
                "arn": f"arn:aws:iam::{account}:user/ops"}  # fmt: skip

    first = signin(1, 0, ACCOUNTS[0], "192.0.2.10", iam(ACCOUNTS[0]))
    same_name = [signin(10 + i, 20 + i, a, "198.51.100.66", iam(a)) for i, a in enumerate(ACCOUNTS)]
    assert "org_new_place_many_accounts" not in fired(frame(first, *same_name))
    # beyond the window after the first use of the address
    late = {**away[2], "eventTime": "2026-11-03T11:30:00Z"}
    assert "org_new_place_many_accounts" not in fired(frame(home, away[0], away[1], late))


def test_person_key_joins_saml_sessions_across_accounts() -> None:
    def saml(account: str) -> dict[str, Any]:
        record = signin(int(account[0]), 0, account, "192.0.2.1", {
            "type": "AssumedRole", "accountId": account,
            "arn": f"arn:aws:sts::{account}:assumed-role/Admins/jane",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "Admins"}},
        })  # fmt: skip
        record["additionalEventData"] = {
            "SamlProviderArn": f"arn:aws:iam::{account}:saml-provider/Okta",
            "MFAUsed": "No",
        }
        return record

    keys = person_key(frame(*(saml(a) for a in ACCOUNTS)))
    assert set(keys) == {"saml-provider/Okta|jane"}


def test_root_in_a_member_account() -> None:
    management, member = ACCOUNTS[0], ACCOUNTS[1]
    config = with_management_account(FindingsConfig(), management)
    data = frame(signin(1, 0, member, "192.0.2.1", root(member)))
    [finding] = fired(data, config=config)["member_root_signin"]
    assert finding.title == f"Root user signed in to member account {member}"
    # root in the management account, a failed root sign-in, no organization known
    at_home = frame(signin(1, 0, management, "192.0.2.1", root(management)))
    assert "member_root_signin" not in fired(at_home, config=config)
    assert "member_root_signin" not in fired(frame(failed(1, 0, member)), config=config)
    assert "member_root_signin" not in fired(data)
    # a management account named in the configuration wins over the one found
    named = parse_config({"rules": {"member_root_signin": {"management_account": member}}})
    assert "member_root_signin" not in fired(data, config=with_management_account(named, "x"))


def test_management_account_setting_is_a_string() -> None:
    with pytest.raises(ConfigError, match="management_account must be str"):
        parse_config({"rules": {"member_root_signin": {"management_account": 111}}})


def test_management_account_setting_is_an_account_id() -> None:
    with pytest.raises(ConfigError, match=r"management_account must be a 12-digit account ID"):
        parse_config({"rules": {"member_root_signin": {"management_account": "mgmt"}}})
    named = parse_config({"rules": {"member_root_signin": {"management_account": ACCOUNTS[0]}}})
    assert named.rules["member_root_signin"] == MemberRoot(
        severity="high", management_account=ACCOUNTS[0]
    )


def test_org_thresholds_are_typed_and_bounded() -> None:
    config = parse_config({"rules": {"org_new_place_many_accounts": {"minutes": 5}}})
    assert config.rules["org_new_place_many_accounts"] == AccountSpread(
        severity="high", accounts=3, minutes=5
    )
    with pytest.raises(ConfigError, match=r"org_failures_from_ip\.accounts must be at most"):
        parse_config({"rules": {"org_failures_from_ip": {"accounts": 10**6}}})


def test_a_blanket_allow_entry_does_not_silence_spraying_across_accounts() -> None:
    # IAM users, not root: a blanket entry never matches root rows whatever the rule
    spray = frame(*(
        event(i, i * 10, recipientAccountId=a, sourceIPAddress="203.0.113.9", **FAIL)
        for i, a in enumerate(ACCOUNTS)
    ))  # fmt: skip
    assert "org_failures_from_ip" in fired(spray)
    config = parse_config({"allow": {"cidrs": ["203.0.113.0/24"]}})
    assert "org_failures_from_ip" in fired(spray, config=config)
