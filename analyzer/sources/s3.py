"""CloudTrail trail log files in S3: single-account and organization layouts, listed by day.

Keys are `[prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`. Accounts
and regions are found with delimiter listings, and then only the day folders of the window
(plus one day after its end: folders are named by delivery date) are listed. A whole bucket is
never listed, and digest, Insights and other sibling folders are never entered. Objects are
fetched in parallel threads and go through the same byte scanner as files on disk; a failing
object or prefix is reported with its reason and the rest completes.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from analyzer.domain.coverage import Coverage, Problem, RegionCoverage
from analyzer.domain.scopes import KnownKeys, ScopeOutcome
from analyzer.domain.window import Window
from analyzer.sources.decode import FileResult, read_payload
from analyzer.sources.interface import RawRecord, Source
from analyzer.sources.tree import delivery_days

_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
FETCH_THREADS = 16
IN_FLIGHT_PER_THREAD = 4


class S3LocationError(ValueError):
    """An --s3 value that is not s3://bucket[/prefix]."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ends with "/"

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise S3LocationError(f"{url!r} is not an S3 URL (s3://bucket[/prefix])")
        prefix = parts.path.lstrip("/")
        folder = re.search(r"(?:^|/)AWSLogs/", prefix)  # the folder, not `team-AWSLogs/`
        if folder:
            at = folder.end() - len("AWSLogs/")
            inside = [n for n in prefix[at + len("AWSLogs/") :].split("/") if n]
            if inside[1:] or (inside and not _ORG.match(inside[0])):
                # A URL down to an account or region read the whole trail all the same: the
                # narrowing it meant was silently lost.
                raise S3LocationError(
                    f"{url!r} points inside a trail ({'/'.join(inside)}); give the trail's "
                    f"location, s3://{parts.netloc}/{prefix[:at]}, and narrow it with the "
                    "accounts and regions to read"
                )
            prefix = prefix[:at]
        elif prefix == "AWSLogs" or prefix.endswith("/AWSLogs"):
            prefix = prefix.removesuffix("AWSLogs")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(parts.netloc, prefix)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def _days(window: Window) -> list[date]:
    bounds = delivery_days(window)
    if bounds is None:
        raise ValueError("reading S3 needs a bounded window")
    first, last = bounds
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _error_text(err: Exception) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code", "Error"))
        message = str(error.get("Message", "")).strip()
        if code in {"KMS.AccessDeniedException", "KMS.NotFoundException"} or (
            "kms" in message.lower() and code == "AccessDenied"
        ):
            return f"{code}: {message} (the trail's KMS key needs kms:Decrypt for this reader)"
        return f"{code}: {message}" if message else code
    return f"{type(err).__name__}: {err}"


@dataclass
class _Scope:
    """One account and region of one location: what was listed and fetched there."""

    account: str
    region: str
    stats: RegionCoverage
    org: str | None = None
    name: str = ""  # the history's scope name: location#account/region
    read: dict[str, list[str]] = field(default_factory=dict)  # day -> object names read


@dataclass(frozen=True)
class _Object:
    scope: _Scope
    key: str
    size: int
    day: date | None = None
    name: str = ""  # the key after its day folder


@dataclass(frozen=True)
class ListedPartition:
    """The objects of one (account, region, delivery day) folder, listed but not read: what
    a query over that partition would scan."""

    org: str | None
    account: str
    region: str
    day: date
    objects: int
    bytes: int
    stats: RegionCoverage


_SHOWN_NAMES = 5  # found names listed in a "not found" problem


@dataclass
class AskedScopes:
    """The accounts and regions a run named, shared by the locations it reads: a name that
    no location holds is a problem (skipped input: `--strict` exits 3) once every location
    has been listed. A misspelt account gave an empty report, as if nobody had signed in.
    When a listing failed, nothing is claimed missing (that failure is reported already)."""

    accounts: frozenset[str] | None
    regions: frozenset[str] | None
    locations: int
    found_accounts: set[str] = field(default_factory=set)
    found_regions: set[str] = field(default_factory=set)
    unsure: bool = False  # a listing failed
    listed: int = 0

    @classmethod
    def of(
        cls, accounts: list[str] | None, regions: list[str] | None, locations: int
    ) -> AskedScopes | None:
        """What `locations` sources read with these filters must find (None: no filter)."""
        if not accounts and not regions:
            return None
        return cls(
            frozenset(accounts) if accounts else None,
            frozenset(regions) if regions else None,
            locations,
        )

    def found(self, accounts: set[str], regions: set[str], unsure: bool, cov: Coverage) -> None:
        self.found_accounts |= accounts
        self.found_regions |= regions
        self.unsure |= unsure
        self.listed += 1
        if self.listed != self.locations:
            return
        if self.unsure:
            return
        for account in sorted((self.accounts or set()) - self.found_accounts):
            cov.problems.append(
                Problem(
                    f"account {account}",
                    f"named in the accounts to read, but no location holds AWSLogs/{account}/ "
                    f"(found: {_names(self.found_accounts)})",
                    skipped=True,
                )
            )
        for region in sorted((self.regions or set()) - self.found_regions):
            cov.problems.append(
                Problem(
                    f"region {region}",
                    f"named in the regions to read, but no account read has a CloudTrail/"
                    f"{region}/ folder (found: {_names(self.found_regions)})",
                    skipped=True,
                )
            )


def _names(names: set[str]) -> str:
    shown = sorted(names)[:_SHOWN_NAMES]
    more = len(names) - len(shown)
    return (", ".join(shown) or "none") + (f" and {more} more" if more else "")


class S3TrailSource(Source):
    def __init__(
        self,
        client: Any,
        location: S3Location,
        window: Window,
        *,
        accounts: list[str] | None = None,
        regions: list[str] | None = None,
        threads: int = FETCH_THREADS,
        progress: Callable[[RegionCoverage], None] | None = None,
        asked: AskedScopes | None = None,
    ) -> None:
        self.client = client
        self.location = location
        self.days = _days(window)
        self.accounts = set(accounts) if accounts else None
        self.regions = set(regions) if regions else None
        self.asked = asked
        self._listing_failures = 0
        self.threads = threads
        self.progress = progress
        self.known: KnownKeys | None = None
        self.known_skipped = 0  # objects not fetched because a previous run read them
        self._scopes_read: list[_Scope] = []

    def scope_families(self) -> list[str]:
        return [f"{self.location}#"]

    def skip_known(self, known: KnownKeys) -> None:
        self.known = known

    def outcomes(self, coverage: Coverage) -> list[ScopeOutcome]:
        """An account/region is complete when its listings and every object read; the
        objects read completely are named either way, so none is read twice."""
        return [
            ScopeOutcome(
                scope.name,
                complete=scope.stats.reason is None and scope.stats.objects_failed == 0,
                keys={day: list(names) for day, names in scope.read.items()},
            )
            for scope in self._scopes_read
        ]

    def _children(self, prefix: str, coverage: Coverage) -> list[str]:
        """Names of the 'folders' directly under `prefix` (a delimiter listing)."""
        names: list[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=prefix, Delimiter="/"
            ):
                for common in page.get("CommonPrefixes", []):
                    names.append(str(common["Prefix"])[len(prefix) :].rstrip("/"))
        except (ClientError, BotoCoreError) as err:
            self._listing_failures += 1
            coverage.skip_file(f"s3://{self.location.bucket}/{prefix}", _error_text(err))
        return names

    def _scopes(self, coverage: Coverage) -> list[tuple[str, _Scope]]:
        root = f"{self.location.prefix}AWSLogs/"
        failures_before = self._listing_failures
        # (organization, account, key prefix of the account)
        accounts: list[tuple[str | None, str, str]] = []
        for name in self._children(root, coverage):
            if _ORG.match(name):
                for member in self._children(f"{root}{name}/", coverage):
                    if _ACCOUNT.match(member):
                        accounts.append((name, member, f"{root}{name}/{member}/"))
            elif _ACCOUNT.match(name):
                accounts.append((None, name, f"{root}{name}/"))
        if not accounts:
            coverage.skip_file(str(self.location), "no AWSLogs/<account>/ folders found")
        scopes: list[tuple[str, _Scope]] = []
        regions_seen: set[str] = set()  # under the accounts read, whether asked for or not
        for org, account, account_prefix in accounts:
            if self.accounts is not None and account not in self.accounts:
                continue
            for region in self._children(f"{account_prefix}CloudTrail/", coverage):
                regions_seen.add(region)
                if self.regions is not None and region not in self.regions:
                    continue
                stats = RegionCoverage(region=f"{account}/{region}", source=str(self.location))
                name = f"{self.location}#{account}/{region}"
                scopes.append(
                    (
                        f"{account_prefix}CloudTrail/{region}/",
                        _Scope(account, region, stats, org, name=name),
                    )
                )
        if self.asked is not None:
            self.asked.found(
                {account for _, account, _ in accounts},
                regions_seen,
                self._listing_failures > failures_before,
                coverage,
            )
        return scopes

    def _listed(self, scopes: list[tuple[str, _Scope]], coverage: Coverage) -> Iterator[_Object]:
        """Every log object of the window's day folders, listed one page at a time as the
        fetching needs them: the keys of a large organization trail are never all held."""
        paginator = self.client.get_paginator("list_objects_v2")
        for base, scope in scopes:
            for day in self.days:
                prefix = f"{base}{day:%Y/%m/%d}/"
                known = self.known(scope.name, day.isoformat()) if self.known else frozenset()
                try:
                    for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
                        scope.stats.pages += 1
                        for item in page.get("Contents", []):
                            key = str(item["Key"])
                            name = key[len(prefix) :]
                            if name in known:
                                self.known_skipped += 1
                                continue
                            yield _Object(scope, key, int(item.get("Size", 0)), day, name)
                except (ClientError, BotoCoreError) as err:
                    coverage.skip_file(f"s3://{self.location.bucket}/{prefix}", _error_text(err))
                    scope.stats.reason = _error_text(err)
                if self.progress:
                    self.progress(scope.stats)

    def partitions(self, coverage: Coverage) -> list[ListedPartition]:
        """Every (account, region, delivery day) of the window with the objects it holds,
        from listings alone (for a query engine that reads the objects where they lie); the
        account/region scopes go into `coverage.regions` with what was listed."""
        coverage.inputs.append(str(self.location))
        scopes = self._scopes(coverage)
        found: dict[tuple[int, date], list[int]] = {}
        for _, scope in scopes:
            coverage.regions.append(scope.stats)
            for day in self.days:
                found[(id(scope), day)] = [0, 0]
        started = time.monotonic()
        for item in self._listed(scopes, coverage):
            assert item.day is not None
            counts = found[(id(item.scope), item.day)]
            counts[0] += 1
            counts[1] += item.size
            item.scope.stats.objects += 1
            item.scope.stats.bytes += item.size
        listed: list[ListedPartition] = []
        for _, scope in scopes:
            scope.stats.seconds = time.monotonic() - started
            for day in self.days:
                objects, size = found[(id(scope), day)]
                listed.append(ListedPartition(
                    scope.org, scope.account, scope.region, day, objects, size, scope.stats
                ))  # fmt: skip
        return listed

    def _fetch(self, key: str, scanners: ThreadPoolExecutor) -> FileResult:
        name = f"s3://{self.location.bucket}/{key}"
        try:
            body = self.client.get_object(Bucket=self.location.bucket, Key=key)["Body"]
            payload = body.read()
        except (ClientError, BotoCoreError) as err:
            failed = FileResult(name)
            failed.coverage.skip_file(name, _error_text(err))
            return failed
        return scanners.submit(read_payload, payload, name).result()

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        """Objects are fetched in `threads` threads, at most IN_FLIGHT_PER_THREAD per thread
        requested ahead of the one being handed over, so memory follows the threads, not the
        bucket. They are inflated and scanned in one thread per core (libdeflate and the byte
        search release the GIL): the inflated buffers then come from as many malloc arenas as
        there are cores, not one per fetching thread (35 MB less at peak in the benchmark)."""
        coverage.inputs.append(str(self.location))
        scopes = self._scopes(coverage)
        self._scopes_read = [scope for _, scope in scopes]
        for _, scope in scopes:
            coverage.regions.append(scope.stats)
        started = time.monotonic()
        ahead = self.threads * IN_FLIGHT_PER_THREAD
        in_flight: deque[tuple[_Object, Future[FileResult]]] = deque()
        listed = self._listed(scopes, coverage)
        with (
            ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as scanners,
            ThreadPoolExecutor(max_workers=self.threads) as pool,
        ):
            while True:
                for item in itertools.islice(listed, ahead - len(in_flight)):
                    in_flight.append((item, pool.submit(self._fetch, item.key, scanners)))
                if not in_flight:
                    break
                item, future = in_flight.popleft()
                result = future.result()
                stats = item.scope.stats
                coverage.merge(result.coverage)
                stats.objects += 1
                stats.bytes += item.size
                stats.events += len(result.candidates)
                if any(p.skipped for p in result.coverage.problems):
                    stats.objects_failed += 1
                else:
                    day = item.day.isoformat() if item.day else ""
                    item.scope.read.setdefault(day, []).append(item.name)
                yield from result.candidates
                if self.progress:
                    self.progress(stats)
        for _, scope in scopes:
            scope.stats.seconds = time.monotonic() - started
            scope.stats.status = "failed" if scope.stats.reason else "ok"
            if self.progress:
                self.progress(scope.stats)
