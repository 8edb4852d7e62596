"""`signin-report`: composes sources, collection, reports and renderers. Nothing else in the
package knows about typer, and this module holds no analysis of its own.

Module-level imports here stay free of pandas and boto3: a file scan starts its worker
processes first, and the heavy imports happen while they work."""

from __future__ import annotations

import gc
import io
import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from analyzer.aws import DEFAULT_MAX_ATTEMPTS
from analyzer.domain.coverage import Coverage, RegionCoverage
from analyzer.domain.errors import AwsSetupError, LiveSetupError
from analyzer.domain.window import Window, WindowError, resolve_window
from analyzer.entry import prestart
from analyzer.findings.config import (
    SEVERITIES,
    SEVERITY_NAMES,
    ConfigError,
    load_config,
    with_management_account,
)
from analyzer.render.formats import DEFAULT_ROWS, SECTION_NAMES, OutputFormat
from analyzer.sources.archive import RawArchive
from analyzer.sources.files import FileSource
from analyzer.sources.interface import Source

if TYPE_CHECKING:
    from analyzer.entry.progress import AccountProgress, FileProgress, RegionProgress

PROG = "signin-report"
FILE_PROGRESS_FROM = 200  # log files; a smaller folder is read before a bar would be seen
MAX_PROBLEM_LINES = 20


class ExitCode(IntEnum):
    """Documented in README "Exit codes"."""

    OK = 0
    FINDINGS = 1
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
    explicit: bool = False  # --source lookup given: collect even with --history
    org_role: str | None = None  # every account of the organization through this role
    external_id: str | None = None
    role_session_name: str | None = None

    @property
    def reads_s3(self) -> bool:
        return bool(self.s3 or self.trails or self.discover_trails)


def _live_sources(
    options: LiveOptions, window: Window, display: RegionProgress | AccountProgress | None
) -> list[Source]:
    from botocore.exceptions import BotoCoreError  # boto3 only when AWS is used

    from analyzer.aws.organization import DEFAULT_SESSION_NAME, RoleSettings
    from analyzer.aws.plan import check_history_window, plan_lookup, plan_organization, plan_s3
    from analyzer.aws.session import make_session
    from analyzer.sources.s3 import S3LocationError

    now = datetime.now(UTC)
    if options.max_attempts < 1:
        raise CliError("--max-attempts must be at least 1", ExitCode.USAGE)
    progress = display.update if display else None
    try:
        if options.reads_s3:
            plan = plan_s3(
                make_session(options.profile),
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
        elif options.org_role:
            check_history_window(window, now)
            plan = plan_organization(
                make_session(options.profile),
                window,
                RoleSettings(
                    options.org_role,
                    options.external_id,
                    options.role_session_name or DEFAULT_SESSION_NAME,
                ),
                accounts=options.accounts,
                region=options.region,
                regions=options.regions,
                max_attempts=options.max_attempts,
                identity_center_region=options.identity_center_region,
                progress=progress,
            )
        else:
            check_history_window(window, now)
            plan = plan_lookup(
                make_session(options.profile),
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
    return plan.sources


def _check_something_was_read(coverage: Coverage, logs: Sequence[Path], s3: bool) -> None:
    if logs and coverage.files_read == 0:
        raise CliError(
            "no CloudTrail log file could be read from " + ", ".join(str(p) for p in logs),
            ExitCode.ERROR,
        )
    if s3 and coverage.files_read == 0 and coverage.skipped_input:
        raise CliError("nothing could be read from S3 (reasons above)", ExitCode.ERROR)
    regions: list[RegionCoverage] = coverage.regions
    if not logs and regions and all(r.status == "failed" for r in regions):
        raise CliError(
            f"no region could be read ({len(regions)} failed; reasons above)", ExitCode.ERROR
        )


@dataclass(frozen=True)
class AuditOptions:
    """The scheduled-job side: history, findings, alerting."""

    history: str | None = None
    config: Path | None = None
    fail_on: str | None = None
    overlap_minutes: int = 120
    sns_topic: str | None = None
    report_s3: str | None = None


CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "table": "text/plain; charset=utf-8",
}


def _collect_window(window: Window, history: Any, overlap_minutes: int) -> Window:
    """With history, collection resumes at the last watermark minus an overlap (CloudTrail
    delivers late), so back-to-back runs neither miss an event at the boundary nor count one
    twice (duplicates are dropped by eventID when appending)."""
    mark = history.watermark if history is not None else None
    if mark is None or window.until is None:
        return window
    return Window(mark - timedelta(minutes=overlap_minutes), window.until)


def _write_report(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as err:
        raise CliError(f"cannot write --output {output}: {err}", ExitCode.ERROR) from None


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
    max_rows: int = DEFAULT_ROWS,
    live: LiveOptions | None = None,
    save_raw: Path | None = None,
    quiet: bool = False,
    audit: AuditOptions | None = None,
) -> ExitCode:
    chosen = _sections(sections)
    audit = audit or AuditOptions()
    live = live or LiveOptions()
    now = datetime.now(UTC)
    try:
        window = resolve_window(days=days, since=since, until=until, now=now)
    except WindowError as err:
        raise CliError(str(err), ExitCode.USAGE) from None
    if audit.fail_on is not None and audit.fail_on not in SEVERITY_NAMES:
        raise CliError(f"--fail-on must be one of {', '.join(SEVERITY_NAMES)}", ExitCode.USAGE)
    try:
        config = load_config(audit.config)
    except ConfigError as err:
        raise CliError(str(err), ExitCode.USAGE) from None
    history = _open_history(audit.history)
    collecting = bool(logs) or live.reads_s3 or live.explicit or history is None
    collect_window = _collect_window(window, history, audit.overlap_minutes)

    display: RegionProgress | AccountProgress | FileProgress | None = None
    regions_display: RegionProgress | AccountProgress | None = None
    if not logs and not quiet and sys.stderr.isatty():
        from analyzer.entry.progress import AccountProgress, RegionProgress  # live runs only

        regions_display = AccountProgress() if live.org_role else RegionProgress()
        display = regions_display
    sources: list[Source] = []
    if collecting and logs:
        keep_records = save_raw is not None
        files = prestart.claim(logs, collect_window, keep_records) or FileSource(
            logs, window=collect_window, keep_records=keep_records
        )
        files.start()  # workers scan while the imports below load pandas
        sources = [files]
        if not quiet and sys.stderr.isatty() and files.file_count >= FILE_PROGRESS_FROM:
            from analyzer.entry.progress import FileProgress

            display = FileProgress(files.file_count)
            files.progress = display.update
    elif collecting:
        sources = _live_sources(live, collect_window, regions_display)
    _use_system_allocator()
    from analyzer.findings.engine import run_rules, worst_severity
    from analyzer.frame.collect import collect
    from analyzer.render.events import write_events
    from analyzer.render.registry import renderer_for
    from analyzer.reports import build_report

    gc.freeze()  # the imported modules live as long as the process: no collection walks them

    archive = RawArchive(save_raw) if save_raw else None
    coverage = Coverage()
    frame = None
    if collecting:
        with display or nullcontext():
            collection = collect(sources, collect_window, keep_raw=archive.add if archive else None)
        coverage = collection.coverage
        frame = collection.frame
        _report_problems(coverage)
        _check_something_was_read(coverage, logs, s3=not logs and live.reads_s3)
        if archive is not None:
            try:
                archive.write()
            except OSError as err:
                raise CliError(
                    f"cannot write --save-raw {save_raw}: {err}", ExitCode.ERROR
                ) from None
    baseline = None
    if history is not None:
        frame, baseline = _through_history(history, frame, coverage, window, collect_window)
    assert frame is not None
    if window.since is not None:
        frame = frame[(frame["event_time"] >= window.since).fillna(True).astype(bool)]
    findings = run_rules(
        frame, baseline, with_management_account(config, coverage.management_account)
    )
    report = build_report(
        frame, coverage, window=window, generated_at=datetime.now(UTC), findings=findings
    )
    if events is not None:
        try:
            write_events(frame, events)
        except (ValueError, OSError) as err:
            raise CliError(f"cannot write --events {events}: {err}", ExitCode.ERROR) from None
    buffer = io.StringIO()
    color = output is None and sys.stdout.isatty() and fmt is OutputFormat.table
    renderer_for(fmt, color=color, frame=frame, max_rows=max_rows).render(report, buffer, chosen)
    _write_report(buffer.getvalue(), output)
    _deliver(audit, fmt, buffer.getvalue(), report.summary, findings, output, live.profile, window)

    if strict and coverage.skipped_input:
        skipped = sum(1 for p in coverage.problems if p.skipped)
        _say("error", f"--strict: {skipped} input(s) were skipped (listed above)")
        return ExitCode.INCOMPLETE
    worst = worst_severity(findings)
    if audit.fail_on and worst and SEVERITIES[worst] >= SEVERITIES[audit.fail_on]:
        _say("warning", f"{len(findings)} finding(s), worst {worst} (--fail-on {audit.fail_on})")
        return ExitCode.FINDINGS
    return ExitCode.OK


def _open_history(location: str | None) -> Any:
    if location is None:
        return None
    from analyzer.history.store import History, HistoryError

    try:
        return History.open(location)
    except HistoryError as err:
        raise CliError(str(err), ExitCode.ERROR) from None
    except Exception as err:  # S3 access problems, a file where a folder should be
        raise CliError(f"cannot open --history {location}: {err}", ExitCode.ERROR) from None


def _through_history(
    history: Any, collected: Any, coverage: Coverage, window: Window, collect_window: Window
) -> tuple[Any, Any]:
    """Append what was collected, then report from history: the report window, and the
    baseline before it for first-seen and dormancy rules. An incomplete collection is stored
    but does not move the watermark, so the next run collects that span again."""
    if collected is not None:
        complete = not coverage.skipped_input
        assert collect_window.until is not None
        try:
            result = history.append(
                collected, collected_until=collect_window.until, advance_watermark=complete
            )
        except Exception as err:
            raise CliError(
                f"cannot write --history {history.store}: {err}", ExitCode.ERROR
            ) from None
        if not complete:
            _say("warning", "collection incomplete: history keeps its previous watermark")
        coverage.history_added = result.added
    else:
        if not history.meta:
            raise CliError(
                f"no history at {history.store} (no history.json): run once with a source "
                "option (--source lookup, --logs, --s3, --trail) to start it",
                ExitCode.ERROR,
            )
        coverage.inputs.append(f"history:{history.store}")
    frame = history.read(window.since, window.until)
    baseline = history.read(None, window.since)
    if collected is None:
        coverage.kept = len(frame)
    return frame, baseline


def _deliver(
    audit: AuditOptions,
    fmt: OutputFormat,
    text: str,
    summary: dict[str, Any],
    findings: list[Any],
    output: Path | None,
    profile: str | None,
    window: Window | None = None,
) -> None:
    if not audit.report_s3 and not audit.sns_topic:
        return
    from analyzer.audit.delivery import publish, summary_message, upload
    from analyzer.aws.session import make_session

    try:
        session = make_session(profile)
        location = str(output) if output else None
        if audit.report_s3:
            location = upload(
                session.client("s3"),
                audit.report_s3,
                text.encode("utf-8"),
                CONTENT_TYPES[fmt.value],
            )
        if audit.sns_topic:
            subject, body = summary_message(summary, findings, location, window)
            publish(session.client("sns"), audit.sns_topic, subject, body)
    except AwsSetupError as err:
        raise CliError(str(err), ExitCode.ERROR) from None
    except Exception as err:  # botocore errors: the report exists, delivery failed
        raise CliError(f"cannot deliver the report: {err}", ExitCode.ERROR) from None


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
        str | None,
        typer.Option(help="Comma-separated accounts to read (trail buckets, --org-role)."),
    ] = None,
    org_role: Annotated[
        str | None,
        typer.Option(
            help="Read every ACTIVE account of the organization: assume this role (name or "
            "path/name) in each member account; the caller's own account uses its own "
            "credentials. Needs organizations:ListAccounts."
        ),
    ] = None,
    external_id: Annotated[
        str | None, typer.Option(help="External ID the --org-role role requires.")
    ] = None,
    role_session_name: Annotated[
        str | None,
        typer.Option(help="Session name of the --org-role sessions (default signin-report)."),
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
    history: Annotated[
        str | None,
        typer.Option(
            help="Keep every collected sign-in in a Parquet history (folder or s3://bucket/"
            "prefix). Without a source option, report from history alone."
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Findings configuration (TOML): rules, allow-lists.")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(help="Exit 1 when a finding at or above low|medium|high exists."),
    ] = None,
    overlap: Annotated[
        int,
        typer.Option(help="With --history: minutes before the last watermark to collect again."),
    ] = 120,
    sns_topic: Annotated[
        str | None, typer.Option(help="Publish a short summary to this SNS topic ARN.")
    ] = None,
    report_s3: Annotated[
        str | None, typer.Option(help="Also upload the report to s3://bucket/key.")
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
    rows: Annotated[
        int,
        typer.Option(
            min=0, help="Rows per table in the terminal format (0: all). Other formats: all."
        ),
    ] = DEFAULT_ROWS,
) -> None:
    if source not in (None, "trails", "lookup"):
        _say("error", f"--source must be `trails` or `lookup`, not {source!r}")
        raise typer.Exit(int(ExitCode.USAGE))
    if (external_id or role_session_name) and not org_role:
        _say("error", "--external-id and --role-session-name go with --org-role")
        raise typer.Exit(int(ExitCode.USAGE))
    if org_role and (logs or s3 or trail or source == "trails"):
        _say("error", "--org-role reads event history (LookupEvents); not with --logs, --s3, "
                      "--trail or --source trails")  # fmt: skip
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
            max_rows=rows,
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
                explicit=source == "lookup" or org_role is not None,
                org_role=org_role,
                external_id=external_id,
                role_session_name=role_session_name,
            ),
            audit=AuditOptions(
                history=history,
                config=config,
                fail_on=fail_on,
                overlap_minutes=overlap,
                sns_topic=sns_topic,
                report_s3=report_s3,
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
    """Console-script entry point: no traceback reaches the user unless asked for. The
    `signin-report` script enters through `analyzer.entry.launch.main`, which starts a `--logs`
    scan first."""
    try:
        app(prog_name=PROG)
    except SystemExit:
        # Everything left is freed by the exit; a last collection over pandas' and the
        # report's objects would only add about 0.1 s to a large run (benchmarks/).
        gc.freeze()
        raise
    except KeyboardInterrupt:
        _say("error", "interrupted")
        raise SystemExit(130) from None
    except Exception as err:
        if os.environ.get("SIGNIN_REPORT_DEBUG"):
            raise
        _internal_error(err)
