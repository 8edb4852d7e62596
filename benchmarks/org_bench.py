"""An organization run: every account x region under a fake that allows 2 requests/s per
account and region.

Run from the repository root with the test extra installed:

    python -m benchmarks.org_bench [--accounts 20] [--regions 4] [--busiest 1000] [--rtt 0.05]

A moto server in a separate process plays Organizations and STS, so ListAccounts, AssumeRole
and the routing of assumed credentials to the member account are real; LookupEvents is the
project's fake (tests/fakes.py) on a plain HTTP server in that process, answering per
(account the access key belongs to, region) after 50 ms and throttling any call that comes
less than 0.5 s after the previous one of its (account, region). Volumes
are skewed: account k holds 1/k of the busiest account's sign-ins, and within an account the
global-endpoint region holds them all, the next region half, the others a tenth. Measured
side by side:

- `organization (one pool)`: `plan_organization` (every (account, region) job in one bounded,
  paced pool, what `signin-report --org-role` does);
- `accounts one after another`: the same collection one account at a time (its regions in
  parallel), what a shell loop over per-account runs does;
- `ideal`: the busiest (account, region) job's pages / 2 per second.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

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


def lookup_server(fake: MotoLookupEvents) -> ThreadingHTTPServer:
    """LookupEvents on a plain HTTP server beside moto's: the same fake, without moto's
    per-request machinery, whose CPU would otherwise be measured instead of the collector's
    (AWS's work does not run on the caller's cores). The account is the one moto gave the
    request's access key, as in moto itself."""
    from moto.core.exceptions import JsonRESTError
    from moto.iam.models import get_account_id_from

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            scope = self.headers["Authorization"].split("Credential=")[1].split("/")
            key, region = scope[0], scope[2]
            try:
                status, text = 200, fake.answer(get_account_id_from(key), region, key, body)
            except JsonRESTError as err:
                status, text = 400, json.dumps({"__type": err.error_type, "message": err.message})
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve(args: argparse.Namespace) -> None:
    """The fake AWS in its own process, as AWS is: its work does not compete with the
    collector for the interpreter. Prints the endpoints and the organization as one JSON
    line, then answers `throttled` (calls throttled since the last ask) until stdin closes."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    ids = organization(args.accounts)
    store = workload(ids, REGIONS[: args.regions], args.busiest)
    fake = MotoLookupEvents(store, min_interval=0.5, delay=args.rtt)
    lookup = lookup_server(fake)
    pages = max(-(-len(v) // 50) for v in store.values())
    total = sum(len(v) for v in store.values())
    info = {
        "endpoint": endpoint,
        "cloudtrail": f"http://127.0.0.1:{lookup.server_address[1]}",
        "ids": ids,
        "busiest_pages": pages,
        "events": total,
    }
    print(json.dumps(info), flush=True)
    for _ in sys.stdin:
        print(fake.throttled, flush=True)
        fake.throttled = 0
    lookup.shutdown()
    server.stop()


def run(
    server: subprocess.Popen[str], regions: list[str], groups: list[list[str] | None]
) -> tuple[float, int, int]:
    started = time.monotonic()
    rows = 0
    for accounts in groups:
        plan = plan_organization(
            boto3.Session(region_name="us-east-1"),
            WINDOW,
            RoleSettings("OrganizationAccountAccessRole"),
            accounts=accounts,
            regions=regions,
        )
        rows += len(collect(plan.sources, WINDOW).frame)
    seconds = time.monotonic() - started
    assert server.stdin is not None
    assert server.stdout is not None
    server.stdin.write("throttled\n")
    server.stdin.flush()
    return seconds, rows, int(server.stdout.readline())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--busiest", type=int, default=1000, help="events, busiest job")
    parser.add_argument("--rtt", type=float, default=0.05, help="fake latency per call, s")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    if args.serve:
        serve(args)
        return
    command = [sys.executable, "-m", "benchmarks.org_bench", "--serve", *sys.argv[1:]]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        os.environ["AWS_ENDPOINT_URL"] = info["endpoint"]
        os.environ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = info["cloudtrail"]
        regions = REGIONS[: args.regions]
        ideal = info["busiest_pages"] / 2
        print(
            f"{info['events']} events, {len(info['ids'])} accounts x {len(regions)} regions; "
            f"busiest job {info['busiest_pages']} pages; ideal {ideal:.2f} s; "
            f"fake RTT {args.rtt * 1000:.0f} ms"
        )
        print("| run | seconds | x ideal | events | throttled calls |")
        print("|---|---|---|---|---|")
        runs: list[tuple[str, list[list[str] | None]]] = [
            ("organization (one pool, `--org-role`)", [None]),
            ("accounts one after another", [[a] for a in info["ids"]]),
        ]
        for name, groups in runs:
            seconds, rows, throttled = run(server, regions, groups)
            print(f"| {name} | {seconds:.2f} | {seconds / ideal:.2f} | {rows} | {throttled} |")
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
