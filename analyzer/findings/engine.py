"""Runs the enabled rules over every row, sets aside what the suppressions silence, and orders
the findings by severity."""

from __future__ import annotations

from dataclasses import dataclass

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
from analyzer.findings.suppress import Suppressed, suppressed_by
from analyzer.reports.common import analyzed

__all__ = [
    "EVIDENCE_COLUMNS",
    "EVIDENCE_SHOWN",
    "SEVERITIES",
    "Finding",
    "RuleResults",
    "Severity",
    "evaluate_rules",
    "evidence",
    "run_rules",
    "worst_severity",
]


@dataclass(frozen=True)
class RuleResults:
    """The findings to report, and those the configuration's suppressions silenced."""

    findings: list[Finding]
    suppressed: list[Suppressed]


def _order(severity: str, rule_id: str, title: str) -> tuple[int, str, str]:
    return (-SEVERITY_RANK[severity], rule_id, title)


def evaluate_rules(
    frame: pd.DataFrame, baseline: pd.DataFrame | None, config: FindingsConfig
) -> RuleResults:
    """`baseline` is history before the report window (None: no history, so the first-seen
    and dormancy rules have nothing to compare with and stay silent). Every rule sees every
    row; suppressions are applied to the findings (see `analyzer.findings.suppress`)."""
    rows = analyzed(frame)
    found: list[Finding] = []
    silenced: list[Suppressed] = []
    for rule_id, rule in {**RULES, **ORG_RULES}.items():
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

