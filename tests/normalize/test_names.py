from __future__ import annotations

from typing import Any

from analyzer.frame.schema import frame_from_rows
from analyzer.normalize import normalize_record
from analyzer.normalize.names import resolve_identity_center_names
from tests.conftest import console_login


def _ic(event_name: str, event_id: str, user_name: str | None, user_id: str) -> dict[str, Any]:
    extra: dict[str, Any] = {"CredentialType": "PASSWORD"}
    if user_name:
        extra["UserName"] = user_name
    record = console_login(
        eventName=event_name,
        eventID=event_id,
        responseElements=None,
        userIdentity={"type": "IdentityCenterUser", "onBehalfOf": {"userId": user_id}},
        additionalEventData=extra,
    )
    normalized = normalize_record(record, "x")
    assert normalized is not None
    return normalized.row


def test_user_id_rows_take_the_name_another_row_gives() -> None:
    frame = frame_from_rows(
        [
            _ic("CredentialChallenge", "1", "dana", "u-1"),
            _ic("UserAuthentication", "2", None, "u-1"),
            _ic("UserAuthentication", "3", None, "u-2"),
        ]
    )
    resolved = resolve_identity_center_names(frame)
    assert list(resolved["user_name"]) == ["dana", "dana", "u-2"]
    assert list(frame["user_name"]) == ["dana", "u-1", "u-2"]  # input untouched


def test_ambiguous_ids_are_left_alone() -> None:
    frame = frame_from_rows(
        [
            _ic("CredentialChallenge", "1", "dana", "u-1"),
            _ic("CredentialChallenge", "2", "other", "u-1"),
            _ic("UserAuthentication", "3", None, "u-1"),
        ]
    )
    assert list(resolve_identity_center_names(frame)["user_name"]) == ["dana", "other", "u-1"]
