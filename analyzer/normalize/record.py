"""One CloudTrail record in, one frame row out. Pure: no I/O, no clock, no globals."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.normalize.endpoint import endpoint_of
from analyzer.normalize.fields import as_mapping, safe, text, yes_no
from analyzer.normalize.identity import identify
from analyzer.normalize.outcome import (
    credential_types,
    failure_kind_of,
    mfa_status_of,
    mfa_type_of,
    outcome_of,
)
from analyzer.normalize.selection import event_kind, signin_source
from analyzer.normalize.timeparse import parse_event_time


class RecordRejected(ValueError):
    """A sign-in record too broken to keep; the message says which field."""


@dataclass(frozen=True)
class Normalized:
    row: dict[str, Any]
    issues: tuple[str, ...]


def content_id(record: Mapping[str, Any]) -> str:
    """Stable id for records without eventID: identical content, identical id."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=4096)
def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def normalize_record(record: object, origin: str) -> Normalized | None:
    """None for records that are not sign-in events; RecordRejected for sign-in records that
    cannot be kept. Everything else becomes a row, with what was missing listed in
    `data_issues` rather than guessed."""
    if not isinstance(record, Mapping):
        raise RecordRejected("record is not a JSON object")
    event_name = text(record.get("eventName"))
    source = signin_source(text(record.get("eventSource")), event_name)
    if source is None:
        return None
    event_source, source_inferred = source
    if event_name is None:
        raise RecordRejected(f"{event_source} record has no eventName")

    issues: list[str] = []
    if source_inferred:
        issues.append("event_source_inferred")
    event_id = text(record.get("eventID"))
    if event_id is None:
        issues.append("no_event_id")
        event_id = content_id(record)
    raw_time = text(record.get("eventTime"))
    event_time = parse_event_time(raw_time)
    if raw_time is None:
        issues.append("no_event_time")
    elif event_time is None:
        issues.append("bad_event_time")
    if not as_mapping(record.get("userIdentity")):
        issues.append("no_user_identity")
    source_ip = text(record.get("sourceIPAddress"))
    if source_ip is not None and not _is_ip(source_ip):
        issues.append("source_ip_not_ip")

    who = identify(record, event_source)
    extra = as_mapping(record.get("additionalEventData"))
    mfa_used = yes_no(extra.get("MFAUsed"))
    creds = credential_types(record)
    outcome = outcome_of(record, event_name)
    login_to = text(extra.get("LoginTo"))
    endpoint = endpoint_of(
        text(as_mapping(record.get("tlsDetails")).get("clientProvidedHostHeader")),
        login_to,
        root=who.identity_type == "Root",
    )
    user_identity = as_mapping(record.get("userIdentity"))

    row: dict[str, Any] = {
        "event_id": event_id,
        "event_time": event_time,
        "event_name": event_name,
        "event_kind": event_kind(event_source, event_name, outcome),
        "event_source": event_source,
        "account_id": text(record.get("recipientAccountId"))
        or text(user_identity.get("accountId")),
        "region": text(record.get("awsRegion")),
        "identity_type": who.identity_type,
        "user_name": who.user_name,
        "unknown_user": who.unknown_user,
        "identity_center_user_id": who.identity_center_user_id,
        "account_alias": who.account_alias,
        "principal_arn": who.principal_arn,
        "role_name": who.role_name,
        "session_name": who.session_name,
        "identity_provider": who.identity_provider,
        "source_ip": source_ip,
        "user_agent": text(record.get("userAgent")),
        "outcome": outcome,
        "failure_kind": (
            failure_kind_of(record, event_name, who.unknown_user, mfa_used)
            if outcome == "failure"
            else None
        ),
        "error_code": text(record.get("errorCode")),
        "error_message": text(record.get("errorMessage")),
        "mfa_used": mfa_used,
        "mfa_status": mfa_status_of(
            who.identity_type, who.federated, who.identity_center, event_name, mfa_used, creds
        ),
        "mfa_type": mfa_type_of(record, creds),
        "mfa_device": text(extra.get("MFAIdentifier")),
        "endpoint": endpoint.host,
        "endpoint_scope": endpoint.scope,
        "endpoint_inferred": endpoint.inferred if endpoint.host else None,
        "login_to": login_to,
        "mobile": yes_no(extra.get("MobileVersion")),
        "event_version": text(record.get("eventVersion")),
        "collected_from": safe(origin),
        "data_issues": ";".join(issues) or None,
        "principal_id": text(user_identity.get("principalId")),
        "typed_user_name": who.user_name,
    }
    return Normalized(row=row, issues=tuple(issues))
