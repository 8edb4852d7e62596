"""Runs the enabled rules over the allowed rows and orders the findings by severity."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analyzer.findings.config import SEVERITIES, FindingsConfig

__all__ = ["EVIDENCE_SHOWN", "SEVERITIES", "Finding", "run_rules", "worst_severity"]

EVIDENCE_SHOWN = 50  # rows per finding in reports; the Finding itself keeps every row
EVIDENCE_COLUMNS = [
    "event_time", "event_name", "account_id", "user_name", "identity_type", "source_ip",
    "outcome", "failure_kind", "mfa_status", "region", "endpoint", "user_agent", "event_id",
]  # fmt: skip


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str
    title: str
    description: str
    evidence: pd.DataFrame = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        from analyzer.reports.report import records_of

        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "title": self.title,
            "description": self.description,
            "evidence_total": len(self.evidence),
            "evidence": records_of(self.evidence.head(EVIDENCE_SHOWN)),
        }


def evidence(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("event_time", kind="stable")[EVIDENCE_COLUMNS].reset_index(drop=True)


def _allowed(frame: pd.DataFrame, config: FindingsConfig) -> pd.Series:
    """Rows an allow-list exempts: a source IP in an allowed CIDR, an allowed user name, or a
    user agent containing an allowed string."""
    mask = pd.Series(False, index=frame.index)
    if config.allow_users:
        mask |= frame["user_name"].isin(list(config.allow_users)).fillna(False).astype(bool)
    if config.allow_cidrs:

        def inside(value: Any) -> bool:
            try:
                address = ipaddress.ip_address(str(value))
            except ValueError:
                return False
            return any(address in network for network in config.allow_cidrs)

        mask |= frame["source_ip"].map(inside, na_action="ignore").fillna(False).astype(bool)
    for fragment in config.allow_user_agents:
        mask |= frame["user_agent"].str.contains(fragment, regex=False).fillna(False).astype(bool)
    return mask


def run_rules(
    frame: pd.DataFrame, baseline: pd.DataFrame | None, config: FindingsConfig
) -> list[Finding]:
    """`baseline` is history before the report window (None: no history, so the first-seen
    and dormancy rules have nothing to compare with and stay silent)."""
    from analyzer.findings.org_rules import ORG_RULES
    from analyzer.findings.rules import RULES
    from analyzer.reports.common import analyzed

    rows = analyzed(frame)
    allowed = _allowed(rows, config)
    if allowed.any():
        rows = rows[~allowed]
    found: list[Finding] = []
    for rule_id, rule in {**RULES, **ORG_RULES}.items():
        settings = config.rules[rule_id]
        if settings["enabled"]:
            found.extend(rule(rows, baseline, settings))
    return sorted(found, key=lambda f: (-SEVERITIES[f.severity], f.rule_id, f.title))


def worst_severity(findings: list[Finding]) -> str | None:
    if not findings:
        return None
    return max((f.severity for f in findings), key=lambda s: SEVERITIES[s])
