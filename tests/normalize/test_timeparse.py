from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analyzer.normalize.timeparse import parse_event_time

MOMENT = datetime(2024, 6, 2, 19, 41, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-06-02T19:41:40Z",
        "2024-06-02 19:41:40",
        "2024-06-02 19:41:40.000000000",
        "2024-06-02T12:41:40-07:00",
    ],
)
def test_formats_seen_in_real_data(raw: str) -> None:
    assert parse_event_time(raw) == MOMENT


@pytest.mark.parametrize("raw", ["...", "redacted", "", None])
def test_unparseable(raw: str | None) -> None:
    assert parse_event_time(raw) is None
