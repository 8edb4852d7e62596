"""LookupEvents collection speed against a fake that enforces 2 requests/s per region.

Run from the repository root with the test extra installed:

    python -m benchmarks.lookup_bench [--regions 8] [--busiest 1000] [--rtt 0.05]

The fake sits under botocore (a `before-send` handler), so real serialization, pagination and
retries run; any call that arrives sooner than 0.5 s after the previous one in its region is
answered with ThrottlingException, as the documented quota says. Measured side by side:

- `parallel+paced`: this project's LookupEventsSource (regions in threads, each paced);
- `sequential+paced`: the same source, one region at a time;
- `naive sequential`: a plain paginator loop per region, no pacing, botocore retries only
  (what most scripts do);
- `ideal`: the busiest region's pages / 2 per second.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

from analyzer.domain.window import Window
from analyzer.frame.collect import collect
from analyzer.sources.lookup import LookupEventsSource
from tests.conftest import console_login
from tests.fakes import FakeLookupEvents, lookup_jobs

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 10, tzinfo=UTC)
REGIONS = [
    "us-east-1",
    "us-east-2",
    "eu-north-1",
    "ap-southeast-2",
    "eu-west-1",
    "eu-west-2",
    "us-west-2",
    "ap-northeast-1",
    "ca-central-1",
    "sa-east-1",
    "ap-south-1",
    "eu-central-1",
    "ap-southeast-1",
    "us-west-1",
    "eu-west-3",
    "ap-northeast-2",
]


def workload(regions: int, busiest: int) -> dict[str, list[dict[str, Any]]]:
    """us-east-1 busiest (global endpoint), the three alias-cookie regions half as busy, the
    rest a tenth: the shape of a real account's sign-ins."""
    sizes = {}
    for index, region in enumerate(REGIONS[:regions]):
        share = 1.0 if index == 0 else 0.5 if index < 4 else 0.1
        sizes[region] = max(1, int(busiest * share))
    return {
        region: [
            console_login(
                eventID=f"{region}-{i}",
                awsRegion=region,
                eventTime=f"2026-11-0{1 + i % 8}T{i % 24:02d}:{i % 60:02d}:00Z",
            )
            for i in range(count)
        ]
        for region, count in sizes.items()
    }


def run_source(
    events: dict[str, list[dict[str, Any]]], rtt: float, parallel: bool
) -> tuple[float, int, int]:
    fake = FakeLookupEvents(events=events, min_interval=0.5, delay=rtt)
    started = time.monotonic()
    rows = 0
    groups = [list(events)] if parallel else [[r] for r in events]
    for group in groups:
        source = LookupEventsSource(lookup_jobs(fake, group, 8), since=SINCE, until=UNTIL)
        rows += len(collect([source], Window(SINCE, UNTIL)).frame)
    return time.monotonic() - started, rows, fake.throttled


def run_naive(events: dict[str, list[dict[str, Any]]], rtt: float) -> tuple[float, int, int]:
    fake = FakeLookupEvents(events=events, min_interval=0.5, delay=rtt)
    started = time.monotonic()
    rows = 0
    for job in lookup_jobs(fake, list(events), 10):
        pages = job.client.get_paginator("lookup_events").paginate(
            LookupAttributes=[
                {"AttributeKey": "EventSource", "AttributeValue": "signin.amazonaws.com"}
            ],
            StartTime=SINCE,
            EndTime=UNTIL,
        )
        for page in pages:
            rows += len(page["Events"])
    return time.monotonic() - started, rows, fake.throttled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=8)
    parser.add_argument("--busiest", type=int, default=1000, help="events in us-east-1")
    parser.add_argument("--rtt", type=float, default=0.05, help="fake latency per call, s")
    args = parser.parse_args()
    events = workload(args.regions, args.busiest)
    total = sum(len(v) for v in events.values())
    busiest_pages = max(-(-len(v) // 50) for v in events.values())
    ideal = busiest_pages / 2
    print(
        f"{total} events over {len(events)} regions; busiest region {busiest_pages} pages; "
        f"ideal {ideal:.2f} s (pages / 2 per second); fake RTT {args.rtt * 1000:.0f} ms"
    )
    print("| run | seconds | x ideal | events | throttled calls |")
    print("|---|---|---|---|---|")
    for name, (seconds, rows, throttled) in [
        ("parallel+paced (signin-report)", run_source(events, args.rtt, parallel=True)),
        ("sequential+paced", run_source(events, args.rtt, parallel=False)),
        ("naive sequential paginator", run_naive(events, args.rtt)),
    ]:
        print(f"| {name} | {seconds:.2f} | {seconds / ideal:.2f} | {rows} | {throttled} |")


if __name__ == "__main__":
    main()
