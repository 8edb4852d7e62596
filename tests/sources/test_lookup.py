"""LookupEvents collection through real botocore clients, with the service faked under them."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime
from typing import Any

import botocore.retries.standard
import pytest

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window
from analyzer.frame.collect import collect
from analyzer.sources.lookup import LookupEventsSource
from tests.conftest import console_login
from tests.fakes import FakeLookupEvents, lookup_jobs

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 10, tzinfo=UTC)
WINDOW = Window(SINCE, UNTIL)


@pytest.fixture(autouse=True, name="fast_backoff")
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's throttling backoff is up to 1 s, 2 s, 4 s...: record it instead of sleeping."""
    delays: list[float] = []

    def no_wait(self: Any, context: Any) -> float:
        delays.append(1.0)
        return 0.0

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", no_wait)
    return delays


def events(region: str, count: int, prefix: str = "") -> list[dict[str, Any]]:
    return [
        console_login(eventID=f"{prefix or region}-{i}", awsRegion=region,
                      eventTime=f"2026-11-0{1 + i % 8}T{i % 24:02d}:00:00Z")
        for i in range(count)
    ]  # fmt: skip


def test_every_event_once_throttles_retried_failing_region_reported(
    fast_backoff: list[float],
) -> None:
    fake = FakeLookupEvents(
        events={
            "us-east-1": events("us-east-1", 120),
            "eu-north-1": events("eu-north-1", 7),
            "ap-southeast-2": events("ap-southeast-2", 51),
        },
        throttle={"us-east-1": 2, "ap-southeast-2": 1},
        not_enabled={"me-south-1"},
    )
    regions = ["us-east-1", "eu-north-1", "ap-southeast-2", "me-south-1"]
    source = LookupEventsSource(lookup_jobs(fake, regions), since=SINCE, until=UNTIL, interval=0)
    collection = collect([source], WINDOW)
    assert len(collection.frame) == 120 + 7 + 51
    assert collection.frame["event_id"].is_unique
    by_region = {r.region: r for r in collection.coverage.regions}
    assert by_region["us-east-1"].pages == 3
    assert by_region["us-east-1"].throttles == 2
    assert by_region["us-east-1"].retries == 2
    assert by_region["ap-southeast-2"].pages == 2
    assert by_region["ap-southeast-2"].throttles == 1
    assert by_region["eu-north-1"].status == "ok"
    failed = by_region["me-south-1"]
    assert failed.status == "failed"
    assert failed.reason is not None
    assert failed.reason.startswith("UnrecognizedClientException")
    assert "enabled" in failed.reason
    [problem] = collection.coverage.problems
    assert problem.culprit == "region me-south-1 (signin.amazonaws.com)"
    assert len(fast_backoff) == 3  # botocore's own retry handler backed off three times


def test_retries_exhausted_is_reported_not_fatal() -> None:
    fake = FakeLookupEvents(
        events={"us-east-1": events("us-east-1", 3), "us-east-2": events("us-east-2", 2)},
        throttle={"us-east-2": 10},
    )
    source = LookupEventsSource(
        lookup_jobs(fake, ["us-east-1", "us-east-2"], attempts=3),
        since=SINCE,
        until=UNTIL,
        interval=0,
    )
    collection = collect([source], WINDOW)
    assert len(collection.frame) == 3
    stats = {r.region: r for r in collection.coverage.regions}["us-east-2"]
    assert (stats.status, stats.attempts, stats.throttles) == ("failed", 3, 3)
    assert stats.reason is not None
    assert "retries exhausted" in stats.reason


def test_regions_run_in_parallel() -> None:
    """Each region's first request waits until all six are in flight: run one after another,
    the barrier would time out and the fake would count the miss."""
    regions = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-north-1", "ap-south-1"]
    fake = FakeLookupEvents(
        events={r: events(r, 60) for r in regions},
        rendezvous=threading.Barrier(len(regions), timeout=10),
    )
    source = LookupEventsSource(lookup_jobs(fake, regions), since=SINCE, until=UNTIL, interval=0)
    collection = collect([source], WINDOW)
    assert len(collection.frame) == 360
    assert fake.missed_rendezvous == 0
    assert fake.peak == len(regions)


def test_each_region_is_paced_at_two_requests_per_second() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    fake = FakeLookupEvents(
        events={"us-east-1": events("us-east-1", 230)}, min_interval=0.5, clock=clock
    )
    source = LookupEventsSource(
        lookup_jobs(fake, ["us-east-1"]), since=SINCE, until=UNTIL, clock=clock, sleep=sleep
    )
    collection = collect([source], WINDOW)
    assert len(collection.frame) == 230
    times = [t for _, t, _ in fake.requests]
    assert len(times) == 5
    assert all(b - a >= 0.5 for a, b in itertools.pairwise(times))
    assert fake.throttled == 0
    assert collection.coverage.regions[0].throttles == 0


def test_bad_events_are_reported_not_fatal() -> None:
    broken = console_login(eventID="broken", awsRegion="us-east-1")
    broken["_raw"] = "{not json"
    no_id = console_login(awsRegion="us-east-1")
    del no_id["eventID"]
    fake = FakeLookupEvents(
        events={"us-east-1": [broken, no_id, *events("us-east-1", 2)], "us-east-2": []}
    )
    source = LookupEventsSource(
        lookup_jobs(fake, ["us-east-1", "us-east-2"]), since=SINCE, until=UNTIL, interval=0
    )
    coverage_lines: list[str] = []
    collection = collect([source], WINDOW)
    coverage_lines = [p.line() for p in collection.coverage.problems]
    assert len(collection.frame) == 3
    assert "lookup us-east-1 event broken: CloudTrailEvent is not JSON" in coverage_lines[0]
    assert any("no eventID" in line for line in coverage_lines)
    empty = {r.region: r for r in collection.coverage.regions}["us-east-2"]
    assert (empty.status, empty.pages, empty.events) == ("ok", 1, 0)


def test_progress_callback_sees_every_region_finish() -> None:
    seen: dict[str, str] = {}
    fake = FakeLookupEvents(events={"us-east-1": events("us-east-1", 3)}, not_enabled={"x-1"})
    source = LookupEventsSource(
        lookup_jobs(fake, ["us-east-1"]),
        since=SINCE,
        until=UNTIL,
        interval=0,
        progress=lambda stats: seen.__setitem__(stats.region, stats.status),
    )
    list(source.records(Coverage()))
    assert seen == {"us-east-1": "ok"}


def test_request_is_what_the_api_expects() -> None:
    fake = FakeLookupEvents(events={"us-east-1": []})
    captured: list[dict[str, Any]] = []

    def spy(request: Any, **_: Any) -> None:
        captured.append(json.loads(request.body))

    [job] = lookup_jobs(fake, ["us-east-1"])
    job.client.meta.events.register_first("before-send.cloudtrail.LookupEvents", spy)
    list(LookupEventsSource([job], since=SINCE, until=UNTIL, interval=0).records(Coverage()))
    assert captured[0]["LookupAttributes"] == [
        {"AttributeKey": "EventSource", "AttributeValue": "signin.amazonaws.com"}
    ]
    assert captured[0]["MaxResults"] == 50
    assert captured[0]["StartTime"] == SINCE.timestamp()
    assert captured[0]["EndTime"] == UNTIL.timestamp()
