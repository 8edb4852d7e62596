"""One large JSON Lines file through `signin-report`: this checkout against a baseline.

    python -m benchmarks.fixtures /work/bench-data        # once: million.jsonl among others
    python -m benchmarks.jsonl_bench /work/bench-data/million.jsonl --baseline main --reps 1

Each run is the whole command, `signin-report --logs FILE --format json --output OUT
--since … --until … -q` (plus `--max-file-mb`, by default 4096 on both sides: a baseline
reads a JSON Lines file whole and would otherwise stop at the 256 MiB default limit), in a
fresh process with PYTHONPATH at the checkout measured. The baseline ref is checked out in a
temporary `git worktree`; runs alternate (baseline, this, baseline, this, ...).

`--collect-only` runs only the collection through the Python API (`FileSource` and
`collect`, the same limit), to separate it from the rules and the report, which both sides
share. Measured per run: wall time; CPU time (user + system of the process and every worker it
waited for, from `wait4`); the peak RSS of the command's own process (`ru_maxrss`); and the
peak of the whole process tree's RSS summed, sampled from /proc every 50 ms (workers run at
the same time as the caller, so their memory adds up). The report texts of both sides are
compared with `generated_at` blanked: the table says whether they are identical. The load
average is printed before and after: this machine is shared, so wall time depends on it,
CPU time much less.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GIT = shutil.which("git") or "git"
_GENERATED = re.compile(rb'"generated_at": ?"[^"]*"')


@dataclass
class Run:
    side: str
    wall: float
    cpu: float
    rss_caller_mb: float
    rss_tree_mb: float
    digest: str
    returncode: int


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """The largest sum of RSS over a process and its descendants, sampled."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total = sum(_rss_kib(pid) for pid in _descendants(self.pid))
            self.peak_kib = max(self.peak_kib, total)
            self.done.wait(self.every)


COLLECT = """
import sys
import pyarrow
pyarrow.set_memory_pool(pyarrow.system_memory_pool())  # as the CLI does
from datetime import UTC, datetime
from pathlib import Path
from analyzer.domain.window import Window
from analyzer.frame.collect import collect
from analyzer.sources.files import FileSource
path, since, until, limit, out = sys.argv[1:]
window = Window(
    datetime.fromisoformat(since).replace(tzinfo=UTC),
    datetime.fromisoformat(until).replace(tzinfo=UTC),
)
source = FileSource([Path(path)], window=window, keep_records=False, max_file_bytes=int(limit))
collection = collect([source], window)
frame, coverage = collection.frame, collection.coverage
Path(out).write_text(
    f"{len(frame)} {frame['event_id'].iloc[0] if len(frame) else ''} "
    f"{frame['event_id'].iloc[-1] if len(frame) else ''} {coverage.as_dict()}"
)
"""


def run_once(side: str, checkout: Path, argv: list[str], out: Path) -> Run:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    command = (
        [sys.executable, "-c", COLLECT, *argv, str(out)]
        if argv[0] != "--logs"
        else [sys.executable, "-m", "analyzer", *argv, "--output", str(out)]
    )
    process = subprocess.Popen(
        command,
        env=env,
        cwd=tempfile.gettempdir(),  # not a checkout: '' on sys.path must not shadow PYTHONPATH
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    text = out.read_bytes() if out.exists() else b""
    digest = hashlib.sha256(_GENERATED.sub(b'"generated_at":"X"', text)).hexdigest()[:12]
    return Run(
        side,
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        sampler.peak_kib / 1024,
        digest,
        process.returncode,
    )


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("--baseline", default="main", help="git ref to compare with")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--since", default="2025-01-01")
    parser.add_argument("--until", default="2026-11-10")
    parser.add_argument("--max-file-mb", type=int, default=4096)
    parser.add_argument("--only-this", action="store_true", help="skip the baseline")
    parser.add_argument(
        "--collect-only",
        action="store_true",
        help="measure only the collection (FileSource + collect, Python API): the frame, "
        "without the rules and the report",
    )
    args = parser.parse_args()
    argv = [
        "--logs", str(args.jsonl.resolve()), "--format", "json", "--since", args.since,
        "--until", args.until, "-q", "--max-file-mb", str(args.max_file_mb),
    ]  # fmt: skip
    if args.collect_only:
        limit = str(args.max_file_mb * 2**20)
        argv = [str(args.jsonl.resolve()), args.since, args.until, limit]
    scratch = Path(tempfile.mkdtemp(prefix="jsonl-bench-"))
    baseline = scratch / "baseline"
    sides = [("this", REPO)]
    try:
        if not args.only_this:
            subprocess.run(
                [GIT, "-C", str(REPO), "worktree", "add", "--detach", str(baseline), args.baseline],
                check=True,
                capture_output=True,
            )
            sides.insert(0, ("baseline", baseline))
        print(f"load average before: {_load()}")
        runs: list[Run] = []
        for rep in range(args.reps):
            for side, checkout in sides:
                run = run_once(side, checkout, argv, scratch / f"{side}-{rep}.json")
                runs.append(run)
                print(
                    f"{side:8} wall {run.wall:7.1f} s  cpu {run.cpu:7.1f} s  caller "
                    f"{run.rss_caller_mb:7.0f} MB  tree {run.rss_tree_mb:7.0f} MB  "
                    f"report {run.digest} rc={run.returncode}  (load {_load()})",
                    flush=True,
                )
        _table(runs, [side for side, _ in sides])
        print(f"load average after: {_load()}")
    finally:
        if baseline.exists():
            subprocess.run(
                [GIT, "-C", str(REPO), "worktree", "remove", "--force", str(baseline)],
                check=False,
                capture_output=True,
            )
        shutil.rmtree(scratch, ignore_errors=True)


def _table(runs: list[Run], sides: list[str]) -> None:
    print("\n| side | wall s | CPU s | caller peak MB | tree peak MB | report |")
    print("|---|---:|---:|---:|---:|---|")
    medians: dict[str, list[float]] = {}
    for side in sides:
        mine = [run for run in runs if run.side == side]
        values = [
            statistics.median(getattr(run, key) for run in mine)
            for key in ("wall", "cpu", "rss_caller_mb", "rss_tree_mb")
        ]
        medians[side] = values
        digests = ",".join(sorted({run.digest for run in mine}))
        print(f"| {side} | {values[0]:.1f} | {values[1]:.1f} | {values[2]:.0f} | "
              f"{values[3]:.0f} | {digests} |")  # fmt: skip
    if len(sides) == 2:
        before, after = medians[sides[0]], medians[sides[1]]
        ratios = " | ".join(
            f"{a / b:.2f}x" if b else "-" for a, b in zip(after, before, strict=True)
        )
        print(f"| this / baseline | {ratios} | |")
        same = {run.digest for run in runs}
        print(f"\nreports identical: {len(same) == 1}")


if __name__ == "__main__":
    main()
