"""The audit run: collect -> history -> rules -> report -> deliver, in one place for the CLI,
the Lambda handler and notebooks (`run_audit`).

`AuditRun` exposes the stages so the CLI can start a file scan, then load pandas while the
workers read, and show progress; `run_audit` runs them all. The library never prints: setup
warnings go to `warn` (and into the result), problems stay in the coverage.

With a history, the policy is `analyzer.history.progress` (progress per source scope): the
run widens the window it collects by the progress of its sources' scopes
(`collection_window`), lets the sources skip S3 objects a recorded run read
(`Source.skip_known`), and records the rows with each scope's outcome
(`record_collection`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer.audit.request import AuditRequest, AuditResult, Sources
from analyzer.domain.coverage import GAP_STATUSES, Coverage, RegionCoverage
from analyzer.domain.errors import (
    AwsSetupError,
    LiveSetupError,
    Remedy,
    RequestError,
    RunError,
    SigninError,
)
from analyzer.domain.values import Engine
from analyzer.domain.window import Window
from analyzer.render.formats import OutputFormat
from analyzer.sources.files import FileSource
from analyzer.sources.interface import Source

if TYPE_CHECKING:
    import boto3
    import pandas as pd

    from analyzer.audit.late import EarlierRows, LateRows
    from analyzer.aws.plan import Plan
    from analyzer.domain.scopes import ScopeOutcome
    from analyzer.history.meta import Meta
    from analyzer.history.store import History, RunResult

ScanClaim = Callable[[Sequence[Path], Window, bool, int], FileSource | None]

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "table": "text/plain; charset=utf-8",
}


def scope_families(sources: Sources) -> list[str]:
    """Prefixes of the history scopes the request's sources will report, known before the
    sources are set up (the window they are set up with depends on their progress). Trails
    found by DescribeTrails: every trail-bucket scope."""
    from analyzer.sources.files import file_scopes

    if sources.logs:
        return file_scopes(sources.logs)
    if not sources.reads_s3:
        from analyzer.sources.lookup import LOOKUP_SCOPE

        return [LOOKUP_SCOPE]
    if sources.trails or sources.discover_trails:
        from analyzer.history.progress import KEY_SCOPE_PREFIX

        return [KEY_SCOPE_PREFIX]
    from analyzer.sources.s3 import S3Location, S3LocationError

    try:
        return [f"{S3Location.parse(url)}#" for url in sources.s3]
    except S3LocationError:
        return []  # a request error when the sources are planned


def collection_window(
    request: AuditRequest, meta: Meta, now: datetime
) -> tuple[Window, str | None]:
    """(window to collect, warning). The asked window, widened back by the progress of this
    run's source scopes (`analyzer.history.progress`). Event history keeps 90 days: a
    re-read it cannot serve is bounded there, and the warning names the span left out."""
    from analyzer.aws.plan import EVENT_HISTORY_DAYS
    from analyzer.history.progress import collect_window

    families = scope_families(request.sources)
    wanted = collect_window(request.window, meta, families, request.overlap)
    if request.sources.logs or request.sources.reads_s3:
        return wanted, None
    oldest = now + timedelta(minutes=5) - timedelta(days=EVENT_HISTORY_DAYS)
    bounded = collect_window(request.window, meta, families, request.overlap, not_before=oldest)
    if wanted.since is None or bounded.since is None or wanted.since >= bounded.since:
        return bounded, None
    return bounded, (
        f"history asks to read again from {wanted.since.isoformat()}, but event history keeps "
        f"{EVENT_HISTORY_DAYS} days: sign-ins before {bounded.since.isoformat()} that no run "
        "collected are only in the trail's log files"
    )


def record_collection(
    history: History,
    frame: pd.DataFrame,
    outcomes: Sequence[ScopeOutcome],
    collected: Window,
    started: datetime,
    overlap: timedelta,
    note_unreported: bool = False,
) -> RunResult:
    """Store the collected rows and each scope's outcome: a complete scope moves its
    progress, an incomplete one keeps it (its span is read again by the next run). With
    `note_unreported`, the rows stored first are noted as unreported until `settle`."""
    from analyzer.history.store import HistoryError

    try:
        return history.record(
            frame,
            outcomes,
            collected=collected,
            started=started,
            overlap=overlap,
            note_unreported=note_unreported,
        )
    except HistoryError as err:  # busy past the wait, or history.json changed under us
        raise RunError(str(err), subject="history") from None
    except Exception as err:  # S3 or file system refusing the write
        raise RunError(
            f"cannot write history at {history.store}: {err}", subject="history"
        ) from None


def nothing_read(coverage: Coverage, sources: Sequence[Source], logs: Sequence[Path]) -> str | None:
    """Why a collection that read nothing at all is an error, or None. S3 objects a recorded
    run read (skipped, not fetched) count as read."""
    if logs and coverage.files_read == 0:
        return "no CloudTrail log file could be read from " + ", ".join(str(p) for p in logs)
    reads_s3 = any(type(s).__name__ in {"S3TrailSource", "AthenaSource"} for s in sources)
    already_read = sum(s.known_skipped for s in sources)
    if reads_s3 and coverage.files_read == 0 and not already_read and coverage.skipped_input:
        return f"nothing could be read from S3 ({len(coverage.problems)} problem(s) reported)"
    no_account = _no_account_read(coverage)
    if no_account:
        return no_account
    regions: list[RegionCoverage] = coverage.regions
    if not logs and regions and all(r.status == "failed" for r in regions):
        if reads_s3:
            return f"no region could be read: every one of the {len(regions)} failed"
        requests = sum(r.attempts for r in regions)
        return (
            f"no region could be read: LookupEvents (CloudTrail event history) failed in all "
            f"{len(regions)} region(s) after {requests} request(s)"
        )
    return None


def _no_account_read(coverage: Coverage) -> str | None:
    """An organization run's jobs, hence regions, are the accounts whose role was assumed:
    with none assumed there is no region to judge by, so the accounts are."""
    accounts = coverage.accounts
    read_any = any(a.status == "read" or a.regions_read for a in accounts)
    if not accounts or read_any or not any(a.status in GAP_STATUSES for a in accounts):
        return None
    tried = len(accounts)
    return (
        f"no account of the organization could be read ({tried} account{'s' * (tried != 1)} "
        "tried; each is listed with its reason)"
    )


def _earlier_rows(
    frame: pd.DataFrame, before: pd.DataFrame, window: Window, late: LateRows | None
) -> tuple[pd.DataFrame, list[EarlierRows]]:
    """(the baseline without the late rows, the rows from before the window to report): the
    late rows, any record stored earlier under a late row's eventID, and any stored before
    the window under an eventID of the window's."""
    from analyzer.audit.late import copies_of_late_rows, earlier_copies

    late_copies = None
    if late is not None:  # reported now, so not their own baseline
        held = late.holds(before)
        late_copies = copies_of_late_rows(before[held])
        mine = late.added(before, held)
        late = late.found(before[mine])
        before = before[~mine].reset_index(drop=True)
    copies = earlier_copies(frame, before, window) if window.since else None
    return before, [r for r in (late, late_copies, copies) if r is not None]


def check_organization(request: AuditRequest) -> None:
    """An organization run reads event history only; the role settings need the role."""
    sources, aws = request.sources, request.aws
    if sources.org_role is None:
        for subject, value in (
            ("external_id", aws.external_id),
            ("role_session_name", aws.role_session_name),
        ):
            if value is not None:
                raise RequestError(
                    "applies only when assuming an organization's member role",
                    Remedy.name_org_role,
                    subject=subject,
                )
        return
    if not sources.org_role.strip("/ "):
        raise RequestError("the organization's member role has no name", subject="org_role")
    if sources.logs or sources.reads_s3:
        raise RequestError(
            "an organization is read from each account's event history (LookupEvents), "
            "not from trail files or buckets",
            subject="org_role",
        )


def _check_locations(request: AuditRequest) -> None:
    """What is read from AWS, in forms it can be: before credentials are looked for, so a
    mistyped value is a usage error, not a missing-credentials one."""
    sources = request.sources
    if sources.identity_center_region is not None and (
        sources.logs or sources.reads_s3 or not request.collects
    ):
        raise RequestError(
            "collects portal events from event history (LookupEvents) only: trail files and "
            "buckets hold them already, and a history report alone collects nothing",
            subject="identity_center_region",
        )
    for url in sources.s3:
        from analyzer.sources.s3 import S3Location, S3LocationError  # (botocore: AWS runs only)

        try:
            S3Location.parse(url)
        except S3LocationError as err:
            raise RequestError(str(err), subject="s3") from None


def check_filters(request: AuditRequest) -> None:
    """Accounts and regions choose what is fetched from AWS: they must be account ids and
    region names, and a source they cannot narrow refuses them rather than ignore them.
    Files named with `--logs` are read whole (a responder narrowing a synced organization
    tree would get every account's sign-ins), and event history holds one account."""
    sources = request.sources
    from analyzer.sources.athena_table import is_region

    _check_locations(request)

    # Names checked before any AWS call: a malformed region reached botocore in a setup
    # thread of an organization run and ended it as an internal error.
    for account in sources.accounts or ():
        if not re.fullmatch(r"\d{12}", account):
            raise RequestError(f"{account!r} is not a 12-digit account id", subject="accounts")
    for region in sources.regions or ():
        if not is_region(region):
            raise RequestError(
                f"{region!r} is not an AWS region name (like eu-west-1)", subject="regions"
            )
    if sources.logs:
        for subject, value in (("accounts", sources.accounts), ("regions", sources.regions)):
            if value is not None:
                raise RequestError(
                    "chooses what is read from AWS (trail buckets, event history); files are "
                    "read whole: to narrow a synced trail, name its AWSLogs/<account>/ or "
                    "CloudTrail/<region>/ folders as the paths to read",
                    subject=subject,
                )
    elif sources.regions is not None and not sources.named and request.history is not None:
        raise RequestError(
            "chooses what is read from AWS; a history report alone reads no region (it "
            "reports the history whole)",
            subject="regions",
        )
    elif sources.accounts is not None and not (sources.reads_s3 or sources.org_role):
        # Event history answers for the credentials' account only: a run asked for another
        # account reported the caller's sign-ins as if they were the ones asked for.
        raise RequestError(
            "chooses the accounts read from trail buckets and from an organization's member "
            "accounts; event history holds only the account of the run's credentials, and "
            "a history is reported whole",
            subject="accounts",
        )


def _shown_by(
    noted: Sequence[tuple[str, datetime]], frame: pd.DataFrame
) -> list[tuple[str, datetime]]:
    """The unreported rows a report shows: those its frame holds (the window's, and the
    earlier ones shown as late rows), by eventID and time. A noted row the report does not
    hold (after its end, in a part this run could not read) stays owed; a damaged part
    beside the row's own no longer keeps a shown row owed. In Python over the frame's
    eventIDs: the noted rows are few, and only the frame rows carrying one are compared."""
    if not noted or frame.empty:
        return []
    from analyzer.findings.columns import arrow_of

    ids = {event_id for event_id, _ in noted}
    frame_ids = arrow_of(frame["event_id"]).to_pylist()
    rows = [position for position, event_id in enumerate(frame_ids) if event_id in ids]
    times = arrow_of(frame["event_time"]).take(rows).to_pylist()
    held = {(frame_ids[position], moment) for position, moment in zip(rows, times, strict=True)}
    return [key for key in noted if key in held]


class AuditRun:
    """One run of `request`. Stages: `start` (cheap: history opened, sources planned, a file
    scan started), `collect`, `report`, `deliver`, `settle` (once the report is out);
    `execute` runs them all."""

    def __init__(
        self,
        request: AuditRequest,
        *,
        session: boto3.Session | None = None,
        progress: Callable[[RegionCoverage], None] | None = None,
        warn: Callable[[str], None] | None = None,
        claim_scan: ScanClaim | None = None,
    ) -> None:
        self.request = request
        self._session = session
        self._progress = progress
        self._warn = warn
        self._claim_scan = claim_scan
        self.warnings: list[str] = []
        self.started = datetime.now(UTC)  # no history progress mark moves past it
        self.history: History | None = None
        self.collect_window = request.window
        self.sources: list[Source] = []
        self.files: FileSource | None = None
        self.coverage = Coverage()
        self.collected: pd.DataFrame | None = None
        self._archive: Any = None
        self._late: LateRows | None = None
        self._shown: list[tuple[str, datetime]] = []  # unreported rows the report shows
        self._earlier: list[EarlierRows] = []  # rows before the window the report shows

    # -- helpers -------------------------------------------------------------------------

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def session(self) -> boto3.Session:
        """The run's one boto3 session, built on first need from the request's profile and
        region; every client of the run comes from it."""
        if self._session is None:
            from analyzer.aws.session import make_session

            self._session = make_session(self.request.aws.profile, self.request.aws.region)
        return self._session

    def _delivery_credentials(self) -> None:
        """Delivery goes through AWS even when the sources do not: its credentials are found
        before anything is collected or stored, not once the report is made (a weekly job
        without them stored its week, then failed). Missing, with no AWS source, the remedy
        is about delivery, not the sample trail the run may be reading already."""
        try:
            self.session()
        except AwsSetupError as err:
            aws_sources = self.request.collects and not self.request.sources.logs
            if err.remedy is not Remedy.try_without_aws or aws_sources:
                raise
            raise AwsSetupError(err.reason, Remedy.deliver_without_aws) from None

    # -- stages --------------------------------------------------------------------------

    def start(self) -> None:
        request = self.request
        if request.aws.max_attempts < 1:
            raise RequestError("max_attempts must be at least 1", subject="max_attempts")
        check_organization(request)
        check_filters(request)
        if request.sources.engine is not Engine.local and not request.sources.reads_s3:
            raise RequestError(
                f"engine {request.sources.engine.value} reads trail buckets: name an S3 "
                "location, a trail, or discover the trails",
                subject="engine",
            )
        if request.sources.engine is Engine.athena:
            from analyzer.aws.athena_setup import check_options

            check_options(request.sources.athena)
        if request.delivery.wanted:
            self._delivery_credentials()
        if request.history is not None:
            self.history = self._open_history(request.history)
        if not request.collects:
            return
        if self.history is not None:
            self.collect_window, bounded = collection_window(
                request, self.history.meta, self.started
            )
            if bounded:
                self.warn(bounded)
        if request.rendering.save_raw is not None:
            from analyzer.sources.archive import RawArchive

            self._archive = RawArchive(request.rendering.save_raw)
        if request.sources.logs:
            self.files = self._file_source()
            self.sources = [self.files]
        else:
            self.sources = self._plan_aws()
        if self.history is not None:
            for source in self.sources:
                source.skip_known(self.history.known_keys)

    def collect(self) -> None:
        if not self.request.collects:
            return
        from analyzer.frame.collect import collect
        from analyzer.frame.schema import REPORT_COLUMNS

        keep = self._archive.add if self._archive is not None else None
        # Rows neither stored nor written: the frame needs only what the report reads.
        narrow = not self.request.rendering.needs_every_column and self.history is None
        columns = REPORT_COLUMNS if narrow else None
        compact = narrow and self.request.rendering.compact_frame
        collection = collect(
            self.sources, self.collect_window, keep_raw=keep, columns=columns, compact=compact
        )
        self.coverage = collection.coverage
        self.collected = collection.frame

    def check_collection(self) -> None:
        """Errors for a collection that read nothing; writes the raw archive if asked."""
        if not self.request.collects:
            return
        reason = nothing_read(self.coverage, self.sources, self.request.sources.logs)
        if reason:
            raise RunError(reason)
        if self._archive is not None:
            for problem in self._archive.problems:  # records of a hostile account/region
                self.warn(problem.line())
            try:
                self._archive.write()
            except OSError as err:
                where = self.request.rendering.save_raw
                raise RunError(
                    f"cannot write raw records to {where}: {err}", subject="save_raw"
                ) from None

    def report(self) -> AuditResult:
        from analyzer.findings.config import FindingsConfig, with_management_account
        from analyzer.findings.engine import evaluate_rules
        from analyzer.reports import build_report
        from analyzer.reports.grouping import shared_encodings

        request = self.request
        frame, baseline, appended, kept = self._through_history()
        window = request.window
        if window.since is not None and not self._earlier:
            frame = frame[(frame["event_time"] >= window.since).fillna(True).astype(bool)]
        config = with_management_account(
            request.findings or FindingsConfig(), self.coverage.management_account
        )
        with shared_encodings():  # (the rules and the report encode the same columns)
            results = evaluate_rules(frame, baseline, config)
            findings = results.findings
            report = build_report(
                frame,
                self.coverage,
                window=window,
                generated_at=datetime.now(UTC),
                findings=findings,
                suppressed=results.suppressed,
                charts=request.rendering.format is OutputFormat.html,
            )
        if self.history is not None:  # a report from history alone shows them too
            self._shown = _shown_by(self.history.meta.unreported, frame)
        self._write_events(frame)
        return AuditResult(
            request=request,
            frame=frame,
            coverage=self.coverage,
            findings=findings,
            suppressed=results.suppressed,
            report=report,
            appended=appended,
            progress_kept=kept,
            warnings=self.warnings,
        )

    def deliver(self, result: AuditResult) -> AuditResult:
        delivery = self.request.delivery
        if not delivery.wanted:
            return result
        from analyzer.audit.delivery import publish, summary_message, upload

        rendering = self.request.rendering
        location = str(rendering.output) if rendering.output else None
        try:
            if delivery.report_s3:
                location = upload(
                    self.session().client("s3"),
                    delivery.report_s3,
                    result.text.encode("utf-8"),
                    CONTENT_TYPES[rendering.format.value],
                )
                result.delivered.append(location)
            if delivery.sns_topic:
                subject, body = summary_message(
                    result.report.summary, result.findings, location, self.request.window
                )
                publish(self.session().client("sns"), delivery.sns_topic, subject, body)
                result.delivered.append(delivery.sns_topic)
        except SigninError:
            raise
        except Exception as err:  # botocore errors: the report exists, delivery failed
            raise RunError(f"cannot deliver the report: {err}") from None
        return result

    def settle(self) -> None:
        """Once the report is written and delivered: the unreported rows it showed are noted
        as reported. Until then history keeps them for the next run, so a run that
        fails after recording (a full disk, a refused upload, a kill) loses none; failing
        here only means the next report shows them again."""
        if self.history is None or not self._shown:
            return
        try:
            self.history.settle(self._shown)
        except Exception as err:  # the report is out: a warning, not a failed run
            self.warn(
                f"history {self.history.store}: cannot note {len(self._shown)} sign-in(s) of this "
                f"report as reported ({err}); the next run reports them again"
            )
        self._shown = []

    def execute(self) -> AuditResult:
        self.start()
        self.collect()
        self.check_collection()
        result = self.deliver(self.report())
        self.settle()
        return result

    # -- parts of the stages ---------------------------------------------------------------

    def _open_history(self, location: str) -> History:
        from analyzer.history.store import History, HistoryError

        try:
            client = self.session().client("s3") if location.startswith("s3://") else None
            return History.open(location, s3_client=client)
        except SigninError:
            raise
        except HistoryError as err:
            raise RunError(str(err), subject="history") from None
        except Exception as err:  # S3 access problems, a file where a folder should be
            raise RunError(f"cannot open history at {location}: {err}", subject="history") from None

    def _file_source(self) -> FileSource:
        rendering = self.request.rendering
        keep = rendering.save_raw is not None
        logs = self.request.sources.logs
        limit = self.request.sources.max_file_bytes
        claimed = (
            self._claim_scan(logs, self.collect_window, keep, limit) if self._claim_scan else None
        )
        files = claimed or FileSource(
            logs, window=self.collect_window, keep_records=keep, max_file_bytes=limit
        )
        files.start()  # workers scan while the caller loads pandas
        return files

    def _plan_aws(self) -> list[Source]:
        from botocore.exceptions import BotoCoreError

        from analyzer.aws.plan import check_history_window, plan_lookup, plan_s3
        from analyzer.sources.s3 import S3LocationError

        sources, aws, window = self.request.sources, self.request.aws, self.collect_window
        regions = list(sources.regions) if sources.regions else None
        try:
            if sources.org_role is not None:
                check_history_window(window, datetime.now(UTC))
                plan = self._plan_organization(window, regions)
            elif sources.reads_s3:
                plan = plan_s3(
                    self.session(),
                    window,
                    locations=list(sources.s3),
                    trails=list(sources.trails) or None,
                    discover=sources.discover_trails,
                    region=aws.region,
                    regions=regions,
                    accounts=list(sources.accounts) if sources.accounts else None,
                    max_attempts=aws.max_attempts,
                    progress=self._progress,
                    engine=sources.engine.value,
                    athena=sources.athena,
                )
            else:
                check_history_window(window, datetime.now(UTC))
                plan = plan_lookup(
                    self.session(),
                    window,
                    region=aws.region,
                    regions=regions,
                    max_attempts=aws.max_attempts,
                    identity_center_region=sources.identity_center_region,
                    progress=self._progress,
                )
        except S3LocationError as err:
            raise RequestError(str(err), subject="s3") from None
        except (LiveSetupError, AwsSetupError):
            raise
        except BotoCoreError as err:
            raise AwsSetupError(f"cannot set up AWS clients: {err}") from None
        for warning in plan.warnings:
            self.warn(warning)
        return plan.sources

    def _plan_organization(self, window: Window, regions: list[str] | None) -> Plan:
        """Every account of the organization; member sessions assume the role through STS
        of the run's session and share its loaded service models."""
        from analyzer.aws.organization import DEFAULT_SESSION_NAME, RoleSettings
        from analyzer.aws.plan import plan_organization

        sources, aws = self.request.sources, self.request.aws
        assert sources.org_role is not None
        role = RoleSettings(
            sources.org_role, aws.external_id, aws.role_session_name or DEFAULT_SESSION_NAME
        )
        return plan_organization(
            self.session(),
            window,
            role,
            accounts=list(sources.accounts) if sources.accounts else None,
            region=aws.region,
            regions=regions,
            max_attempts=aws.max_attempts,
            identity_center_region=sources.identity_center_region,
            progress=self._progress,
        )

    def _through_history(
        self,
    ) -> tuple[pd.DataFrame, pd.DataFrame | None, RunResult | None, list[str]]:
        """(frame to report, baseline before the window, what history gained, scopes whose
        progress stayed). With a history the report comes from it: the window's rows and the
        baseline before it for the first-seen and dormancy rules. Parts that cannot be read
        are skipped, named in the coverage (their days are incomplete)."""
        history, window = self.history, self.request.window
        if history is None:
            assert self.collected is not None
            return self.collected, None, None, []
        appended: RunResult | None = None
        kept: list[str] = []
        if self.collected is not None:
            from analyzer.audit.late import late_rows

            appended, kept = self._record(history, self.collected)
            self._late = late_rows(history.unreported_rows(), window.since, appended.added_rows)
        elif not history.exists:
            raise RunError(
                f"no history at {history.store} (no history.json)",
                Remedy.start_history,
                subject="history",
            )
        else:
            self.coverage.inputs.append(f"history:{history.store}")
            leftovers = history.leftovers()
            if leftovers:
                self.warn(
                    f"history {history.store}: {len(leftovers)} temporary file(s) left by an "
                    "interrupted write, ignored (the next run that writes removes them)"
                )
        from analyzer.audit.late import reported
        from analyzer.findings.baseline import BASELINE_COLUMNS, reduce_baseline
        from analyzer.frame.schema import REPORT_COLUMNS

        every = self.request.rendering.needs_every_column
        late = self._late
        columns = None if every else REPORT_COLUMNS
        compact = self.request.rendering.compact_frame
        try:
            start = window.since if late is None else late.since
            frame = history.read(start, window.until, columns, compact=compact)
            # The rules need sets and maxima of a few columns of the rows before the window,
            # not the rows: a weekly run no longer loads every column of the whole history.
            before = history.read(None, window.since, columns=BASELINE_COLUMNS)
            before, self._earlier = _earlier_rows(frame, before, window, late)
            first = min((r.since for r in self._earlier), default=None)
            if first is not None and start is not None and first < start:
                frame = history.read(first, window.until, columns, compact=compact)
            if self._earlier:
                frame = frame[reported(frame, window, self._earlier)].reset_index(drop=True)
                for rows in self._earlier:
                    self.coverage.flag_record(f"history {history.store}", rows.note())
                    self.warn(f"history {history.store}: {rows.note()}")
            baseline = reduce_baseline(before)
        except Exception as err:  # S3 refusing a listing
            raise RunError(
                f"cannot read history at {history.store}: {err}", subject="history"
            ) from None
        for problem in history.problems:
            self.warn(problem.line())
            self.coverage.skip_file(problem.name, problem.line().removeprefix(f"{problem.name}: "))
        if self.collected is None:
            self.coverage.kept = len(frame)
        return frame, baseline, appended, kept

    def _record(self, history: History, collected: pd.DataFrame) -> tuple[RunResult, list[str]]:
        """Record the collection; (what history gained, scopes whose progress stayed)."""
        outcomes = [o for source in self.sources for o in source.outcomes(self.coverage)]
        result = record_collection(
            history,
            collected,
            outcomes,
            self.collect_window,
            self.started,
            self.request.overlap,
            note_unreported=True,
        )
        if result.cleaned:
            self.warn(
                f"history {history.store}: removed {len(result.cleaned)} temporary file(s) "
                f"left by an interrupted write ({', '.join(result.cleaned[:3])})"
            )
        kept = [o.scope for o in outcomes if not o.complete]
        if kept:
            self.warn(
                f"collection incomplete: history keeps the progress of {len(kept)} scope(s) "
                f"({', '.join(kept[:3])}); the next run reads them again"
            )
        self.coverage.history_added = result.added
        self.coverage.history_duplicates = result.duplicates
        return result, kept

    def _write_events(self, frame: pd.DataFrame) -> None:
        path = self.request.rendering.events
        if path is None:
            return
        from analyzer.render.events import write_events

        try:
            write_events(frame, path)
        except (ValueError, OSError) as err:
            raise RunError(f"cannot write events to {path}: {err}", subject="events") from None


def run_audit(
    request: AuditRequest,
    *,
    session: boto3.Session | None = None,
    progress: Callable[[RegionCoverage], None] | None = None,
) -> AuditResult:
    """Run the whole audit and return its result (see `AuditResult.status`). Raises
    `RequestError`/`LiveSetupError` for a request that cannot run, `AwsSetupError` and
    `RunError` for a run that failed."""
    return AuditRun(request, session=session, progress=progress).execute()
