"""Every rule's settings and their defaults; the config file may change only these keys,
with values of the same type."""

from __future__ import annotations

from typing import Any

RULE_DEFAULTS: dict[str, dict[str, Any]] = {
    "root_signin": {"enabled": True, "severity": "high"},
    "root_failures": {"enabled": True, "severity": "medium", "failures": 3},
    "no_mfa": {"enabled": True, "severity": "high"},
    "mfa_failure": {"enabled": True, "severity": "medium"},
    "brute_force_user": {"enabled": True, "severity": "high", "failures": 5, "minutes": 15},
    "brute_force_ip": {"enabled": True, "severity": "high", "failures": 10, "minutes": 15},
    "password_spray": {"enabled": True, "severity": "high", "users": 3, "minutes": 60},
    "success_after_failures": {"enabled": True, "severity": "high", "failures": 3, "minutes": 60},
    "unknown_user": {"enabled": True, "severity": "low", "attempts": 1},
    "new_source_ip": {"enabled": True, "severity": "medium"},
    "new_user_agent": {"enabled": True, "severity": "low"},
    "new_region": {"enabled": True, "severity": "medium"},
    "multiple_ips": {"enabled": True, "severity": "medium", "ips": 3, "minutes": 10},
    "dormant_user": {"enabled": True, "severity": "medium", "days": 90},
    "getsignintoken_outside_portal": {"enabled": True, "severity": "medium"},
    # across the accounts of an organization (findings/org_rules.py)
    "org_failures_from_ip": {"enabled": True, "severity": "high", "accounts": 3, "minutes": 60},
    "org_new_place_many_accounts": {
        "enabled": True,
        "severity": "high",
        "accounts": 3,
        "minutes": 30,
    },
    "member_root_signin": {"enabled": True, "severity": "high", "management_account": ""},
}
