"""CloudTrail event history (LookupEvents), every region in parallel, each region paced.

Event history is per region, and a console sign-in is logged in the region of the endpoint
used: a collector that reads only us-east-1 silently misses sign-ins. Each region gets its
own client (made up front, in the calling thread) and its own pacer; regions run in threads.
A region that fails is reported with its reason while the others complete.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from analyzer.domain.coverage import Coverage, RegionCoverage
from analyzer.domain.scopes import ScopeOutcome
from analyzer.normalize.fields import safe
from analyzer.sources.decode import lookup_event_record
from analyzer.sources.interface import RawRecord, Source
from analyzer.sources.pacing import LOOKUP_INTERVAL, Pacer

PAGE_SIZE = 50
THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)
NOT_ENABLED_CODES = frozenset(
    {"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "OptInRequired"}
)

LOOKUP_THREADS = 64  # jobs at once: a paced job mostly sleeps, so threads are cheap
ProgressCallback = Callable[[RegionCoverage], None]
LOOKUP_SCOPE = "lookup:"  # history scopes: lookup:[<account>/]<region>:<event source>


@dataclass
class _RegionRun:
    coverage: RegionCoverage
    records: list[RawRecord] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    bad_page: str | None = None  # why the last answer was not a page, retries exhausted


@dataclass(frozen=True)
class LookupJob:
    """One (region, event source) to read, with its ready-made client; `account` is set in
    an organization run, whose clients carry that account's credentials."""

    region: str
    event_source: str
    client: Any
    account: str | None = None


_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
REASON_CHARS = 160


def short_reason(message: str) -> str:
    """One line of what a service said, never a response body: an HTML or XML page (a proxy
    or load balancer answering for AWS) is cut down to its title or first text."""
    if "<" in message and ">" in message:
        title = _TITLE.search(message)
        message = title.group(1) if title else _TAG.sub(" ", message)
    words = " ".join(message.split())
    return words if len(words) <= REASON_CHARS else words[: REASON_CHARS - 1] + "…"


class BadPage(Exception):
    """A LookupEvents answer that does not parse as one (a body cut short), after retries."""


def _describe(err: Exception, operation: str = "LookupEvents") -> str:
    """`LookupEvents: <code>: <short reason> (HTTP <status>, <n> attempts)` plus a hint."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        meta = err.response.get("ResponseMetadata", {})
        code = str(error.get("Code", "Error"))
        message = short_reason(str(error.get("Message", "")))
        status = meta.get("HTTPStatusCode")
        text = f"{operation}: {code}: {message}" if message else f"{operation}: {code}"
        done = f"HTTP {status}" if status else ""
        if "RetryAttempts" in meta:
            attempts = int(meta["RetryAttempts"]) + 1
            done += f", {attempts} attempt{'s' if attempts != 1 else ''}"
        details = [done.lstrip(", ")] if done else []
        if code in NOT_ENABLED_CODES:
            details.append("is the region enabled for this account?")
        if code in THROTTLING_CODES:
            details.append("retries exhausted; raise --max-attempts")
        return f"{text} ({'; '.join(details)})" if details else text
    if isinstance(err, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return f"{operation}: unreachable endpoint: {short_reason(str(err))}"
    if isinstance(err, BadPage):
        return f"{operation}: {err}"
    return f"{operation}: {type(err).__name__}: {short_reason(str(err))}"


def _answer_problem(http_response: Any) -> str | None:
    """Why a 200 answer is not a LookupEvents page, or None when it is one. botocore reads a
    body that is not JSON as an empty answer, which would end the pagination early and leave
    the region `ok` with its events missing."""
    try:
        answer = json.loads(http_response.content)
    except (ValueError, RecursionError):
        return "answer is not JSON (cut short?)"
    if not isinstance(answer, dict) or not isinstance(answer.get("Events", []), list):
        return "answer is not a LookupEvents page"
    return None


class LookupEventsSource(Source):
    def __init__(
        self,
        jobs: list[LookupJob],
        *,
        since: datetime,
        until: datetime,
        interval: float = LOOKUP_INTERVAL,
        progress: ProgressCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_workers: int = LOOKUP_THREADS,
        later: Iterable[LookupJob] = (),
    ) -> None:
        """`later` jobs become ready while the collection runs (an organization's accounts,
        as each is set up); the pool starts each as it arrives."""
        self.jobs = list(jobs)
        self.since = since
        self.until = until
        self.progress = progress
        self.max_workers = max(1, max_workers)
        self._later = later
        self._clock = clock
        self._new_pacer: Callable[[], Pacer] = lambda: Pacer(interval, clock=clock, sleep=sleep)
        self._runs: dict[int, _RegionRun] = {}
        # the quota is per account and region: jobs of one (account, region) share a pacer
        self._pacers: dict[tuple[str | None, str], Pacer] = {}
        for job in self.jobs:
            self._prepare(job)

    def _prepare(self, job: LookupJob) -> None:
        coverage = RegionCoverage(job.region, job.event_source, account=job.account)
        run = _RegionRun(coverage)
        self._runs[id(job)] = run
        pacer = self._pacers.setdefault((job.account, job.region), self._new_pacer())
        self._instrument(job, run, pacer)

    def _instrument(self, job: LookupJob, run: _RegionRun, pacer: Pacer) -> None:
        """Hooks on the client's own event system, registered here in the calling thread:
        every HTTP attempt (retries included) waits for the pacer and is counted, and every
        throttling answer is counted before botocore's retry handler backs off."""
        stats = run.coverage
        retries = getattr(job.client.meta.config, "retries", None) or {}
        most = int(retries.get("total_max_attempts") or retries.get("max_attempts", 0) + 1 or 1)

        def before_send(**_: Any) -> None:
            pacer.wait()
            stats.attempts += 1

        def answered(**_: Any) -> None:
            pacer.answered()

        def needs_retry(response: Any = None, attempts: int = 1, **_: Any) -> int | None:
            """Counts throttling; a 200 whose body is not a page is retried like a failed
            request (paced by `before_send`), and marks the region failed once retries are
            exhausted."""
            if not (isinstance(response, tuple) and len(response) == 2):
                return None
            http_response, parsed = response
            code = parsed.get("Error", {}).get("Code")
            if code in THROTTLING_CODES:
                stats.throttles += 1
            if getattr(http_response, "status_code", None) != 200:
                return None
            run.bad_page = _answer_problem(http_response)
            if run.bad_page is not None and attempts < most:
                return 0
            return None

        events = job.client.meta.events
        # first, so the wait happens before anything answers or sends the request
        events.register_first("before-send.cloudtrail.LookupEvents", before_send)
        events.register("before-parse.cloudtrail.LookupEvents", answered)
        events.register("needs-retry.cloudtrail.LookupEvents", needs_retry)

    def _read_region(self, job: LookupJob) -> _RegionRun:
        run = self._runs[id(job)]
        stats = run.coverage
        started = self._clock()
        paginator = job.client.get_paginator("lookup_events")
        pages = paginator.paginate(
            LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": job.event_source}],
            StartTime=self.since,
            EndTime=self.until,
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        try:
            for page in pages:
                if run.bad_page is not None:
                    raise BadPage(f"{run.bad_page} ({stats.attempts} attempts)")
                stats.pages += 1
                for event in page.get("Events", []):
                    self._take(self._place(job), event, run)
                if self.progress:
                    self.progress(stats)
            stats.status = "ok"
        except (ClientError, BotoCoreError, BadPage) as err:
            stats.status = "failed"
            stats.reason = _describe(err)
        stats.retries = max(0, stats.attempts - stats.pages - (stats.status == "failed"))
        stats.seconds = self._clock() - started
        if self.progress:
            self.progress(stats)
        return run

    @staticmethod
    def _place(job: LookupJob) -> str:
        return f"{job.account}/{job.region}" if job.account else job.region

    @staticmethod
    def _take(place: str, event: object, run: _RegionRun) -> None:
        """One bad event (not JSON, too deep, a number too long) costs that event only;
        `place` is the region, or account/region in an organization run."""
        event_id = event.get("EventId", "?") if isinstance(event, Mapping) else "?"
        where = f"lookup {place} event {safe(str(event_id))}"
        record, reason = lookup_event_record(event)
        if reason is not None:
            run.rejected.append((where, reason))
            return
        run.coverage.events += 1
        run.records.append(RawRecord(record, where))

    def scope_families(self) -> list[str]:
        return [LOOKUP_SCOPE]

    def outcomes(self, coverage: Coverage) -> list[ScopeOutcome]:
        """One scope per region (account/region in an organization run, so one account's
        success never clears another's failure) and event source; a failed region keeps its
        progress."""
        return [
            ScopeOutcome(
                f"{LOOKUP_SCOPE}{self._place(job)}:{job.event_source}",
                complete=self._runs[id(job)].coverage.status == "ok",
            )
            for job in self.jobs
        ]

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        if self.progress:
            for job in self.jobs:  # every region shows from the start, not at its first page
                self.progress(self._runs[id(job)].coverage)
        # threads are started as jobs are submitted, never more than there are jobs
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            futures = {pool.submit(self._read_region, job): job for job in self.jobs}
            for job in self._later:  # may wait for set-up while the jobs submitted run
                self._prepare(job)
                if self.progress:
                    self.progress(self._runs[id(job)].coverage)
                self.jobs.append(job)
                futures[pool.submit(self._read_region, job)] = job
            for future in as_completed(futures):
                run = future.result()
                coverage.regions.append(run.coverage)
                coverage.inputs.append(
                    f"lookup:{self._place(futures[future])}:{run.coverage.source}"
                )
                if run.coverage.status == "failed":
                    coverage.fail_region(run.coverage)
                coverage.records_scanned += len(run.records) + len(run.rejected)
                for where, reason in run.rejected:
                    coverage.reject_record(where, reason)
                yield from run.records
                run.records.clear()
        coverage.regions.sort(key=lambda r: (r.account or "", r.region, r.source))
