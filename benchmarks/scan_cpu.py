"""CPU of reading every trail file of a tree in one process, this checkout against another.

    python -m benchmarks.scan_cpu /tmp/bench/pess --baseline /tmp/base --reps 5

What a change to the reader (`decode.read_file`: inflating, the fast path's counts and
searches, parsing the records around a hit) costs, without the worker pool, the imports and
the report around it, which the whole-process benchmarks add and vary with. Each repetition
runs each checkout in a process of its own, alternated (baseline, this one, baseline, ...),
its root first on the import path; a process reads the first 50 files once to warm up, then
every file, timed with `time.process_time`. Prints each run and the medians, and checks that
both found the same number of candidates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_READ = """
import sys, time
from pathlib import Path
from analyzer.sources.decode import read_file
files = sorted(p for p in Path(sys.argv[1]).rglob("*.json.gz") if "/CloudTrail/" in str(p))
for path in files[:50]:
    read_file(path)
started = time.process_time()
found = sum(len(read_file(path).candidates) for path in files)
print(time.process_time() - started, found)
"""


def _run(root: Path, tree: Path) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": ""}
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(tree)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=root,
    )
    seconds, found = done.stdout.split()
    return float(seconds), int(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path, help="a gen_trail.py tree")
    parser.add_argument("--baseline", type=Path, required=True, help="another checkout's root")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"baseline": [], "this checkout": []}
    counts: set[int] = set()
    for _ in range(args.reps):
        for name, root in (("baseline", args.baseline), ("this checkout", ROOT)):
            seconds, found = _run(root.resolve(), args.tree)
            times[name].append(seconds)
            counts.add(found)
    for name, runs in times.items():
        shown = " ".join(f"{t:.3f}" for t in runs)
        print(f"{name}: median {statistics.median(runs):.3f} CPU-s ({shown})")
    if len(counts) != 1:
        sys.exit(f"the checkouts found different numbers of candidates: {sorted(counts)}")


if __name__ == "__main__":
    main()
