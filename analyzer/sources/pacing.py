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
        """Called when an answer arrives, before it is parsed. Requests are spaced by when
        they leave, which is exact only if each reaches the service as fast as the one
        before. The first request also opened the connection, so it may arrive late: the
        next one waits a full interval from its answer. (Pacing every request from the
        previous answer would cost a round trip per page; measured slower under load than
        the occasional throttle it avoids, benchmarks/README.md.)"""
        with self._lock:
            if not self._settled:
                self._next = max(self._next, self._clock() + self.interval)
            self._settled = True
