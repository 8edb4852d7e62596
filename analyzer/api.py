"""The Python API notebooks use: the same pieces the CLI composes, returning pandas objects.

The library never prints. Problems with the input are in `Collection.coverage`; `read_logs`
turns them into one Python warning so a notebook user sees that something was skipped.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from analyzer.audit.request import AuditRequest, AuditResult, Aws, Delivery, Rendering, Sources
from analyzer.audit.run import AuditRun, run_audit
from analyzer.aws import DEFAULT_MAX_ATTEMPTS
from analyzer.domain.coverage import RegionCoverage
from analyzer.domain.values import Engine, Severity
from analyzer.domain.window import Window, WindowError, parse_moment, resolve_window
from analyzer.findings.config import FindingsConfig
from analyzer.frame.collect import Collection, collect
from analyzer.render.formats import OutputFormat
from analyzer.render.text import printable
from analyzer.sources.athena_table import AthenaOptions
from analyzer.sources.files import FileSource

Moment = str | date | datetime


class SkippedInputWarning(UserWarning):
    """Some files or records could not be used; `collect_logs(...).coverage` lists them."""


class SkippedInputError(RuntimeError):
    """Raised instead of the warning when strict=True."""


def _window(since: Moment | None, until: Moment | None) -> Window | None:
    """The window asked for, open at either end; an empty one is the CLI's error too (a
    reversed pair read nothing and said nothing)."""
    if since is None and until is None:
        return None
    window = Window(
        parse_moment(since, "since") if since is not None else None,
        parse_moment(until, "until") if until is not None else None,
    )
    if window.since is not None and window.until is not None and window.since >= window.until:
        raise WindowError(
            f"the window is empty: since {window.since.isoformat()} is not before until "
            f"{window.until.isoformat()}"
        )
    return window


def collect_logs(
    *paths: str | Path,
    since: Moment | None = None,
    until: Moment | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Collection:
    """Frame and coverage from CloudTrail files and folders; `since` inclusive, `until`
    exclusive. Without a window, records lacking a parseable eventTime are kept.
    `progress(path, files_done)` is called after each file."""
    window = _window(since, until)
    source = FileSource(paths, progress=progress, window=window, keep_records=False)
    return collect([source], window)


def collect_live(
    *,
    days: int = 30,
    since: Moment | None = None,
    until: Moment | None = None,
    profile: str | None = None,
    region: str | None = None,
    regions: list[str] | None = None,
    identity_center_region: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    progress: Callable[[RegionCoverage], None] | None = None,
) -> Collection:
    """Sign-ins from the account's CloudTrail event history in every enabled region (what
    `signin-report` does without `--logs`). `progress` receives each region's running
    counts, from worker threads. Failed regions are in `coverage.regions` and
    `coverage.problems`; setup problems raise `AwsSetupError` or `LiveSetupError`."""
    request = AuditRequest(
        window=resolve_window(days=days, since=since, until=until, now=datetime.now(UTC)),
        sources=Sources(
            regions=tuple(regions) if regions else None,
            identity_center_region=identity_center_region,
        ),
        aws=Aws(profile=profile, region=region, max_attempts=max_attempts),
    )
    return _collect_stage(request, progress)


def collect_organization(
    role: str,
    *,
    external_id: str | None = None,
    role_session_name: str | None = None,
    accounts: list[str] | None = None,
    days: int = 30,
    since: Moment | None = None,
    until: Moment | None = None,
    profile: str | None = None,
    region: str | None = None,
    regions: list[str] | None = None,
    identity_center_region: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    progress: Callable[[RegionCoverage], None] | None = None,
) -> Collection:
    """Sign-ins from the event history of every ACTIVE account of the organization (what
    `signin-report --org-role ROLE` does): members through `role`, the caller's account with
    its own credentials. `coverage.accounts` gives every account's status,
    `coverage.regions` each (account, region); setup problems raise `AwsSetupError` or
    `LiveSetupError`. It is the collect stage of the audit run (`AuditRun`) with
    `Sources(org_role=role)`, so its checks and its one session are the CLI's."""
    request = AuditRequest(
        window=resolve_window(days=days, since=since, until=until, now=datetime.now(UTC)),
        sources=Sources(
            org_role=role,
            accounts=tuple(accounts) if accounts else None,
            regions=tuple(regions) if regions else None,
            identity_center_region=identity_center_region,
        ),
        aws=Aws(
            profile=profile,
            region=region,
            max_attempts=max_attempts,
            external_id=external_id,
            role_session_name=role_session_name,
        ),
    )
    return _collect_stage(request, progress)


def _collect_stage(
    request: AuditRequest, progress: Callable[[RegionCoverage], None] | None
) -> Collection:
    """The audit run's start and collect stages, so the API plans, checks and uses one
    session exactly as the CLI does; setup warnings go into the coverage, since the library
    never prints."""
    run = AuditRun(request, progress=progress)
    run.start()
    run.collect()
    assert run.collected is not None
    for warning in run.warnings:
        run.coverage.flag_record("setup", warning)
    return Collection(run.collected, run.coverage)


def read_logs(
    *paths: str | Path,
    since: Moment | None = None,
    until: Moment | None = None,
    strict: bool = False,
) -> pd.DataFrame:
    """The normalized sign-in frame (see `SCHEMA`) from CloudTrail files and folders."""
    collection = collect_logs(*paths, since=since, until=until)
    skipped = [p for p in collection.coverage.problems if p.skipped]
    if skipped:
        message = (
            f"{len(skipped)} input(s) skipped, first: {printable(skipped[0].line())} "
            "(collect_logs(...).coverage.problems lists all)"
        )
        if strict:
            raise SkippedInputError(message)
        warnings.warn(message, SkippedInputWarning, stacklevel=2)
    return collection.frame


def load_history(
    location: str | Path,
    since: Moment | None = None,
    until: Moment | None = None,
    *,
    profile: str | None = None,
    columns: Iterable[str] | None = None,
    compact: bool = False,
) -> pd.DataFrame:
    """Sign-ins stored by `signin-report --history` (a folder or s3://bucket/prefix), with
    the same schema as `read_logs`; `since` inclusive, `until` exclusive. A history in S3 is
    read with a session from `profile` (default: the standard credential chain).

    `columns`: only these are decoded (and `event_id`, `event_time`, and the columns that
    settle a user's name when `user_name` is asked); `REPORT_COLUMNS` is what `run_rules`
    and `build_report` need, about half a whole frame's memory. `compact`: the repeated
    text columns dictionary-encoded as Parquet stores them (`compacted`): half again, the
    same findings and report; `plain_frame` gives the documented dtypes back."""
    from analyzer.frame.schema import COLUMNS
    from analyzer.history.store import History

    if columns is not None:
        if isinstance(columns, str):
            raise TypeError("columns must be a list of column names, not one string")
        columns = list(columns)  # (an iterator is read once)
        unknown = [name for name in columns if name not in COLUMNS]
        if unknown:
            raise ValueError(f"no such column(s) in the schema: {', '.join(map(str, unknown))}")
    window = _window(since, until)
    client = None
    if str(location).startswith("s3://"):
        from analyzer.aws.session import make_session

        client = make_session(profile).client("s3")
    history = History.open(str(location), s3_client=client)
    frame = history.read(
        window.since if window else None,
        window.until if window else None,
        columns,
        compact=compact,
    )
    if history.problems:  # parts that could not be used: their days are incomplete
        first = history.problems[0].line()
        warnings.warn(
            f"{len(history.problems)} history part(s) skipped, first: {first}",
            SkippedInputWarning,
            stacklevel=2,
        )
    return frame


def collect_trails(
    *,
    locations: list[str] | None = None,
    trails: list[str] | None = None,
    discover: bool = False,
    days: int = 30,
    since: Moment | None = None,
    until: Moment | None = None,
    profile: str | None = None,
    region: str | None = None,
    regions: list[str] | None = None,
    accounts: list[str] | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    progress: Callable[[RegionCoverage], None] | None = None,
    engine: str = "local",
    athena: AthenaOptions | None = None,
) -> Collection:
    """Sign-ins from trail log files in S3 (what `--s3`, `--trail` and `--source trails` do):
    `locations` are s3://bucket/prefix URLs, `trails` names or ARNs found by DescribeTrails,
    `discover=True` reads every trail. Trail-setup warnings are in `coverage.problems`.
    `engine="athena"` queries the objects in place (`athena` sets output location,
    workgroup, database, an existing table, a scan limit); each query is in
    `coverage.queries` with what it scanned."""
    request = AuditRequest(
        window=resolve_window(days=days, since=since, until=until, now=datetime.now(UTC)),
        sources=Sources(
            s3=tuple(locations or ()),
            trails=tuple(trails or ()),
            discover_trails=discover,
            regions=tuple(regions) if regions else None,
            accounts=tuple(accounts) if accounts else None,
            engine=Engine(engine),
            athena=athena or AthenaOptions(),
        ),
        aws=Aws(profile=profile, region=region, max_attempts=max_attempts),
    )
    return _collect_stage(request, progress)


def run_audit_job(
    *,
    logs: list[str | Path] | None = None,
    s3: list[str] | None = None,
    trails: list[str] | None = None,
    discover_trails: bool = False,
    lookup: bool = False,
    history: str | Path | None = None,
    days: int = 30,
    since: Moment | None = None,
    until: Moment | None = None,
    config: FindingsConfig | None = None,
    fail_on: str | None = None,
    strict: bool = False,
    report_format: str = "html",
    report_s3: str | None = None,
    sns_topic: str | None = None,
    profile: str | None = None,
    region: str | None = None,
    regions: list[str] | None = None,
    overlap: timedelta = timedelta(minutes=120),
    org_role: str | None = None,
    external_id: str | None = None,
    role_session_name: str | None = None,
    accounts: list[str] | None = None,
    engine: str = "local",
    athena: AthenaOptions | None = None,
) -> AuditResult:
    """Run the audit job the CLI and the Lambda run (collect, append to `history`, findings,
    report, delivery) and return its `AuditResult`: `.frame`, `.findings`, `.suppressed`,
    `.report`, `.text` (the report in `report_format`), `.appended`, `.delivered`, `.status`.
    With `history` and no source named, the report comes from history alone.
    `engine="athena"` (with `athena` options) queries trail buckets in place. `org_role`
    reads every account of the organization (members through that role; `accounts` limits
    them), as `signin-report --org-role` does. For full control build an `AuditRequest` and
    call `run_audit`."""
    request = AuditRequest(
        window=resolve_window(days=days, since=since, until=until, now=datetime.now(UTC)),
        sources=Sources(
            logs=tuple(Path(p) for p in logs or ()),
            s3=tuple(s3 or ()),
            trails=tuple(trails or ()),
            discover_trails=discover_trails,
            lookup=lookup,
            regions=tuple(regions) if regions else None,
            accounts=tuple(accounts) if accounts else None,
            org_role=org_role,
            engine=Engine(engine),
            athena=athena or AthenaOptions(),
        ),
        history=str(history) if history is not None else None,
        overlap=overlap,
        findings=config,
        delivery=Delivery(report_s3=report_s3, sns_topic=sns_topic),
        fail_on=Severity(fail_on) if fail_on else None,
        strict=strict,
        rendering=Rendering(format=OutputFormat(report_format)),
        aws=Aws(
            profile=profile,
            region=region,
            external_id=external_id,
            role_session_name=role_session_name,
        ),
    )
    return run_audit(request)


__all__ = [
    "AuditRequest",
    "AuditResult",
    "SkippedInputError",
    "SkippedInputWarning",
    "collect_live",
    "collect_logs",
    "collect_trails",
    "load_history",
    "read_logs",
    "run_audit",
    "run_audit_job",
]
