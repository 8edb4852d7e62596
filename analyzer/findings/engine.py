"""Runs the enabled rules over the allowed rows and orders the findings by severity."""

from __future__ import annotations

import ipaddress
from typing import Any

import pandas as pd

from analyzer.findings.config import SEVERITIES, FindingsConfig
from analyzer.findings.model import (
    EVIDENCE_COLUMNS,
    EVIDENCE_SHOWN,
    SEVERITY_RANK,
    Finding,
    Severity,
    evidence,
    worst_severity,
)
from analyzer.findings.org_rules import ORG_RULES
from analyzer.findings.rules import RULES
from analyzer.reports.common import analyzed

__all__ = [
    "EVIDENCE_COLUMNS",
    "EVIDENCE_SHOWN",
    "SEVERITIES",
    "Finding",
    "Severity",
    "evidence",
    "run_rules",
    "worst_severity",
]


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
    rows = analyzed(frame)
    allowed = _allowed(rows, config)
    if allowed.any():
        rows = rows[~allowed]
    found: list[Finding] = []
    for rule_id, rule in {**RULES, **ORG_RULES}.items():
        settings = config.rules[rule_id]
        if settings["enabled"]:
            found.extend(rule(rows, baseline, settings))
    return sorted(found, key=lambda f: (-SEVERITY_RANK[f.severity], f.rule_id, f.title))

