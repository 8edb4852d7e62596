from __future__ import annotations

from typing import Any

from analyzer.frame.schema import frame_from_rows
from analyzer.normalize import normalize_record
from analyzer.normalize.names import canonical_user_names, resolve_identity_center_names
from analyzer.reports import by_user, failures_by_user, summary
from tests.conftest import console_login
from tests.reports.test_reports import frame as frame_of


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


FAILED: dict[str, Any] = {
    "responseElements": {"ConsoleLogin": "Failure"},
    "errorMessage": "Failed authentication",
}


def _iam(
    event_id: str, name: str, *, principal: str | None, account: str = "111122223333", **more: Any
) -> dict[str, Any]:
    identity: dict[str, Any] = {"type": "IAMUser", "accountId": account, "userName": name}
    if principal:
        identity["principalId"] = principal
    return console_login(
        eventID=event_id,
        eventTime=f"2026-11-03T0{event_id[-1]}:00:00Z",
        userIdentity=identity,
        recipientAccountId=account,
        **more,
    )


def test_one_principal_is_one_user_spelled_as_on_its_successes() -> None:
    """The issue's pair: same principalId, `CATTeamIDC` on a success, `catteamidc` typed on a
    failure (after the success, so "latest spelling" alone would pick the typed one)."""
    frame = frame_of(
        _iam("e1", "CATTeamIDC", principal="AIDAEXAMPLECAT"),
        _iam("e2", "catteamidc", principal="AIDAEXAMPLECAT", **FAILED),
    )
    resolved = canonical_user_names(frame)
    assert list(resolved["user_name"]) == ["CATTeamIDC", "CATTeamIDC"]
    assert list(resolved["typed_user_name"]) == ["CATTeamIDC", "catteamidc"]
    assert list(resolved["principal_id"]) == ["AIDAEXAMPLECAT", "AIDAEXAMPLECAT"]
    users = by_user(resolved)
    assert users[["user_name", "sign_ins", "successes", "failures"]].values.tolist() == [
        ["CATTeamIDC", 2, 1, 1]
    ]
    assert summary(resolved)["distinct_users"] == 1
    assert failures_by_user(resolved)["user_name"].tolist() == ["CATTeamIDC"]


def test_without_a_principal_names_match_without_case_within_the_account() -> None:
    frame = frame_of(
        _iam("e1", "Bob", principal="AIDABOB"),
        _iam("e2", "BOB", principal=None, **FAILED),  # joins Bob's principal by name
        _iam("e3", "bob", principal=None, account="444455556666", **FAILED),  # other account
        _iam("e4", "eve", principal=None, **FAILED),
        _iam("e5", "EVE", principal=None, **FAILED),  # no success: the latest spelling
    )
    resolved = canonical_user_names(frame)
    assert list(resolved["user_name"]) == ["Bob", "Bob", "bob", "EVE", "EVE"]
    users = by_user(resolved).set_index(["account_id", "user_name"])["sign_ins"].to_dict()
    assert users == {
        ("111122223333", "Bob"): 2,
        ("444455556666", "bob"): 1,
        ("111122223333", "EVE"): 2,
    }


def test_different_principals_and_other_identity_types_stay_apart() -> None:
    role = {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/R/Alice"}
    frame = frame_of(
        _iam("e1", "alice", principal="AIDAONE"),
        _iam("e2", "Alice", principal="AIDATWO"),  # a deleted and re-created user
        console_login(eventID="e3", userIdentity=role, recipientAccountId="111122223333"),
    )
    resolved = canonical_user_names(frame)
    assert list(resolved["user_name"]) == ["alice", "Alice", "Alice"]
    assert canonical_user_names(resolved) is resolved  # idempotent: nothing left to change


def test_collections_apply_the_rule(tmp_path: Any) -> None:
    from analyzer.api import read_logs
    from tests.conftest import write_trail

    write_trail(
        tmp_path / "t.json.gz",
        [
            _iam("e1", "catteamidc", principal="AIDAEXAMPLECAT", **FAILED),
            _iam("e2", "CATTeamIDC", principal="AIDAEXAMPLECAT"),
        ],
    )
    frame = read_logs(tmp_path)
    assert set(frame["user_name"]) == {"CATTeamIDC"}
    assert set(frame["typed_user_name"]) == {"CATTeamIDC", "catteamidc"}


def test_history_of_several_runs_shows_one_spelling(tmp_path: Any) -> None:
    """Run 1 saw only the typed name on a failure, run 2 the success: read back, one user."""
    from datetime import UTC, datetime

    from analyzer.history.store import History

    history = History.open(str(tmp_path / "history"))
    run1 = frame_of(_iam("e1", "catteamidc", principal="AIDAEXAMPLECAT", **FAILED))
    history.append(canonical_user_names(run1), collected_until=datetime(2026, 11, 3, 2, tzinfo=UTC))
    run2 = frame_of(_iam("e2", "CATTeamIDC", principal="AIDAEXAMPLECAT"))
    history.append(canonical_user_names(run2), collected_until=datetime(2026, 11, 4, tzinfo=UTC))
    stored = History.open(str(tmp_path / "history")).read()
    assert list(stored["user_name"]) == ["CATTeamIDC", "CATTeamIDC"]
    assert list(stored["typed_user_name"]) == ["catteamidc", "CATTeamIDC"]
