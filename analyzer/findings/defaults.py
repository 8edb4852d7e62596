"""Every rule's settings: one frozen type per rule, with its defaults. The config file may
change only these fields, with values of the same type and within `MAXIMUM`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["low", "medium", "high"]

# Upper bounds for the numeric settings: larger values have no meaning for a sign-in window
# and would overflow the time arithmetic (a window of 10**20 minutes).
MAXIMUM = {
    "failures": 1_000_000,
    "users": 1_000_000,
    "ips": 1_000_000,
    "attempts": 1_000_000,
    "minutes": 527_040,  # 366 days
    "days": 36_600,  # 100 years
    "accounts": 100_000,  # more than an organization can hold
}


@dataclass(frozen=True, kw_only=True)
class RuleSettings:
    """What every rule takes: rules without thresholds use this type itself."""

    enabled: bool = True
    severity: Severity = "medium"


@dataclass(frozen=True, kw_only=True)
class FailureCount(RuleSettings):
    failures: int


@dataclass(frozen=True, kw_only=True)
class FailureBurst(RuleSettings):
    failures: int
    minutes: int


@dataclass(frozen=True, kw_only=True)
class UserSpread(RuleSettings):
    users: int
    minutes: int


@dataclass(frozen=True, kw_only=True)
class IpSpread(RuleSettings):
    ips: int
    minutes: int


@dataclass(frozen=True, kw_only=True)
class AttemptCount(RuleSettings):
    attempts: int


@dataclass(frozen=True, kw_only=True)
class Dormancy(RuleSettings):
    days: int


@dataclass(frozen=True, kw_only=True)
class AccountSpread(RuleSettings):
    """Across the accounts of an organization: this many accounts within `minutes`."""

    accounts: int
    minutes: int


@dataclass(frozen=True, kw_only=True)
class MemberRoot(RuleSettings):
    """The organization's management account (12 digits); "" until an organization run
    fills it from DescribeOrganization or the configuration names it."""

    management_account: str = ""


RULE_DEFAULTS: dict[str, RuleSettings] = {
    "root_signin": RuleSettings(severity="high"),
    "root_failures": FailureCount(severity="medium", failures=3),
    "no_mfa": RuleSettings(severity="high"),
    "mfa_failure": RuleSettings(severity="medium"),
    "brute_force_user": FailureBurst(severity="high", failures=5, minutes=15),
    "brute_force_ip": FailureBurst(severity="high", failures=10, minutes=15),
    "password_spray": UserSpread(severity="high", users=3, minutes=60),
    "success_after_failures": FailureBurst(severity="high", failures=3, minutes=60),
    "unknown_user": AttemptCount(severity="low", attempts=1),
    "new_source_ip": RuleSettings(severity="medium"),
    "new_user_agent": RuleSettings(severity="low"),
    "new_region": RuleSettings(severity="medium"),
    "multiple_ips": IpSpread(severity="medium", ips=3, minutes=10),
    "dormant_user": Dormancy(severity="medium", days=90),
    "getsignintoken_outside_portal": RuleSettings(severity="medium"),
    "event_id_conflict": RuleSettings(severity="high"),
    # across the accounts of an organization (findings/org_rules.py)
    "org_failures_from_ip": AccountSpread(severity="high", accounts=3, minutes=60),
    "org_new_place_many_accounts": AccountSpread(severity="high", accounts=3, minutes=30),
    "member_root_signin": MemberRoot(severity="high"),
}

# Rules about the root user and password guessing: a blanket `[allow]` entry never silences
# them (nor any finding about a root sign-in); only a `[[suppress]]` entry naming the rule can.
PROTECTED_RULES = frozenset(
    {
        "root_signin",
        "root_failures",
        "brute_force_user",
        "brute_force_ip",
        "password_spray",
        "success_after_failures",
        "org_failures_from_ip",  # password guessing across the organization's accounts
        "member_root_signin",
        "event_id_conflict",  # a tampering signal: an allow-listed user must not hide it
    }
)
