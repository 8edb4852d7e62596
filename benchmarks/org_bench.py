"""An organization run: every account x region under a fake that allows 2 requests/s per
account and region.

Run from the repository root with the test extra installed:

    python -m benchmarks.org_bench [--accounts 20] [--regions 4] [--busiest 1000] [--rtt 0.05]

moto (in-process) plays Organizations and STS, so ListAccounts, AssumeRole and the routing of
assumed credentials to the member account are real; LookupEvents is the project's fake inside
moto, answering per (account, region) and throttling any call that comes less than 0.5 s after
the previous one of its (account, region). Volumes are skewed: account k holds 1/k of the
busiest account's sign-ins, and within an account the global-endpoint region holds them all,
the next region half, the others a tenth. Measured side by side:

- `organization (one pool)`: `plan_organization` (every (account, region) job in one bounded,
  paced pool, what `signin-report --org-role` does);
- `accounts one after another`: the same collection one account at a time (its regions in
  parallel), what a shell loop over per-account runs does;
- `ideal`: the busiest (account, region) job's pages / 2 per second.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws

from analyzer.aws.organization import RoleSettings
from analyzer.aws.plan import plan_organization
from analyzer.domain.window import Window
from analyzer.frame.collect import collect
from tests.conftest import console_login
from tests.fakes import MotoLookupEvents

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 10, tzinfo=UTC)
WINDOW = Window(SINCE, UNTIL)
REGIONS = ["us-east-1", "eu-west-1", "eu-north-1", "ap-southeast-2", "us-west-2", "eu-central-1"]
Store = dict[tuple[str, str], list[dict[str, Any]]]


def organization(accounts: int) -> list[str]:
    """The caller's (management) account and `accounts - 1` members."""
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    for index in range(accounts - 1):
        client.create_account(AccountName=f"a{index}", Email=f"a{index}@example.com")
    pages = client.get_paginator("list_accounts").paginate()
    return [a["Id"] for page in pages for a in page["Accounts"]]


def workload(ids: list[str], regions: list[str], busiest: int) -> Store:
    store: Store = {}
    for rank, account in enumerate(ids, start=1):
        for index, region in enumerate(regions):
            share = 1.0 if index == 0 else 0.5 if index == 1 else 0.1
            count = max(1, int(busiest / rank * share))
            store[(account, region)] = [
                console_login(
                    eventID=f"{account}-{region}-{i}",
                    awsRegion=region,
                    recipientAccountId=account,
                    eventTime=f"2026-11-0{1 + i % 8}T{i % 24:02d}:{i % 60:02d}:00Z",
                )
                for i in range(count)
            ]
    return store


def run(
    store: Store, regions: list[str], groups: list[list[str] | None], rtt: float
) -> tuple[float, int, int]:
    fake = MotoLookupEvents(store, min_interval=0.5, delay=rtt)
    remove = fake.install()
    started = time.monotonic()
    rows = 0
    try:
        for accounts in groups:
            plan = plan_organization(
                boto3.Session(region_name="us-east-1"),
                WINDOW,
                RoleSettings("OrganizationAccountAccessRole"),
                accounts=accounts,
                regions=regions,
            )
            rows += len(collect(plan.sources, WINDOW).frame)
    finally:
        remove()
    return time.monotonic() - started, rows, fake.throttled


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--busiest", type=int, default=1000, help="events, busiest job")
    parser.add_argument("--rtt", type=float, default=0.05, help="fake latency per call, s")
    args = parser.parse_args()
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    regions = REGIONS[: args.regions]
    with mock_aws():
        ids = organization(args.accounts)
        store = workload(ids, regions, args.busiest)
        total = sum(len(v) for v in store.values())
        busiest_pages = max(-(-len(v) // 50) for v in store.values())
        ideal = busiest_pages / 2
        print(
            f"{total} events, {len(ids)} accounts x {len(regions)} regions; busiest job "
            f"{busiest_pages} pages; ideal {ideal:.2f} s; fake RTT {args.rtt * 1000:.0f} ms"
        )
        print("| run | seconds | x ideal | events | throttled calls |")
        print("|---|---|---|---|---|")
        for name, groups in (
            ("organization (one pool, `--org-role`)", [None]),
            ("accounts one after another", [[a] for a in ids]),
        ):
            seconds, rows, throttled = run(store, regions, groups, args.rtt)
            print(f"| {name} | {seconds:.2f} | {seconds / ideal:.2f} | {rows} | {throttled} |")


if __name__ == "__main__":
    main()
