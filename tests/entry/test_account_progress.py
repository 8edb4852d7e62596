"""The organization progress display: one line per account, its regions summed."""

from __future__ import annotations

import io

from rich.console import Console

from analyzer.domain.coverage import RegionCoverage
from analyzer.entry.progress import AccountProgress


def test_one_line_per_account_with_its_regions_summed() -> None:
    out = io.StringIO()
    display = AccountProgress(Console(file=out, force_terminal=True, width=140))
    east = RegionCoverage("us-east-1", "signin.amazonaws.com", account="111111111111")
    west = RegionCoverage("eu-west-1", "signin.amazonaws.com", account="111111111111")
    other = RegionCoverage("us-east-1", "signin.amazonaws.com", account="222222222222")
    with display:
        for stats in (east, west, other):
            display.update(stats)
        east.pages, east.events, east.throttles, east.status = 3, 120, 1, "ok"
        west.pages, west.events, west.status = 1, 7, "failed"
        display.update(east)
        display.update(west)
    text = out.getvalue()
    first = next(line for line in text.splitlines()[::-1] if "111111111111" in line)
    assert "2/2" in first
    assert "pages     4" in first
    assert "events     127" in first
    assert "failed 1" in first
    assert "222222222222" in text
    assert text.count("us-east-1") == 0  # accounts, not regions
