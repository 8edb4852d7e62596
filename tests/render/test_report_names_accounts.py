"""A report read on its own (a mail attachment, an S3 object) says which account(s) it covers."""

from __future__ import annotations

import io

from analyzer.render.formats import OutputFormat
from analyzer.render.registry import renderer_for
from tests.render.test_table_layout import sample_report


def test_html_names_the_accounts_and_the_window() -> None:
    out = io.StringIO()
    report = sample_report()
    renderer_for(OutputFormat.html).render(report, out, ["summary"])
    assert "window 2026-11-02T00:00:00Z to 2026-11-09T00:00:00Z" in out.getvalue()
    assert "; account 111122223333." in out.getvalue()
    assert report.summary["account_ids"] == ["111122223333"]
