"""Trail discovery: which trails exist, where they write, and whether they can see sign-ins.

DescribeTrails in one region returns that region's trails plus shadow copies of multi-region
and organization trails, but not single-region trails homed elsewhere, so every enabled region
is asked and the answers are deduplicated by TrailARN.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError


@dataclass(frozen=True)
class Trail:
    name: str
    arn: str
    home_region: str
    bucket: str
    prefix: str
    multi_region: bool
    global_events: bool
    organization: bool
    logging: bool | None
    warnings: tuple[str, ...] = field(default=())


def _warnings(trail: dict[str, Any], logging: bool | None, global_region: str) -> list[str]:
    name = trail.get("Name", "?")
    home = trail.get("HomeRegion", "?")
    found: list[str] = []
    if not trail.get("IsMultiRegionTrail"):
        if home != global_region:
            found.append(
                f"trail {name} is single-region in {home}: root and global-endpoint sign-ins "
                f"(logged in {global_region} and other regions) are not in it"
            )
        else:
            found.append(
                f"trail {name} is single-region in {home}: sign-ins logged in other regions "
                "(regional endpoints, global endpoint with an alias cookie) are not in it"
            )
    if trail.get("IncludeGlobalServiceEvents") is False:
        found.append(
            f"trail {name} excludes global service events: console sign-ins may be missing"
        )
    if logging is False:
        found.append(f"trail {name} is not logging: nothing after it stopped is in it")
    return found


def discover_trails(
    session: boto3.Session,
    regions: tuple[str, ...],
    config: Config,
    global_region: str,
    wanted: list[str] | None = None,
) -> tuple[list[Trail], list[str]]:
    """Trails (optionally only those named or ARN'd in `wanted`) and problems met on the way."""

    def describe(region: str) -> tuple[str, list[dict[str, Any]], str | None]:
        try:
            client: Any = session.client("cloudtrail", region_name=region, config=config)
            found = client.describe_trails(includeShadowTrails=True).get("trailList", [])
        except (ClientError, BotoCoreError) as err:
            return region, [], str(err)
        return region, [dict(trail) for trail in found], None

    problems: list[str] = []
    by_arn: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=min(16, len(regions) or 1)) as pool:
        for region, found, error in pool.map(describe, regions):
            if error:
                problems.append(f"region {region}: DescribeTrails failed ({error})")
            for trail in found:
                by_arn.setdefault(str(trail.get("TrailARN")), trail)
    trails: list[Trail] = []
    for arn, trail in sorted(by_arn.items()):
        if wanted and trail.get("Name") not in wanted and arn not in wanted:
            continue
        home = str(trail.get("HomeRegion") or global_region)
        logging: bool | None = None
        try:
            status: Any = session.client("cloudtrail", region_name=home, config=config)
            logging = bool(status.get_trail_status(Name=arn).get("IsLogging"))
        except (ClientError, BotoCoreError) as err:
            problems.append(f"trail {trail.get('Name')}: GetTrailStatus failed ({err})")
        trails.append(Trail(
            name=str(trail.get("Name")),
            arn=arn,
            home_region=home,
            bucket=str(trail.get("S3BucketName")),
            prefix=str(trail.get("S3KeyPrefix") or ""),
            multi_region=bool(trail.get("IsMultiRegionTrail")),
            global_events=bool(trail.get("IncludeGlobalServiceEvents", True)),
            organization=bool(trail.get("IsOrganizationTrail")),
            logging=logging,
            warnings=tuple(_warnings(trail, logging, global_region)),
        ))  # fmt: skip
    if wanted:
        missing = [w for w in wanted if not any(w in (t.name, t.arn) for t in trails)]
        seen = ", ".join(sorted(str(t.get("Name")) for t in by_arn.values())) or "none"
        problems.extend(
            f"trail {w}: not found by DescribeTrails (trails found: {seen})" for w in missing
        )
    return trails, problems
