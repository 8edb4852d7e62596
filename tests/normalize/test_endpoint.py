from __future__ import annotations

import pytest

from analyzer.normalize.endpoint import endpoint_of, scope_of


@pytest.mark.parametrize(
    ("host", "scope"),
    [
        ("signin.aws.amazon.com", "global"),
        ("us-east-1.signin.aws.amazon.com", "regional"),
        ("eu-north-1.signin.aws.amazon.com", "regional"),
        ("signin.amazonaws-us-gov.com", "global"),
        ("us-gov-east-1.signin.amazonaws-us-gov.com", "regional"),
        ("signin.amazonaws.cn", "global"),
        ("d-1234567890.awsapps.com", None),
        ("evil.example.com", None),
    ],
)
def test_scope(host: str, scope: str | None) -> None:
    assert scope_of(host) == scope


def test_host_header_wins_over_login_to() -> None:
    found = endpoint_of(
        "eu-west-1.signin.aws.amazon.com", "https://console.aws.amazon.com/", root=False
    )
    assert (found.host, found.scope, found.inferred) == (
        "eu-west-1.signin.aws.amazon.com",
        "regional",
        False,
    )


@pytest.mark.parametrize(
    ("login_to", "root", "host"),
    [
        ("https://console.aws.amazon.com/console/home", False, "signin.aws.amazon.com"),
        (
            "https://ap-southeast-1.console.aws.amazon.com/ec2/home",
            False,
            "ap-southeast-1.signin.aws.amazon.com",
        ),
        # AWS's root example: regional LoginTo, global sign-in host
        ("https://ap-southeast-1.console.aws.amazon.com/ec2/home", True, "signin.aws.amazon.com"),
        ("https://d-1234567890.awsapps.com/start/", False, "d-1234567890.awsapps.com"),
        ("XXXXXXXX", False, None),
        (None, False, None),
    ],
)
def test_inferred_from_login_to(login_to: str | None, root: bool, host: str | None) -> None:
    found = endpoint_of(None, login_to, root=root)
    assert found.host == host
    assert found.inferred is (host is not None)
