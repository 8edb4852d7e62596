"""`signin-report`: composes sources, collection, reports and renderers. Nothing else in the
package knows about typer, and this module holds no analysis of its own."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from analyzer.collect import collect
from analyzer.coverage import Coverage
from analyzer.render import OutputFormat, renderer_for, write_events
from analyzer.reports import SECTION_NAMES, build_report
from analyzer.sources.files import FileSource
from analyzer.window import WindowError, resolve_window

PROG = "signin-report"
MAX_PROBLEM_LINES = 20


class ExitCode(IntEnum):
    """Documented in README "Exit codes"; 1 is kept for findings (`--fail-on`, later)."""

    OK = 0
    USAGE = 2
    INCOMPLETE = 3
    ERROR = 4


class CliError(Exception):
    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def _say(kind: str, message: str) -> None:
    print(f"{PROG}: {kind}: {message}", file=sys.stderr)


def _report_problems(coverage: Coverage) -> None:
    problems = coverage.problems
    for problem in problems[:MAX_PROBLEM_LINES]:
        _say("warning", problem.line())
    if len(problems) > MAX_PROBLEM_LINES:
        _say(
            "warning",
            f"... and {len(problems) - MAX_PROBLEM_LINES} more; --format json lists all "
            "under coverage.problems",
        )


def _sections(chosen: Sequence[str] | None) -> list[str]:
    if not chosen:
        return list(SECTION_NAMES)
    unknown = [s for s in chosen if s not in SECTION_NAMES]
    if unknown:
        raise CliError(
            f"unknown --section {', '.join(unknown)}; choose from {', '.join(SECTION_NAMES)}",
            ExitCode.USAGE,
        )
    return [s for s in SECTION_NAMES if s in chosen]


def run(
    *,
    logs: Sequence[Path],
    days: int,
    since: str | None,
    until: str | None,
    fmt: OutputFormat,
    output: Path | None,
    events: Path | None,
    sections: Sequence[str] | None,
    strict: bool,
) -> ExitCode:
    if not logs:
        raise CliError(
            "no input: pass --logs PATH (a trail log folder, a file, or the output of "
            "`aws cloudtrail lookup-events`), e.g. --logs sample_logs",
            ExitCode.USAGE,
        )
    chosen = _sections(sections)
    try:
        window = resolve_window(days=days, since=since, until=until, now=datetime.now(UTC))
    except WindowError as err:
        raise CliError(str(err), ExitCode.USAGE) from None

    collection = collect([FileSource(logs)], window)
    coverage = collection.coverage
    _report_problems(coverage)
    if coverage.files_read == 0:
        raise CliError(
            "no CloudTrail log file could be read from " + ", ".join(str(p) for p in logs),
            ExitCode.ERROR,
        )

    report = build_report(collection.frame, coverage, window=window, generated_at=datetime.now(UTC))
    if events is not None:
        try:
            write_events(collection.frame, events)
        except (ValueError, OSError) as err:
            raise CliError(f"cannot write --events {events}: {err}", ExitCode.ERROR) from None
    if output is None:
        renderer_for(fmt, color=sys.stdout.isatty()).render(report, sys.stdout, chosen)
    else:
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                renderer_for(fmt).render(report, handle, chosen)
        except OSError as err:
            raise CliError(f"cannot write --output {output}: {err}", ExitCode.ERROR) from None

    if strict and coverage.skipped_input:
        skipped = sum(1 for p in coverage.problems if p.skipped)
        _say("error", f"--strict: {skipped} input(s) were skipped (listed above)")
        return ExitCode.INCOMPLETE
    return ExitCode.OK


@app.command(help="Report AWS console sign-ins from CloudTrail logs.")
def signin_report(
    logs: Annotated[
        list[Path] | None,
        typer.Option(
            "--logs",
            help="CloudTrail log file or folder (recursive): trail files (.json.gz or .json), "
            "`aws cloudtrail lookup-events` output, or JSON Lines. Repeatable.",
        ),
    ] = None,
    days: Annotated[int, typer.Option(help="Window: the N days before now.")] = 30,
    since: Annotated[
        str | None,
        typer.Option(help="Window start, inclusive: a date or ISO time, UTC (overrides --days)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Window end, exclusive: a date or ISO time, UTC (default: now)."),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Report format.")
    ] = OutputFormat.table,
    output: Annotated[
        Path | None, typer.Option(help="Write the report to this file instead of stdout.")
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option(help="Also write the normalized sign-in rows: .parquet, .csv or .jsonl."),
    ] = None,
    section: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these report sections (repeatable): " + ", ".join(SECTION_NAMES) + "."
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit 3 when any file or record had to be skipped.")
    ] = False,
) -> None:
    try:
        code = run(
            logs=logs or [],
            days=days,
            since=since,
            until=until,
            fmt=fmt,
            output=output,
            events=events,
            sections=section,
            strict=strict,
        )
    except CliError as err:
        _say("error", str(err))
        raise typer.Exit(int(err.code)) from None
    raise typer.Exit(int(code))


def _internal_error(err: BaseException) -> NoReturn:
    _say(
        "error",
        f"internal error: {type(err).__name__}: {err} (set SIGNIN_REPORT_DEBUG=1 for a traceback)",
    )
    raise SystemExit(int(ExitCode.ERROR))


def main() -> None:
    """Console-script entry point: no traceback reaches the user unless asked for."""
    try:
        app(prog_name=PROG)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _say("error", "interrupted")
        raise SystemExit(130) from None
    except Exception as err:
        if os.environ.get("SIGNIN_REPORT_DEBUG"):
            raise
        _internal_error(err)
