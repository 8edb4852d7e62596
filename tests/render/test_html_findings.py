"""The HTML report's findings: each shows its first EVIDENCE_SHOWN rows and says how many
more there are, and the page is written in pieces as Jinja2 generates it."""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime

import pytest

from analyzer.findings.config import FindingsConfig
from analyzer.findings.engine import run_rules
from analyzer.findings.model import EVIDENCE_SHOWN
from analyzer.frame.schema import frame_from_rows
from analyzer.render import html
from analyzer.render.formats import SECTION_NAMES
from analyzer.render.html import HtmlRenderer
from analyzer.reports import build_report
from tests.reports.test_reference import random_rows


class Writes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def write(self, text: str) -> int:
        self.count += 1
        return super().write(text)


def test_findings_show_their_first_rows_and_count_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = frame_from_rows(random_rows(random.Random(5), 1500))  # noqa: S311 - test data
    findings = run_rules(frame, None, FindingsConfig())
    big = [f for f in findings if f.evidence_total > EVIDENCE_SHOWN]
    assert big
    report = build_report(
        frame, None, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC),
        findings=findings,
    )  # fmt: skip
    monkeypatch.setattr(html, "PIECES_PER_WRITE", 50)
    out = Writes()
    HtmlRenderer().render(report, out, list(SECTION_NAMES))
    page = out.getvalue()
    assert out.count > 10  # written as generated, not as one string
    blocks = page.split('<div class="finding ')[1:]
    assert len(blocks) == len(findings)
    for finding, block in zip(findings, blocks, strict=True):
        rows = block.split("</table>")[0].count("<tr>") - 1  # (the header row)
        assert rows == min(finding.evidence_total, EVIDENCE_SHOWN)
        more = re.search(r"… and (\d+) more events", block)
        expected = finding.evidence_total - EVIDENCE_SHOWN
        assert (int(more.group(1)) if more else 0) == max(expected, 0)
