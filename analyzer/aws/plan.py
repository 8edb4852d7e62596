"""Live collection from the account's CloudTrail event history: credentials, regions, one
paced LookupEvents job per region (and for IAM Identity Center's portal events when asked)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from analyzer.aws.regions import enabled_regions
from analyzer.aws.session import GLOBAL_REGION, client_config, discovery_region
from analyzer.domain.coverage import RegionCoverage
from analyzer.domain.errors import REMEDY_TEXT, LiveSetupError, Remedy
from analyzer.domain.window import Window
from analyzer.normalize.selection import SIGNIN_SOURCE
from analyzer.sources.interface import Source
from analyzer.sources.lookup import LookupEventsSource, LookupJob

if TYPE_CHECKING:
    from analyzer.frame.collect import Collection
    from analyzer.sources.athena_table import AthenaOptions

EVENT_HISTORY_DAYS = 90
ENGINES = ("local", "athena")
IDENTITY_CENTER_SOURCE = "sso.amazonaws.com"


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
    oldest = now - timedelta(days=EVENT_HISTORY_DAYS)
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
            f"no IAM Identity Center instance found in {len(regions)} regions; "
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
            LookupJob(
                r,
                IDENTITY_CENTER_SOURCE,
                session.client("cloudtrail", region_name=r, config=config),
            )
            for r in found
        )
    source = LookupEventsSource(jobs, since=window.since, until=window.until, progress=progress)
    return Plan(sources=[source], warnings=tuple(warnings))


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
    from analyzer.sources.s3 import FETCH_THREADS, S3Location, S3TrailSource

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
        missing = [p for p in problems if "not found by DescribeTrails" in p]
        if trails and missing and not found:
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
    sources: list[Source] = [
        S3TrailSource(
            client, location, window, accounts=accounts, regions=regions, progress=progress
        )
        for location in unique
    ]
    return Plan(sources=sources, warnings=tuple(warnings))
