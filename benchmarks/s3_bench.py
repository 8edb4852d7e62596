"""`signin-report --s3` against moto's S3 in server mode, on a generated trail tree.

    python -m benchmarks.s3_bench /tmp/bench/real [--reps 3]

Objects are seeded through moto's backend (seconds, not minutes), then three processes run
side by side against the same server: the project's `--s3` scan, a bare 16-thread GET loop
over the same keys (transfer only: what moto and HTTP cost), and `--logs` on the local copy
(scan only). The gap between the first and the sum of the others is our orchestration cost.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
from pathlib import Path

from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer

from benchmarks.scan_bench import Command, print_table, run_once, window

BUCKET = "bench-trail"
ACCOUNT = "123456789012"
GET_LOOP = (
    "import boto3, sys\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "from botocore.config import Config\n"
    "s3 = boto3.client('s3', config=Config(max_pool_connections=16))\n"
    "keys = [o['Key'] for p in s3.get_paginator('list_objects_v2').paginate(Bucket=sys.argv[1],"
    " Prefix='AWSLogs/') for o in p.get('Contents', []) if '/CloudTrail/' in o['Key']]\n"
    "get = lambda k: len(s3.get_object(Bucket=sys.argv[1], Key=k)['Body'].read())\n"
    "with ThreadPoolExecutor(16) as pool: print(len(keys), sum(pool.map(get, keys)))"
)


def seed(tree: Path) -> tuple[int, int]:
    backend = s3_backends[ACCOUNT]["aws"]
    backend.create_bucket(BUCKET, "us-east-1")
    count = size = 0
    for path in sorted((tree / "AWSLogs").rglob("*.json.gz")):
        body = path.read_bytes()
        backend.put_object(BUCKET, str(path.relative_to(tree)), body)
        if "/CloudTrail/" in str(path):
            count += 1
            size += len(body)
    return count, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    objects, size = seed(args.tree)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    since, until = window(args.tree)
    manifest = json.loads((args.tree / "manifest.json").read_text())
    expect, records = int(manifest["signin_records"]), int(manifest["records"])
    report = str(Path(sys.executable).parent / "signin-report")
    scan = ["--since", since, "--until", until, "--format", "json", "--section", "summary"]
    runs = [
        Command(
            "signin-report --s3 (list + GET + scan)",
            [report, "--s3", f"s3://{BUCKET}", *scan, "--quiet"],
            expect,
        ),
        Command(
            "boto3 16-thread GET loop (transfer only)",
            [sys.executable, "-c", GET_LOOP, BUCKET],
            None,
        ),
        Command(
            "signin-report --logs on the local copy (scan only)",
            [report, "--logs", str(args.tree / "AWSLogs"), *scan],
            expect,
        ),
    ]
    for _ in range(args.reps):
        for command in runs:
            run_once(command, env)
    server.stop()
    print(f"{objects} objects, {size / 1e6:.1f} MB gzip, {records:,} records;", end=" ")
    print(f"median of {args.reps} runs")
    print_table(
        ["run", "wall s", "objects/s", "MB/s (gzip)", "records/s"],
        [
            [
                f"{objects / median:.0f}",
                f"{size / 1e6 / median:.1f}",
                f"{records / median:,.0f}",
            ]
            for median in (statistics.median(c.seconds) for c in runs)
        ],
        runs,
    )


if __name__ == "__main__":
    main()
