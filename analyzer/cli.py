"""`signin-report`: composes sources, collection, reports and renderers. Nothing else in the
package knows about typer, and this module holds no analysis of its own.

Module-level imports here stay free of pandas and boto3: a file scan starts its worker
processes first, and the heavy imports happen while they work."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from analyzer.archive import RawArchive
from analyzer.aws import DEFAULT_MAX_ATTEMPTS
from analyzer.coverage import Coverage, RegionCoverage
from analyzer.errors import AwsSetupError, LiveSetupError
from analyzer.formats import SECTION_NAMES, OutputFormat
from analyzer.progress import RegionProgress
from analyzer.sources.files import FileSource
from analyzer.sources.interface import Source
from analyzer.window import Window, WindowError, resolve_window

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


@dataclass(frozen=True)
class LiveOptions:
    profile: str | None = None
    region: str | None = None
    regions: list[str] | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    identity_center_region: str | None = None
    s3: list[str] | None = None
    trails: list[str] | None = None
    discover_trails: bool = False
    accounts: list[str] | None = None

    @property
    def reads_s3(self) -> bool:
        return bool(self.s3 or self.trails or self.discover_trails)


def _live_sources(
    options: LiveOptions, window: Window, display: RegionProgress | None
) -> list[Source]:
    from botocore.exceptions import BotoCoreError  # boto3 only when AWS is used

    from analyzer.aws.session import make_session
    from analyzer.live import check_history_window, plan_lookup, plan_s3
    from analyzer.sources.s3 import S3LocationError

    now = datetime.now(UTC)
    if options.max_attempts < 1:
        raise CliError("--max-attempts must be at least 1", ExitCode.USAGE)
    progress = display.update if display else None
    try:
        if options.reads_s3:
            session = make_session(options.profile)
            trails = plan_s3(
                session,
                window,
                locations=options.s3 or [],
                trails=options.trails,
                discover=options.discover_trails,
                region=options.region,
                regions=options.regions,
                accounts=options.accounts,
                max_attempts=options.max_attempts,
                progress=progress,
            )
            for warning in trails.warnings:
                _say("warning", warning)
            return trails.sources
        check_history_window(window, now)
        session = make_session(options.profile)
        plan = plan_lookup(
            session,
            window,
            region=options.region,
            regions=options.regions,
            max_attempts=options.max_attempts,
            identity_center_region=options.identity_center_region,
            progress=progress,
        )
    except S3LocationError as err:
        raise CliError(str(err), ExitCode.USAGE) from None
    except LiveSetupError as err:
        raise CliError(str(err), ExitCode.USAGE) from None
    except AwsSetupError as err:
        raise CliError(str(err), ExitCode.ERROR) from None
    except BotoCoreError as err:
        raise CliError(f"cannot set up AWS clients: {err}", ExitCode.ERROR) from None
    for warning in plan.warnings:
        _say("warning", warning)
    return [plan.source]


def _check_something_was_read(coverage: Coverage, logs: Sequence[Path]) -> None:
    if logs and coverage.files_read == 0:
        raise CliError(
            "no CloudTrail log file could be read from " + ", ".join(str(p) for p in logs),
            ExitCode.ERROR,
        )
    if (
        not logs
        and coverage.files_read == 0
        and any(p.skipped and not p.culprit.startswith("region ") for p in coverage.problems)
    ):
        raise CliError("nothing could be read from S3 (reasons above)", ExitCode.ERROR)
    regions: list[RegionCoverage] = coverage.regions
    if not logs and regions and all(r.status == "failed" for r in regions):
        raise CliError(
            f"no region could be read ({len(regions)} failed; reasons above)", ExitCode.ERROR
        )


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
    live: LiveOptions | None = None,
    save_raw: Path | None = None,
    quiet: bool = False,
) -> ExitCode:
    chosen = _sections(sections)
    try:
        window = resolve_window(days=days, since=since, until=until, now=datetime.now(UTC))
    except WindowError as err:
        raise CliError(str(err), ExitCode.USAGE) from None

    display = RegionProgress() if not logs and not quiet and sys.stderr.isatty() else None
    if logs:
        files = FileSource(logs, window=window, keep_records=save_raw is not None)
        files.start()  # workers scan while the imports below load pandas
        sources: list[Source] = [files]
    else:
        sources = _live_sources(live or LiveOptions(), window, display)
    _use_system_allocator()
    from analyzer.collect import collect
    from analyzer.render import renderer_for, write_events
    from analyzer.reports import build_report

    archive = RawArchive(save_raw) if save_raw else None
    with display or nullcontext():
        collection = collect(sources, window, keep_raw=archive.add if archive else None)
    coverage = collection.coverage
    _report_problems(coverage)
    _check_something_was_read(coverage, logs)
    if archive is not None:
        try:
            archive.write()
        except OSError as err:
            raise CliError(f"cannot write --save-raw {save_raw}: {err}", ExitCode.ERROR) from None

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
            "`aws cloudtrail lookup-events` output, or JSON Lines. Repeatable. Without it, "
            "sign-ins are collected live from CloudTrail event history.",
        ),
    ] = None,
    s3: Annotated[
        list[str] | None,
        typer.Option(
            "--s3",
            help="Read a trail bucket: s3://bucket[/prefix] (single-account or organization "
            "layout). Repeatable.",
        ),
    ] = None,
    trail: Annotated[
        list[str] | None,
        typer.Option(help="Read this trail's bucket (name or ARN, found by DescribeTrails)."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="`trails`: read every trail DescribeTrails finds, from S3."),
    ] = None,
    accounts: Annotated[
        str | None, typer.Option(help="Comma-separated accounts to read from trail buckets.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="AWS profile (default: AWS_PROFILE, then the chain).")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(help="Region for discovery calls (default: AWS_REGION or us-east-1)."),
    ] = None,
    regions: Annotated[
        str | None,
        typer.Option(help="Comma-separated regions to read instead of every enabled region."),
    ] = None,
    max_attempts: Annotated[
        int, typer.Option(help="Attempts per AWS request, first included (throttling retries).")
    ] = DEFAULT_MAX_ATTEMPTS,
    identity_center_region: Annotated[
        str | None,
        typer.Option(
            help="Also collect IAM Identity Center portal events (sso.amazonaws.com) in this "
            "region; `auto` detects it with sso-admin ListInstances."
        ),
    ] = None,
    save_raw: Annotated[
        Path | None,
        typer.Option(help="Save the collected sign-in records as trail log files in DIR."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display (warnings still shown).")
    ] = False,
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
    if source not in (None, "trails", "lookup"):
        _say("error", f"--source must be `trails` or `lookup`, not {source!r}")
        raise typer.Exit(int(ExitCode.USAGE))
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
            live=LiveOptions(
                profile=profile,
                region=region,
                regions=regions.split(",") if regions else None,
                max_attempts=max_attempts,
                identity_center_region=identity_center_region,
                s3=s3,
                trails=trail,
                discover_trails=source == "trails",
                accounts=accounts.split(",") if accounts else None,
            ),
            save_raw=save_raw,
            quiet=quiet,
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


def _use_system_allocator() -> None:
    """pyarrow's default mimalloc pool keeps ~30 MB more resident on a large scan than the
    system allocator, for no speed we could measure at these frame sizes (benchmarks/)."""
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


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
