"""Live collection from the account's CloudTrail event history: credentials, regions, one
paced LookupEvents job per region (and for IAM Identity Center's portal events when asked)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from analyzer.aws.organization import (
    ACTIVE,
    Clock,
    OrgAccount,
    RoleSettings,
    assumed_credentials,
    caller_account,
    error_code,
    list_accounts,
    management_account,
    member_session,
    role_arn,
    utc_now,
)
from analyzer.aws.regions import enabled_regions
from analyzer.aws.session import GLOBAL_REGION, client_config, discovery_region, partition_of
from analyzer.domain.coverage import AccountCoverage, RegionCoverage
from analyzer.domain.errors import REMEDY_TEXT, LiveSetupError, Remedy
from analyzer.domain.window import Window
from analyzer.normalize.selection import IDENTITY_CENTER_SOURCES, SIGNIN_SOURCE
from analyzer.sources.interface import Source
from analyzer.sources.lookup import LOOKUP_THREADS, LookupEventsSource, LookupJob
from analyzer.sources.organization import OrganizationSource

if TYPE_CHECKING:
    from analyzer.frame.collect import Collection
    from analyzer.sources.athena_table import AthenaOptions

EVENT_HISTORY_DAYS = 90
# The window was resolved from a clock read a moment before the check's: `--days 90` starts
# milliseconds before "90 days ago" by the time it is checked, and was refused.
HISTORY_CLOCK_SLACK = timedelta(minutes=5)
ENGINES = ("local", "athena")
# LookupEvents filters on one event source per request: the portal's sign-ins (sso) and the
# tokens of `aws sso login` (sso-oauth CreateToken) are two lookups per region. Asking for
# the portal alone left CreateToken out of live runs while trail files counted it.
IDENTITY_CENTER_LOOKUPS = tuple(sorted(IDENTITY_CENTER_SOURCES))


@dataclass(frozen=True)
class Plan:
    """Ready sources, and what setup found worth telling the user (refused regions, trails
    that cannot see every sign-in)."""

    sources: list[Source]
    warnings: tuple[str, ...]

    def collect(self, window: Window) -> Collection:
        """For the Python API: the setup warnings go into the coverage, since the library
        never prints."""
        from analyzer.frame.collect import collect

        collection = collect(self.sources, window)
        for warning in self.warnings:
            collection.coverage.flag_record("setup", warning)
        return collection


def check_history_window(window: Window, now: datetime) -> None:
    """LookupEvents only holds 90 days; asking for more would silently return less."""
    oldest = now - timedelta(days=EVENT_HISTORY_DAYS) - HISTORY_CLOCK_SLACK
    if window.since is not None and window.since < oldest:
        raise LiveSetupError(
            f"CloudTrail event history (LookupEvents) keeps {EVENT_HISTORY_DAYS} days, and the "
            f"window starts {window.since.date().isoformat()}",
            Remedy.read_trail_files,
        )


def identity_center_regions(
    session: boto3.Session, regions: tuple[str, ...], config: Config
) -> tuple[list[str], list[str]]:
    """Regions holding an IAM Identity Center instance (sso-admin ListInstances), asked in
    parallel; regions that refuse are reported, not fatal."""

    def probe(region: str) -> tuple[str, bool, str | None]:
        try:
            client = session.client("sso-admin", region_name=region, config=config)
            found = client.list_instances().get("Instances", [])
        except (ClientError, BotoCoreError) as err:
            return region, False, str(err)
        return region, bool(found), None

    with ThreadPoolExecutor(max_workers=min(16, len(regions) or 1)) as pool:
        answers = list(pool.map(probe, regions))
    found = [region for region, present, _ in answers if present]
    refused = [f"region {r}: Identity Center detection failed ({e})" for r, _, e in answers if e]
    if not found:
        refused.append(
            "no IAM Identity Center instance found in "
            + (f"region {regions[0]}; " if len(regions) == 1 else f"{len(regions)} regions; ")
            + REMEDY_TEXT[Remedy.identity_center_region]
        )
    return found, refused


def plan_lookup(
    session: boto3.Session,
    window: Window,
    *,
    region: str | None = None,
    regions: list[str] | None = None,
    max_attempts: int = 8,
    identity_center_region: str | None = None,
    progress: Callable[[RegionCoverage], None] | None = None,
) -> Plan:
    if window.since is None or window.until is None:
        raise LiveSetupError("live collection needs a bounded window", Remedy.bounded_window)
    where = discovery_region(session, region)
    config = client_config(max_attempts, pool_size=4)
    region_set = enabled_regions(session, where, config, regions)
    warnings = list(region_set.warnings)
    jobs = [
        LookupJob(r, SIGNIN_SOURCE, session.client("cloudtrail", region_name=r, config=config))
        for r in region_set.regions
    ]
    if identity_center_region:
        if identity_center_region == "auto":
            found, notes = identity_center_regions(session, region_set.regions, config)
            warnings.extend(notes)
        else:
            found = [identity_center_region]
        jobs.extend(
            LookupJob(r, source, session.client("cloudtrail", region_name=r, config=config))
            for r in found
            for source in IDENTITY_CENTER_LOOKUPS
        )
    source = LookupEventsSource(jobs, since=window.since, until=window.until, progress=progress)
    return Plan(sources=[source], warnings=tuple(warnings))


SETUP_THREADS = 16  # accounts set up at once: AssumeRole and DescribeRegions, one each


@dataclass
class _AccountSetup:
    coverage: AccountCoverage
    jobs: list[LookupJob]
    warnings: list[str]


def _setup_account(
    account: OrgAccount,
    session: boto3.Session,
    *,
    where: str,
    config: Config,
    regions: list[str] | None,
    identity_center: list[str],
) -> _AccountSetup:
    """Regions of one account (its own DescribeRegions) and a client per region. Any error
    here, starting with the first AssumeRole, becomes the account's status."""
    coverage = AccountCoverage(account.account_id, account.name or None)
    try:
        region_set = enabled_regions(session, where, config, regions)
    except (ClientError, BotoCoreError) as err:  # refused calls are handled inside; not these
        coverage.status, coverage.reason = "regions_failed", error_code(err)
        return _AccountSetup(coverage, [], [])
    warnings = [f"account {account.account_id}: {w}" for w in region_set.warnings]

    def job(region: str, event_source: str) -> LookupJob:
        client = session.client("cloudtrail", region_name=region, config=config)
        return LookupJob(region, event_source, client, account=account.account_id)

    jobs = [job(r, SIGNIN_SOURCE) for r in region_set.regions]
    jobs.extend(job(r, source) for r in identity_center for source in IDENTITY_CENTER_LOOKUPS)
    return _AccountSetup(coverage, jobs, warnings)


def _settle(
    listed: list[OrgAccount], accounts: list[str] | None
) -> tuple[list[OrgAccount], list[_AccountSetup]]:
    """(ACTIVE accounts to read, accounts settled without reading): those asked for but not
    listed by the organization, and those not ACTIVE (suspended, closing)."""
    wanted = [a.strip() for a in accounts or [] if a.strip()]
    known = {a.account_id: a for a in listed}
    chosen = [a for a in listed if not wanted or a.account_id in wanted]
    settled: list[_AccountSetup] = [
        _AccountSetup(AccountCoverage(a, None, "not_in_organization",
                                      "not listed by organizations:ListAccounts"), [], [])
        for a in dict.fromkeys(wanted) if a not in known
    ]  # fmt: skip
    settled.extend(
        _AccountSetup(AccountCoverage(a.account_id, a.name or None, "suspended",
                                      f"account state {a.state}"), [], [])
        for a in chosen if a.state != ACTIVE
    )  # fmt: skip
    return [a for a in chosen if a.state == ACTIVE], settled


def _busiest_first(jobs: list[LookupJob], global_regions: set[str]) -> list[LookupJob]:
    """The pool takes jobs in order: an account's global-endpoint region first (where most
    console sign-ins are logged), so its longest job does not start last."""
    return sorted(jobs, key=lambda j: (j.region not in global_regions, j.region))


def plan_organization(
    session: boto3.Session,
    window: Window,
    role: RoleSettings,
    *,
    accounts: list[str] | None = None,
    region: str | None = None,
    regions: list[str] | None = None,
    max_attempts: int = 8,
    identity_center_region: str | None = None,
    progress: Callable[[RegionCoverage], None] | None = None,
    workers: int = LOOKUP_THREADS,
    clock: Clock = utc_now,
) -> Plan:
    """Every ACTIVE account of the organization (or those of `accounts`), every enabled
    region of each, as paced LookupEvents jobs in one bounded pool. The caller's own account
    is read with the run's credentials; the others through `role`. Identity Center portal
    events are read in the caller's account only (where the instance lives)."""
    if window.since is None or window.until is None:
        raise LiveSetupError("live collection needs a bounded window", Remedy.bounded_window)
    where = discovery_region(session, region)
    config = client_config(max_attempts, pool_size=max(workers, SETUP_THREADS))
    listed = list_accounts(session, config, where)
    caller = caller_account(session, config, where)
    management = management_account(session, config, where)
    partition = partition_of(session, where)
    active, results = _settle(listed, accounts)
    notes: list[str] = []
    for account in [a for a in active if a.account_id == caller]:  # run session: this thread
        found = [identity_center_region] if identity_center_region else []
        if identity_center_region == "auto":
            own_regions = enabled_regions(session, where, config, regions).regions
            found, notes = identity_center_regions(session, own_regions, config)
        results.append(
            _setup_account(account, session, where=where, config=config, regions=regions,
                           identity_center=found)
        )  # fmt: skip
    members = [a for a in active if a.account_id != caller]
    sts = session.client("sts", region_name=where, config=config)

    def setup_member(account: OrgAccount) -> _AccountSetup:
        arn = role_arn(partition, account.account_id, role.role)
        credentials = assumed_credentials(sts, arn, role, clock)
        try:
            credentials.get_frozen_credentials()  # the first AssumeRole, here
        except (ClientError, BotoCoreError) as err:
            coverage = AccountCoverage(account.account_id, account.name or None)
            coverage.status, coverage.reason = "role_not_assumed", f"{arn}: {error_code(err)}"
            return _AccountSetup(coverage, [], [])
        member = member_session(session, credentials, where)
        return _setup_account(
            account, member, where=where, config=config, regions=regions, identity_center=[]
        )

    coverages = [r.coverage for r in results]
    notes.extend(w for r in results for w in r.warnings)
    global_regions = set(GLOBAL_REGION.values())

    def member_jobs() -> Iterator[LookupJob]:
        """Members are set up (AssumeRole, DescribeRegions, clients) while the jobs of the
        accounts set up before them already run."""
        with ThreadPoolExecutor(max_workers=min(SETUP_THREADS, len(members) or 1)) as pool:
            for future in as_completed([pool.submit(setup_member, a) for a in members]):
                result = future.result()
                coverages.append(result.coverage)
                notes.extend(result.warnings)
                yield from _busiest_first(result.jobs, global_regions)

    lookup = LookupEventsSource(
        _busiest_first([job for r in results for job in r.jobs], global_regions),
        since=window.since,
        until=window.until,
        progress=progress,
        max_workers=workers,
        later=member_jobs(),
    )
    return Plan(
        sources=[OrganizationSource(lookup, coverages, notes, management)],
        warnings=(),
    )


def plan_s3(
    session: boto3.Session,
    window: Window,
    *,
    locations: list[str],
    trails: list[str] | None = None,
    discover: bool = False,
    region: str | None = None,
    regions: list[str] | None = None,
    accounts: list[str] | None = None,
    max_attempts: int = 8,
    progress: Callable[[RegionCoverage], None] | None = None,
    engine: str = "local",
    athena: AthenaOptions | None = None,
) -> Plan:
    """Sources for `--s3` URLs and for trails found by DescribeTrails (`--trail`, `--source
    trails`). Several trails writing to one bucket and prefix are read once; duplicate events
    across trails are dropped by eventID in the collector. `engine="athena"` queries the
    objects where they lie instead of downloading them (`athena` holds its options)."""
    from analyzer.aws.trails import discover_trails
    from analyzer.sources.s3 import FETCH_THREADS, AskedScopes, S3Location, S3TrailSource

    if engine not in ENGINES:
        raise LiveSetupError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    where = discovery_region(session, region)
    config = client_config(max_attempts, pool_size=FETCH_THREADS)
    warnings: list[str] = []
    wanted: list[S3Location] = [S3Location.parse(url) for url in locations]
    if trails or discover:
        region_set = enabled_regions(session, where, config, None)
        warnings.extend(region_set.warnings)
        global_region = GLOBAL_REGION.get(region_set.partition, "us-east-1")
        found, problems = discover_trails(
            session, region_set.regions, config, global_region, trails or None
        )
        warnings.extend(problems)
        # A misspelt name beside a right one is refused too: reading the others and warning
        # let a scheduled `--strict` run miss a whole trail with exit 0. Unless DescribeTrails
        # failed in a region (an SCP): the trail may live there, and the others are read with
        # both lines as warnings.
        missing = [p for p in problems if "not found by DescribeTrails" in p]
        unseen = any("DescribeTrails failed" in p for p in problems)
        if trails and missing and not (found and unseen):
            raise LiveSetupError("; ".join(missing))
        if not found:
            raise LiveSetupError(
                "no CloudTrail trail found to read (DescribeTrails)", Remedy.name_a_source
            )
        for trail in found:
            warnings.extend(trail.warnings)
            prefix = f"{trail.prefix.rstrip('/')}/" if trail.prefix else ""
            wanted.append(S3Location(trail.bucket, prefix))
    client = session.client("s3", config=config)
    unique = list(dict.fromkeys(wanted))
    if engine == "athena":
        from analyzer.aws.athena_setup import athena_runner, plan_athena
        from analyzer.sources.athena_table import AthenaOptions

        options = athena or AthenaOptions()
        source = plan_athena(
            window,
            unique,
            options,
            s3=client,
            glue=session.client("glue", region_name=where, config=config),
            runner=athena_runner(session, client, options, region=where, config=config),
            accounts=accounts,
            regions=regions,
            progress=progress,
        )
        return Plan(sources=[source], warnings=tuple(warnings))
    asked = AskedScopes.of(accounts, regions, len(unique))
    sources: list[Source] = [
        S3TrailSource(
            client,
            location,
            window,
            accounts=accounts,
            regions=regions,
            progress=progress,
            asked=asked,
        )
        for location in unique
    ]
    return Plan(sources=sources, warnings=tuple(warnings))
