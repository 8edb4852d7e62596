"""Start-up of `signin-report`, side by side with the floors: a one-file folder and a small tree.

    python -m benchmarks.startup_bench --reps 15
    python -m benchmarks.startup_bench --tree /tmp/bench/small --baseline /tmp/base --reps 9

The one-file folder is one trail file of the packaged sample (made in a temporary folder
unless `--one DIR` names one). Every command runs as its own process, the page cache warm, in
alternation (A B C ... A B C ...); each row shows the median wall time, the median CPU time
(user + system of the process and its children), and the median of the per-round ratios to
`signin-report --format json` on the same input, so a shared machine's drift cancels. Beside
it: `python -c pass` (the interpreter alone), `import pandas` (what any run that builds a
frame pays), and GNU `zcat` over the same files. `--baseline SRC` adds the same runs of
another checkout of the project (its root folder, e.g. `git archive main | tar -x -C SRC`),
put first on the import path; this checkout runs the same way, from its own root.

`--tree` adds a small tree (e.g. `gen_trail.py --days 1 --files-per-region-day 16
--records-per-file 430 --signin-rate 0.01`: 128 files, 95 MB of JSON, 14 MB gzip) against
`zcat` of its log files. The project's bytecode is compiled first, as `pip install` does.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.scan_bench import compile_project, paired_ratio, window

ROOT = Path(__file__).resolve().parents[1]
LAUNCH = (
    "import sys; sys.argv[0] = 'signin-report'; "
    "from analyzer.entry.launch import console; console()"
)


@dataclass
class Run:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def run_once(run: Run) -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        run.argv,
        capture_output=True,
        env=run.env,
        check=False,
        cwd=tempfile.gettempdir(),  # not a checkout: '' on sys.path must not shadow PYTHONPATH
    )
    run.seconds.append(time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu.append(
        after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    )
    if result.returncode != 0:
        raise SystemExit(f"{run.name} failed: {result.stderr.decode()[-500:]}")


def report_runs(logs: Path, since: str, until: str, src: Path, label: str) -> list[Run]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    base = [sys.executable, "-c", LAUNCH, "--logs", str(logs), "--since", since, "--until", until]
    return [
        Run(f"{label} --format json", [*base, "--format", "json"], env),
        Run(f"{label} (terminal table)", base, env),
    ]


def one_file_folder(folder: Path | None) -> tuple[Path, str, str]:
    """A folder holding one trail file of the packaged sample, and the sample's window."""
    from analyzer.sources.sample import SAMPLE_SINCE, SAMPLE_UNTIL, sample_path

    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="startup-one-"))
        first = sorted(sample_path().glob("AWSLogs/*/CloudTrail/us-east-1/*/*/*/*.json.gz"))[0]
        shutil.copy(first, folder)
    return folder, SAMPLE_SINCE, SAMPLE_UNTIL


def bench(runs: list[Run], reps: int, title: str) -> None:
    for run in runs:  # warm-up, page cache
        run_once(run)
        run.seconds.clear()
        run.cpu.clear()
    for _ in range(reps):
        for run in runs:
            run_once(run)
    ours = runs[0]
    print(f"\n{title}; median of {reps} rounds")
    print("| command | wall s | CPU s | x this project's JSON run (wall) |")
    print("|---|---:|---:|---:|")
    for run in runs:
        print(
            f"| {run.name.replace('|', chr(92) + '|')} | {statistics.median(run.seconds):.3f}"
            f" | {statistics.median(run.cpu):.3f} | {paired_ratio(run.seconds, ours.seconds):.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=Path, help="a folder holding one trail file")
    parser.add_argument("--tree", type=Path, help="a gen_trail.py tree (small)")
    parser.add_argument("--baseline", type=Path, help="another checkout's root, to compare")
    parser.add_argument("--reps", type=int, default=9)
    args = parser.parse_args()
    compile_project()
    folder, since, until = one_file_folder(args.one)
    files = sorted(str(p) for p in folder.rglob("*.json.gz"))
    runs = report_runs(folder, since, until, ROOT, "signin-report")
    if args.baseline:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.baseline)], check=True)
        runs += report_runs(folder, since, until, args.baseline, "baseline")
    runs += [
        Run("python -c pass", [sys.executable, "-c", "pass"]),
        Run("python -c 'import pandas'", [sys.executable, "-c", "import pandas"]),
        Run("zcat FILE > /dev/null", ["sh", "-c", "zcat " + shlex.join(files) + " > /dev/null"]),
    ]
    bench(runs, args.reps, f"one-file folder ({len(files)} file, {folder})")
    if args.tree:
        since, until = window(args.tree)
        logs = args.tree / "AWSLogs"
        runs = report_runs(logs, since, until, ROOT, "signin-report")[:1]
        if args.baseline:
            runs += report_runs(logs, since, until, args.baseline, "baseline")[:1]
        find = f"find {shlex.quote(str(logs))} -path '*/CloudTrail/*' -name '*.json.gz' -print0"
        runs.append(
            Run(
                "find | xargs zcat > /dev/null", ["sh", "-c", f"{find} | xargs -0 zcat > /dev/null"]
            )
        )
        manifest = json.loads((args.tree / "manifest.json").read_text())
        bench(runs, args.reps, f"tree {args.tree.name} ({manifest['records']} records)")


if __name__ == "__main__":
    main()
