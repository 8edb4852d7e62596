"""The findings rules over a million sign-ins, this checkout against a baseline, side by side.

Times `evaluate_rules` (default FindingsConfig) on the million-row frame in one fresh child
process per repetition, children alternating baseline, this, baseline, this, ... (the
baseline ref checked out in a temporary `git worktree`, as `report_bench.py` does, whose
helpers this reuses). `--history` passes the frame's first half (before 2026-05-09) as the
history baseline, so the first-seen and dormancy rules run too (the new-address rule then
reports a few hundred thousand findings: gen_trail gives almost every sign-in its own
address). `--disable RULE` turns rules off (repeatable): the baseline's quadratic rules can
take minutes. Both sides' findings are digested (rule, severity, title, text and evidence
count of every finding, the evidence rows of a sample): the benchmark says whether they agree.

    python -m benchmarks.rules_bench /work/bench-data --reps 3
    python -m benchmarks.rules_bench /work/bench-data --history --reps 3
    python -m benchmarks.rules_bench /work/bench-data --no-baseline --history --reps 5
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _report_bench() -> Any:
    """`benchmarks/report_bench.py` beside this file, loaded by path: in a child the
    `benchmarks` package on the path is the baseline checkout's, which may predate it."""
    path = Path(__file__).resolve().parent / "report_bench.py"
    spec = importlib.util.spec_from_file_location("_bench_report", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_shared = _report_bench()
DEFAULT_BASELINE: str = _shared.DEFAULT_BASELINE
GIT: str = _shared.GIT
REPO: Path = _shared.REPO
_load_frame = _shared._load_frame
_peak_mb = _shared._peak_mb
_row = _shared._row

HISTORY_BEFORE = "2026-05-09"  # the middle of the million tree's year
SAMPLED = 2000  # findings whose evidence rows are hashed (every k-th)


def _digest(findings: list[Any]) -> str:
    """Every finding's text and evidence count, and the evidence rows of a sample, without
    building every evidence table (this checkout keeps them unbuilt until read)."""
    digest = hashlib.sha256()
    step = max(1, len(findings) // SAMPLED)
    for n, finding in enumerate(findings):
        lazy = getattr(finding, "evidence_rows", None)
        count = len(lazy) if lazy is not None else len(finding.evidence)
        text = (finding.rule_id, finding.severity, finding.title, finding.description, count)
        digest.update(repr(text).encode("utf-8"))
        if n % step == 0:
            digest.update(finding.evidence.to_csv(index=False).encode("utf-8"))
    return digest.hexdigest()


def child(frame_path: Path, history: bool, disabled: list[str]) -> dict[str, Any]:
    """One repetition in this process (run with PYTHONPATH at the checkout measured)."""
    from dataclasses import replace

    import pandas as pd

    import analyzer
    from analyzer.findings.config import FindingsConfig
    from analyzer.findings.engine import evaluate_rules

    result: dict[str, Any] = {"analyzer": str(Path(analyzer.__file__).parent)}
    started = time.perf_counter()
    frame = _load_frame(frame_path)
    baseline = None
    if history:
        before = frame["event_time"] < pd.Timestamp(HISTORY_BEFORE, tz="UTC")
        baseline = frame[before.fillna(False).astype(bool)].reset_index(drop=True)
    result["load"] = time.perf_counter() - started
    result["rows"] = len(frame)
    result["history_rows"] = 0 if baseline is None else len(baseline)
    result["rss_load"] = _peak_mb()
    config = FindingsConfig()
    rules = {k: replace(v, enabled=k not in disabled) for k, v in config.rules.items()}
    config = replace(config, rules=rules)

    started = time.perf_counter()
    results = evaluate_rules(frame, baseline, config)
    result["rules"] = time.perf_counter() - started
    result["rss_rules"] = _peak_mb()
    result["findings"] = len(results.findings)
    result["digest"] = _digest(results.findings)
    return result


def run_child(checkout: Path, args: argparse.Namespace) -> dict[str, Any]:
    argv = [str(args.frame)] + (["--history"] if args.history else [])
    for rule in args.disable:
        argv += ["--disable", rule]
    measured: dict[str, Any] = _shared.measure(Path(__file__).resolve(), checkout, argv)
    return measured


@contextmanager
def checkout_of(ref: str | None) -> Iterator[Path | None]:
    """`ref` in a temporary detached worktree (None: no baseline)."""
    if ref is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="rules-bench-") as scratch:
        path = Path(scratch) / "baseline"
        subprocess.run(
            [GIT, "-C", str(REPO), "worktree", "add", "--detach", str(path), ref],
            check=True,
            capture_output=True,
        )
        try:
            yield path
        finally:
            subprocess.run(
                [GIT, "-C", str(REPO), "worktree", "remove", "--force", str(path)], check=False
            )


def table(old: list[dict[str, Any]], new: list[dict[str, Any]], ref: str) -> str:
    lines = [f"| stage | baseline {ref} | this checkout | this / baseline |", "|---|---|---|---|"]
    for key, name, unit in (
        ("load", "load (and split the history)", "s"),
        ("rules", "**evaluate_rules**", "s"),
        ("rss_load", "peak RSS after load", "MB"),
        ("rss_rules", "peak RSS after the rules", "MB"),
    ):
        lines.append(_row(name, [r[key] for r in old], [r[key] for r in new], unit))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, nargs="?", help="fixture cache (benchmarks.fixtures)")
    parser.add_argument("--frame", type=Path, help="an --events Parquet file instead")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git ref to compare with")
    parser.add_argument("--no-baseline", action="store_true", help="measure this checkout only")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per side")
    parser.add_argument(
        "--history", action="store_true", help=f"rows before {HISTORY_BEFORE} as history"
    )
    parser.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="RULE",
        help="turn a rule off (repeatable)",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.history, args.disable)))
        return
    if args.frame is None:
        if args.root is None:
            parser.error("give the fixture cache folder or --frame")
        from benchmarks.fixtures import ensure_frame

        args.frame = ensure_frame(args.root)
    old: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    with checkout_of(None if args.no_baseline else args.baseline) as baseline:
        for rep in range(args.reps):
            if baseline is not None:
                old.append(run_child(baseline, args))
            new.append(run_child(REPO, args))
            was = f"{old[-1]['rules']:.2f} s" if old else "-"
            print(
                f"rep {rep + 1}/{args.reps}: baseline {was}, this {new[-1]['rules']:.2f} s",
                file=sys.stderr,
            )
    print(
        f"{new[0]['rows']:,} rows, history {new[0]['history_rows']:,} rows; "
        f"{new[0]['findings']:,} findings; rules off: {', '.join(args.disable) or 'none'}; "
        f"{args.reps} repetitions per side, alternating; load average {os.getloadavg()[0]:.2f}"
    )
    print(table(old, new, "-" if baseline is None else args.baseline))
    digests = {r["digest"] for r in old + new}
    print(f"findings: {'identical' if len(digests) == 1 else 'DIFFERENT'} on both sides"
          if old else f"findings digest {new[0]['digest'][:16]}")  # fmt: skip
    print(f"median this checkout: {statistics.median(r['rules'] for r in new):.2f} s")


if __name__ == "__main__":
    main()
