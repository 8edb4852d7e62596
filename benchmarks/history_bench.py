"""The weekly `--history` run as the history grows, and the one-shot report from a history of a
million rows, this checkout against a baseline ref, side by side.

Weekly: 52 runs, week by week over the million fixture's year (`million.parquet`, only its
first `--accounts` accounts, to keep the whole benchmark to a few minutes). Each week and
each side is one fresh child process that does what the weekly job does after collecting:
records the week's rows into its side's history (`History.record`, collected window = the
week plus the overlap, started at the week's end) and reports the week from the history
(`run_audit` without a source, JSON, rendered as `signin-report` asks: only the report's
columns, a compact frame), timing both and giving its peak RSS. Children
alternate (baseline week 1, this week 1, baseline week 2, ...). The slope is a least-squares
line over weeks 2-52 (week 1 has no baseline).

One-shot: each side records all the fixture's rows into a fresh history in one run (its own
layout: the baseline one part per day, this checkout closed months compacted), then
`python -m analyzer --history H --since 2025-11-09 --until 2026-11-09 --format json` is timed
as a whole process (wall time and peak RSS of the child, start-up included). This checkout
also reads the baseline's day-part history (a history written before compaction).

    python -m benchmarks.history_bench /work/bench-data                   # vs main
    python -m benchmarks.history_bench /work/bench-data --accounts 10 --weeks 20
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _as_the_command_renders(rendering: Any, fmt: Any) -> Any:
    """The weekly report's `Rendering` as `signin-report` asks for it (only the report's
    columns, a compact frame), in whichever of those settings the checkout measured has."""
    import dataclasses

    known = {field.name for field in dataclasses.fields(rendering)}
    wanted = {"every_column": False, "compact": True}
    return rendering(format=fmt, **{k: v for k, v in wanted.items() if k in known})


GIT = shutil.which("git") or "git"
FIRST_DAY = datetime(2025, 11, 9, tzinfo=UTC)  # the fixture's year: 2025-11-09 .. 2026-11-08
LAST_DAY = datetime(2026, 11, 9, tzinfo=UTC)
OVERLAP = timedelta(hours=2)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000  # KiB on Linux


def _rows(path: Path) -> Any:
    import pandas as pd
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas(types_mapper=pd.ArrowDtype)


def write_weeks(frame_path: Path, folder: Path, weeks: int, accounts: int) -> list[Path]:
    """Each week's rows (with the overlap before it) of the first `accounts` accounts, one
    small Parquet file per week, so that a weekly child reads only its week."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(frame_path)
    kept = pa.array(sorted(table["account_id"].unique().to_pylist())[:accounts])
    table = table.filter(pc.is_in(table["account_id"], value_set=kept))
    paths = []
    for week in range(1, weeks + 1):
        since = FIRST_DAY + timedelta(weeks=week - 1) - OVERLAP
        until = FIRST_DAY + timedelta(weeks=week)
        times = table["event_time"]
        inside = pc.and_(pc.greater_equal(times, pa.scalar(since, times.type)),
                         pc.less(times, pa.scalar(until, times.type)))  # fmt: skip
        path = folder / f"week-{week:02d}.parquet"
        pq.write_table(table.filter(inside), path)
        paths.append(path)
    return paths


def week_child(history: Path, rows_path: Path, week: int) -> dict[str, Any]:
    """One weekly run of the side on PYTHONPATH: record the week, report it from history.
    The modules a report imports are loaded before the clock starts: both sides load the
    same, and the figure is the history's cost, not start-up's."""
    import analyzer.findings.engine
    import analyzer.render.json_out
    import analyzer.render.registry
    import analyzer.reports
    from analyzer.audit.request import AuditRequest, Rendering
    from analyzer.audit.run import AuditRun, run_audit
    from analyzer.domain.scopes import ScopeOutcome
    from analyzer.domain.window import Window
    from analyzer.history.store import History
    from analyzer.render.formats import OutputFormat

    since = FIRST_DAY + timedelta(weeks=week - 1)
    until = since + timedelta(weeks=1)
    rows = _rows(rows_path)

    result: dict[str, Any] = {"rows": len(rows), "analyzer": str(Path(analyzer.__file__).parent)}
    started = time.perf_counter()
    History.open(str(history)).record(
        rows,
        [ScopeOutcome("logs:/bench", True)],
        collected=Window(since - OVERLAP, until),
        started=until,
        overlap=OVERLAP,
    )
    result["record"] = time.perf_counter() - started
    reading = []
    through = AuditRun._through_history

    def timed(self: Any) -> Any:
        begun = time.perf_counter()
        answer = through(self)
        reading.append(time.perf_counter() - begun)
        return answer

    AuditRun._through_history = timed  # type: ignore[method-assign]
    started = time.perf_counter()
    request = AuditRequest(
        window=Window(since, until),
        history=str(history),
        rendering=_as_the_command_renders(Rendering, OutputFormat.json),
    )
    audit = run_audit(request)
    result["report"] = time.perf_counter() - started
    result["read"] = sum(reading)
    result["findings"] = len(audit.findings)
    result["rss"] = _peak_mb()
    result["parts"] = sum(1 for _ in history.rglob("*.parquet"))
    return result


def build_child(history: Path, frame_path: Path) -> dict[str, Any]:
    """Record the whole fixture in one run, then run once more with nothing new (as the
    next weekly run would)."""
    from analyzer.domain.scopes import ScopeOutcome
    from analyzer.domain.window import Window
    from analyzer.history.store import History

    rows = _rows(frame_path)
    started = time.perf_counter()
    History.open(str(history)).record(
        rows,
        [ScopeOutcome("logs:/bench", True)],
        collected=Window(FIRST_DAY, LAST_DAY),
        started=LAST_DAY,
        overlap=OVERLAP,
    )
    import analyzer

    recorded = time.perf_counter() - started
    # The next run (nothing new): where closed months are compacted, it folds them now.
    History.open(str(history)).record(
        rows.iloc[:0],
        [ScopeOutcome("logs:/bench", True)],
        collected=Window(LAST_DAY, LAST_DAY + timedelta(days=1)),
        started=LAST_DAY + timedelta(days=1),
        overlap=OVERLAP,
    )
    return {
        "rows": len(rows),
        "record": recorded,
        "next_run": time.perf_counter() - started - recorded,
        "analyzer": str(Path(analyzer.__file__).parent),
    }


def read_child(history: Path) -> dict[str, Any]:
    """The one-shot report's history stage, as `signin-report --history H --since ...`
    runs it: `AuditRun.start` (history opened) and `_through_history` (the window's rows and
    the baseline before it), timed, with the peak RSS after it. pandas and pyarrow are
    imported before the clock starts (start-up is not the history's cost)."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import analyzer
    import analyzer.history.store
    from analyzer.audit.request import AuditRequest, Rendering
    from analyzer.audit.run import AuditRun
    from analyzer.domain.window import Window
    from analyzer.render.formats import OutputFormat

    request = AuditRequest(
        window=Window(FIRST_DAY, LAST_DAY),
        history=str(history),
        rendering=Rendering(format=OutputFormat.json),
    )
    before = _peak_mb()
    started = time.perf_counter()
    run = AuditRun(request)
    run.start()
    frame, baseline, _, _ = run._through_history()
    return {
        "read": time.perf_counter() - started,
        "rss": _peak_mb(),
        "rss_before": before,
        "rows": len(frame),
        "baseline_rows": 0 if baseline is None else len(baseline),
        "analyzer": str(Path(analyzer.__file__).parent),
    }


def _child(checkout: Path, *args: str) -> dict[str, Any]:
    from benchmarks.report_bench import measure  # the parent's own; a child never needs it

    return measure(Path(__file__).resolve(), checkout, list(args))


def _cli(checkout: Path, history: Path) -> dict[str, Any]:
    """`python -m analyzer --history H` over the whole year, as a whole process."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    argv = [sys.executable, "-m", "analyzer", "--history", str(history), "--since",
            FIRST_DAY.date().isoformat(), "--until", LAST_DAY.date().isoformat(),
            "--format", "json"]  # fmt: skip
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            argv, env=env, cwd=tempfile.gettempdir(), stdout=out, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        document = json.loads(out.read())
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "rss": usage.ru_maxrss / 1000,
        "exit": process.returncode,
        "sign_ins": document["summary"]["sign_ins"],
        "findings": len(document.get("findings", [])),
    }


def _slope(values: list[float]) -> float:
    """Least-squares change per week over weeks 2.. (index 1..)."""
    points = list(enumerate(values, start=1))[1:]
    if len(points) < 2:
        return float("nan")  # `--weeks 2` or fewer: no line through one point
    mean_x = statistics.mean(x for x, _ in points)
    mean_y = statistics.mean(y for _, y in points)
    top = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return top / sum((x - mean_x) ** 2 for x, _ in points)


def _history(run: dict[str, Any]) -> float:
    """The history's share of a weekly run: recording the week and reading the report's rows
    and baseline back."""
    return float(run["record"] + run["read"])


def _total(run: dict[str, Any]) -> float:
    return float(run["record"] + run["report"])


def _weekly_table(old: list[dict[str, Any]], new: list[dict[str, Any]], ref: str) -> str:
    lines = [
        f"| week | rows | history s: {ref} / this | whole run s: {ref} / this "
        f"| peak RSS MB: {ref} / this | parts |",
        "|---|---|---|---|---|---|",
    ]
    for week, (o, n) in enumerate(zip(old, new, strict=True), start=1):
        if week in (1, 2, 13, 26, 39) or week == len(new):
            lines.append(
                f"| {week} | {n['rows']:,} | {_history(o):.3f} / {_history(n):.3f} "
                f"| {_total(o):.2f} / {_total(n):.2f} | {o['rss']:.0f} / {n['rss']:.0f} "
                f"| {o['parts']} / {n['parts']} |"
            )
    last = len(new)
    lines.append("")
    for label, measure, unit, scale in (
        ("history s", _history, "ms", 1000.0),
        ("whole run s", _total, "ms", 1000.0),
        ("peak RSS", lambda r: float(r["rss"]), "MB", 1.0),
    ):
        o_values, n_values = [measure(r) for r in old], [measure(r) for r in new]
        lines.append(
            f"{label}: slope (weeks 2-{last}) {ref} {_slope(o_values) * scale:+.2f} {unit}/week, "
            f"this {_slope(n_values) * scale:+.2f} {unit}/week; week {last} / week 2: {ref} "
            f"{o_values[-1] / o_values[1]:.2f}x, this {n_values[-1] / n_values[1]:.2f}x; "
            f"this / {ref} at week {last}: {n_values[-1] / o_values[-1]:.2f}x, over all weeks "
            f"{sum(n_values) / sum(o_values):.2f}x"
        )
    same = all(o["findings"] == n["findings"] for o, n in zip(old, new, strict=True))
    lines.append(f"findings count identical every week: {same}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, nargs="?", help="fixture cache (benchmarks.fixtures)")
    parser.add_argument("--baseline", default="main", help="git ref to compare with")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--accounts", type=int, default=15, help="weekly runs: first N accounts")
    parser.add_argument("--no-weekly", action="store_true")
    parser.add_argument("--no-oneshot", action="store_true")
    parser.add_argument("--reps", type=int, default=3, help="one-shot reads per side")
    parser.add_argument("--save", type=Path, help="write the weekly measurements (JSON) here")
    parser.add_argument(
        "--cli", action="store_true", help="also time the whole one-shot CLI (minutes)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "slice":
            paths = write_weeks(Path(rest[0]), Path(rest[1]), int(rest[2]), int(rest[3]))
            print(json.dumps({"weeks": [str(p) for p in paths]}))
        elif kind == "read":
            print(json.dumps(read_child(Path(rest[0]))))
        elif kind == "week":
            print(json.dumps(week_child(Path(rest[0]), Path(rest[1]), int(rest[2]))))
        else:
            print(json.dumps(build_child(Path(rest[0]), Path(rest[1]))))
        return
    from benchmarks.fixtures import ensure_frame

    frame = ensure_frame(args.root)
    with tempfile.TemporaryDirectory(prefix="history-bench-") as scratch_name:
        scratch = Path(scratch_name)
        baseline = scratch / "baseline"
        subprocess.run(
            [GIT, "-C", str(REPO), "worktree", "add", "--detach", str(baseline), args.baseline],
            check=True,
            capture_output=True,
        )
        try:
            sides = {"baseline": baseline, "this": REPO}
            print(f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
            if not args.no_weekly:
                runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "this": []}
                # in a child: a parent holding the frame would lend its RSS to every fork
                sliced = _child(REPO, "slice", str(frame), str(scratch), str(args.weeks),
                                str(args.accounts))  # fmt: skip
                weeks = [Path(p) for p in sliced["weeks"]]
                for week, rows in enumerate(weeks, start=1):
                    for side, checkout in sides.items():
                        history = scratch / f"weekly-{side}"
                        runs[side].append(
                            _child(checkout, "week", str(history), str(rows), str(week))
                        )
                    o, n = runs["baseline"][-1], runs["this"][-1]
                    print(f"week {week}: history {_history(o):.3f} / {_history(n):.3f} s, "
                          f"run {_total(o):.2f} / {_total(n):.2f} s, "
                          f"{o['rss']:.0f} / {n['rss']:.0f} MB",
                          file=sys.stderr, flush=True)  # fmt: skip
                if args.save:
                    args.save.write_text(json.dumps(runs))
                print(f"weekly runs, first {args.accounts} accounts of {frame}")
                print(_weekly_table(runs["baseline"], runs["this"], args.baseline))
                print(f"load average {os.getloadavg()[0]:.2f} after the weekly runs", flush=True)
            if not args.no_oneshot:
                built = {}
                for side, checkout in sides.items():
                    target = str(scratch / f"full-{side}")
                    built[side] = _child(checkout, "build", target, str(frame))
                histories = {
                    "baseline": (baseline, scratch / "full-baseline"),
                    "this": (REPO, scratch / "full-this"),
                    "this, reading the baseline's day parts": (REPO, scratch / "full-baseline"),
                }
                reads: dict[str, list[dict[str, Any]]] = {name: [] for name in histories}
                for _ in range(args.reps):
                    for name, (checkout, history) in histories.items():
                        reads[name].append(_child(checkout, "read", str(history)))
                print(f"one-shot report's history read, {built['this']['rows']:,} rows, "
                      f"median of {args.reps} (record in one run: baseline "
                      f"{built['baseline']['record']:.1f} s, this {built['this']['record']:.1f} s; "
                      f"the next run: this {built['this']['next_run']:.1f} s)")  # fmt: skip
                print("| history | read s | peak RSS MB (imports) | rows | parts |")
                print("|---|---|---|---|---|")
                for name, (_, history) in histories.items():
                    got = reads[name]
                    parts = sum(1 for _ in history.rglob("*.parquet"))
                    print(f"| {name} | {statistics.median(r['read'] for r in got):.2f} | "
                          f"{statistics.median(r['rss'] for r in got):.0f} "
                          f"({statistics.median(r['rss_before'] for r in got):.0f}) | "
                          f"{got[0]['rows']:,} | {parts} |")  # fmt: skip
                ratios = [
                    n["read"] / o["read"]
                    for o, n in zip(reads["baseline"], reads["this"], strict=True)
                ]
                print(f"this / baseline: {statistics.median(ratios):.2f}x read time")
                if args.cli:
                    for name in ("baseline", "this"):
                        checkout, history = histories[name]
                        shot = _cli(checkout, history)
                        print(f"`signin-report --history H` whole process, {name}: "
                              f"{shot['wall']:.1f} s, {shot['rss']:.0f} MB, "
                              f"{shot['findings']} findings")  # fmt: skip
                print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)
        finally:
            subprocess.run(
                [GIT, "-C", str(REPO), "worktree", "remove", "--force", str(baseline)],
                check=False,
            )


if __name__ == "__main__":
    main()
