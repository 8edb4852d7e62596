"""Write `sample_logs/`: a seeded, realistic CloudTrail trail tree with a known set of sign-ins.

Run from the repository root: `python scripts/make_sample_logs.py` (same output every time).

The sign-ins are planned here, one by one, and the numbers in `sample_logs/README.md` are
counted from that plan, not from the analyzer, so the test that compares them with
`signin-report` output checks the analyzer against an independent account of the data.
Record shapes follow the AWS examples quoted in the project's DOMAIN notes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import string
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20261102
ACCOUNT = "111122223333"
ALIAS = "example-corp"
TRAIL = "org-audit"
REGIONS = ("us-east-1", "us-east-2", "eu-north-1", "ap-southeast-2", "eu-west-1")
FIRST_DAY = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = 7
WINDOW_SINCE = "2026-11-02"
WINDOW_UNTIL = "2026-11-09"
IDENTITY_CENTER_REGION = "us-east-1"
IDENTITY_STORE = "d-9067c2a1b3"

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0"
ATTACKER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) <script>alert(1)</script>"
OFFICE_IP = "198.51.100.10"
HOME_IP = "203.0.113.25"
ATTACKER_IP = "192.0.2.66"
SPRAY_IP = "192.0.2.77"


@dataclass
class Planned:
    """One sign-in event as the generator intends it, with what the report should say."""

    when: datetime
    record: dict[str, Any]
    user: str | None
    identity_type: str
    login: bool
    outcome: str | None
    failure_kind: str | None = None
    mfa_status: str = "unknown"
    endpoint: str | None = None
    in_window: bool = True
    duplicate_in_trail: bool = False
    also_in_lookup: bool = False
    tags: set[str] = field(default_factory=set)


def _event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _base(
    rng: random.Random, when: datetime, name: str, region: str, source: str = "signin.amazonaws.com"
) -> dict[str, Any]:
    return {
        "eventVersion": "1.11",
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "requestParameters": None,
        "eventID": _event_id(rng),
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


def _tls(host: str | None) -> dict[str, Any]:
    if host is None:
        return {}
    return {
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": host,
        }
    }


def _iam_user(name: str, *, failed: bool = False, unknown: bool = False) -> dict[str, Any]:
    if unknown:
        return {
            "type": "IAMUser",
            "accountId": ACCOUNT,
            "accessKeyId": "",
            "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
        }
    identity = {
        "type": "IAMUser",
        "principalId": "AIDA" + name.upper().ljust(17, "X")[:17],
        "accountId": ACCOUNT,
        "userName": name,
    }
    if failed:
        identity["accessKeyId"] = ""
    else:
        identity["arn"] = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    return identity


def _root() -> dict[str, Any]:
    return {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
        "accessKeyId": "",
        "userName": ALIAS,
    }


def _assumed(role: str, session: str, *, path: str = "") -> dict[str, Any]:
    role_id = "AROA" + role.upper().replace("_", "")[:17].ljust(17, "Y")
    return {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIA" + role_id[4:20],
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{path}{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-11-02T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _console_login(
    rng: random.Random,
    when: datetime,
    region: str,
    host: str | None,
    identity: dict[str, Any],
    *,
    ok: bool,
    mfa: bool,
    ip: str,
    agent: str = BROWSER,
    error: str | None = None,
    error_code: str | None = None,
    device: str | None = None,
    login_to: str | None = None,
    no_login_to: bool = False,
    extra: dict[str, Any] | None = None,
    version: str = "1.11",
) -> dict[str, Any]:
    record = _base(rng, when, "ConsoleLogin", region)
    record["eventVersion"] = version
    record["userIdentity"] = identity
    record["sourceIPAddress"] = ip
    record["userAgent"] = agent
    if error_code:
        record["errorCode"] = error_code
    if error:
        record["errorMessage"] = error
    record["responseElements"] = {"ConsoleLogin": "Success" if ok else "Failure"}
    data: dict[str, Any] = {}
    if not no_login_to:
        data["LoginTo"] = login_to or (
            "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true"
            f"&state=hashArgsFromTB_{region}_{rng.getrandbits(40):010x}"
        )
    data["MobileVersion"] = "No"
    if mfa and device:
        data["MFAIdentifier"] = device
    data["MFAUsed"] = "Yes" if mfa else "No"
    data.update(extra or {})
    record["additionalEventData"] = data
    record.update(_tls(host))
    return record


class Planner:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.plan: list[Planned] = []

    def at(self, day: int, hour: int, minute: int, second: int = 0) -> datetime:
        return FIRST_DAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)

    def add(self, when: datetime, record: dict[str, Any], **kwargs: Any) -> Planned:
        planned = Planned(when=when, record=record, **kwargs)
        self.plan.append(planned)
        return planned

    def iam_login(
        self,
        when: datetime,
        user: str,
        region: str,
        host: str,
        *,
        mfa: bool,
        ip: str,
        device: str | None = None,
        check_mfa: str | None = None,
    ) -> Planned:
        record = _console_login(
            self.rng, when, region, host, _iam_user(user), ok=True, mfa=mfa, ip=ip, device=device
        )
        planned = self.add(
            when,
            record,
            user=user,
            identity_type="IAMUser",
            login=True,
            outcome="success",
            mfa_status="mfa" if mfa else "no_mfa",
            endpoint=host,
        )
        if check_mfa:
            check = _base(self.rng, when - timedelta(seconds=9), "CheckMfa", region)
            check["userIdentity"] = _iam_user(user, failed=True)
            check["sourceIPAddress"] = ip
            check["userAgent"] = BROWSER
            check["responseElements"] = {"CheckMfa": "Success"}
            check["additionalEventData"] = {"MfaType": check_mfa}
            check.update(_tls(host))
            self.add(
                when - timedelta(seconds=9),
                check,
                user=user,
                identity_type="IAMUser",
                login=False,
                outcome="success",
                endpoint=host,
            )
        return planned


def plan_signins(rng: random.Random) -> list[Planned]:
    p = Planner(rng)
    global_host = "signin.aws.amazon.com"
    alice_mfa = f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone"
    carol_key = f"arn:aws:iam::{ACCOUNT}:u2f/user/carol/yubikey-AAAABBBBCCCCDDDDEEEEFFFF00"

    # alice: IAM user with a virtual MFA device, global endpoint. Without an alias cookie the
    # sign-in lands in us-east-1; with one, in us-east-2, eu-north-1 or ap-southeast-2.
    for day, region in [
        (0, "us-east-1"),
        (1, "us-east-2"),
        (2, "eu-north-1"),
        (3, "ap-southeast-2"),
        (4, "us-east-1"),
    ]:
        p.iam_login(
            p.at(day, 8, 55, 12),
            "alice",
            region,
            global_host,
            mfa=True,
            ip=OFFICE_IP,
            device=alice_mfa,
            check_mfa="Virtual MFA",
        )

    # bob: IAM user without MFA, through the eu-west-1 regional endpoint; one wrong password.
    bob_host = "eu-west-1.signin.aws.amazon.com"
    bad = _console_login(
        rng,
        p.at(1, 9, 2),
        "eu-west-1",
        bob_host,
        _iam_user("bob", failed=True),
        ok=False,
        mfa=False,
        ip=HOME_IP,
        error="Failed authentication",
    )
    p.add(
        p.at(1, 9, 2),
        bad,
        user="bob",
        identity_type="IAMUser",
        login=True,
        outcome="failure",
        failure_kind="bad_password",
        mfa_status="no_mfa",
        endpoint=bob_host,
        also_in_lookup=True,
    )
    for day in (1, 3, 5):
        planned = p.iam_login(
            p.at(day, 9, 3, 30), "bob", "eu-west-1", bob_host, mfa=False, ip=HOME_IP
        )
        planned.also_in_lookup = day in (1, 3)
    # the same bob sign-in delivered in two log files (CloudTrail allows duplicates)
    p.plan[-1].duplicate_in_trail = True

    # carol: IAM user with a security key, global endpoint landing in eu-north-1 and
    # ap-southeast-2; one failure at the MFA stage.
    for day, region in [(2, "eu-north-1"), (4, "ap-southeast-2"), (6, "eu-north-1")]:
        p.iam_login(
            p.at(day, 7, 40),
            "carol",
            region,
            global_host,
            mfa=True,
            ip="198.51.100.44",
            device=carol_key,
            check_mfa="U2F MFA",
        )
    fail_mfa = _console_login(
        rng,
        p.at(5, 7, 41),
        "eu-north-1",
        global_host,
        _iam_user("carol", failed=True),
        ok=False,
        mfa=True,
        ip="198.51.100.44",
        error="Failed authentication",
    )
    p.add(
        p.at(5, 7, 41),
        fail_mfa,
        user="carol",
        identity_type="IAMUser",
        login=True,
        outcome="failure",
        failure_kind="mfa",
        mfa_status="mfa",
        endpoint=global_host,
    )

    # root: one sign-in with MFA, one old-format record (no tlsDetails, so the endpoint is
    # inferred) without MFA, two wrong passwords from an attacker, and a password change.
    root_mfa = f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"
    ok_root = _console_login(
        rng,
        p.at(0, 6, 15),
        "us-east-1",
        global_host,
        _root(),
        ok=True,
        mfa=True,
        ip=OFFICE_IP,
        device=root_mfa,
    )
    p.add(
        p.at(0, 6, 15),
        ok_root,
        user="root",
        identity_type="Root",
        login=True,
        outcome="success",
        mfa_status="mfa",
        endpoint=global_host,
    )
    for minute in (1, 3):
        failed_root = _console_login(
            rng,
            p.at(3, 2, minute),
            "us-east-1",
            global_host,
            _root(),
            ok=False,
            mfa=False,
            ip=ATTACKER_IP,
            agent=ATTACKER_UA,
            error="Failed authentication",
        )
        p.add(
            p.at(3, 2, minute),
            failed_root,
            user="root",
            identity_type="Root",
            login=True,
            outcome="failure",
            failure_kind="bad_password",
            mfa_status="no_mfa",
            endpoint=global_host,
            tags={"attacker"},
        )
    legacy_root = _console_login(
        rng,
        p.at(3, 2, 9),
        "us-east-1",
        None,
        _root(),
        ok=True,
        mfa=False,
        ip=ATTACKER_IP,
        agent=ATTACKER_UA,
        version="1.05",
        login_to="https://console.aws.amazon.com/console/home",
    )
    p.add(
        p.at(3, 2, 9),
        legacy_root,
        user="root",
        identity_type="Root",
        login=True,
        outcome="success",
        mfa_status="no_mfa",
        endpoint=global_host,
        tags={"inferred"},
    )
    password = _base(rng, p.at(3, 2, 12), "PasswordUpdated", "us-east-1")
    password.update(
        userIdentity=_root(),
        sourceIPAddress=ATTACKER_IP,
        userAgent=ATTACKER_UA,
        responseElements={"PasswordUpdated": "Success"},
        **_tls(global_host),
    )
    p.add(
        p.at(3, 2, 12),
        password,
        user="root",
        identity_type="Root",
        login=False,
        outcome="success",
        endpoint=global_host,
    )

    # a password spray: three user names that do not exist, one address
    for second in (5, 17, 29):
        spray = _console_login(
            rng,
            p.at(4, 23, 10, second),
            "us-east-1",
            global_host,
            _iam_user("", unknown=True),
            ok=False,
            mfa=False,
            ip=SPRAY_IP,
            agent=ATTACKER_UA,
            error="No username found in supplied account",
        )
        p.add(
            p.at(4, 23, 10, second),
            spray,
            user="HIDDEN_DUE_TO_SECURITY_REASONS",
            identity_type="IAMUser",
            login=True,
            outcome="failure",
            failure_kind="unknown_user",
            mfa_status="no_mfa",
            endpoint=global_host,
            tags={"unknown"},
        )

    # dave: blocked by a sign-in resource-based policy (network restriction)
    denied = _console_login(
        rng,
        p.at(2, 13, 30),
        "us-east-1",
        global_host,
        _iam_user("dave"),
        ok=False,
        mfa=False,
        ip="233.252.0.9",
        error_code="AccessDenied",
        error="Authorization denied because of a resource-based policy",
    )
    p.add(
        p.at(2, 13, 30),
        denied,
        user="dave",
        identity_type="IAMUser",
        login=True,
        outcome="failure",
        failure_kind="policy_denied",
        mfa_status="no_mfa",
        endpoint=global_host,
    )

    # erin: a failure whose record gives no reason
    other = _console_login(
        rng,
        p.at(5, 16, 0),
        "eu-west-1",
        bob_host,
        _iam_user("erin", failed=True),
        ok=False,
        mfa=False,
        ip=HOME_IP,
    )
    p.add(
        p.at(5, 16, 0),
        other,
        user="erin",
        identity_type="IAMUser",
        login=True,
        outcome="failure",
        failure_kind="other",
        mfa_status="no_mfa",
        endpoint=bob_host,
    )

    # SAML federation (Okta): MFA happens at the IdP, so AWS writes MFAUsed "No"
    saml_extra = {"SamlProviderArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"}
    for day, region, host in [
        (0, "us-east-1", global_host),
        (2, "us-east-1", global_host),
        (5, "eu-west-1", "eu-west-1.signin.aws.amazon.com"),
    ]:
        record = _console_login(
            rng,
            p.at(day, 10, 5),
            region,
            host,
            _assumed("OktaAdmins", "frank@example.com"),
            ok=True,
            mfa=False,
            ip=OFFICE_IP,
            no_login_to=True,
            extra=saml_extra,
        )
        p.add(
            p.at(day, 10, 5),
            record,
            user="frank@example.com",
            identity_type="AssumedRole",
            login=True,
            outcome="success",
            mfa_status="idp",
            endpoint=host,
        )

    # IAM Identity Center: dana signs in to the access portal with password + TOTP, then opens
    # the account console through her permission set.
    for day in (1, 4):
        flow = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        when = p.at(day, 8, 0)
        ic_user = {
            "type": "IdentityCenterUser",
            "accountId": ACCOUNT,
            "onBehalfOf": {
                "userId": "94482488-3041-7026-18f3-be45837cd0e4",
                "identityStoreArn": f"arn:aws:identitystore::{ACCOUNT}:"
                f"identitystore/{IDENTITY_STORE}",
            },
            "credentialId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        }
        steps = [
            ("CredentialChallenge", "PASSWORD", None),
            ("CredentialVerification", "PASSWORD", "Success"),
            ("CredentialChallenge", "TOTP", None),
            ("CredentialVerification", "TOTP", "Success"),
            ("UserAuthentication", "PASSWORD,TOTP", "Success"),
        ]
        for offset, (name, credential, result) in enumerate(steps):
            moment = when + timedelta(seconds=4 * offset)
            record = _base(rng, moment, name, IDENTITY_CENTER_REGION)
            record["eventType"] = "AwsServiceEvent"
            record["userIdentity"] = ic_user
            record["sourceIPAddress"] = OFFICE_IP
            record["userAgent"] = FIREFOX
            record["responseElements"] = None
            data: dict[str, Any] = {"AuthWorkflowID": flow, "CredentialType": credential}
            if name == "CredentialChallenge" and credential == "PASSWORD":
                data["UserName"] = "dana"
            if name == "UserAuthentication":
                data["LoginTo"] = f"https://{IDENTITY_STORE}.awsapps.com/start/"
            record["additionalEventData"] = data
            if result:
                record["serviceEventDetails"] = {name: result}
            p.add(
                moment,
                record,
                user="dana" if name == "UserAuthentication" else None,
                identity_type="IdentityCenterUser",
                login=name == "UserAuthentication",
                outcome="success" if result else None,
                mfa_status="mfa" if name == "UserAuthentication" else "unknown",
            )
        portal = _base(
            rng,
            when + timedelta(seconds=30),
            "Authenticate",
            IDENTITY_CENTER_REGION,
            source="sso.amazonaws.com",
        )
        portal.update(
            eventType="AwsServiceEvent",
            userIdentity=ic_user,
            sourceIPAddress=OFFICE_IP,
            userAgent=FIREFOX,
            responseElements=None,
        )
        p.add(
            when + timedelta(seconds=30),
            portal,
            user=None,
            identity_type="IdentityCenterUser",
            login=False,
            outcome=None,
        )
        sso_role = "AWSReservedSSO_AdministratorAccess_5f3c1a2b9d8e7f60"
        console = _console_login(
            rng,
            when + timedelta(seconds=50),
            "us-east-1",
            global_host,
            _assumed(sso_role, "dana", path="aws-reserved/sso.amazonaws.com/"),
            ok=True,
            mfa=False,
            ip=OFFICE_IP,
            agent=FIREFOX,
            no_login_to=True,
        )
        p.add(
            when + timedelta(seconds=50),
            console,
            user="dana",
            identity_type="AssumedRole",
            login=True,
            outcome="success",
            mfa_status="idp",
            endpoint=global_host,
        )
    # one failed Identity Center sign-in: wrong password, so no UserAuthentication follows
    when = p.at(6, 8, 0)
    failed_ic = _base(rng, when, "CredentialVerification", IDENTITY_CENTER_REGION)
    failed_ic.update(
        eventType="AwsServiceEvent",
        userIdentity={
            "type": "IdentityCenterUser",
            "accountId": ACCOUNT,
            "onBehalfOf": {
                "userId": "94482488-3041-7026-18f3-be45837cd0e4",
                "identityStoreArn": f"arn:aws:identitystore::{ACCOUNT}:"
                f"identitystore/{IDENTITY_STORE}",
            },
        },
        sourceIPAddress=ATTACKER_IP,
        userAgent=ATTACKER_UA,
        responseElements=None,
        additionalEventData={
            "AuthWorkflowID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "CredentialType": "PASSWORD",
        },
        serviceEventDetails={"CredentialVerification": "Failure"},
    )
    # it names no user, only the id; the successful sign-ins above tie that id to dana
    p.add(
        when,
        failed_ic,
        user="dana",
        identity_type="IdentityCenterUser",
        login=True,
        outcome="failure",
        failure_kind="bad_password",
        mfa_status="unknown",
        tags={"attacker"},
    )

    # alice switches to an Auditor role in the console
    switch = _base(rng, p.at(2, 9, 30), "SwitchRole", "us-east-1")
    switch.update(
        userIdentity=_assumed("Auditor", "alice"),
        sourceIPAddress=OFFICE_IP,
        userAgent=BROWSER,
        responseElements={"SwitchRole": "Success"},
        additionalEventData={
            "SwitchFrom": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "RedirectTo": "https://console.aws.amazon.com/",
        },
        **_tls(global_host),
    )
    p.add(
        p.at(2, 9, 30),
        switch,
        user="alice",
        identity_type="AssumedRole",
        login=False,
        outcome="success",
        mfa_status="idp",
        endpoint=global_host,
    )

    # a custom identity broker: GetSigninToken, then the federated console login
    broker = _base(rng, p.at(3, 14, 0), "GetSigninToken", "us-east-1")
    broker.update(
        userIdentity=_assumed("BrokerRole", "grace"),
        sourceIPAddress="198.51.100.99",
        userAgent="Java/21.0.4",
        responseElements={
            "credentials": {"accessKeyId": "ASIAEXAMPLEBROKER01"},
            "GetSigninToken": "Success",
        },
        additionalEventData={"MobileVersion": "No", "MFAUsed": "No"},
        **_tls("us-east-1.signin.aws.amazon.com"),
    )
    p.add(
        p.at(3, 14, 0),
        broker,
        user="grace",
        identity_type="AssumedRole",
        login=False,
        outcome="success",
        mfa_status="idp",
        endpoint="us-east-1.signin.aws.amazon.com",
    )
    federated = _console_login(
        rng,
        p.at(3, 14, 0, 2),
        "us-east-1",
        "us-east-1.signin.aws.amazon.com",
        _assumed("BrokerRole", "grace"),
        ok=True,
        mfa=False,
        ip=OFFICE_IP,
        no_login_to=True,
    )
    p.add(
        p.at(3, 14, 0, 2),
        federated,
        user="grace",
        identity_type="AssumedRole",
        login=True,
        outcome="success",
        mfa_status="idp",
        endpoint="us-east-1.signin.aws.amazon.com",
    )

    # late on the last day: delivered in the next day's folder, still inside the window;
    # and one just after the window ends, which the report must leave out
    p.iam_login(
        p.at(6, 23, 58), "alice", "us-east-1", global_host, mfa=True, ip=HOME_IP, device=alice_mfa
    )
    after = p.iam_login(
        p.at(7, 0, 3), "alice", "us-east-1", global_host, mfa=True, ip=HOME_IP, device=alice_mfa
    )
    after.in_window = False
    return sorted(p.plan, key=lambda item: item.when)


NOISE = [
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("s3.amazonaws.com", "ListBuckets", True),
    ("sts.amazonaws.com", "AssumeRole", False),
    ("iam.amazonaws.com", "GetUser", True),
    ("kms.amazonaws.com", "Decrypt", True),
    ("lambda.amazonaws.com", "ListFunctions20150331", True),
    ("cloudwatch.amazonaws.com", "GetMetricData", True),
    ("ssm.amazonaws.com", "GetParameter", True),
    ("ec2.amazonaws.com", "RunInstances", False),
    ("dynamodb.amazonaws.com", "DescribeTable", True),
]


def noise_record(rng: random.Random, when: datetime, region: str) -> dict[str, Any]:
    source, name, read_only = rng.choice(NOISE)
    record = _base(rng, when, name, region, source=source)
    record["eventType"] = "AwsApiCall"
    record["readOnly"] = read_only
    role = rng.choice(["ci-deployer", "lambda-exec", "monitoring"])
    record["userIdentity"] = _assumed(role, f"session-{rng.randrange(1000, 9999)}")
    record["sourceIPAddress"] = rng.choice([OFFICE_IP, "10.0.3.17", f"{source}"])
    # a decoy: an API call made by the console on the sign-in service's behalf mentions
    # signin.amazonaws.com without being a sign-in event
    if rng.random() < 0.03:
        record["sourceIPAddress"] = "signin.amazonaws.com"
        record["userAgent"] = "signin.amazonaws.com"
    else:
        record["userAgent"] = rng.choice(["aws-cli/2.31.4", "Boto3/1.40.0", BROWSER])
    record["responseElements"] = None
    record["requestID"] = _event_id(rng)
    return record


def _file_name(region: str, delivered: datetime, rng: random.Random) -> str:
    unique = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))
    return f"{ACCOUNT}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{unique}.json.gz"


def write_tree(out: Path, plan: list[Planned], rng: random.Random) -> Counter[str]:
    stats: Counter[str] = Counter()
    base = out / "AWSLogs" / ACCOUNT / "CloudTrail"
    # delivery slots: every region gets three files a day, plus the morning after the window
    slots: dict[str, list[datetime]] = {}
    for region in REGIONS:
        times = []
        for day in range(DAYS + 1):
            for hour in (7, 15, 23) if day < DAYS else (0,):
                minute = 55 if day < DAYS else 20
                times.append(FIRST_DAY + timedelta(days=day, hours=hour, minutes=minute))
        slots[region] = times
    contents: dict[tuple[str, datetime], list[dict[str, Any]]] = {
        (region, slot): [] for region, times in slots.items() for slot in times
    }
    for item in plan:
        region = item.record["awsRegion"]
        ready = item.when + timedelta(minutes=5)
        slot = next(s for s in slots[region] if s >= ready)
        contents[(region, slot)].append(item.record)
        if item.duplicate_in_trail:
            later = next(s for s in slots[region] if s > slot)
            contents[(region, later)].append(item.record)
    for (region, slot), records in sorted(contents.items()):
        previous = slot - timedelta(hours=8)
        for _ in range(rng.randrange(25, 70)):
            moment = previous + timedelta(seconds=rng.randrange(0, 8 * 3600 - 300))
            records.append(noise_record(rng, moment, region))
        rng.shuffle(records)
        folder = base / region / f"{slot:%Y}" / f"{slot:%m}" / f"{slot:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"Records": records}, separators=(",", ":")).encode()
        (folder / _file_name(region, slot, rng)).write_bytes(gzip.compress(payload, mtime=0))
        stats["trail_files"] += 1
        stats["trail_records"] += len(records)
    # one hourly digest per region and day, as CloudTrail writes beside the logs
    for region in REGIONS:
        for day in range(DAYS):
            end = FIRST_DAY + timedelta(days=day, hours=1)
            folder = (
                out
                / "AWSLogs"
                / ACCOUNT
                / "CloudTrail-Digest"
                / region
                / f"{end:%Y}"
                / f"{end:%m}"
                / f"{end:%d}"
            )
            folder.mkdir(parents=True, exist_ok=True)
            digest = {
                "awsAccountId": ACCOUNT,
                "digestStartTime": (end - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "digestEndTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "digestS3Bucket": "example-corp-cloudtrail",
                "digestPublicKeyFingerprint": "9a3c1e0f6b2d4a8c7e5f3b1d9c0a2e4f",
                "digestSignatureAlgorithm": "SHA256withRSA",
                "logFiles": [],
            }
            name = (
                f"{ACCOUNT}_CloudTrail-Digest_{region}_{TRAIL}_us-east-1_"
                f"{end:%Y%m%dT%H%M%SZ}.json.gz"
            )
            (folder / name).write_bytes(gzip.compress(json.dumps(digest).encode(), mtime=0))
            stats["digest_files"] += 1
    return stats


def write_lookup_output(out: Path, plan: list[Planned]) -> int:
    """What `aws cloudtrail lookup-events --region eu-west-1` printed for bob's sign-ins:
    the same events the trail holds, so reading both must count each once."""
    events = []
    for item in plan:
        if not item.also_in_lookup:
            continue
        record = item.record
        events.append(
            {
                "EventId": record["eventID"],
                "EventName": record["eventName"],
                "ReadOnly": "false",
                "EventTime": record["eventTime"].replace("Z", "+00:00"),
                "EventSource": record["eventSource"],
                "Username": record["userIdentity"].get("userName"),
                "Resources": [],
                "CloudTrailEvent": json.dumps(record),
            }
        )
    folder = out / "lookup-events"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "eu-west-1.json").write_text(json.dumps({"Events": events}, indent=4) + "\n")
    return len(events)


def expected_numbers(plan: list[Planned], lookup_events: int) -> dict[str, Any]:
    inside = [item for item in plan if item.in_window]
    logins = [item for item in inside if item.login]
    ok = [item for item in logins if item.outcome == "success"]
    failed = [item for item in logins if item.outcome == "failure"]
    with_mfa = sum(1 for item in ok if item.mfa_status == "mfa")
    without = [
        item
        for item in ok
        if item.mfa_status == "no_mfa" and item.identity_type in {"IAMUser", "Root"}
    ]
    kinds = Counter(item.failure_kind for item in failed)
    users = {item.user for item in logins if item.user != "HIDDEN_DUE_TO_SECURITY_REASONS"}
    global_outside = sum(
        1
        for item in logins
        if item.endpoint == "signin.aws.amazon.com" and item.record["awsRegion"] != "us-east-1"
    )
    return {
        "sign-in events (all kinds)": len(inside),
        "sign-ins": len(logins),
        "successes": len(ok),
        "failures": len(failed),
        "distinct users": len(users),
        "unknown-user attempts": kinds["unknown_user"],
        "successes with MFA": with_mfa,
        "successes without MFA (IAM user / root)": len(without),
        "successes federated (idp)": sum(1 for item in ok if item.mfa_status == "idp"),
        "MFA share": round(with_mfa / (with_mfa + len(without)), 4),
        "failures bad_password": kinds["bad_password"],
        "failures unknown_user": kinds["unknown_user"],
        "failures mfa": kinds["mfa"],
        "failures policy_denied": kinds["policy_denied"],
        "failures other": kinds["other"],
        "global-endpoint sign-ins logged outside us-east-1": global_outside,
        "sign-in events outside the window": sum(1 for item in plan if not item.in_window),
        "duplicates dropped": sum(1 for item in plan if item.duplicate_in_trail) + lookup_events,
    }


README = """# sample_logs

A realistic CloudTrail trail tree for one account (`{account}`, alias `{alias}`), written by
`python scripts/make_sample_logs.py` (seeded: the same bytes every run). Like a real trail,
it is mostly other API calls: {trail_records} records in {trail_files} log files over
{regions}, {first} to {last}, plus {digest_files} digest files in the
`CloudTrail-Digest` folder, which must be skipped (it is not entered: coverage counts one
folder skipped), and one
`aws cloudtrail lookup-events` output (`lookup-events/eu-west-1.json`) whose {lookup} events
the trail also holds.

What is in it: IAM users with a virtual MFA device (alice), a security key (carol) and none
(bob); global-endpoint sign-ins logged in us-east-1, us-east-2, eu-north-1 and ap-southeast-2;
regional-endpoint sign-ins in eu-west-1; root with and without MFA (the latter an old-format
record without `tlsDetails`, so its endpoint is inferred), root password failures from an
attacker whose user agent carries `<script>` and a root password change; a password spray of
unknown user names; a sign-in blocked by a sign-in policy; an MFA-stage failure; a failure
with no stated reason; SAML (Okta) federation; IAM Identity Center portal sign-ins (password
+ TOTP) followed by console federation through an `AWSReservedSSO_*` role, and a failed
Identity Center password; CheckMfa, SwitchRole, GetSigninToken from a custom broker; one
sign-in delivered twice; one delivered in the next day's folder; one just after the window.

## The numbers the report must show

For `signin-report --logs sample_logs --since {since} --until {until}` (a test checks these
against the command's JSON output):

| metric | value |
|---|---|
{rows}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", nargs="?", default="sample_logs", help="folder to (re)write")
    out = Path(parser.parse_args().out)
    rng = random.Random(SEED)
    plan = plan_signins(rng)
    if out.exists():
        # Replaced whole, so only a folder this script wrote (or an empty one): a mistyped
        # path must not delete someone's files.
        readme = out / "README.md"
        ours = readme.is_file() and readme.read_text().startswith("# sample_logs\n")
        if not ours and any(out.iterdir()):
            print(f"{out} is not an empty folder or a sample this script wrote", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True)
    stats = write_tree(out, plan, rng)
    lookup = write_lookup_output(out, plan)
    numbers = expected_numbers(plan, lookup)
    rows = "\n".join(f"| {name} | {value} |" for name, value in numbers.items())
    (out / "README.md").write_text(
        README.format(
            account=ACCOUNT,
            alias=ALIAS,
            trail_records=stats["trail_records"],
            trail_files=stats["trail_files"],
            regions=", ".join(REGIONS),
            first=WINDOW_SINCE,
            last=(FIRST_DAY + timedelta(days=DAYS)).date().isoformat(),
            digest_files=stats["digest_files"],
            lookup=lookup,
            since=WINDOW_SINCE,
            until=WINDOW_UNTIL,
            rows=rows,
        )
    )
    print(
        f"wrote {out}: {stats['trail_files']} log files, {stats['trail_records']} records, "
        f"{len(plan)} sign-in events"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
