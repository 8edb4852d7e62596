"""The organization deployment files agree with each other and stay read-only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
READ_ONLY = ["cloudtrail:LookupEvents", "ec2:DescribeRegions"]


def load(path: str) -> Any:
    return json.loads((DEPLOY / path).read_text())


def test_member_role_template_is_read_only_and_needs_the_external_id() -> None:
    template = load("organization/member-role.template.json")
    role = template["Resources"]["SigninReportReader"]["Properties"]
    [policy] = role["Policies"]
    [allow] = policy["PolicyDocument"]["Statement"]
    assert sorted(allow["Action"]) == READ_ONLY
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert "${AuditAccountId}" in trust["Principal"]["AWS"]["Fn::Sub"]
    assert sorted(load("iam/org-member-role.json")["Statement"][0]["Action"]) == READ_ONLY


def test_management_policy_assumes_the_template_role() -> None:
    template = load("organization/member-role.template.json")
    role_name = template["Parameters"]["RoleName"]["Default"]
    statements = {s["Sid"]: s for s in load("iam/org-management.json")["Statement"]}
    assert statements["AssumeTheMemberRole"]["Resource"] == f"arn:aws:iam::*:role/{role_name}"
    assert "organizations:ListAccounts" in statements["ListTheOrganization"]["Action"]
