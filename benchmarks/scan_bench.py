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
import os
import resource
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
THREADS = os.cpu_count() or 1
# DuckDB, every core. The record-by-record form (each file's Records unnested into rows, then
# eventSource read from each row) is the one a user writes first; the strongest form reads each
# one-line file as one value and extracts `$.Records[*].eventSource` once, as a list, counting
# the matches without building a row per record. DuckDB's `read_text` would be the literal
# "file as text" reader but does not inflate (it refuses the .json.gz files as not UTF-8), so
# the file-as-one-value forms are `read_json_objects` with one object per line and `read_csv`
# with one VARCHAR column that no delimiter or quote splits.
DUCKDB_FORMS = {
    "DuckDB read_json_objects, unnest records": (
        "SELECT count(*) FROM (SELECT unnest(json_extract(json, '$.Records[*]')) AS r"
        " FROM read_json_objects(?, format='unstructured'))"
        " WHERE json_extract_string(r, '$.eventSource') = 'signin.amazonaws.com'"
    ),
    "DuckDB read_json_objects (one line), eventSource list once": (
        "SELECT sum(list_count(list_filter(json_extract_string(json,"
        " '$.Records[*].eventSource'), lambda s: s = 'signin.amazonaws.com')))"
        " FROM read_json_objects(?, format='newline_delimited')"
    ),
    "DuckDB read_csv (file as text), eventSource list once": (
        "SELECT sum(list_count(list_filter(json_extract_string(line,"
        " '$.Records[*].eventSource'), lambda s: s = 'signin.amazonaws.com')))"
        " FROM read_csv(?,"
        " columns={'line': 'VARCHAR'}, delim='\\x01', quote='', escape='', header=false,"
        " compression='gzip', max_line_size=67108864, auto_detect=false)"
    ),
}
DUCKDB = (
    "import duckdb, sys\n"
    "con = duckdb.connect(\n"
    "    config={'threads': int(sys.argv[3]), 'preserve_insertion_order': False}\n"
    ")\n"
    "print(con.sql(sys.argv[1], params=[sys.argv[2]]).fetchall()[0][0])"
)


@dataclass
class Command:
    name: str
    argv: list[str]
    expect: int | None  # sign-ins the output must report, when it reports any
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system, children included
    found: int | None = None


def window(tree: Path) -> tuple[str, str]:
    params = json.loads((tree / "manifest.json").read_text())["params"]
    end = date.fromisoformat(params["end_date"])
    return str(end - timedelta(days=params["days"] - 1)), str(end + timedelta(days=1))


def commands(tree: Path, config: Path | None = None) -> list[Command]:
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
                *(["--config", str(config)] if config else []),
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
        *(
            Command(
                f"{name}, {THREADS} threads",
                [sys.executable, "-c", DUCKDB, sql, str(tree / LOGS), str(THREADS)],
                signins,
            )
            for name, sql in DUCKDB_FORMS.items()
        ),
        Command(
            "libdeflate decompression only (floor)",
            [sys.executable, "-c", DECOMPRESS, str(tree / LOGS)],
            None,
        ),
    ]


def run_once(command: Command, env: dict[str, str] | None = None) -> None:
    with tempfile.NamedTemporaryFile("r") as stats:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *command.argv],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        command.seconds.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        command.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        command.peak_kb.append(int(stats.read().split()[-1]))
    if result.returncode != 0:
        raise SystemExit(f"{command.name} failed: {result.stderr[-500:]}")
    out = result.stdout.strip()
    if command.name.startswith("signin-report"):
        command.found = int(json.loads(out)["summary"]["signin_events"])
    elif command.expect is not None:
        command.found = int(out.splitlines()[-1])


def bench(tree: Path, reps: int, only: list[str], config: Path | None = None) -> None:
    cmds = [c for i, c in enumerate(commands(tree, config)) if i == 0 or selected(c.name, only)]
    for command in cmds:  # warm-up, page cache
        run_once(command)
        command.seconds.clear()
        command.peak_kb.clear()
        command.cpu.clear()
    for _ in range(reps):
        for command in cmds:
            run_once(command)
    records = int(json.loads((tree / "manifest.json").read_text())["records"])
    print(f"\n{tree.name}: {cmds[0].expect} sign-ins in the manifest; median of {reps} runs")
    print_table(
        ["command", "wall s", "x signin-report", "CPU s", "records/s"],
        [
            [
                f"{paired_ratio(c.seconds, cmds[0].seconds):.2f}",
                f"{statistics.median(c.cpu):.2f}",
                f"{records / statistics.median(c.seconds):,.0f}",
            ]
            for c in cmds
        ],
        cmds,
    )


def selected(name: str, only: list[str]) -> bool:
    return not only or any(word.lower() in name.lower() for word in only)


def paired_ratio(seconds: list[float], ours: list[float]) -> float:
    """Median of the per-round ratios: each round runs every command once, one after the
    other, so a shared machine's drift cancels within a round."""
    return statistics.median(a / b for a, b in zip(seconds, ours, strict=True))


def compile_project() -> None:
    """Compile the project's bytecode as `pip install` does: with PYTHONDONTWRITEBYTECODE set
    (as in some shells and CI images) an editable install would otherwise recompile every
    module of the package in every measured run."""
    import compileall

    import analyzer

    compileall.compile_dir(str(Path(analyzer.__file__).parent), quiet=1)


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
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="WORD",
        help="run only the peers whose name holds WORD (repeatable; signin-report always runs)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="findings configuration for signin-report (e.g. one rule off, to see its share)",
    )
    args = parser.parse_args()
    compile_project()
    for tree in args.trees:
        bench(tree, args.reps, args.only, args.config)


if __name__ == "__main__":
    main()
