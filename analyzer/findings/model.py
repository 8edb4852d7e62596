"""What a finding is: its severity, text and evidence rows. Reports and renderers import this
module; it imports neither them nor the rules, so the findings engine and the report never
depend on each other."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analyzer.domain.values import Severity
from analyzer.frame.records import records_of

__all__ = ["EVIDENCE_SHOWN", "SEVERITY_RANK", "Finding", "Severity", "evidence", "worst_severity"]


SEVERITY_RANK: dict[str, int] = {s.value: rank for rank, s in enumerate(Severity, start=1)}

EVIDENCE_SHOWN = 50  # rows per finding in reports; the Finding itself keeps every row
EVIDENCE_COLUMNS = [
    "event_time", "event_name", "account_id", "user_name", "identity_type", "source_ip",
    "outcome", "failure_kind", "mfa_status", "region", "endpoint", "user_agent", "event_id",
]  # fmt: skip


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str  # a Severity value (rules take it from their settings)
    title: str
    description: str
    evidence: pd.DataFrame = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
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


def worst_severity(findings: Iterable[Finding]) -> Severity | None:
    severities = [Severity(f.severity) for f in findings]
    return max(severities, key=lambda s: s.rank) if severities else None


def at_or_above(findings: Iterable[Finding], threshold: Severity | str) -> bool:
    """True when a finding is at least as severe as `threshold`."""
    worst = worst_severity(findings)
    return worst is not None and worst.rank >= Severity(threshold).rank
