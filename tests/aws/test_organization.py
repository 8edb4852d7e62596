"""Organization runs under moto: Organizations ListAccounts, STS AssumeRole routed to the
member account, and LookupEvents answered per (account, region) from the fake under moto."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.retries.standard
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto import mock_aws

from analyzer.aws.organization import RoleSettings
from analyzer.aws.plan import plan_organization
from analyzer.domain.errors import LiveSetupError
from analyzer.domain.window import Window
from analyzer.frame.collect import Collection
from tests.conftest import console_login, fake_aws_credentials
from tests.fakes import MotoLookupEvents, _Body

MANAGEMENT = "123456789012"  # moto's default account: the caller creates the organization
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 10, tzinfo=UTC)
WINDOW = Window(SINCE, UNTIL)
REGIONS = ["eu-west-1", "us-east-1"]


def events(account: str, region: str, count: int) -> list[dict[str, Any]]:
    return [
        console_login(
            eventID=f"{account}-{region}-{i}",
            awsRegion=region,
            recipientAccountId=account,
            eventTime=f"2026-11-0{1 + i % 8}T{i % 24:02d}:00:00Z",
        )
        for i in range(count)
    ]


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's throttling backoff sleeps up to seconds: not in these tests."""
    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *_: 0.0
    )


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An organization with five members: `read`, `denied_role` (AssumeRole refused),
    `denied_lookup` (no cloudtrail:LookupEvents), `suspended` (closed), `throttled`."""
    fake_aws_credentials(monkeypatch)
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)  # it would override the routing
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        ids = {"management": MANAGEMENT}
        for name in ("read", "denied_role", "denied_lookup", "suspended", "throttled"):
            status = client.create_account(AccountName=name, Email=f"{name}@example.com")
            ids[name] = status["CreateAccountStatus"]["AccountId"]
        client.close_account(AccountId=ids["suspended"])
        yield ids


def deny_assume_role(session: boto3.Session, account: str) -> list[str]:
    """A before-send handler on the run's session that refuses AssumeRole into `account` the
    way STS does (403 AccessDenied), and falls through to moto for the others."""
    asked: list[str] = []

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        asked.append(body)
        if f"%3A{account}%3Arole" not in body:
            return None
        xml = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>"
            f"not authorized to perform: sts:AssumeRole on arn:aws:iam::{account}:role/audit"
            "</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        )
        return AWSResponse(request.url, 403, HTTPHeaders(), _Body(xml.encode()))

    hooks: Any = session.events  # its stubs want handlers that return None; this one answers
    hooks.register_first("before-send.sts.AssumeRole", handler)
    return asked


def read_org(
    fake: MotoLookupEvents,
    role: RoleSettings | None = None,
    session: boto3.Session | None = None,
    **options: Any,
) -> Collection:
    """plan_organization and the collection, with `fake` answering LookupEvents."""
    from analyzer.frame.collect import collect

    remove = fake.install()
    try:
        plan = plan_organization(
            session or boto3.Session(region_name="us-east-1"),
            WINDOW,
            role or RoleSettings("audit"),
            **options,
        )
        return collect(plan.sources, WINDOW)
    finally:
        remove()


def test_every_account_and_region_with_a_status_each(org: dict[str, str]) -> None:
    store = {
        (org[name], region): events(org[name], region, count)
        for name, count in (("management", 3), ("read", 60), ("throttled", 4), ("denied_lookup", 2))
        for region in REGIONS
    }
    fake = MotoLookupEvents(
        store, throttle={(org["throttled"], "eu-west-1"): 2}, denied={org["denied_lookup"]}
    )
    session = boto3.Session(region_name="us-east-1")
    deny_assume_role(session, org["denied_role"])
    collection = read_org(fake, RoleSettings("audit", external_id="xid"), session, regions=REGIONS)
    coverage = collection.coverage
    status = {a.account: a.status for a in coverage.accounts}
    assert status == {
        org["management"]: "read",
        org["read"]: "read",
        org["throttled"]: "read",
        org["denied_lookup"]: "access_denied",
        org["denied_role"]: "role_not_assumed",
        org["suspended"]: "suspended",
    }
    by_id = {a.account: a for a in coverage.accounts}
    assert "AccessDenied" in str(by_id[org["denied_role"]].reason)
    assert f"arn:aws:iam::{org['denied_role']}:role/audit" in str(by_id[org["denied_role"]].reason)
    assert by_id[org["read"]].events == 120
    assert by_id[org["read"]].pages == 4  # 60 events: two pages in each of two regions
    assert by_id[org["throttled"]].throttles == 2
    # every event exactly once, from the account whose credentials read it
    frame = collection.frame
    assert len(frame) == 2 * (3 + 60 + 4)
    assert frame["account_id"].value_counts().to_dict() == {
        org["read"]: 120, org["throttled"]: 8, org["management"]: 6,
    }  # fmt: skip
    assert {(a, r) for a, r, _ in fake.requests} >= {
        (org[n], r) for n in ("management", "read", "throttled") for r in REGIONS
    }
    # gaps are skipped input (--strict exits 3); the suspended account is stated, no gap
    problems = {p.culprit: p for p in coverage.problems}
    assert problems[f"account {org['denied_role']}"].skipped
    assert problems[f"account {org['denied_lookup']}"].skipped
    assert not problems[f"account {org['suspended']}"].skipped
    report = coverage.as_dict()
    assert (report["accounts_covered"], report["accounts_total"]) == (3, 6)
    regions = report["regions"]
    assert isinstance(regions, list)
    assert {r["account"] for r in regions} == {
        org[n] for n in ("management", "read", "throttled", "denied_lookup")
    }


def test_accounts_filter_and_unknown_account(org: dict[str, str]) -> None:
    fake = MotoLookupEvents({(org["read"], "us-east-1"): events(org["read"], "us-east-1", 2)})
    collection = read_org(fake, accounts=[org["read"], "000000000000"], regions=["us-east-1"])
    status = {a.account: a.status for a in collection.coverage.accounts}
    assert status == {org["read"]: "read", "000000000000": "not_in_organization"}
    assert len(collection.frame) == 2


def test_credentials_refresh_mid_run(org: dict[str, str]) -> None:
    """A run that outlives the role session: the clock jumps past the credentials' expiry
    between two pages, botocore refreshes them with a new AssumeRole, and the next pages are
    signed with the new keys of the same member account."""
    moment = [datetime.now(UTC)]
    account = org["read"]
    store = {(account, "us-east-1"): events(account, "us-east-1", 150)}

    def later(who: str, _: str) -> None:
        if who == account and len([r for r in fake.requests if r[0] == account]) == 2:
            moment[0] += timedelta(hours=2)

    fake = MotoLookupEvents(store, on_request=later)
    session = boto3.Session(region_name="us-east-1")
    assumed: list[str] = []

    def one_hour(parsed: dict[str, Any], **_: Any) -> None:
        """STS answers with an expiry one hour after the test's clock, as AWS would."""
        assumed.append(parsed["Credentials"]["AccessKeyId"])
        parsed["Credentials"]["Expiration"] = moment[0] + timedelta(hours=1)

    session.events.register("after-call.sts.AssumeRole", one_hour)
    collection = read_org(
        fake, None, session, accounts=[account], regions=["us-east-1"], clock=lambda: moment[0]
    )
    assert len(collection.frame) == 150
    assert len(assumed) == 2  # the first session and one refresh, not one per request
    keys = [key for who, _, key in fake.requests if who == account]
    assert keys[:2] == [assumed[0]] * 2
    assert keys[2:] == [assumed[1]]


def test_not_an_organization(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws_credentials(monkeypatch)
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    with mock_aws(), pytest.raises(LiveSetupError, match="in an organization"):
        plan_organization(boto3.Session(region_name="us-east-1"), WINDOW, RoleSettings("audit"))


def test_pool_is_bounded_and_paced_per_account_and_region(org: dict[str, str]) -> None:
    """Four jobs, two threads; every (account, region) keeps its own 2 requests/s pace even
    though its pages are fetched while other accounts' jobs run."""
    accounts = [org["read"], org["throttled"]]
    store = {(a, r): events(a, r, 120) for a in accounts for r in REGIONS}
    fake = MotoLookupEvents(store)
    collection = read_org(fake, accounts=accounts, regions=REGIONS, workers=2)
    assert len(collection.frame) == 4 * 120
    assert sorted(fake.arrivals) == sorted(store)
    for times in fake.arrivals.values():
        assert len(times) == 3  # pages of 50: no retries
        # paced 0.51 s apart when they leave; a loaded machine shifts arrivals by tens of
        # milliseconds, while unpaced requests would come milliseconds apart
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert min(gaps) > 0.3
    # two threads: never more than two jobs in flight, and the pool was kept full
    spans = [(times[0], times[-1]) for times in fake.arrivals.values()]
    in_flight = [sum(1 for a, b in spans if a <= t <= b) for t, _ in spans]
    assert max(in_flight) == 2


def test_python_api(org: dict[str, str]) -> None:
    import analyzer

    recent = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = console_login(eventID="api-1", eventTime=recent, recipientAccountId=org["read"])
    fake = MotoLookupEvents({(org["read"], "us-east-1"): [record]})
    remove = fake.install()
    try:
        collection = analyzer.collect_organization(
            "audit", accounts=[org["read"], org["suspended"]], regions=["us-east-1"], days=7
        )
    finally:
        remove()
    assert collection.frame["event_id"].tolist() == ["api-1"]
    status = {a.account: a.status for a in collection.coverage.accounts}
    assert status == {org["read"]: "read", org["suspended"]: "suspended"}


def test_history_scopes_name_the_account(org: dict[str, str]) -> None:
    """With --history, a failed account's span is read again next run: its scopes are its
    own, so another account's success in the same region cannot clear them."""
    from analyzer.frame.collect import collect

    store = {(org[n], r): events(org[n], r, 2) for n in ("management", "read") for r in REGIONS}
    fake = MotoLookupEvents(store, denied={org["denied_lookup"]})
    session = boto3.Session(region_name="us-east-1")
    deny_assume_role(session, org["denied_role"])
    remove = fake.install()
    try:
        plan = plan_organization(session, WINDOW, RoleSettings("audit"), regions=REGIONS)
        collection = collect(plan.sources, WINDOW)
    finally:
        remove()
    [source] = plan.sources
    outcomes = {o.scope: o.complete for o in source.outcomes(collection.coverage)}
    for region in REGIONS:
        assert outcomes[f"lookup:{org['read']}/{region}:signin.amazonaws.com"] is True
        assert outcomes[f"lookup:{org['denied_lookup']}/{region}:signin.amazonaws.com"] is False
    assert outcomes[f"lookup:{org['denied_role']}/*:setup"] is False
    assert source.scope_families() == ["lookup:"]


def test_member_sessions_read_the_runs_profile(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--profile P` is the run session's profile; a member account's session must read P's
    settings (here its endpoint) too, and an AWS_PROFILE naming another (or no) profile must
    not matter, as it does not for the run session."""
    from botocore.credentials import Credentials

    from analyzer.aws.organization import member_session

    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:9\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "ghost")  # no such profile: --profile wins
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    base = boto3.Session(profile_name="audit")
    member = member_session(base, Credentials("AKIA", "secret", "token"), None)
    client = member.client("cloudtrail")
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    assert client.meta.region_name == "eu-west-1"
    credentials = member.get_credentials()
    assert credentials is not None
    assert credentials.access_key == "AKIA"  # the role's, not the profile's


def test_an_organization_run_that_reads_no_account_is_an_error(org: dict[str, str]) -> None:
    """Every account asked for refused its role (or is not in the organization): there are
    no regions to judge by, and a scheduled job must not see success (exit 0) for a report
    of nothing. One account read, even partly, is a report with gaps, not an error."""
    from analyzer.audit.run import nothing_read

    session = boto3.Session(region_name="us-east-1")
    deny_assume_role(session, org["denied_role"])
    fake = MotoLookupEvents({})
    nothing = read_org(fake, session=session, accounts=[org["denied_role"], "000000000000"])
    assert {a.status for a in nothing.coverage.accounts} == {
        "role_not_assumed",
        "not_in_organization",
    }
    assert nothing_read(nothing.coverage, [], []) == (
        "no account of the organization could be read (2 accounts tried; each is listed with "
        "its reason)"
    )
    some = read_org(fake, session=session, accounts=[org["denied_role"], org["read"]])
    assert nothing_read(some.coverage, [], []) is None


def test_an_accounts_identity_center_lookups_cover_both_sources(org: dict[str, str]) -> None:
    """A member account's Identity Center region is looked up for the portal (sso) and for
    `aws sso login` tokens (sso-oauth), as the caller's account is."""
    from analyzer.aws.organization import OrgAccount
    from analyzer.aws.plan import _setup_account
    from analyzer.aws.session import client_config

    setup = _setup_account(
        OrgAccount(org["read"], "read", "ACTIVE"),
        boto3.Session(region_name="us-east-1"),
        where="us-east-1",
        config=client_config(1, 4),
        regions=["us-east-1"],
        identity_center=["eu-west-1"],
    )
    assert {(j.region, j.event_source) for j in setup.jobs if j.region == "eu-west-1"} == {
        ("eu-west-1", "sso.amazonaws.com"),
        ("eu-west-1", "sso-oauth.amazonaws.com"),
    }


def test_partly_read_or_suspended_accounts_are_not_nothing_read() -> None:
    from analyzer.audit.run import nothing_read
    from analyzer.domain.coverage import AccountCoverage, Coverage

    partly = Coverage()
    partly.accounts.extend([
        AccountCoverage("111111111111", status="regions_failed", regions_read=1, regions_failed=2),
        AccountCoverage("222222222222", status="role_not_assumed"),
    ])  # fmt: skip
    assert nothing_read(partly, [], []) is None
    suspended = Coverage()
    suspended.accounts.append(AccountCoverage("333333333333", status="suspended"))
    assert nothing_read(suspended, [], []) is None
