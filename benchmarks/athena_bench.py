"""What partition projection saves: bytes an `--engine athena` run would scan, as a share of the
bucket, beside the local engine's wall time, for windows of 1, 7, 30 and 365 days.

    python ../shared/bench/gen_trail.py --out /tmp/bench/org --org-id o-a1b2c3d4e5 \\
        --accounts 4 --regions us-east-1,eu-west-1 --days 368 --end-date 2026-11-20 \\
        --files-per-region-day 2 --records-per-file 150 --signin-rate 0.002 --jobs 2
    python -m benchmarks.athena_bench /tmp/bench/org [--reps 3]

The tree is put in moto's S3 (in process, no network). For each window ending at the tree's
last day, the Athena plan is made exactly as `--engine athena` makes it (listings, Glue table
in moto, chunked queries), and its projected scan (the listed size of the partitions its
queries name, which is what Athena bills for JSON) is compared with the whole bucket, which is
what the same query would scan without partition filters. The local engine (`--engine local`:
list, GET, scan) runs on the same window against the same moto bucket; its times are a floor,
since real S3 adds transfer time, and so is the same scan on a synced local copy (`--logs`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from analyzer.api import collect_logs
from analyzer.aws.athena_setup import plan_athena
from analyzer.domain.coverage import QueryCoverage
from analyzer.domain.window import Window
from analyzer.frame.collect import collect
from analyzer.sources.athena import Row
from analyzer.sources.athena_table import AthenaOptions, PlannedQuery
from analyzer.sources.s3 import S3Location, S3TrailSource

BUCKET = "bench-org-trail"
WINDOWS = (1, 7, 30, 365)


class PlanOnly:
    """A runner that runs nothing: the benchmark needs the plan, not results."""

    def run(
        self, query: PlannedQuery, stats: QueryCoverage, update: Callable[[], None]
    ) -> Iterator[Row]:
        return iter(())


def seed(tree: Path, client: Any) -> int:
    total = 0
    for path in sorted((tree / "AWSLogs").rglob("*.json.gz")):
        body = path.read_bytes()
        client.put_object(Bucket=BUCKET, Key=str(path.relative_to(tree)), Body=body)
        total += len(body)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    manifest = json.loads((args.tree / "manifest.json").read_text())
    last = max(
        datetime.strptime("/".join(p.parts[-4:-1]), "%Y/%m/%d")
        for p in (args.tree / "AWSLogs").rglob("CloudTrail/*/*/*/*/*.json.gz")
    ).replace(tzinfo=UTC)
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        glue = boto3.client("glue", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        bucket_bytes = seed(args.tree, s3)
        location = S3Location(BUCKET, "")
        print(
            f"{manifest['log_files']:,} log files + digests, {bucket_bytes / 1e6:.1f} MB in the "
            f"bucket, {manifest['records']:,} records; local engine median of {args.reps} runs"
        )
        print(
            "| window | queries | partitions named | Athena scan, share of the bucket | "
            "scan without projection | local engine s | local s ÷ 1-day s | "
            "--logs on a synced copy s | sign-ins |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        first_local: float | None = None
        for days in WINDOWS:
            # A window ending at the last delivery day minus the delivery lag, inside the tree.
            until = last
            window = Window(until - timedelta(days=days), until)
            source = plan_athena(
                window, [location], AthenaOptions(), s3=s3, glue=glue, runner=PlanOnly()
            )
            projected = sum(job.projected_bytes for job in source.jobs)
            partitions = sum(len(job.partitions) for job in source.jobs)
            seconds: list[float] = []
            found = 0
            for _ in range(args.reps):
                started = time.perf_counter()
                found = len(collect([S3TrailSource(s3, location, window)], window).frame)
                seconds.append(time.perf_counter() - started)
            local = statistics.median(seconds)
            first_local = first_local or local
            synced: list[float] = []
            for _ in range(args.reps):
                started = time.perf_counter()
                files = collect_logs(args.tree / "AWSLogs", since=window.since, until=window.until)
                synced.append(time.perf_counter() - started)
                assert len(files.frame) == found, "the two local reads disagree"
            print(
                f"| {days} d | {len(source.jobs)} | {partitions} | "
                f"{projected / bucket_bytes:.2%} | 100% | {local:.2f} | "
                f"{local / first_local:.1f} | {statistics.median(synced):.2f} | {found} |"
            )


if __name__ == "__main__":
    main()
