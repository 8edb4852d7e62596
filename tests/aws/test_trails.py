from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from analyzer.aws.session import client_config
from analyzer.aws.trails import discover_trails


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )


def make_trail(
    session: boto3.Session, region: str, name: str, *, logging: bool = True, **options: Any
) -> None:
    s3: Any = session.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=f"bucket-{name}")
    cloudtrail: Any = session.client("cloudtrail", region_name=region)
    cloudtrail.create_trail(Name=name, S3BucketName=f"bucket-{name}", **options)
    if logging:
        cloudtrail.start_logging(Name=name)


REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


def test_discovery_dedupes_shadow_trails_and_warns(session: boto3.Session) -> None:
    make_trail(
        session,
        "us-east-1",
        "org",
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
        S3KeyPrefix="ct",
    )
    make_trail(session, "eu-west-1", "local")
    make_trail(session, "us-east-1", "stopped", logging=False)
    trails, problems = discover_trails(session, REGIONS, client_config(2, 4), "us-east-1")
    assert problems == []
    by_name = {t.name: t for t in trails}
    assert set(by_name) == {"org", "local", "stopped"}  # the org trail's shadows count once
    org = by_name["org"]
    assert (org.bucket, org.prefix, org.multi_region, org.organization, org.logging) == (
        "bucket-org",
        "ct",
        True,
        True,
        True,
    )
    assert org.warnings == ()
    [local] = by_name["local"].warnings
    assert "single-region in eu-west-1" in local
    assert "global-endpoint sign-ins" in local
    assert any("not logging" in w for w in by_name["stopped"].warnings)
    assert any("single-region in us-east-1" in w for w in by_name["stopped"].warnings)


def test_wanted_trails_by_name_or_arn(session: boto3.Session) -> None:
    make_trail(session, "us-east-1", "org", IsMultiRegionTrail=True)
    make_trail(session, "eu-west-1", "local")
    arn = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/local"
    trails, problems = discover_trails(
        session, REGIONS, client_config(2, 4), "us-east-1", [arn, "nope"]
    )
    assert [t.name for t in trails] == ["local"]
    assert problems == ["trail nope: not found by DescribeTrails (trails found: local, org)"]


def test_a_named_trail_that_does_not_exist_is_named(session: boto3.Session) -> None:
    """`--trail nosuch` says that trail was not found and which exist, not "name one"."""
    from datetime import UTC, datetime, timedelta

    from analyzer.aws.plan import plan_s3
    from analyzer.domain.errors import LiveSetupError
    from analyzer.domain.window import Window

    make_trail(session, "us-east-1", "org", IsMultiRegionTrail=True)
    now = datetime.now(UTC)
    with pytest.raises(LiveSetupError) as caught:
        plan_s3(session, Window(now - timedelta(days=1), now), locations=[], trails=["nosuch"])
    assert str(caught.value) == ("trail nosuch: not found by DescribeTrails (trails found: org)")
    with pytest.raises(LiveSetupError) as caught:  # beside a trail that exists: still refused
        plan_s3(
            session, Window(now - timedelta(days=1), now), locations=[], trails=["org", "nosuch"]
        )
    assert str(caught.value) == ("trail nosuch: not found by DescribeTrails (trails found: org)")


def test_a_named_trail_maybe_in_a_region_that_refused_is_a_warning(
    session: boto3.Session,
) -> None:
    """DescribeTrails refused in a region (an SCP): a named trail not found may live there,
    so the trails found are read and both lines are warnings, not a usage error that drops
    the cause."""
    from datetime import UTC, datetime, timedelta

    from botocore.awsrequest import AWSResponse, HTTPHeaders

    from analyzer.aws.plan import plan_s3
    from analyzer.domain.window import Window
    from tests.fakes import _Body

    make_trail(session, "us-east-1", "org", IsMultiRegionTrail=True)

    def refuse(request: Any, **_: Any) -> AWSResponse | None:
        if "ap-east-1" not in request.url:
            return None
        body = b'{"__type": "AccessDeniedException", "message": "denied by an SCP"}'
        return AWSResponse(request.url, 400, HTTPHeaders(), _Body(body))

    hooks: Any = session.events
    hooks.register_first("before-send.cloudtrail.DescribeTrails", refuse)
    hooks.register_first(
        "after-call.ec2.DescribeRegions",
        lambda parsed, **_: parsed["Regions"].append(
            {"RegionName": "ap-east-1", "OptInStatus": "opted-in"}
        ),
    )
    now = datetime.now(UTC)
    plan = plan_s3(
        session, Window(now - timedelta(days=1), now), locations=[], trails=["org", "hk-local"]
    )
    assert len(plan.sources) == 1
    assert any("region ap-east-1: DescribeTrails failed" in w for w in plan.warnings)
    assert any(w.startswith("trail hk-local: not found by DescribeTrails") for w in plan.warnings)
