"""`as_dicts` takes the shown evidence of many findings in one pass; it must give exactly
what each finding's own `as_dict` gives."""

from __future__ import annotations

import pytest

from analyzer.findings.engine import evaluate_rules
from analyzer.findings.model import Finding, as_dicts
from tests.findings.test_rules_differential import START, _rng, random_config, random_frame


@pytest.mark.parametrize("seed", range(8))
def test_as_dicts_equals_each_as_dict(seed: int) -> None:
    rng = _rng(seed)
    frame = random_frame(rng, 400)
    history = random_frame(rng, 200, START.replace(year=START.year - 1))
    findings = evaluate_rules(frame, history, random_config(rng, suppress=False)).findings
    assert any(f.evidence_rows is not None for f in findings)
    if findings:  # one finding given a built table, as a caller of the API may give it
        first = findings[0]
        findings[0] = Finding(
            first.rule_id, first.severity, first.title, first.description, first.evidence
        )
    assert as_dicts(findings) == [f.as_dict() for f in findings]


def test_findings_with_more_evidence_than_is_shown() -> None:
    """Findings sharing one frame with more rows than EVIDENCE_SHOWN: each shows its first
    fifty, as its own as_dict does."""
    from analyzer.findings.model import EVIDENCE_SHOWN

    rng = _rng(0)
    frame = random_frame(rng, 3000)
    history = random_frame(rng, 500, START.replace(year=START.year - 1))
    findings = evaluate_rules(frame, history, random_config(rng, suppress=False)).findings
    assert any(f.evidence_total > EVIDENCE_SHOWN for f in findings)
    assert as_dicts(findings) == [f.as_dict() for f in findings]
