"""Whole-process scan of a CloudTrail tree: `signin-report --logs` against the peers, side by side.

Generate the trees once (outside the repository; about 160 MB each):

    python ../shared/bench/gen_trail.py --out /tmp/bench/real --records-per-file 430 \\
        --signin-rate 0.0003 --jobs 2
    python ../shared/bench/gen_trail.py --out /tmp/bench/pess --records-per-file 430 \\
        --signin-rate 0.01 --jobs 2

then, with `jq` installed (apt-get install jq) and `pip install duckdb` in the environment:

    python -m benchmarks.scan_bench /tmp/bench/real /tmp/bench/pess --reps 5

Every command runs as its own process with the page cache warm, in alternation (A B C ... A B
C ...), `reps` times; the table shows each command's median wall time, its ratio to
`signin-report` on the same tree, and its peak RSS (GNU time's %M). The sign-ins each command
finds are checked against the tree's manifest.json.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

LOGS = "AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz"
DECOMPRESS = (
    "import glob, deflate, sys\n"
    "n = sum(len(deflate.gzip_decompress(open(f, 'rb').read())) for f in glob.glob(sys.argv[1]))\n"
    "print(n)"
)
DUCKDB = (
    "import duckdb, sys\n"
    "con = duckdb.connect(config={'threads': 2})\n"
    'print(con.sql("""SELECT count(*) FROM (SELECT unnest(json_extract(json, \'$.Records[*]\'))'
    " AS r FROM read_json_objects(?, format='unstructured')) WHERE json_extract_string(r,"
    " '$.eventSource') = 'signin.amazonaws.com'\"\"\", params=[sys.argv[1]]).fetchall()[0][0])"
)


@dataclass
class Command:
    name: str
    argv: list[str]
    expect: int | None  # sign-ins the output must report, when it reports any
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    found: int | None = None


def window(tree: Path) -> tuple[str, str]:
    params = json.loads((tree / "manifest.json").read_text())["params"]
    end = date.fromisoformat(params["end_date"])
    return str(end - timedelta(days=params["days"] - 1)), str(end + timedelta(days=1))


def commands(tree: Path) -> list[Command]:
    manifest = json.loads((tree / "manifest.json").read_text())
    signins = int(manifest["signin_records"])
    since, until = window(tree)
    files = f"find {shlex.quote(str(tree))} -path '*/CloudTrail/*' -name '*.json.gz' -print0"
    report = Path(sys.executable).parent / "signin-report"
    return [
        Command(
            "signin-report --logs (this project)",
            [
                str(report),
                "--logs",
                str(tree / "AWSLogs"),
                "--since",
                since,
                "--until",
                until,
                "--format",
                "json",
                "--section",
                "summary",
            ],
            signins,
        ),
        Command(
            "zcat > /dev/null (GNU gzip)",
            ["sh", "-c", f"{files} | xargs -0 zcat > /dev/null"],
            None,
        ),
        Command(
            "zcat | jq select(signin)",
            [
                "sh",
                "-c",
                f"{files} | xargs -0 zcat | jq -c '.Records[] | select(.eventSource"
                '=="signin.amazonaws.com")\' | wc -l',
            ],
            signins,
        ),
        Command(
            "DuckDB read_json_objects, 2 threads",
            [sys.executable, "-c", DUCKDB, str(tree / LOGS)],
            signins,
        ),
        Command(
            "libdeflate decompression only (floor)",
            [sys.executable, "-c", DECOMPRESS, str(tree / LOGS)],
            None,
        ),
    ]


def run_once(command: Command, env: dict[str, str] | None = None) -> None:
    with tempfile.NamedTemporaryFile("r") as stats:
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *command.argv],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        command.seconds.append(time.perf_counter() - started)
        command.peak_kb.append(int(stats.read().split()[-1]))
    if result.returncode != 0:
        raise SystemExit(f"{command.name} failed: {result.stderr[-500:]}")
    out = result.stdout.strip()
    if command.name.startswith("signin-report"):
        command.found = int(json.loads(out)["summary"]["signin_events"])
    elif command.expect is not None:
        command.found = int(out.splitlines()[-1])


def bench(tree: Path, reps: int) -> None:
    cmds = commands(tree)
    for command in cmds:  # warm-up, page cache
        run_once(command)
        command.seconds.clear()
        command.peak_kb.clear()
    for _ in range(reps):
        for command in cmds:
            run_once(command)
    ours = statistics.median(cmds[0].seconds)
    records = int(json.loads((tree / "manifest.json").read_text())["records"])
    print(f"\n{tree.name}: {cmds[0].expect} sign-ins in the manifest; median of {reps} runs")
    print_table(
        ["command", "wall s", "x signin-report", "records/s"],
        [
            [
                f"{statistics.median(c.seconds) / ours:.2f}",
                f"{records / statistics.median(c.seconds):,.0f}",
            ]
            for c in cmds
        ],
        cmds,
    )


def print_table(header: list[str], middles: list[list[str]], commands: list[Command]) -> None:
    """A Markdown table: name and median wall time, the caller's columns, peak RSS and the
    sign-ins found (checked against the manifest) for each command."""
    print("| " + " | ".join([*header, "peak RSS MB", "sign-ins found"]) + " |")
    print("|---" + "|---:" * (len(header) + 1) + "|")
    for command, middle in zip(commands, middles, strict=True):
        cells = [
            command.name.replace("|", "\\|"),
            f"{statistics.median(command.seconds):.2f}",
            *middle,
            f"{max(command.peak_kb) / 1024:.0f}",
            found_text(command),
        ]
        print("| " + " | ".join(cells) + " |")


def found_text(command: Command) -> str:
    if command.found is None:
        return "-"
    ok = command.expect is None or command.found == command.expect
    return f"{command.found}" + ("" if ok else " (WRONG)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    for tree in args.trees:
        bench(tree, args.reps)


if __name__ == "__main__":
    main()
