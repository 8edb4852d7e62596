"""The frame contract: one row per sign-in event, fixed column order, Arrow-backed dtypes.

Everything downstream (reports, renderers, the notebook, later the Parquet history) relies on
these names and types, so they live in one place and the README table is generated from the
same `meaning` strings (a test checks that the README lists every column).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:  # pandas is imported where a frame is made, not by row-batch readers
    import pandas as pd

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Column:
    name: str
    arrow_type: pa.DataType
    meaning: str


_STR = pa.string()
_BOOL = pa.bool_()
_TIME = pa.timestamp("us", tz="UTC")

SCHEMA: tuple[Column, ...] = (
    Column(
        "event_id",
        _STR,
        "CloudTrail `eventID`; when a record has none, `sha256:` + a hash "
        "of its canonical JSON, so the same record read twice still deduplicates.",
    ),
    Column(
        "event_time",
        _TIME,
        "`eventTime` as a tz-aware UTC timestamp; null when the record has no parseable time.",
    ),
    Column("event_name", _STR, "`eventName` (ConsoleLogin, CheckMfa, SwitchRole, ...)."),
    Column(
        "event_kind",
        _STR,
        "What the event is in a sign-in: `login` (an attempt that "
        "concludes: ConsoleLogin, UserAuthentication, a failed CredentialVerification, ...), "
        "`mfa_check`, `credential_step`, `role_switch`, `federation`, `password`, `portal`, "
        "`other`. Reports count `login` rows as sign-ins.",
    ),
    Column("event_source", _STR, "`eventSource` (`signin.amazonaws.com`, `sso.amazonaws.com`)."),
    Column(
        "account_id",
        _STR,
        "Account that recorded the event (`recipientAccountId`, else `userIdentity.accountId`).",
    ),
    Column(
        "region",
        _STR,
        "`awsRegion`: the region whose log holds the event, which for "
        "sign-ins is decided by the sign-in endpoint used, not by the user's location.",
    ),
    Column(
        "identity_type",
        _STR,
        "`userIdentity.type` as CloudTrail wrote it (Root, IAMUser, "
        "AssumedRole, IdentityCenterUser, Unknown, ...).",
    ),
    Column(
        "user_name",
        _STR,
        "The human: IAM user name in its canonical spelling (one per principal, see "
        "`typed_user_name`); `root`; the session name of an "
        "assumed-role console session; the Identity Center user name (else its user id); "
        "`HIDDEN_DUE_TO_SECURITY_REASONS` kept verbatim for unknown user names.",
    ),
    Column(
        "unknown_user",
        _BOOL,
        "True when AWS masked the user name because it does not exist "
        "in the account (`HIDDEN_DUE_TO_SECURITY_REASONS`).",
    ),
    Column(
        "identity_center_user_id",
        _STR,
        "IAM Identity Center user id "
        "(`userIdentity.onBehalfOf.userId`); since mid-2025 most Identity Center events carry "
        "only this id, and `user_name` is filled from the one event of the same collection "
        "that names the user.",
    ),
    Column(
        "account_alias",
        _STR,
        "Account alias CloudTrail wrote as the root user's `userName`, when present.",
    ),
    Column("principal_arn", _STR, "`userIdentity.arn` (absent on many failed sign-ins)."),
    Column(
        "role_name",
        _STR,
        "Role of an assumed-role console session "
        "(`sessionContext.sessionIssuer.userName`, else from the ARN).",
    ),
    Column("session_name", _STR, "Role session name of an assumed-role console session."),
    Column(
        "identity_provider",
        _STR,
        "Where the human authenticated when not at AWS: SAML "
        "provider ARN, web-identity provider, `IAM Identity Center` or its identity store ARN.",
    ),
    Column(
        "source_ip",
        _STR,
        "`sourceIPAddress` verbatim (may be a service name or redacted; "
        "flagged in `data_issues` when it is not an IP address).",
    ),
    Column("user_agent", _STR, "`userAgent` verbatim (attacker-controlled text)."),
    Column("outcome", _STR, "`success`, `failure`, or null when the record states neither."),
    Column(
        "failure_kind",
        _STR,
        "For failures: `bad_password`, `unknown_user`, `mfa`, `policy_denied` or `other`.",
    ),
    Column("error_code", _STR, "`errorCode` (e.g. AccessDenied for sign-in policy denials)."),
    Column("error_message", _STR, "`errorMessage` verbatim."),
    Column(
        "mfa_used",
        _BOOL,
        "`additionalEventData.MFAUsed` as a nullable boolean (Yes/YES/No, case-insensitive).",
    ),
    Column(
        "mfa_status",
        _STR,
        "Identity-aware MFA: `mfa`, `no_mfa`, `idp` (federated session: "
        "MFA happens at the identity provider and AWS cannot see it) or `unknown`.",
    ),
    Column(
        "mfa_type",
        _STR,
        "`MfaType` of CheckMfa, the MFA credential types of an Identity "
        "Center sign-in (TOTP, WEBAUTHN), or `u2f`/`mfa` from the MFA device ARN.",
    ),
    Column("mfa_device", _STR, "`additionalEventData.MFAIdentifier` (MFA device ARN)."),
    Column(
        "endpoint",
        _STR,
        "Sign-in host used (`tlsDetails.clientProvidedHostHeader`), else "
        "inferred from `LoginTo` (see `endpoint_inferred`).",
    ),
    Column(
        "endpoint_scope",
        _STR,
        "`global` (signin.aws.amazon.com and its GovCloud/China "
        "twins) or `regional` (`<region>.signin...`); null for other hosts.",
    ),
    Column(
        "endpoint_inferred",
        _BOOL,
        "True when `endpoint` was inferred from `LoginTo` rather "
        "than read from the TLS host header (records before eventVersion 1.08).",
    ),
    Column("login_to", _STR, "`additionalEventData.LoginTo`: where the user was going."),
    Column("mobile", _BOOL, "`additionalEventData.MobileVersion` as a nullable boolean."),
    Column("event_version", _STR, "`eventVersion` of the record."),
    Column("collected_from", _STR, "Where the record was read: file path and record index."),
    Column(
        "data_issues",
        _STR,
        "`;`-separated flags for what the record lacked or had wrong "
        "(no_event_id, no_event_time, bad_event_time, no_user_identity, "
        "event_source_inferred, source_ip_not_ip).",
    ),
    Column(
        "principal_id",
        _STR,
        "`userIdentity.principalId` verbatim (AIDA… for an IAM user, the account id for "
        "root, `AROA…:<session>` for a role session); absent on failures with an unknown name "
        "and on current Identity Center events. With `account_id` it identifies the user.",
    ),
    Column(
        "typed_user_name",
        _STR,
        "The user name as this record wrote it. A failed sign-in records the name as typed "
        "(`catteamidc`) while `user_name` holds the canonical spelling (`CATTeamIDC`, as IAM "
        "wrote it on the user's latest successful sign-in).",
    ),
)

COLUMNS: tuple[str, ...] = tuple(c.name for c in SCHEMA)
# What the rules (`run_rules`) and the reports (`build_report`) read, in schema order; the
# other columns (where a row was read, the raw ARN and ids, error texts, ...) are for people
# and exports. A frame of just these holds about half the bytes of a whole one: the CLI reads
# a history that way unless it writes the rows (`--events`).
REPORT_COLUMNS: tuple[str, ...] = (
    "event_id", "event_time", "event_name", "event_kind", "account_id", "user_name",
    "identity_type", "unknown_user", "role_name", "identity_provider", "source_ip",
    "user_agent", "outcome", "failure_kind", "mfa_status", "region", "endpoint",
    "endpoint_scope", "endpoint_inferred", "session_name", "identity_center_user_id",
)  # fmt: skip
ARROW_SCHEMA = pa.schema([pa.field(c.name, c.arrow_type) for c in SCHEMA])


def table_from_rows(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """The schema's Arrow table of row dicts. Rows are turned into columns here first: Arrow
    converts a list per column about three times faster than a list of row dicts. A key a
    row lacks is a null, as from_pylist has it."""
    listed = list(rows)
    columns = {name: [row.get(name) for row in listed] for name in COLUMNS}
    return pa.Table.from_pydict(columns, schema=ARROW_SCHEMA)


def conform(table: pa.Table | pa.RecordBatch) -> pa.Table:
    """The schema's columns of a table whose types were inferred (row batches from worker
    processes): an all-null column comes as the null type, a time with the zone `+00:00`."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    return table.select(list(COLUMNS)).cast(ARROW_SCHEMA)


def frame_from_table(table: pa.Table) -> pd.DataFrame:
    """The frame of a schema table: every column Arrow-backed, with its documented dtype
    even when empty."""
    import pandas as pd

    frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return frame


def frame_from_rows(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the frame through Arrow so every column gets its documented dtype even when
    empty."""
    return frame_from_table(table_from_rows(rows))


def empty_frame() -> pd.DataFrame:
    return frame_from_rows([])


def schema_frame() -> pd.DataFrame:
    """The schema itself as a frame (column, dtype, meaning), for notebooks and docs."""
    import pandas as pd

    return pd.DataFrame(
        {
            "column": [c.name for c in SCHEMA],
            "dtype": [str(pd.ArrowDtype(c.arrow_type)) for c in SCHEMA],
            "meaning": [c.meaning for c in SCHEMA],
        }
    )
