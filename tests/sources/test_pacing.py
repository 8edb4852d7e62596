"""The pacer: requests spaced by when they leave; the first answer sets the second slot."""

from __future__ import annotations

from analyzer.sources.pacing import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_spacing_from_sends_and_a_full_interval_after_the_first_answer() -> None:
    clock = Clock()
    pacer = Pacer(0.5, clock=clock, sleep=clock.sleep)
    assert pacer.wait() == 0  # the first request leaves at once
    clock.now += 0.2
    pacer.answered()  # its answer 0.2 s later: the next waits 0.5 s from this answer
    assert pacer.wait() == 0.5
    clock.now += 0.1
    pacer.answered()  # later answers do not move the slot: 0.5 s after the last send
    assert round(pacer.wait(), 6) == 0.4
