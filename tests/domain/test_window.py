"""The report window from what the user gave: days before now or before `until`, or a start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from analyzer.domain.window import Window, WindowError, resolve_window

NOW = datetime(2026, 11, 20, 23, 53, 1, 381628, tzinfo=UTC)


def test_days_alone_end_now_to_the_second() -> None:
    """CloudTrail times are whole seconds: a window printed with microseconds said no more."""
    window = resolve_window(days=7, since=None, until=None, now=NOW)
    assert window == Window(
        datetime(2026, 11, 13, 23, 53, 1, tzinfo=UTC), datetime(2026, 11, 20, 23, 53, 1, tzinfo=UTC)
    )
    assert window.as_dict()["until"] == "2026-11-20T23:53:01+00:00"


def test_days_count_back_from_until_and_since_wins_over_days() -> None:
    window = resolve_window(days=2, since=None, until="2026-11-09", now=NOW)
    assert (window.since, window.until) == (
        datetime(2026, 11, 7, tzinfo=UTC),
        datetime(2026, 11, 9, tzinfo=UTC),
    )
    window = resolve_window(days=2, since="2026-11-02", until="2026-11-09", now=NOW)
    assert window.since == datetime(2026, 11, 2, tzinfo=UTC)


def test_a_time_in_another_zone_is_taken_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    window = resolve_window(days=1, since=None, until=None, now=NOW.astimezone(plus_two))
    assert window.until == datetime(2026, 11, 20, 23, 53, 1, tzinfo=UTC)
    window = resolve_window(days=None, since="2026-11-02T08:00:00+02:00", until=None, now=NOW)
    assert window.since == datetime(2026, 11, 2, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "since", "until", "words"),
    [
        (0, None, None, "days must be a positive number of days, not 0"),
        (None, "2026-11-09", "2026-11-02", "the window is empty"),
        (None, "yesterday", None, "since 'yesterday' is not a date or ISO time"),
        (30, None, "9999-12-31", "is past 9999-12-30"),
    ],
)
def test_a_window_that_makes_no_sense_is_refused_with_its_reason(
    days: int | None, since: str | None, until: str | None, words: str
) -> None:
    with pytest.raises(WindowError, match=words.replace("(", r"\(").replace(")", r"\)")):
        resolve_window(days=days, since=since, until=until, now=NOW)
