"""LookupEvents collection through real botocore clients, with the service faked under them."""

from __future__ import annotations

import http.server
import itertools
import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.retries.standard
import pytest

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window
from analyzer.frame.collect import collect
from analyzer.sources.lookup import LookupEventsSource
from tests.conftest import console_login, hermetic_env
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
    assert failed.reason.startswith("LookupEvents: UnrecognizedClientException: ")
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


def test_an_event_the_decoder_cannot_take_costs_that_event_only() -> None:
    """A 5000-digit number (or 100k levels) in one event used to stop every region."""
    huge = console_login(eventID="huge", awsRegion="us-east-1")
    huge["_raw"] = json.dumps(huge)[:-1] + ', "n": ' + "9" * 5000 + "}"
    deep = console_login(eventID="deep", awsRegion="us-east-1")
    deep["_raw"] = json.dumps(deep)[:-1] + ', "d": ' + "[" * 100_000 + "]" * 100_000 + "}"
    fake = FakeLookupEvents(
        events={
            "us-east-1": [huge, deep, *events("us-east-1", 2)],
            "eu-west-1": events("eu-west-1", 3),
        }
    )
    source = LookupEventsSource(
        lookup_jobs(fake, ["us-east-1", "eu-west-1"]), since=SINCE, until=UNTIL, interval=0
    )
    collection = collect([source], WINDOW)
    assert len(collection.frame) == 5
    assert sorted(p.line() for p in collection.coverage.problems) == [
        "lookup us-east-1 event deep: CloudTrailEvent: record nested too deeply to decode",
        "lookup us-east-1 event huge: CloudTrailEvent: record cannot be decoded (Exceeds the "
        "limit (4300 digits) for integer string conversion: value has 5000 digits; use "
        "sys.set_int_max_str_digits() to increase the limit)",
    ]
    assert {r.status for r in collection.coverage.regions} == {"ok"}


def _cut_short(fake: FakeLookupEvents, cuts: int) -> Any:
    """The fake's answers, the first `cuts` of them cut in half (valid headers, half a body)."""
    left = [cuts]

    def answer(request: Any, **kwargs: Any) -> Any:
        response = fake(request, **kwargs)
        if response is not None and left[0] > 0:
            left[0] -= 1
            body = b"".join(response.raw.stream())
            response.raw = type(response.raw)(body[: len(body) // 2])
        return response

    return answer


def test_a_page_cut_short_is_retried_and_then_fails_the_region() -> None:
    fake = FakeLookupEvents(
        events={"us-east-1": events("us-east-1", 60), "us-east-2": events("us-east-2", 3)}
    )
    jobs = lookup_jobs(fake, ["us-east-1", "us-east-2"], attempts=3)
    for job, cuts in zip(jobs, [2, 5], strict=True):
        job.client.meta.events.unregister("before-send.cloudtrail.LookupEvents", fake)
        answer = _cut_short(fake, cuts)
        job.client.meta.events.register("before-send.cloudtrail.LookupEvents", answer)
    collection = collect([LookupEventsSource(jobs, since=SINCE, until=UNTIL, interval=0)], WINDOW)
    stats = {r.region: r for r in collection.coverage.regions}
    assert (stats["us-east-1"].status, stats["us-east-1"].events) == ("ok", 60)
    assert stats["us-east-1"].attempts == 4  # two pages, the first one asked three times
    assert stats["us-east-2"].status == "failed"
    assert stats["us-east-2"].reason == "LookupEvents: answer is not JSON (cut short?) (3 attempts)"
    assert len(collection.frame) == 60


_HTML_500 = (
    b"<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n"
    b"<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def test_an_endpoint_answering_500_gives_one_line_per_region_and_says_what_was_tried(
    tmp_path: Path,
) -> None:
    """Issue 10 item 7: against a proxy answering HTML 500s, every problem is one line with
    the operation, the region and the code, never the body; the closing error says what was
    attempted."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(_HTML_500)))
            self.end_headers()
            self.wfile.write(_HTML_500)

        do_GET = do_POST

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        script = Path(sys.executable).parent / "signin-report"
        done = subprocess.run(
            [str(script), "--regions", "us-east-1,eu-west-1", "--max-attempts", "2",
             "--days", "1", "--format", "json", "-q"],
            capture_output=True, text=True, timeout=120, check=False,
            env=hermetic_env(AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s",
                             AWS_REGION="us-east-1",
                             AWS_ENDPOINT_URL=f"http://127.0.0.1:{server.server_address[1]}"),
        )  # fmt: skip
    finally:
        server.shutdown()
    lines = done.stderr.splitlines()
    assert done.returncode == 4
    assert "<" not in done.stderr
    assert "nginx" not in done.stderr
    assert all(line.startswith("signin-report: ") for line in lines)
    regional = sorted(line for line in lines if "(signin.amazonaws.com)" in line)
    assert regional == [
        f"signin-report: warning: region {region} (signin.amazonaws.com): LookupEvents: 500: "
        "Internal Server Error (HTTP 500, 2 attempts)"
        for region in ("eu-west-1", "us-east-1")
    ]
    assert lines[-1] == (
        "signin-report: error: no region could be read: LookupEvents (CloudTrail event "
        "history) failed in all 2 region(s) after 4 request(s)"
    )
