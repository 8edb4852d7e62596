"""The findings table reads unbuilt evidence (counts and first times from positions) and
must say exactly what it says once every finding's evidence is built."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analyzer.findings.engine import evaluate_rules
from analyzer.findings.model import Finding
from analyzer.render.sections import Block, section_rows
from analyzer.reports.report import build_report
from tests.findings.test_rules_differential import START, _rng, random_config, random_frame

NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.mark.parametrize("seed", range(8))
def test_findings_rows_same_with_lazy_and_built_evidence(seed: int) -> None:
    rng = _rng(seed)
    frame = random_frame(rng, 300)
    history = random_frame(rng, 200, START.replace(year=START.year - 1))
    findings = evaluate_rules(frame, history, random_config(rng, suppress=False)).findings
    held = [f.evidence_rows for f in findings]
    assert any(rows is not None for rows in held)
    lazy = [
        Finding(f.rule_id, f.severity, f.title, f.description, f.evidence if r is None else r)
        for f, r in zip(findings, held, strict=True)
    ]
    built = [Finding(f.rule_id, f.severity, f.title, f.description, f.evidence) for f in findings]

    def rows(chosen: list[Finding]) -> list[Block]:
        report = build_report(frame, None, window=None, generated_at=NOW, findings=chosen)
        return section_rows(report, ["findings"])

    assert rows(lazy) == rows(built)
