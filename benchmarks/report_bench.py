"""A million-row report through the Python API, this checkout against a baseline, side by side.

Measures what a notebook or the weekly job does with an organization-size frame: `run_rules`
(default FindingsConfig, no baseline), `build_report`, the JSON `--format json` writes and the
CSV `--format csv` writes, each stage timed inside one fresh child process per repetition, with
the child's peak RSS after each stage (`ru_maxrss`, monotonic: "after json" is the peak of
load + rules + report + JSON, the issue's "< 1 GB" figure; "after load" is what the frame
itself costs, so the budget left for the work is the difference).

    python -m benchmarks.report_bench /work/bench-data --reps 3            # vs f5b2ec5
    python -m benchmarks.report_bench /work/bench-data --baseline main --reps 5
    python -m benchmarks.report_bench /work/bench-data --baseline main --reps 2 --no-rules

The baseline ref is checked out in a temporary `git worktree` and its child runs the same code
with PYTHONPATH pointing there; children alternate (baseline, this, baseline, this, ...). The
table shows medians per side and the median of the per-pair ratios (this / baseline). Both
sides' JSON and CSV texts are hashed: the benchmark says whether they are byte-identical.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO, cast

# The commit the issue-15 branches started from (before any of its changes).
DEFAULT_BASELINE = "f5b2ec5"
STAGES = ["load", "run_rules", "build_report", "json", "csv"]
GOAL_SECONDS = 2.0  # run_rules + build_report + JSON
GOAL_MB = 1000.0  # peak RSS through JSON, 1 GB
REPO = Path(__file__).resolve().parents[1]
GIT = shutil.which("git") or "git"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000  # KiB on Linux


def _load_frame(path: Path, columns: list[str] | None, encoded: list[str] | None) -> Any:
    """`benchmarks.fixtures.load_frame`, loaded from this file's folder: a baseline checkout
    may predate fixtures.py, and its `benchmarks` package would shadow this one."""
    spec = importlib.util.spec_from_file_location(
        "_bench_fixtures", REPO / "benchmarks" / "fixtures.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.load_frame(path, columns, encoded)


def _compact_columns(columns: list[str] | None) -> list[str] | None:
    """The columns a compact frame keeps encoded, if the checkout measured has that form."""
    if importlib.util.find_spec("analyzer.frame.compact") is None:
        return None  # (a baseline before it: the documented frame)
    from analyzer.frame.compact import COMPACT_COLUMNS

    return [name for name in COMPACT_COLUMNS if columns is None or name in columns]


def child(
    frame_path: Path,
    rules: bool = True,
    columns: list[str] | None = None,
    compact: bool = False,
    system_allocator: bool = False,
) -> dict[str, Any]:
    """One repetition in this process (run with PYTHONPATH at the checkout measured);
    `rules=False` skips `run_rules` (the report then has no findings), to time the report
    and renderers alone; `columns`: load only those; `compact`: as a compact frame;
    `system_allocator`: Arrow allocates with malloc, as README advises a notebook at this
    size (pyarrow's default is mimalloc in today's wheels)."""
    import hashlib
    import io
    from datetime import UTC, datetime

    import analyzer
    from analyzer.domain.window import Window
    from analyzer.findings.config import FindingsConfig
    from analyzer.findings.engine import run_rules
    from analyzer.render.csv_out import CsvRenderer
    from analyzer.render.formats import SECTION_NAMES
    from analyzer.render.json_out import JsonRenderer
    from analyzer.reports import build_report

    if system_allocator:
        import pyarrow

        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    result: dict[str, Any] = {"analyzer": str(Path(analyzer.__file__).parent)}
    result["rss_imports"] = _peak_mb()
    times: dict[str, float] = {}
    started = time.perf_counter()
    encoded = _compact_columns(columns) if compact else None
    result["compact"] = bool(encoded)
    frame = _load_frame(frame_path, columns, encoded)
    times["load"] = time.perf_counter() - started
    result["rows"] = len(frame)
    result["rss_load"] = _peak_mb()

    started = time.perf_counter()
    findings = run_rules(frame, None, FindingsConfig()) if rules else []
    times["run_rules"] = time.perf_counter() - started
    result["rss_run_rules"] = _peak_mb()
    result["findings"] = len(findings)

    fixed = datetime(2026, 11, 9, tzinfo=UTC)
    window = Window(since=datetime(2025, 11, 9, tzinfo=UTC), until=fixed)
    started = time.perf_counter()
    report = build_report(frame, None, window=window, generated_at=fixed, findings=findings)
    times["build_report"] = time.perf_counter() - started
    result["rss_build_report"] = _peak_mb()

    class Digest(io.TextIOBase):
        """A file that keeps only the size and hash of what is written: the report streamed
        as the CLI streams it to --output (AuditResult.write_report), measured without
        holding a copy of the text the benchmark itself would add to the peak."""

        def __init__(self) -> None:
            self.hash, self.size = hashlib.sha256(), 0

        def write(self, text: str) -> int:
            data = text.encode("utf-8")
            self.hash.update(data)
            self.size += len(data)
            return len(text)

    for stage, renderer in (("json", JsonRenderer()), ("csv", CsvRenderer())):
        started = time.perf_counter()
        sink = Digest()
        renderer.render(report, cast(TextIO, sink), list(SECTION_NAMES))
        times[stage] = time.perf_counter() - started
        result[f"rss_{stage}"] = _peak_mb()
        result[f"{stage}_bytes"] = sink.size
        result[f"{stage}_sha256"] = sink.hash.hexdigest()
    result["seconds"] = times
    return result


def measure(script: Path, checkout: Path, args: list[str]) -> dict[str, Any]:
    """Run `script --child ARGS` with `checkout` first on the import path, and return the
    JSON its last output line holds (the benchmarks' children all report that way)."""
    done = subprocess.run(
        [sys.executable, str(script), "--child", *args],
        env={**os.environ, "PYTHONPATH": str(checkout)},
        cwd=tempfile.gettempdir(),  # not a checkout: '' on sys.path must not shadow PYTHONPATH
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child for {checkout} failed:\n{done.stderr}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    where = measured.get("analyzer")
    if where and Path(where).resolve() != (checkout / "analyzer").resolve():
        raise SystemExit(f"child imported {where}, not {checkout}")
    return measured


def run_child(
    checkout: Path,
    frame_path: Path,
    rules: bool = True,
    columns: list[str] | None = None,
    compact: bool = False,
    system_allocator: bool = False,
) -> dict[str, Any]:
    args = (
        [str(frame_path)] + ([] if rules else ["--no-rules"]) + (["--compact"] if compact else [])
    )
    args += ["--system-allocator"] if system_allocator else []
    args += ["--columns", ",".join(columns)] if columns else []
    return measure(Path(__file__).resolve(), checkout, args)


def _total(run: dict[str, Any]) -> float:
    seconds = run["seconds"]
    return float(seconds["run_rules"] + seconds["build_report"] + seconds["json"])


def _row(name: str, old: list[float], new: list[float], unit: str) -> str:
    ratios = [n / o for o, n in zip(old, new, strict=True) if o] if old else []
    ratio = f"{statistics.median(ratios):.2f}" if ratios else "-"
    old_text = f"{statistics.median(old):.2f}" if old else "-"
    return f"| {name} | {old_text} {unit} | {statistics.median(new):.2f} {unit} | {ratio} |"


def table(old: list[dict[str, Any]], new: list[dict[str, Any]], ref: str) -> str:
    lines = [f"| stage | baseline {ref} | this checkout | this / baseline |", "|---|---|---|---|"]
    for stage in STAGES:
        lines.append(
            _row(stage, [r["seconds"][stage] for r in old], [r["seconds"][stage] for r in new], "s")
        )
    lines.append(
        _row("**rules + report + JSON**", [_total(r) for r in old], [_total(r) for r in new], "s")
    )
    for stage in ["imports", "load", "run_rules", "build_report", "json", "csv"]:
        lines.append(
            _row(
                f"peak RSS after {stage}",
                [r[f"rss_{stage}"] for r in old],
                [r[f"rss_{stage}"] for r in new],
                "MB",
            )
        )
    return "\n".join(lines)


def report_goal(new: list[dict[str, Any]]) -> str:
    total = statistics.median(_total(r) for r in new)
    peak = statistics.median(r["rss_json"] for r in new)
    loaded = statistics.median(r["rss_load"] for r in new)
    return (
        f"goal: rules + report + JSON {total:.2f} s (< {GOAL_SECONDS} s: "
        f"{'met' if total < GOAL_SECONDS else 'NOT met'}); peak RSS {peak:.0f} MB "
        f"(< {GOAL_MB:.0f} MB: {'met' if peak < GOAL_MB else 'NOT met'}); of which loading "
        f"the frame (with imports) {loaded:.0f} MB, leaving {GOAL_MB - loaded:.0f} MB for the work"
    )


def _identical(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> str:
    parts = []
    for stage in ("json", "csv"):
        hashes = {r[f"{stage}_sha256"] for r in old + new}
        size = new[0][f"{stage}_bytes"] / 1e6
        parts.append(f"{stage} {size:.1f} MB {'identical' if len(hashes) == 1 else 'DIFFERENT'}")
    return "outputs: " + ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, nargs="?", help="fixture cache (benchmarks.fixtures)")
    parser.add_argument(
        "--frame", type=Path, help="an --events Parquet file instead of the fixture"
    )
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git ref to compare with")
    parser.add_argument("--no-baseline", action="store_true", help="measure this checkout only")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per side")
    parser.add_argument(
        "--no-rules", action="store_true", help="skip run_rules: time the report and renderers"
    )
    parser.add_argument(
        "--report-columns",
        action="store_true",
        help="load only analyzer.REPORT_COLUMNS (what the rules and report read), both sides",
    )
    parser.add_argument(
        "--compact",
        action="store_true",
        help="load a compact frame (repeated texts dictionary-encoded) where the checkout "
        "has that form (a baseline before it loads the documented frame)",
    )
    parser.add_argument(
        "--system-allocator",
        action="store_true",
        help="Arrow allocates with malloc on both sides, as README advises a notebook at "
        "this size (default: pyarrow's default pool, what a notebook gets unless it chooses)",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--columns", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        columns = args.columns.split(",") if args.columns else None
        found = child(
            args.child,
            rules=not args.no_rules,
            columns=columns,
            compact=args.compact,
            system_allocator=args.system_allocator,
        )
        print(json.dumps(found))
        return
    columns = None
    if args.report_columns:
        from analyzer.frame.schema import REPORT_COLUMNS

        columns = list(REPORT_COLUMNS)
    if args.frame is None:
        if args.root is None:
            parser.error("give the fixture cache folder or --frame")
        from benchmarks.fixtures import ensure_frame

        args.frame = ensure_frame(args.root)
    old: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="report-bench-") as scratch:
        baseline = Path(scratch) / "baseline"
        ref = args.baseline
        if not args.no_baseline:
            subprocess.run(
                [GIT, "-C", str(REPO), "worktree", "add", "--detach", str(baseline), ref],
                check=True,
                capture_output=True,
            )
        try:
            options = (not args.no_rules, columns, args.compact, args.system_allocator)
            for rep in range(args.reps):
                if not args.no_baseline:
                    old.append(run_child(baseline, args.frame, *options))
                new.append(run_child(REPO, args.frame, *options))
                print(f"rep {rep + 1}/{args.reps}: baseline "
                      f"{_total(old[-1]) if old else float('nan'):.2f} s, this "
                      f"{_total(new[-1]):.2f} s", file=sys.stderr)  # fmt: skip
        finally:
            if not args.no_baseline:
                subprocess.run(
                    [GIT, "-C", str(REPO), "worktree", "remove", "--force", str(baseline)],
                    check=False,
                )
    loaded = f"the {len(columns)} report columns" if columns else "every column"
    print(f"{new[0]['rows']:,} rows ({loaded}) from {args.frame}; {new[0]['findings']} findings; "
          f"{args.reps} repetitions per side, alternating")  # fmt: skip
    print(table(old, new, ref if not args.no_baseline else "-"))
    print(report_goal(new))
    print(_identical(old, new))


if __name__ == "__main__":
    main()
