"""The closed vocabularies of the frame and the findings, as string enums. Their values are the
strings stored in the frame's columns and written in every report format, so comparing a
column with a member (`frame["outcome"] == Outcome.success`) works and the output is unchanged.
Importable without pandas: the CLI offers them as option choices before loading it."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

# The same vocabularies as Literal types, for the pure normalizer: it returns plain strings
# (cheap to send from worker processes) that mypy checks against these.
OutcomeName = Literal["success", "failure"]
FailureKindName = Literal["bad_password", "unknown_user", "mfa", "policy_denied", "other"]
MfaStatusName = Literal["mfa", "no_mfa", "idp", "unknown"]
EventKindName = Literal[
    "login",
    "mfa_check",
    "credential_step",
    "role_switch",
    "federation",
    "password",
    "portal",
    "other",
]
SeverityName = Literal["low", "medium", "high"]


class Outcome(StrEnum):
    success = "success"
    failure = "failure"


class FailureKind(StrEnum):
    bad_password = "bad_password"  # noqa: S105 - a kind of failure, not a secret
    unknown_user = "unknown_user"
    mfa = "mfa"
    policy_denied = "policy_denied"
    other = "other"


class MfaStatus(StrEnum):
    mfa = "mfa"
    no_mfa = "no_mfa"
    idp = "idp"  # federated: MFA happens at the identity provider, out of AWS's sight
    unknown = "unknown"


class EventKind(StrEnum):
    login = "login"
    mfa_check = "mfa_check"
    credential_step = "credential_step"
    role_switch = "role_switch"
    federation = "federation"
    password = "password"  # noqa: S105 - a kind of event, not a secret
    portal = "portal"
    other = "other"


class Severity(StrEnum):
    """Ordered low < medium < high (`rank`)."""

    low = "low"
    medium = "medium"
    high = "high"

    @property
    def rank(self) -> int:
        return _RANK[self.value]


_RANK = {"low": 1, "medium": 2, "high": 3}


class Engine(StrEnum):
    """Where trail-bucket objects are read (`--engine`): downloaded and scanned here, or
    queried in place by Amazon Athena."""

    local = "local"
    athena = "athena"


class SourceKind(StrEnum):
    """The CLI's `--source` choices."""

    lookup = "lookup"
    trails = "trails"


# Each enum and its Literal name the same values (checked by tests/test_values.py).
PAIRS: tuple[tuple[type[StrEnum], tuple[str, ...]], ...] = (
    (Outcome, get_args(OutcomeName)),
    (FailureKind, get_args(FailureKindName)),
    (MfaStatus, get_args(MfaStatusName)),
    (EventKind, get_args(EventKindName)),
    (Severity, get_args(SeverityName)),
)
