"""Which regions to read: every region enabled for the account, always with the partition's
global-endpoint region, because sign-ins land in the region of the endpoint used."""

from __future__ import annotations

from dataclasses import dataclass, field

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from analyzer.aws.session import GLOBAL_REGION, partition_of


@dataclass(frozen=True)
class RegionSet:
    regions: tuple[str, ...]
    partition: str
    warnings: tuple[str, ...] = field(default=())


def enabled_regions(
    session: boto3.Session, where: str, config: Config, requested: list[str] | None = None
) -> RegionSet:
    """`requested` (from --regions) wins. Otherwise EC2 DescribeRegions with opt-in status:
    `not-opted-in` regions are dropped, and so are regions of other partitions (moto and some
    endpoints list them). If the call is refused, every region botocore knows for CloudTrail in
    the partition is tried, with a warning, and disabled ones are reported per region."""
    partition = partition_of(session, where)
    global_region = GLOBAL_REGION.get(partition, where)
    if requested:
        regions = sorted({r.strip() for r in requested if r.strip()})
        return RegionSet(tuple(regions), partition)
    known = set(session.get_available_regions("cloudtrail", partition_name=partition))
    warnings: list[str] = []
    try:
        ec2 = session.client("ec2", region_name=where, config=config)
        listed = ec2.describe_regions(AllRegions=True)["Regions"]
        enabled = {
            str(r["RegionName"])
            for r in listed
            if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
        }
        if known:
            enabled &= known
        else:
            enabled = {r for r in enabled if partition_of(session, r) == partition}
    except (ClientError, BotoCoreError) as err:
        warnings.append(
            f"region {where}: cannot list enabled regions (ec2:DescribeRegions: {err}); "
            f"trying all {len(known)} {partition} regions"
        )
        enabled = set(known)
    enabled.add(global_region)
    return RegionSet(tuple(sorted(enabled)), partition, tuple(warnings))
