"""`--engine athena` setup: list what the window covers, refuse a scan over the limit, make
sure each location's table exists and is current, and plan the queries.

Everything here happens before the first query: the projected scan is the listed size of
the partitions the queries will name, so `--athena-max-scan` refuses a run that would cost
more before anything is spent. Only listings touch the trail bucket; no trail object is read
on this machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from analyzer.domain.coverage import Coverage, RegionCoverage
from analyzer.domain.errors import AwsSetupError, LiveSetupError
from analyzer.domain.window import Window
from analyzer.sources.athena import (
    AthenaRunner,
    AthenaSource,
    QueryJob,
    QueryRunner,
    RunnerSettings,
)
from analyzer.sources.athena_table import (
    AthenaOptions,
    AthenaPlanError,
    Limits,
    TableLocation,
    delivery_day_range,
    differs,
    is_region,
    missing_columns,
    name_literal,
    plan_queries,
    projected_regions,
    table_input,
)
from analyzer.sources.s3 import AskedScopes, ListedPartition, S3Location, S3TrailSource

GB = 1e9


class ScanLimitExceeded(LiveSetupError):
    """The window's partitions hold more than --athena-max-scan allows."""


def _glue_error(err: Exception, what: str) -> AwsSetupError:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return AwsSetupError(f"{what}: {error.get('Code')}: {error.get('Message', '')}".rstrip())
    return AwsSetupError(f"{what}: {err}")


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def ensure_database(glue: Any, database: str) -> None:
    try:
        glue.get_database(Name=database)
        return
    except ClientError as err:
        if _code(err) != "EntityNotFoundException":
            raise _glue_error(err, f"Glue GetDatabase {database}") from None
    try:
        glue.create_database(
            DatabaseInput={
                "Name": database,
                "Description": "signin-report: CloudTrail tables with partition projection",
            }
        )
    except ClientError as err:
        if _code(err) != "AlreadyExistsException":
            raise _glue_error(err, f"Glue CreateDatabase {database}") from None


def _get_table(glue: Any, database: str, name: str) -> dict[str, Any] | None:
    try:
        return dict(glue.get_table(DatabaseName=database, Name=name)["Table"])
    except ClientError as err:
        if _code(err) == "EntityNotFoundException":
            return None
        raise _glue_error(err, f"Glue GetTable {database}.{name}") from None


def ensure_table(glue: Any, database: str, location: TableLocation, regions: set[str]) -> str:
    """Create the location's table, or update it when it differs from ours (a region that
    appeared, a changed definition); leave it alone otherwise. Returns its name."""
    name = location.table_name()
    existing = _get_table(glue, database, name)
    wanted = table_input(location, regions | projected_regions(existing), name)
    try:
        if existing is None:
            glue.create_table(DatabaseName=database, TableInput=wanted)
        elif differs(existing, wanted):
            glue.update_table(DatabaseName=database, TableInput=wanted)
    except (ClientError, BotoCoreError) as err:
        raise _glue_error(err, f"Glue table {database}.{name}") from None
    return name


def check_existing_table(glue: Any, qualified: str) -> tuple[str, str]:
    """`--athena-table db.table`: it must exist and have every column the queries read."""
    database, table = _split(qualified)
    found = _get_table(glue, database, table)
    if found is None:
        raise LiveSetupError(f"--athena-table {qualified}: no such table in the Glue catalog")
    missing = missing_columns(found)
    if missing:
        raise LiveSetupError(
            f"--athena-table {qualified} lacks columns the sign-in queries read: "
            + ", ".join(missing)
        )
    return database, table


def _table_location(location: S3Location, partition: ListedPartition) -> TableLocation:
    return TableLocation(location.bucket, location.prefix, partition.org)


def _scan_text(size: int) -> str:
    return f"{size / GB:.3f} GB"


def athena_runner(
    session: Any, s3: Any, options: AthenaOptions, *, region: str, config: Any
) -> AthenaRunner:
    """The runner for real Athena, with a client from the run's session."""
    check_options(options)
    database = _split(options.table)[0] if options.table else options.database
    return AthenaRunner(
        session.client("athena", region_name=region, config=config),
        s3,
        RunnerSettings(
            database=database,
            workgroup=options.workgroup,
            output=options.output,
            results=options.results,
        ),
    )


def list_partitions(
    window: Window,
    locations: Sequence[S3Location],
    s3: Any,
    listing: Coverage,
    accounts: list[str] | None,
    regions: list[str] | None,
) -> dict[TableLocation, list[ListedPartition]]:
    """The window's partitions per table location, from listings only; a folder under
    CloudTrail/ that is not a region name is reported and never queried."""
    by_table: dict[TableLocation, list[ListedPartition]] = {}
    reported: set[tuple[str, str]] = set()
    asked = AskedScopes.of(accounts, regions, len(locations))
    for location in locations:
        source = S3TrailSource(
            s3, location, window, accounts=accounts, regions=regions, asked=asked
        )
        for partition in source.partitions(listing):
            if is_region(partition.region):
                by_table.setdefault(_table_location(location, partition), []).append(partition)
            elif (partition.account, partition.region) not in reported:
                reported.add((partition.account, partition.region))
                listing.skip_file(
                    f"{location}AWSLogs/.../{partition.account}/CloudTrail/{partition.region}/",
                    "folder name is not an AWS region; not queried",
                )
    return by_table


def check_scan(by_table: dict[TableLocation, list[ListedPartition]], limit: float | None) -> None:
    """--athena-max-scan: refuse before any query when the listed objects exceed it."""
    projected = sum(p.bytes for found in by_table.values() for p in found)
    if limit is not None and projected > limit * GB:
        objects = sum(p.objects for found in by_table.values() for p in found)
        raise ScanLimitExceeded(
            f"the window's partitions hold {_scan_text(projected)} in {objects} objects, over "
            f"--athena-max-scan {limit:g} GB; narrow the window, --accounts or --regions, or "
            "raise the limit"
        )


def _jobs(
    database: str,
    table: str,
    partitions: list[ListedPartition],
    window: Window,
    limits: Limits | None,
) -> list[QueryJob]:
    assert window.since is not None
    assert window.until is not None
    first, last = delivery_day_range(window.since, window.until)
    try:
        queries = plan_queries(
            database,
            table,
            {p.account for p in partitions},
            {p.region for p in partitions},
            first,
            last,
            window.since,
            window.until,
            limits,
        )
    except AthenaPlanError as err:
        raise LiveSetupError(str(err)) from None
    return [
        QueryJob(q, tuple(p for p in partitions if q.covers(p.account, p.region, p.day)))
        for q in queries
    ]


def plan_athena(
    window: Window,
    locations: Sequence[S3Location],
    options: AthenaOptions,
    *,
    s3: Any,
    glue: Any,
    runner: QueryRunner,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    progress: Callable[[RegionCoverage], None] | None = None,
    limits: Limits | None = None,
) -> AthenaSource:
    """One source running every query of the run: listings first (projected scan, accounts
    and regions per location), then tables, then the queries' plan."""
    if window.since is None or window.until is None:
        raise LiveSetupError("--engine athena needs a bounded window")
    check_options(options)
    listing = Coverage()
    by_table = list_partitions(window, locations, s3, listing, accounts, regions)
    check_scan(by_table, options.max_scan_gb)
    existing = check_existing_table(glue, options.table) if options.table else None
    if existing is None and by_table:
        ensure_database(glue, options.database)
    jobs: list[QueryJob] = []
    for table_location, partitions in by_table.items():
        if existing is not None:
            database, table = existing
        else:
            database = options.database
            table = ensure_table(glue, database, table_location, {p.region for p in partitions})
        jobs.extend(_jobs(database, table, partitions, window, limits))
    return AthenaSource(jobs, listing, runner, progress=progress)


def check_options(options: AthenaOptions) -> None:
    """The forms of the `--athena-*` values: checked before the run finds credentials (a
    misspelt table name is a usage error, not a missing-credentials one)."""
    if options.output is not None and not options.output.startswith("s3://"):
        raise LiveSetupError(
            f"--athena-output {options.output!r} is not an s3://bucket/prefix/ URL"
        )
    if options.table:
        _split(options.table)
        return
    try:
        name_literal(options.database, "--athena-database")
    except AthenaPlanError as err:
        raise LiveSetupError(str(err)) from None


def _split(qualified: str) -> tuple[str, str]:
    database, _, table = qualified.partition(".")
    try:
        return (
            name_literal(database, "--athena-table database"),
            name_literal(table, "--athena-table table"),
        )
    except AthenaPlanError as err:
        raise LiveSetupError(f"{err} (expected database.table)") from None
