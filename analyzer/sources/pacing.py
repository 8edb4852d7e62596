"""Client-side pacing: CloudTrail LookupEvents allows 2 requests per second per account and
region. Spacing requests is cheaper than being throttled and backing off."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

LOOKUP_INTERVAL = 0.51  # seconds between requests: 2 per second, with a little slack


class Pacer:
    """Spaces calls at least `interval` apart. One per (account, region); thread-safe."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._settled = False
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next call may go; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if delay:
            self._sleep(delay)
        return delay

    def answered(self) -> None:
        """Called when an answer arrives. The first request also opened the connection (and
        the first one the service sees for this account and region may wait longest), so it
        reached the service later than it left; the next request then waits a full interval
        from this first answer, else the two could arrive closer than the quota allows."""
        with self._lock:
            if self._settled:
                return
            self._settled = True
            self._next = max(self._next, self._clock() + self.interval)
