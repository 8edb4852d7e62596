"""What an audit run is asked to do and what it gives back. Plain frozen values, no pandas or
boto3 at import time: the CLI builds a request before the heavy imports start."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum, StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from analyzer.aws import DEFAULT_MAX_ATTEMPTS
from analyzer.domain.values import Engine, Severity
from analyzer.domain.window import Window
from analyzer.render.formats import DEFAULT_ROWS, SECTION_NAMES, OutputFormat
from analyzer.sources.athena_table import AthenaOptions
from analyzer.sources.limits import DEFAULT_MAX_FILE_BYTES

if TYPE_CHECKING:
    import pandas as pd

    from analyzer.domain.coverage import Coverage
    from analyzer.findings.config import FindingsConfig
    from analyzer.findings.model import Finding
    from analyzer.findings.suppress import Suppressed
    from analyzer.history.store import RunResult
    from analyzer.reports.report import SigninReport

DEFAULT_OVERLAP = timedelta(minutes=120)


@dataclass(frozen=True)
class Sources:
    """Where sign-ins come from. Nothing named means CloudTrail event history (LookupEvents)
    unless a history is given, which then is read alone."""

    logs: tuple[Path, ...] = ()
    s3: tuple[str, ...] = ()  # s3://bucket/prefix trail locations
    trails: tuple[str, ...] = ()  # names or ARNs found by DescribeTrails
    discover_trails: bool = False  # every trail DescribeTrails finds
    lookup: bool = False  # event history, even with a history to report from
    accounts: tuple[str, ...] | None = None  # trail buckets: only these accounts
    regions: tuple[str, ...] | None = None  # what is read; None: every enabled region
    identity_center_region: str | None = None  # also the portal events; "auto" detects it
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # one --logs file, inflated (sources/limits)
    engine: Engine = Engine.local  # trail buckets: scan here, or query in place with Athena
    athena: AthenaOptions = field(default_factory=AthenaOptions)  # with Engine.athena
    # Event history of every ACTIVE account of the organization (or of `accounts`): member
    # accounts through this role (name or path/name), the caller's own with its credentials.
    org_role: str | None = None

    @property
    def reads_s3(self) -> bool:
        return bool(self.s3 or self.trails or self.discover_trails)

    @property
    def named(self) -> bool:
        """True when any source is named (a history alone then collects nothing)."""
        return bool(self.logs) or self.reads_s3 or self.lookup or self.org_role is not None


@dataclass(frozen=True)
class Aws:
    """The one session of a run: every AWS call (collection, history in S3, delivery)."""

    profile: str | None = None
    region: str | None = None  # where discovery calls go, and the session's region
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    # How `Sources.org_role` is assumed, with STS from this session: the external ID the
    # role's trust policy requires, and the session name (None: "signin-report").
    external_id: str | None = None
    role_session_name: str | None = None


@dataclass(frozen=True)
class Delivery:
    report_s3: str | None = None  # s3://bucket/key for the rendered report
    sns_topic: str | None = None  # topic ARN for the short summary

    @property
    def wanted(self) -> bool:
        return bool(self.report_s3 or self.sns_topic)


@dataclass(frozen=True)
class Rendering:
    """The report text the run produces (and delivers); `output` is where the caller writes
    it, named in the SNS summary when the report is not uploaded."""

    format: OutputFormat = OutputFormat.table
    sections: tuple[str, ...] = SECTION_NAMES
    max_rows: int = DEFAULT_ROWS
    color: bool = False
    output: Path | None = None
    events: Path | None = None  # also write the rows: .parquet, .csv or .jsonl
    save_raw: Path | None = None  # also write the kept raw records as trail files
    # False: a report read from a history decodes only `REPORT_COLUMNS`, and collected rows
    # no history stores keep only those (AuditResult.frame then holds just them, and what
    # settles user names): about half the memory of a big run. The CLI and the Lambda
    # handler ask for it; rows written with `events` keep every column.
    every_column: bool = True
    # True (with every_column False): that frame also holds its repeated texts
    # dictionary-encoded (`frame.compact`), the report the same, the frame's text columns
    # a quarter of their size. For callers that only want the report: the CLI, the Lambda.
    compact: bool = False

    @property
    def needs_every_column(self) -> bool:
        """Whether the run's frame must hold every column: asked for, or written as rows."""
        return self.every_column or self.events is not None

    @property
    def compact_frame(self) -> bool:
        """Whether the run's frame is compact (`compact`, and only the report reads it)."""
        return self.compact and not self.needs_every_column


@dataclass(frozen=True)
class AuditRequest:
    window: Window
    sources: Sources = field(default_factory=Sources)
    history: str | None = None  # folder or s3://bucket/prefix
    overlap: timedelta = DEFAULT_OVERLAP
    findings: FindingsConfig | None = None  # None: every rule with its defaults
    delivery: Delivery = field(default_factory=Delivery)
    fail_on: Severity | None = None
    strict: bool = False  # a skipped input makes the run incomplete
    rendering: Rendering = field(default_factory=Rendering)
    aws: Aws = field(default_factory=Aws)

    @property
    def collects(self) -> bool:
        return self.sources.named or self.history is None


class ExitCode(IntEnum):
    """Documented in README "Exit codes"; USAGE and ERROR are the CLI's (a run that raises)."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INCOMPLETE = 3
    ERROR = 4


class Status(StrEnum):
    ok = "ok"
    findings = "findings"
    incomplete = "incomplete"


STATUS_CODE = {
    Status.ok: ExitCode.OK,
    Status.findings: ExitCode.FINDINGS,
    Status.incomplete: ExitCode.INCOMPLETE,
}


@dataclass
class AuditResult:
    request: AuditRequest
    frame: pd.DataFrame
    coverage: Coverage
    findings: list[Finding]
    report: SigninReport
    appended: RunResult | None = None  # what history gained (None: no collection stored)
    progress_kept: list[str] = field(default_factory=list)  # scopes collected incompletely
    delivered: list[str] = field(default_factory=list)  # s3:// URL and/or SNS topic
    warnings: list[str] = field(default_factory=list)  # setup, history and --save-raw notes
    suppressed: list[Suppressed] = field(default_factory=list)  # what the config silenced

    def write_report(self, out: TextIO | str | os.PathLike[str]) -> None:
        """The report rendered as asked (`request.rendering`), written to `out` (an open
        text stream, or a path: the file is written as UTF-8, replaced if it exists) a piece
        at a time: the JSON of a million-row report (80 MB) is never one string in memory."""
        from analyzer.render.registry import renderer_for

        if isinstance(out, str | os.PathLike):
            with open(out, "w", encoding="utf-8", newline="") as stream:
                self.write_report(stream)
            return
        rendering = self.request.rendering
        renderer = renderer_for(
            rendering.format, color=rendering.color, max_rows=rendering.max_rows
        )
        renderer.render(self.report, out, list(rendering.sections))

    @cached_property
    def text(self) -> str:
        """The report rendered as asked, whole (rendered on first use, then kept)."""
        buffer = io.StringIO()
        self.write_report(buffer)
        return buffer.getvalue()

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.coverage.problems if p.skipped)

    @property
    def status(self) -> Status:
        """Strictness first (an incomplete run's findings are incomplete too), then fail-on."""
        from analyzer.findings.model import at_or_above

        if self.request.strict and self.skipped:
            return Status.incomplete
        if self.request.fail_on is not None and at_or_above(self.findings, self.request.fail_on):
            return Status.findings
        return Status.ok

    @property
    def exit_code(self) -> ExitCode:
        return STATUS_CODE[self.status]
