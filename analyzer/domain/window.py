"""The time window of a report: `since` inclusive, `until` exclusive, both UTC.

Half-open windows tile without overlap, so `--since 2026-01-01 --until 2026-02-01` is exactly
January and two consecutive windows never count an event twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


class WindowError(ValueError):
    """The window the user asked for makes no sense; the message says why."""


@dataclass(frozen=True)
class Window:
    since: datetime | None
    until: datetime | None

    def contains(self, moment: datetime) -> bool:
        if self.since is not None and moment < self.since:
            return False
        return self.until is None or moment < self.until

    def as_dict(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def parse_moment(value: str | date | datetime, name: str) -> datetime:
    """A date means midnight UTC; a time without a zone is UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        raw = value.strip()
        try:
            moment = datetime.fromisoformat(raw.replace(" ", "T"))
        except ValueError:
            raise WindowError(
                f"{name} {value!r} is not a date or ISO time (e.g. 2026-01-31 or "
                "2026-01-31T12:00:00Z)"
            ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise WindowError(f"{name} {value!r} is outside the years 1 to 9999 in UTC") from None


# A window is read a day past its end (delivery lag), and no date follows 9999-12-31.
LATEST_END = datetime(9999, 12, 30, tzinfo=UTC)


def resolve_window(
    *,
    days: int | None,
    since: str | date | datetime | None,
    until: str | date | datetime | None,
    now: datetime,
    names: Mapping[str, str] | None = None,
) -> Window:
    """`since/until` win over `days`; `days` alone means the N days before now. `names` words
    the three in messages (the CLI passes its option names; the library says since, until,
    days)."""
    name = {"since": "since", "until": "until", "days": "days", **(names or {})}
    # Now to the whole second, as CloudTrail times are: a window shown as
    # 2026-11-20T23:53:01.381628+00:00 said nothing more, only less readably.
    moment = now.astimezone(UTC).replace(microsecond=0)
    end = parse_moment(until, name["until"]) if until is not None else moment
    if since is not None:
        start = parse_moment(since, name["since"])
    else:
        if days is None or days <= 0:
            raise WindowError(f"{name['days']} must be a positive number of days, not {days}")
        try:
            start = end - timedelta(days=days)
        except OverflowError:
            raise WindowError(f"{name['days']} {days} reaches back before the year 1") from None
    if end > LATEST_END:
        raise WindowError(
            f"{name['until']} {end.isoformat()} is past {LATEST_END.date()}, the latest end "
            "this tool counts to (day folders are read a day past the window's end)"
        )
    if start >= end:
        raise WindowError(
            f"the window is empty: {name['since']} {start.isoformat()} is not before "
            f"{name['until']} {end.isoformat()}"
        )
    return Window(start, end)
