"""Sign-in records from Amazon Athena queries over a trail bucket, read where it lies.

Each planned query is started, polled with backoff until it ends, stopped if the user
interrupts, and retried only when Athena says the failure is retryable; a query that fails
for good is one problem line with Athena's reason, and the other queries still run. Result
rows (leaf fields) are turned back into CloudTrail records, so they go through the same
normalizer as records read from files.

Results are read through GetQueryResults (1,000 rows a page) up to a few pages; a larger
result is read from the CSV file Athena writes to the output location, in one streamed GET,
instead of paging a million rows through the API.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from analyzer.domain.coverage import Coverage, Problem, QueryCoverage, RegionCoverage
from analyzer.sources.athena_table import PlannedQuery, record_from_row
from analyzer.sources.interface import RawRecord, Source
from analyzer.sources.s3 import ListedPartition

Row = dict[str, str | None]
PAGE_ROWS = 1000
RUNNING = frozenset({"QUEUED", "RUNNING"})


class QueryFailed(Exception):
    """A query that ended without results; the message is one line with Athena's reason."""


@dataclass(frozen=True)
class RunnerSettings:
    """`results`: `auto` (GetQueryResults for up to `api_pages` pages, then the result file),
    `api` (GetQueryResults only) or `csv` (the result file only)."""

    database: str
    workgroup: str = "primary"
    output: str | None = None  # None when the workgroup enforces its own location
    results: str = "auto"
    api_pages: int = 10
    attempts: int = 3  # for failures Athena marks retryable
    first_poll: float = 0.5
    longest_poll: float = 5.0


class QueryRunner(Protocol):
    def run(
        self, query: PlannedQuery, stats: QueryCoverage, update: Callable[[], None]
    ) -> Iterator[Row]:
        """Rows of one query (alias -> text or None); fills `stats` as the query runs and
        calls `update` after each change; raises QueryFailed."""
        ...


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _client_error(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return _one_line(f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": "))
    return _one_line(f"{type(err).__name__}: {err}")


class AthenaRunner:
    """Runs queries through boto3 clients from the run's one session."""

    def __init__(
        self,
        athena: Any,
        s3: Any,
        settings: RunnerSettings,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.athena = athena
        self.s3 = s3
        self.settings = settings
        self.sleep = sleep

    def _start(self, sql: str) -> str:
        request: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {
                "Database": self.settings.database,
                "Catalog": "AwsDataCatalog",
            },
            "WorkGroup": self.settings.workgroup,
            "ClientRequestToken": str(uuid.uuid4()),
        }
        if self.settings.output:
            request["ResultConfiguration"] = {"OutputLocation": self.settings.output}
        try:
            return str(self.athena.start_query_execution(**request)["QueryExecutionId"])
        except (ClientError, BotoCoreError) as err:
            raise QueryFailed(f"StartQueryExecution refused: {_client_error(err)}") from None

    def _wait(
        self, query_id: str, stats: QueryCoverage, update: Callable[[], None]
    ) -> dict[str, Any]:
        delay = self.settings.first_poll
        started = time.monotonic()
        while True:
            try:
                execution = dict(
                    self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
                )
            except (ClientError, BotoCoreError) as err:
                raise QueryFailed(f"GetQueryExecution failed: {_client_error(err)}") from None
            status = execution.get("Status", {})
            stats.state = str(status.get("State", "UNKNOWN"))
            statistics = execution.get("Statistics", {})
            stats.bytes_scanned = int(statistics.get("DataScannedInBytes", 0) or 0)
            total = int(statistics.get("TotalExecutionTimeInMillis", 0) or 0)
            stats.seconds = total / 1000 if total else time.monotonic() - started
            update()
            if stats.state not in RUNNING:
                return execution
            self.sleep(delay)
            delay = min(delay * 2, self.settings.longest_poll)

    def _stop(self, query_id: str) -> None:
        # the user is leaving; a query we could not stop times out on its own
        with contextlib.suppress(ClientError, BotoCoreError):
            self.athena.stop_query_execution(QueryExecutionId=query_id)

    def run(
        self, query: PlannedQuery, stats: QueryCoverage, update: Callable[[], None]
    ) -> Iterator[Row]:
        for attempt in range(1, self.settings.attempts + 1):
            stats.attempts = attempt
            query_id = self._start(query.sql)
            stats.query_id = query_id
            stats.state = "QUEUED"
            update()
            try:
                execution = self._wait(query_id, stats, update)
            except KeyboardInterrupt:
                self._stop(query_id)
                stats.state = "CANCELLED"
                stats.reason = "stopped by the user"
                raise
            if stats.state == "SUCCEEDED":
                yield from self._rows(query_id, execution, stats)
                return
            status = execution.get("Status", {})
            error = status.get("AthenaError", {})
            reason = _one_line(
                str(status.get("StateChangeReason") or error.get("ErrorMessage") or "no reason")
            )
            stats.reason = reason
            retryable = bool(error.get("Retryable"))
            if stats.state == "FAILED" and retryable and attempt < self.settings.attempts:
                continue
            tail = f" (retryable, gave up after {attempt} attempts)" if retryable else ""
            raise QueryFailed(f"{stats.state}: {reason}{tail}")

    def _rows(
        self, query_id: str, execution: dict[str, Any], stats: QueryCoverage
    ) -> Iterator[Row]:
        read = 0
        if self.settings.results in {"auto", "api"}:
            token: str | None = None
            header: list[str] = []
            pages = 0
            while True:
                request: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": PAGE_ROWS}
                if token:
                    request["NextToken"] = token
                try:
                    page = self.athena.get_query_results(**request)
                except (ClientError, BotoCoreError) as err:
                    raise QueryFailed(f"GetQueryResults failed: {_client_error(err)}") from None
                pages += 1
                result = page.get("ResultSet", {})
                if not header:
                    info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                    header = [str(c["Name"]) for c in info]
                values = [
                    [d.get("VarCharValue") for d in r.get("Data", [])]
                    for r in result.get("Rows", [])
                ]
                if pages == 1 and values and values[0] == header:
                    values = values[1:]  # Athena's first row of a SELECT is the header
                for value in values:
                    read += 1
                    stats.rows = read
                    yield dict(zip(header, value, strict=False))
                token = page.get("NextToken")
                if not token:
                    return
                if self.settings.results == "auto" and pages >= self.settings.api_pages:
                    break
        output = execution.get("ResultConfiguration", {}).get("OutputLocation")
        if not output:
            raise QueryFailed("the query names no result file (ResultConfiguration.OutputLocation)")
        for n, row in enumerate(self._csv_rows(str(output))):
            if n >= read:
                stats.rows = n + 1
                yield row

    def _csv_rows(self, url: str) -> Iterator[Row]:
        """Athena's result file: a header line, then every row (values quoted, quotes doubled).
        An empty field is a null or an empty string, which the record rebuild treats alike."""
        parts = urlsplit(url)
        try:
            body = self.s3.get_object(Bucket=parts.netloc, Key=parts.path.lstrip("/"))["Body"]
        except (ClientError, BotoCoreError) as err:
            raise QueryFailed(f"cannot read the result file {url}: {_client_error(err)}") from None
        lines = codecs.iterdecode(body.iter_lines(keepends=True), "utf-8")
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
            if header is None:
                return
            for values in reader:
                yield {
                    name: (value if value != "" else None)
                    for name, value in zip(header, values, strict=False)
                }
        except (BotoCoreError, OSError, UnicodeDecodeError, csv.Error) as err:
            # A download cut mid-stream (the case of every result over the API's pages) fails
            # this query, as a failed GetQueryResults does; the rows before it are kept.
            raise QueryFailed(
                f"cannot read the result file {url} after line {reader.line_num}: "
                f"{_client_error(err)}"
            ) from None


@dataclass(frozen=True)
class QueryJob:
    """One planned query and the listed partitions it names (its projected scan)."""

    query: PlannedQuery
    partitions: tuple[ListedPartition, ...]

    @property
    def projected_bytes(self) -> int:
        return sum(p.bytes for p in self.partitions)


class AthenaSource(Source):
    """The queries of one run. `listing` is the coverage of the S3 listings that sized them
    (accounts and regions found, objects and bytes listed, listing failures)."""

    def __init__(
        self,
        jobs: Sequence[QueryJob],
        listing: Coverage,
        runner: QueryRunner,
        progress: Callable[[RegionCoverage], None] | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.listing = listing
        self.runner = runner
        self.progress = progress

    def _update(self, stats: QueryCoverage, shown: RegionCoverage) -> None:
        if self.progress is None:
            return
        shown.status = {"SUCCEEDED": "ok", "FAILED": "failed", "CANCELLED": "failed"}.get(
            stats.state, stats.state.lower()
        )
        shown.bytes, shown.events, shown.seconds = stats.bytes_scanned, stats.rows, stats.seconds
        self.progress(shown)

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        coverage.inputs.extend(self.listing.inputs)
        coverage.regions.extend(self.listing.regions)
        coverage.merge(self.listing)
        scopes = {(p.account, p.region): p.stats for job in self.jobs for p in job.partitions}
        failed: dict[int, str] = {}
        for number, job in enumerate(self.jobs, 1):
            stats = QueryCoverage(None, job.query.table, projected_bytes=job.projected_bytes)
            coverage.queries.append(stats)
            shown = RegionCoverage(
                region=f"query {number}/{len(self.jobs)}", source=f"athena:{job.query.table}"
            )
            try:
                update = functools.partial(self._update, stats, shown)
                rows = self.runner.run(job.query, stats, update)
                for n, row in enumerate(rows):
                    coverage.records_scanned += 1
                    scope = scopes.get((str(row.get("account")), str(row.get("region"))))
                    if scope is not None:
                        scope.events += 1
                    yield RawRecord(record_from_row(row), f"athena:{stats.query_id}#{n}")
            except QueryFailed as err:
                stats.reason = str(err)
                coverage.problems.append(
                    Problem(f"athena query {stats.query_id or number}", str(err), skipped=True)
                )
                for partition in job.partitions:
                    failed[id(partition.stats)] = str(err)
                self._update(stats, shown)
                continue
            coverage.files_read += sum(p.objects for p in job.partitions)
            self._update(stats, shown)
        for stats_of_scope in {id(s): s for s in scopes.values()}.values():
            reason = failed.get(id(stats_of_scope)) or stats_of_scope.reason
            stats_of_scope.reason = reason
            stats_of_scope.status = "failed" if reason else "ok"
