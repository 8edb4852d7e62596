"""Runs the enabled rules over every row, sets aside what the suppressions silence, and orders
the findings by severity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analyzer.findings.config import SEVERITIES, FindingsConfig
from analyzer.findings.suppress import Suppressed, suppressed_by

__all__ = [
    "EVIDENCE_SHOWN",
    "SEVERITIES",
    "Finding",
    "RuleResults",
    "evaluate_rules",
    "run_rules",
    "worst_severity",
]

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


@dataclass(frozen=True)
class RuleResults:
    """The findings to report, and those the configuration's suppressions silenced."""

    findings: list[Finding]
    suppressed: list[Suppressed]


def _order(severity: str, rule_id: str, title: str) -> tuple[int, str, str]:
    return (-SEVERITIES[severity], rule_id, title)


def evaluate_rules(
    frame: pd.DataFrame, baseline: pd.DataFrame | None, config: FindingsConfig
) -> RuleResults:
    """`baseline` is history before the report window (None: no history, so the first-seen
    and dormancy rules have nothing to compare with and stay silent). Every rule sees every
    row; suppressions are applied to the findings (see `analyzer.findings.suppress`)."""
    from analyzer.findings.rules import RULES
    from analyzer.reports.common import analyzed

    rows = analyzed(frame)
    found: list[Finding] = []
    silenced: list[Suppressed] = []
    for rule_id, rule in RULES.items():
        settings = config.rules[rule_id]
        if not settings.enabled:
            continue
        for finding in rule(rows, baseline, settings):
            entries = suppressed_by(rule_id, finding.evidence, config.suppressions)
            if not entries:
                found.append(finding)
                continue
            first = finding.evidence["event_time"].min() if len(finding.evidence) else None
            silenced.append(Suppressed(
                finding.rule_id, finding.severity, finding.title, len(finding.evidence),
                None if pd.isna(first) else first, entries))  # fmt: skip
    return RuleResults(
        sorted(found, key=lambda f: _order(f.severity, f.rule_id, f.title)),
        sorted(silenced, key=lambda f: _order(f.severity, f.rule_id, f.title)),
    )


def run_rules(
    frame: pd.DataFrame, baseline: pd.DataFrame | None, config: FindingsConfig
) -> list[Finding]:
    """The findings to report (`evaluate_rules` also says which were suppressed)."""
    return evaluate_rules(frame, baseline, config).findings


def worst_severity(findings: list[Finding]) -> str | None:
    if not findings:
        return None
    return max((f.severity for f in findings), key=lambda s: SEVERITIES[s])
