"""CloudTrail writes `2023-07-19T21:44:40Z`; exports and SIEMs write variants
(`2024-06-02 19:41:40.000000000`, offsets, no zone). All are UTC unless they say otherwise."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_EXCESS_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_event_time(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    cleaned = _EXCESS_FRACTION.sub(r"\1", raw.strip())
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
