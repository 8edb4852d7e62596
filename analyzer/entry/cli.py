"""`signin-report`: a thin adapter over the audit run (`analyzer.audit`). It parses and checks
options, builds an `AuditRequest`, calls the library, prints problems one line each, writes
the report and maps the result to an exit code. Policy (history progress, delivery,
source planning) lives in the library; this module only words things with its flag names.

Module-level imports stay free of pandas and boto3: a file scan starts its worker processes
first, and the heavy imports happen while they work."""

from __future__ import annotations

import contextlib
import gc
import os
import re
import stat
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO

import typer
import typer.core

from analyzer.audit.request import (
    DEFAULT_OVERLAP,
    AuditRequest,
    AuditResult,
    Aws,
    Delivery,
    ExitCode,
    Rendering,
    Sources,
    Status,
)
from analyzer.audit.run import AuditRun, check_organization
from analyzer.aws import DEFAULT_MAX_ATTEMPTS
from analyzer.domain.coverage import Coverage
from analyzer.domain.errors import (
    LiveSetupError,
    Remedy,
    RequestError,
    SigninError,
)
from analyzer.domain.values import Engine, Severity, SourceKind
from analyzer.domain.window import Window, WindowError, resolve_window
from analyzer.entry import INTERRUPTED, prestart
from analyzer.findings.config import ConfigError, FindingsConfig, load_config
from analyzer.frame.memory import use_system_allocator
from analyzer.render.formats import (
    DEFAULT_ROWS,
    EVENT_FORMATS,
    LIVE_ONLY_SECTIONS,
    ORG_ONLY_SECTIONS,
    SECTION_NAMES,
    OutputFormat,
    Section,
)
from analyzer.render.text import printable
from analyzer.sources.athena_table import DEFAULT_DATABASE, AthenaOptions, is_region
from analyzer.sources.limits import DEFAULT_MAX_FILE_BYTES, MIB
from analyzer.sources.sample import SAMPLE_SINCE, SAMPLE_UNTIL, sample_path

if TYPE_CHECKING:
    from analyzer.entry.progress import AccountProgress, FileProgress, RegionProgress

__all__ = ["ExitCode", "app", "main"]

PROG = "signin-report"
FILE_PROGRESS_FROM = 200  # log files; a smaller folder is read before a bar would be seen
MAX_PROBLEM_LINES = 20
WINDOW_FLAGS = {"since": "--since", "until": "--until", "days": "--days"}
# The request field an error names, as the option a CLI user set.
FLAGS = {
    "history": "--history",
    "events": "--events",
    "save_raw": "--save-raw",
    "s3": "--s3",
    "max_attempts": "--max-attempts",
    "output": "--output",
    "org_role": "--org-role",
    "external_id": "--external-id",
    "role_session_name": "--role-session-name",
    "engine": "--engine",
    "accounts": "--accounts",
    "regions": "--regions",
    "identity_center_region": "--identity-center-region",
}
# What the user can do instead, in this command's words.
REMEDIES = {
    Remedy.read_trail_files: "read older sign-ins from trail log files with --logs PATH (e.g. "
    "after `aws s3 sync` of the trail bucket) or --s3 s3://bucket/prefix",
    Remedy.bounded_window: "give a window with --days or --since",
    Remedy.name_a_source: "name one with --trail, or read a bucket with --s3 s3://bucket/prefix",
    Remedy.start_history: "run once with a source option (--source lookup, --logs, --s3, "
    "--trail) to start it",
    Remedy.identity_center_region: "pass --identity-center-region REGION to collect its portal "
    "events",
    Remedy.try_without_aws: "to try the tool without AWS on the sample trail it ships, run "
    f"signin-report --sample --since {SAMPLE_SINCE} --until {SAMPLE_UNTIL}",
    Remedy.name_org_role: "give --org-role ROLE to read the organization's accounts",
    Remedy.deliver_without_aws: "--report-s3 and --sns-topic deliver through AWS: give "
    "credentials (--profile, AWS_PROFILE, environment variables), or leave them out",
}
# typer >= 0.20 vendors click and exports only BadParameter; its base is the usage error.
_TYPER_USAGE_ERROR: type[Exception] = typer.BadParameter.__mro__[1]
SOURCES, WINDOW, OUTPUT, AUDIT, AWS = "Sources", "Window", "Output", "Audit job", "AWS"
ATHENA = "Athena (--engine athena)"


class CliError(Exception):
    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"{PROG} {version('signin-analyzer')}")
        raise typer.Exit(0)


app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",  # for the panels; every help text is escaped by _option
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _Command(typer.core.TyperCommand):
    """The command with its help option's metavar blank too (`_flag`): click 8.5 makes the
    help option itself and typer labels it `<bool>`."""

    def get_help_option(self, ctx: Any) -> Any:  # (typer vendors click since 0.26: its types)
        option = super().get_help_option(ctx)
        if option is not None and option.metavar is None:
            option.metavar = " "
        return option


def _option(*names: str, help: str = "", **settings: Any) -> Any:
    """`typer.Option` with its help text escaped: rich would read `s3://bucket[/prefix]` as a
    closing markup tag (and crash `--help`); a backslash before `[` keeps it plain text."""
    return typer.Option(*names, help=help.replace("[", "\\["), **settings)


def _flag(*names: str, help: str = "", **settings: Any) -> Any:
    """An on/off option: a blank metavar, since typer 0.29 with click 8.5 labels every
    flag `<bool>` in the help, which reads as if the flag took a value."""
    return _option(*names, help=help, metavar=" ", **settings)


def _say(kind: str, message: str) -> None:
    print(f"{PROG}: {kind}: {printable(message)}", file=sys.stderr)  # one inert line


def _usage(message: str) -> CliError:
    return CliError(message, ExitCode.USAGE)


def cli_words(err: SigninError) -> str:
    """A library error worded for this command: its option names, its remedies."""
    text = err.reason
    if err.subject in FLAGS and FLAGS[err.subject] not in text:
        text = f"{FLAGS[err.subject]}: {text}"
    if err.remedy is not None:
        text = f"{text}; {REMEDIES[err.remedy]}"
    return text


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


# -- checking options before any work -------------------------------------------------------


# The format an `--output` file's extension asks for when `--format` is not given.
FORMAT_OF_EXTENSION = {
    ".json": OutputFormat.json,
    ".csv": OutputFormat.csv,
    ".md": OutputFormat.markdown,
    ".markdown": OutputFormat.markdown,
    ".html": OutputFormat.html,
    ".htm": OutputFormat.html,
}


# Extensions of formats no report is written in: a table written into `report.xlsx` opened
# as a broken spreadsheet, without a word.
FOREIGN_EXTENSIONS = frozenset(
    {".xlsx", ".xls", ".xlsm", ".ods", ".pdf", ".docx", ".parquet", ".jsonl", ".ndjson", ".tsv"}
)


def _report_format(fmt: OutputFormat | None, output: Path | None) -> OutputFormat:
    """`--format`, else what the `--output` file's extension names (`report.csv` gets CSV,
    not a box-drawn table in a file named .csv), else the terminal table."""
    if fmt is not None:
        return fmt
    if output is not None:
        suffix = output.suffix.lower()
        if suffix in FOREIGN_EXTENSIONS:
            raise _usage(
                f"--output {output}: no report is written as {suffix}; name a .csv file (a "
                "spreadsheet opens it) or give --format, and --events FILE.parquet, .csv or "
                ".jsonl for rows"
            )
        return FORMAT_OF_EXTENSION.get(suffix, OutputFormat.table)
    return OutputFormat.table


def _check_output(output: Path | None) -> None:
    """`--output json` is the AWS CLI's habit for the format: refuse it rather than write a
    table into a file named `json`."""
    if output is not None and str(output) in OutputFormat.__members__:
        raise _usage(
            f"--output {output} names a file; for the {output} format use --format {output} "
            f"(and --output FILE to write it to a file)"
        )


def _check_events(events: Path | None) -> None:
    if events is not None and events.suffix.lower() not in EVENT_FORMATS:
        raise _usage(
            f"--events {events}: unknown extension {events.suffix or '(none)'}; use "
            + ", ".join(EVENT_FORMATS)
        )


def _check_folder(flag: str, path: Path | None) -> None:
    """A file to write whose folder is missing fails before any work: found when writing,
    it failed after the whole collection (minutes of a live run) and after history had
    recorded it. The same words and exit code as a write that fails."""
    if path is None:
        return
    folder = path.parent
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        raise CliError(f"cannot write {flag} {path}: {folder} {reason}", ExitCode.ERROR)


def _check_delivery(report_s3: str | None, sns_topic: str | None) -> None:
    if report_s3 is not None:
        bucket, _, key = report_s3.removeprefix("s3://").partition("/")
        if not report_s3.startswith("s3://") or not bucket or not key or key.endswith("/"):
            raise _usage(f"--report-s3 {report_s3!r} is not s3://bucket/key")
    if sns_topic is not None and not _is_topic_arn(sns_topic):
        raise _usage(
            f"--sns-topic {sns_topic!r} is not an SNS topic ARN "
            "(arn:aws:sns:REGION:ACCOUNT:NAME, a 12-digit account)"
        )


# arn:PARTITION:sns:REGION:ACCOUNT:NAME; a name is letters, digits, - and _ (1-256, .fifo).
_TOPIC_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?"
)


def _is_topic_arn(value: str) -> bool:
    """The whole ARN, checked before any work: a copied placeholder (`arn:aws:sns:…:name`)
    passed a check of its prefix, and the run collected and stored history before the
    publish failed."""
    found = _TOPIC_ARN.fullmatch(value)
    return found is not None and is_region(found.group(1))


def _check_sections(
    sections: Sequence[Section], live: bool, fmt: OutputFormat, *, org: bool = False
) -> tuple[str, ...]:
    if not sections:
        return SECTION_NAMES
    if fmt is OutputFormat.json:
        raise _usage(
            "--section does not apply to --format json (JSON always carries the whole "
            "report; pick parts with jq)"
        )
    for name in sections:  # the narrower need first: accounts needs --org-role, not just AWS
        if name in ORG_ONLY_SECTIONS and not org:
            raise _usage(f"--section {name} only applies to an organization run (--org-role)")
        if name in LIVE_ONLY_SECTIONS and not live:
            raise _usage(
                f"--section {name} only applies to collection from AWS (event history, "
                "trail buckets), not to --logs files or a --history report alone"
            )
    return tuple(s for s in SECTION_NAMES if s in sections)


def _window(days: int, since: str | None, until: str | None) -> Window:
    try:
        return resolve_window(
            days=days, since=since, until=until, now=datetime.now(UTC), names=WINDOW_FLAGS
        )
    except WindowError as err:
        raise _usage(str(err)) from None


def _config(path: Path | None) -> FindingsConfig:
    try:
        return load_config(path)
    except ConfigError as err:
        raise _usage(str(err)) from None


def check_request(request: AuditRequest) -> None:
    """The library's own checks of the request, before any work, in this command's words."""
    try:
        check_organization(request)
    except RequestError as err:
        raise _usage(cli_words(err)) from None


def _stdin_dash(path: Path) -> Path:
    """`--logs -` reads standard input, as `zcat -` and `jq . -` do."""
    return Path("/dev/stdin") if str(path) == "-" else path


def _split(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


# -- running -------------------------------------------------------------------------------


def _error_code(err: SigninError) -> ExitCode:
    return ExitCode.USAGE if isinstance(err, RequestError | LiveSetupError) else ExitCode.ERROR


def execute(request: AuditRequest, *, quiet: bool) -> AuditResult:
    """Run the audit with the CLI's extras: an early `--logs` scan claimed from prestart,
    progress on a terminal, warnings as they happen, problems before the run's verdict."""
    display: RegionProgress | AccountProgress | FileProgress | None = None
    regions_display: RegionProgress | AccountProgress | None = None
    if not request.sources.logs and not quiet and sys.stderr.isatty():
        from analyzer.entry.progress import AccountProgress, RegionProgress  # live runs only

        # An organization run: one line per account, not one per (account, region).
        org = request.sources.org_role is not None
        display = regions_display = AccountProgress() if org else RegionProgress()
    run = AuditRun(
        request,
        progress=regions_display.update if regions_display else None,
        warn=lambda message: _say("warning", message),
        claim_scan=prestart.claim,
    )
    try:
        run.start()
        files = run.files
        if files and not quiet and sys.stderr.isatty() and files.file_count >= FILE_PROGRESS_FROM:
            from analyzer.entry.progress import FileProgress

            display = FileProgress(files.file_count)
            files.progress = display.update
        use_system_allocator()  # (done already when entered through the console script)
        # Loaded while the workers scan, before the freeze below (as the stages would later;
        # pyarrow loads acero on the first grouping: 0.02 s on one core after the scan).
        import pyarrow.acero  # noqa: F401

        import analyzer.findings.engine
        import analyzer.frame.collect
        import analyzer.render.events
        import analyzer.render.registry
        import analyzer.reports  # noqa: F401

        # The imported modules live as long as the process: no collection walks them. The
        # collector, off while the console script imported them (`launch.py`), works again
        # for the run itself.
        gc.freeze()
        gc.enable()
        with display or nullcontext():
            run.collect()
        if request.collects:
            _report_problems(run.coverage)
        run.check_collection()
        result = run.report()
        _write_report(result, request.rendering.output)
        delivered = run.deliver(result)
        run.settle()  # only now: a report that failed to go out leaves its rows to the next
        return delivered
    except SigninError as err:
        raise CliError(cli_words(err), _error_code(err)) from None


WRITE_CHARS = 1 << 20  # a whole text is encoded a slice at a time


def _write_report(result: AuditResult, output: Path | None) -> None:
    """Streamed as rendered, unless the upload needs the whole text anyway (rendered once).
    A report file is replaced whole or not at all: streamed into a new file beside it, which
    takes the place of the old one once complete, so a scheduled job that fails while
    writing (a full disk, a kill) leaves last week's report, never half of this one. As a
    shell redirection would, it goes through a symbolic link and keeps the file's mode (and
    owner, where the system allows). A file that is not a regular one (a FIFO,
    `/dev/stdout`), or in a folder the user may not write to, is written in place."""
    if output is None:
        try:
            _write_to(result, sys.stdout)
            sys.stdout.flush()
        except OSError as err:  # a pipe closed early (`| head`), a full disk
            # What is still buffered would fail again at exit, with a traceback-like note.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            reason = err.strerror or str(err)
            raise CliError(f"cannot write the report to stdout: {reason}", ExitCode.ERROR) from None
        return
    try:
        try:  # the path as given, links followed: /dev/stdout into a pipe resolves to none
            replaced: os.stat_result | None = os.stat(output)
        except FileNotFoundError:
            replaced = None
        if replaced is not None and not stat.S_ISREG(replaced.st_mode):
            _write_in_place(result, output)
            return
        target = Path(os.path.realpath(output))
        name = str(target.parent / f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:  # private while written; given its mode once complete (_take_place)
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except PermissionError:  # a file the user may write, in a folder they may not
            _write_in_place(result, output)
            return
        try:
            with open(handle, "w", encoding="utf-8", newline="") as out:
                _write_to(result, out)
            _take_place(name, target, replaced)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    except OSError as err:
        reason = err.strerror or str(err)
        raise CliError(f"cannot write --output {output}: {reason}", ExitCode.ERROR) from None


def _write_in_place(result: AuditResult, output: Path) -> None:
    with output.open("w", encoding="utf-8", newline="") as out:
        _write_to(result, out)


def _take_place(new: str, target: Path, replaced: os.stat_result | None) -> None:
    """The complete new report takes the old one's place, with its mode and, when allowed,
    its owner; a new file gets the mode a redirection would give it (0o666 less the
    umask). Written until then with 0o600, a private report is never readable by others
    while it is written."""
    if replaced is None:
        umask = os.umask(0o077)  # read by setting it (no other thread creates files now)
        os.umask(umask)
        os.chmod(new, 0o666 & ~umask)
    else:
        os.chmod(new, stat.S_IMODE(replaced.st_mode))
        if (replaced.st_uid, replaced.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(new, replaced.st_uid, replaced.st_gid)
    os.replace(new, target)


def _write_to(result: AuditResult, out: TextIO) -> None:
    if not result.request.delivery.report_s3:
        result.write_report(out)
        return
    text = result.text
    for start in range(0, len(text), WRITE_CHARS):
        out.write(text[start : start + WRITE_CHARS])


def exit_code(result: AuditResult) -> ExitCode:
    """The result's status, said in the CLI's words on stderr."""
    request = result.request
    if result.status is Status.incomplete:
        _say("error", f"--strict: {result.skipped} input(s) were skipped (listed above)")
    elif result.status is Status.findings:
        from analyzer.findings.model import worst_severity

        worst = worst_severity(result.findings)
        _say(
            "warning",
            f"{len(result.findings)} finding(s), worst {worst} (--fail-on {request.fail_on})",
        )
    return result.exit_code


@app.command(cls=_Command, help="Report AWS console sign-ins from CloudTrail logs.")
def signin_report(
    logs: Annotated[
        list[Path] | None,
        _option(
            "--logs",
            metavar="PATH",
            help="CloudTrail log file or folder (recursive), recognized by content: trail files "
            "(.json.gz, .json or any name), `aws cloudtrail lookup-events` output, or JSON "
            "Lines, gzipped or not; `-` is standard input. Repeatable. Without any "
            "source option, sign-ins are collected live from CloudTrail event history.",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    sample: Annotated[
        bool,
        _flag(
            "--sample",
            help="Read the sample trail shipped with the tool, as --logs would (no AWS needed; "
            f"its week is --since {SAMPLE_SINCE} --until {SAMPLE_UNTIL}).",
            rich_help_panel=SOURCES,
        ),
    ] = False,
    s3: Annotated[
        list[str] | None,
        _option(
            "--s3",
            metavar="URL",
            help="Read a trail bucket: s3://bucket[/prefix] (single-account or organization "
            "layout). Repeatable.",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    trail: Annotated[
        list[str] | None,
        _option(
            metavar="NAME",
            help="Read this trail's bucket (name or ARN, found by DescribeTrails). Repeatable.",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    source: Annotated[
        SourceKind | None,
        _option(
            metavar="KIND",
            case_sensitive=False,
            help="`trails`: read every trail DescribeTrails finds, from S3; `lookup`: event "
            "history (the default live source; with --history, collect before reporting).",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    accounts: Annotated[
        str | None,
        _option(
            metavar="A,B",
            help="Comma-separated accounts to read (trail buckets, --org-role).",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    org_role: Annotated[
        str | None,
        _option(
            metavar="ROLE",
            help="Read the event history of every ACTIVE account of the organization: assume "
            "this role (name or path/name) in each member account; the caller's own account "
            "uses its own credentials. Needs organizations:ListAccounts.",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    regions: Annotated[
        str | None,
        _option(
            metavar="R1,R2",
            help="WHAT IS READ: comma-separated regions to read instead of every enabled "
            "region (event history, trail buckets). Not where API calls go: see --region.",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    identity_center_region: Annotated[
        str | None,
        _option(
            metavar="REGION",
            help="Also collect IAM Identity Center portal events (sso.amazonaws.com) in this "
            "region; `auto` detects it with sso-admin ListInstances.",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    save_raw: Annotated[
        Path | None,
        _option(
            metavar="DIR",
            help="Save the collected sign-in records as trail log files in DIR.",
            rich_help_panel=SOURCES,
        ),
    ] = None,
    days: Annotated[
        int,
        _option(
            metavar="N",
            help="Window: the N days before --until, or before now.",
            rich_help_panel=WINDOW,
        ),
    ] = 30,
    since: Annotated[
        str | None,
        _option(
            metavar="T",
            help="Window start, inclusive: a date or ISO time, UTC (overrides --days).",
            rich_help_panel=WINDOW,
        ),
    ] = None,
    until: Annotated[
        str | None,
        _option(
            metavar="T",
            help="Window end, exclusive: a date or ISO time, UTC (default: now).",
            rich_help_panel=WINDOW,
        ),
    ] = None,
    format_asked: Annotated[
        OutputFormat | None,
        _option(
            "--format",
            metavar="F",
            case_sensitive=False,
            help="Report format: "
            + ", ".join(f.value for f in OutputFormat)
            + " (default: the --output file's extension, .json .csv .md .html; else table).",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        _option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the report to this FILE instead of stdout (in the --format asked, "
            "else the one its extension names).",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    events: Annotated[
        Path | None,
        _option(
            metavar="FILE",
            help="Also write the normalized sign-in rows: " + ", ".join(EVENT_FORMATS) + ".",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    section: Annotated[
        list[Section] | None,
        _option(
            metavar="S",
            case_sensitive=False,
            help="Only these report sections (repeatable): "
            + ", ".join(SECTION_NAMES)
            + "; `regions` only when collecting from AWS, `accounts` only with --org-role.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    rows: Annotated[
        int,
        _option(
            metavar="N",
            min=0,
            help="Rows per table in the terminal format (0: all). Other formats: all.",
            rich_help_panel=OUTPUT,
        ),
    ] = DEFAULT_ROWS,
    max_file_mb: Annotated[
        int,
        _option(
            metavar="N",
            min=1,
            help="Skip, with a warning, a --logs file that inflates to more than N MiB (a plain"
            " JSON Lines file is streamed instead: the limit applies to each of its lines).",
            rich_help_panel=SOURCES,
        ),
    ] = DEFAULT_MAX_FILE_BYTES // MIB,
    quiet: Annotated[
        bool,
        _flag(
            "--quiet",
            "-q",
            help="No progress display (warnings still shown).",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    history: Annotated[
        str | None,
        _option(
            metavar="DIR|URL",
            help="Keep every collected sign-in in a Parquet history (folder or s3://bucket/"
            "prefix). Without a source option, report from history alone.",
            rich_help_panel=AUDIT,
        ),
    ] = None,
    overlap: Annotated[
        int | None,
        _option(
            metavar="MIN",
            min=0,
            help="With --history: minutes before a source's progress mark to read again "
            "(CloudTrail delivers late; default 120).",
            rich_help_panel=AUDIT,
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        _option(
            metavar="FILE",
            help="Findings configuration (TOML): rules, allow-lists.",
            rich_help_panel=AUDIT,
        ),
    ] = None,
    fail_on: Annotated[
        Severity | None,
        _option(
            metavar="LEVEL",
            case_sensitive=False,
            help="Exit 1 when a finding at or above this severity exists: low, medium, high.",
            rich_help_panel=AUDIT,
        ),
    ] = None,
    strict: Annotated[
        bool,
        _flag(
            help="Exit 3 when any file, record, region or account had to be skipped.",
            rich_help_panel=AUDIT,
        ),
    ] = False,
    sns_topic: Annotated[
        str | None,
        _option(
            metavar="ARN",
            help="Publish a short summary to this SNS topic ARN.",
            rich_help_panel=AUDIT,
        ),
    ] = None,
    report_s3: Annotated[
        str | None,
        _option(
            metavar="URL", help="Also upload the report to s3://bucket/key.", rich_help_panel=AUDIT
        ),
    ] = None,
    profile: Annotated[
        str | None,
        _option(
            metavar="NAME",
            help="AWS profile (default: AWS_PROFILE, then the chain); serves every AWS call.",
            rich_help_panel=AWS,
        ),
    ] = None,
    region: Annotated[
        str | None,
        _option(
            metavar="REGION",
            help="WHERE CALLS GO: the region for discovery calls (DescribeRegions, "
            "DescribeTrails, sso-admin) and the session (default: AWS_REGION, else the "
            "profile's region, else us-east-1). "
            "Not what is read: see --regions.",
            rich_help_panel=AWS,
        ),
    ] = None,
    max_attempts: Annotated[
        int,
        _option(
            metavar="N",
            min=1,
            help="Attempts per AWS request, first included (throttling retries).",
            rich_help_panel=AWS,
        ),
    ] = DEFAULT_MAX_ATTEMPTS,
    external_id: Annotated[
        str | None,
        _option(
            metavar="ID",
            help="External ID the --org-role role's trust policy requires.",
            rich_help_panel=AWS,
        ),
    ] = None,
    role_session_name: Annotated[
        str | None,
        _option(
            metavar="NAME",
            help="Session name of the --org-role sessions (default: signin-report).",
            rich_help_panel=AWS,
        ),
    ] = None,
    engine: Annotated[
        Engine,
        _option(
            metavar="E",
            case_sensitive=False,
            help="For trail buckets: `local` downloads and scans the objects here; `athena` "
            "queries them in place with Amazon Athena.",
            rich_help_panel=SOURCES,
        ),
    ] = Engine.local,
    athena_output: Annotated[
        str | None,
        _option(
            metavar="URL",
            help="With --engine athena: s3://bucket/prefix/ for query results (default: the "
            "workgroup's).",
            rich_help_panel=ATHENA,
        ),
    ] = None,
    athena_workgroup: Annotated[
        str,
        _option(metavar="W", help="With --engine athena: the workgroup.", rich_help_panel=ATHENA),
    ] = "primary",
    athena_database: Annotated[
        str,
        _option(
            metavar="DB",
            help="With --engine athena: the Glue database of the tool's tables.",
            rich_help_panel=ATHENA,
        ),
    ] = DEFAULT_DATABASE,
    athena_table: Annotated[
        str | None,
        _option(
            metavar="DB.TABLE",
            help="With --engine athena: query this existing table instead.",
            rich_help_panel=ATHENA,
        ),
    ] = None,
    athena_max_scan: Annotated[
        float | None,
        _option(
            metavar="GB",
            help="With --engine athena: refuse a run whose listed objects exceed GB.",
            rich_help_panel=ATHENA,
        ),
    ] = None,
    version: Annotated[
        bool,
        _flag("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    try:
        _check_output(output)
        fmt = _report_format(format_asked, output)
        _check_events(events)
        _check_folder("--output", output)
        _check_folder("--events", events)
        _check_delivery(report_s3, sns_topic)
        athena = AthenaOptions(
            output=athena_output,
            workgroup=athena_workgroup,
            database=athena_database,
            table=athena_table,
            max_scan_gb=athena_max_scan,
        )
        if engine is not Engine.athena and athena != AthenaOptions():
            raise _usage("the --athena-* options need --engine athena")
        if overlap is not None and history is None:
            raise _usage("--overlap applies only with --history (it widens a source's re-read)")
        sources = Sources(
            logs=(*map(_stdin_dash, logs or ()), *((sample_path(),) if sample else ())),
            s3=tuple(s3 or ()),
            trails=tuple(trail or ()),
            discover_trails=source is SourceKind.trails,
            lookup=source is SourceKind.lookup,
            accounts=_split(accounts),
            regions=_split(regions),
            identity_center_region=identity_center_region,
            org_role=org_role,
            max_file_bytes=max_file_mb * MIB,
            engine=engine,
            athena=athena,
        )
        # Collected from AWS (event history, trail buckets, Athena): a regions section to show.
        live = not sources.logs and (sources.named or history is None)
        request = AuditRequest(
            window=_window(days, since, until),
            sources=sources,
            history=history,
            overlap=DEFAULT_OVERLAP if overlap is None else timedelta(minutes=overlap),
            findings=_config(config),
            delivery=Delivery(report_s3=report_s3, sns_topic=sns_topic),
            fail_on=fail_on,
            strict=strict,
            rendering=Rendering(
                format=fmt,
                sections=_check_sections(section or (), live, fmt, org=org_role is not None),
                max_rows=rows,
                color=output is None and sys.stdout.isatty() and fmt is OutputFormat.table,
                output=output,
                events=events,
                save_raw=save_raw,
                every_column=False,  # the command's frame is never handed out
                compact=True,
            ),
            aws=Aws(
                profile=profile,
                region=region,
                max_attempts=max_attempts,
                external_id=external_id,
                role_session_name=role_session_name,
            ),
        )
        check_request(request)
        code = exit_code(execute(request, quiet=quiet))
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
    """Console-script entry point: no traceback reaches the user unless asked for. The
    `signin-report` script enters through `analyzer.entry.launch.main`, which starts a `--logs`
    scan first."""
    try:
        code = app(prog_name=PROG, standalone_mode=False)
    except _TYPER_USAGE_ERROR as err:  # typer's own checks, worded like ours: one style
        message: str = getattr(err, "format_message", err.__str__)()
        message = message.replace(": Value error, ", ": ")  # pydantic's label for a ValueError
        _say("error", f"{message} (see {PROG} --help)")
        raise SystemExit(int(ExitCode.USAGE)) from None
    except typer.Abort:
        _say("error", "interrupted")
        raise SystemExit(INTERRUPTED) from None
    except SystemExit:
        # Everything left is freed by the exit; a last collection over pandas' and the
        # report's objects would only add about 0.1 s to a large run (benchmarks/).
        gc.freeze()
        raise
    except KeyboardInterrupt:
        _say("error", "interrupted")
        raise SystemExit(INTERRUPTED) from None
    except Exception as err:
        if os.environ.get("SIGNIN_REPORT_DEBUG"):
            raise
        _internal_error(err)
    if code == INTERRUPTED:  # typer turns Ctrl-C inside the command into exit code 130
        _say("error", "interrupted")
    gc.freeze()
    raise SystemExit(code if isinstance(code, int) else 0)
