"""CloudTrail writes `2023-07-19T21:44:40Z`; exports and SIEMs write variants
(`2024-06-02 19:41:40.000000000`, offsets, no zone). All are UTC unless they say otherwise."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_EXCESS_FRACTION = re.compile(r"(\.\d{6})\d+")
# Times a sign-in can have. Outside, a time is unparseable (`bad_event_time`): a year-9999
# time would overflow the window and the rules' arithmetic (a day before, a day after).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def parse_event_time(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    cleaned = _EXCESS_FRACTION.sub(r"\1", raw.strip())
    try:
        parsed = datetime.fromisoformat(cleaned)
        moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # `9999-12-31T23:30:00-01:00` is past datetime.max
        return None
    return moment if EARLIEST <= moment < LATEST else None
