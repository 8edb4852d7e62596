"""The report's sections against a plain pandas reference, on randomized frames.

The sections select their rows once and aggregate with Arrow/NumPy group operations
(`reports.common.Rows`, `reports.grouping.Groups`). The reference below is the obvious
pandas form of each table (a boolean selection, `groupby(sort=False, dropna=False)` with a
Python function for the joined lists, a stable sort): every table must equal it exactly,
values, dtypes, row order (ties included) and index, on frames with nulls in every column,
hostile strings, and few distinct values so that groups and sort ties abound.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from analyzer.domain.coverage import AccountCoverage, Coverage
from analyzer.frame.schema import frame_from_rows
from analyzer.reports import build_report

# --- the reference ----------------------------------------------------------------------


def ref_logins(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["event_kind"] == "login").fillna(False).astype(bool)]


def ref_flag(values: pd.Series) -> pd.Series:
    return values.fillna(False).astype(bool)


def ref_person(frame: pd.DataFrame, first: str = "account_id") -> pd.Series:
    return (
        frame[first].astype(object).fillna("?")
        + "/"
        + frame["user_name"].astype(object).fillna("?")
    )


def ref_joined(values: pd.Series) -> str:
    return ", ".join(sorted({str(v) for v in values.tolist() if v is not None and v is not pd.NA}))


def ref_users(frame: pd.DataFrame) -> pd.DataFrame:
    attempts = ref_logins(frame)
    ok = ref_flag(attempts["outcome"] == "success")
    status = attempts["mfa_status"]
    attempts = attempts.assign(
        _success=ok.astype(int),
        _failure=ref_flag(attempts["outcome"] == "failure").astype(int),
        _mfa=(ok & ref_flag(status == "mfa")).astype(int),
        _no_mfa=(ok & ref_flag(status == "no_mfa")).astype(int),
        _idp=(ok & ref_flag(status == "idp")).astype(int),
    )
    table = (
        attempts.groupby(["account_id", "user_name", "identity_type"], dropna=False, sort=False)
        .agg(
            sign_ins=("event_id", "size"),
            successes=("_success", "sum"),
            failures=("_failure", "sum"),
            successes_with_mfa=("_mfa", "sum"),
            successes_without_mfa=("_no_mfa", "sum"),
            successes_federated_idp=("_idp", "sum"),
            first_seen=("event_time", "min"),
            last_seen=("event_time", "max"),
            source_ips=("source_ip", "nunique"),
            endpoints=("endpoint", ref_joined),
            regions=("region", ref_joined),
        )
        .reset_index()
    )
    table = table.sort_values(
        ["sign_ins", "failures", "user_name"], ascending=[False, False, True], kind="stable"
    )
    return table.reset_index(drop=True)


def ref_endpoints(frame: pd.DataFrame) -> pd.DataFrame:
    attempts = ref_logins(frame)
    attempts = attempts.assign(
        _success=ref_flag(attempts["outcome"] == "success").astype(int),
        _failure=ref_flag(attempts["outcome"] == "failure").astype(int),
        _inferred=ref_flag(attempts["endpoint_inferred"]).astype(int),
        _person=ref_person(attempts),
    )
    table = (
        attempts.groupby(["endpoint", "endpoint_scope", "region"], dropna=False, sort=False)
        .agg(
            sign_ins=("event_id", "size"),
            successes=("_success", "sum"),
            failures=("_failure", "sum"),
            inferred=("_inferred", "sum"),
            users=("_person", "nunique"),
            user_names=("user_name", ref_joined),
        )
        .reset_index()
        .sort_values(
            ["sign_ins", "endpoint", "region"], ascending=[False, True, True], kind="stable"
        )
    )
    return table.reset_index(drop=True)


def ref_failed(frame: pd.DataFrame) -> pd.DataFrame:
    attempts = ref_logins(frame)
    failed = attempts[ref_flag(attempts["outcome"] == "failure")]
    return failed.assign(_person=ref_person(failed))


def ref_failures_by_user(frame: pd.DataFrame) -> pd.DataFrame:
    table = (
        ref_failed(frame)
        .groupby(["account_id", "user_name", "identity_type"], dropna=False, sort=False)
        .agg(
            failures=("event_id", "size"),
            kinds=("failure_kind", ref_joined),
            source_ips=("source_ip", ref_joined),
            first_failure=("event_time", "min"),
            last_failure=("event_time", "max"),
        )
        .reset_index()
        .sort_values(["failures", "user_name"], ascending=[False, True], kind="stable")
    )
    return table.reset_index(drop=True)


def ref_failures_by_source_ip(frame: pd.DataFrame) -> pd.DataFrame:
    table = (
        ref_failed(frame)
        .groupby("source_ip", dropna=False, sort=False)
        .agg(
            failures=("event_id", "size"),
            users=("_person", "nunique"),
            user_names=("user_name", ref_joined),
            kinds=("failure_kind", ref_joined),
        )
        .reset_index()
        .sort_values(["failures", "source_ip"], ascending=[False, True], kind="stable")
    )
    return table.reset_index(drop=True)


def ref_failures_by_kind(frame: pd.DataFrame) -> pd.DataFrame:
    table = (
        ref_failed(frame)
        .groupby("failure_kind", dropna=False, sort=False)
        .agg(
            failures=("event_id", "size"),
            users=("_person", "nunique"),
            source_ips=("source_ip", "nunique"),
        )
        .reset_index()
        .sort_values(["failures", "failure_kind"], ascending=[False, True], kind="stable")
    )
    return table.reset_index(drop=True)


MFA_NAMES = {
    "mfa": "successes_with_mfa",
    "no_mfa": "successes_without_mfa",
    "idp": "successes_federated_idp",
    "unknown": "successes_mfa_unknown",
}


def ref_mfa_by_identity(frame: pd.DataFrame) -> pd.DataFrame:
    attempts = ref_logins(frame)
    ok = attempts[ref_flag(attempts["outcome"] == "success")]
    table = pd.crosstab(
        ok["identity_type"].astype(object).fillna("(none)"),
        ok["mfa_status"].astype(object).fillna("unknown"),
    )
    for status in MFA_NAMES:
        if status not in table.columns:
            table[status] = 0
    table = table[list(MFA_NAMES)].astype(int).rename(columns=MFA_NAMES)
    table.columns.name = None
    return table.reset_index().rename(columns={"index": "identity_type"})


def ref_without_mfa(frame: pd.DataFrame) -> pd.DataFrame:
    attempts = ref_logins(frame)
    mask = ref_flag(
        (attempts["outcome"] == "success")
        & attempts["identity_type"].isin(["IAMUser", "Root"])
        & (attempts["mfa_status"] == "no_mfa")
    )
    columns = ["event_time", "account_id", "user_name", "identity_type", "source_ip"]
    columns += ["endpoint", "region", "user_agent", "event_id"]
    return attempts.loc[mask, columns].reset_index(drop=True)


def ref_accounts(frame: pd.DataFrame, accounts: list[AccountCoverage]) -> pd.DataFrame:
    attempts = ref_logins(frame)
    ok = ref_flag(attempts["outcome"] == "success").to_numpy()
    failed = ref_flag(attempts["outcome"] == "failure").to_numpy()
    root = ref_flag(attempts["identity_type"] == "Root").to_numpy()
    principal = ref_person(attempts, "identity_type")
    rows = []
    for entry in sorted(accounts, key=lambda a: a.account):
        mine = ref_flag(attempts["account_id"] == entry.account).to_numpy()
        rows.append(
            {
                "account_id": entry.account,
                "name": entry.name,
                "status": entry.status,
                "regions_read": entry.regions_read,
                "regions_failed": entry.regions_failed,
                "sign_ins": int(mine.sum()),
                "successes": int((ok & mine).sum()),
                "failures": int((failed & mine).sum()),
                "users": int(principal[mine].nunique()),
                "root_sign_ins": int((root & ok & mine).sum()),
                "reason": entry.reason,
            }
        )
    return pd.DataFrame(rows)


def ref_summary(frame: pd.DataFrame) -> dict[str, Any]:
    attempts = ref_logins(frame)
    ok = attempts[ref_flag(attempts["outcome"] == "success")]
    status = {s: int(ref_flag(ok["mfa_status"] == s).sum()) for s in ("mfa", "no_mfa", "idp")}
    visible = status["mfa"] + status["no_mfa"]
    known = attempts[~ref_flag(attempts["unknown_user"])].dropna(subset=["user_name"])
    times = frame["event_time"].dropna()
    accounts = sorted(str(a) for a in frame["account_id"].dropna().unique())
    return {
        "signin_events": len(frame),
        "sign_ins": len(attempts),
        "successes": len(ok),
        "failures": int(ref_flag(attempts["outcome"] == "failure").sum()),
        "outcome_unknown": int(attempts["outcome"].isna().sum()),
        "distinct_users": int(ref_person(known).nunique()),
        "unknown_user_attempts": int(ref_flag(attempts["unknown_user"]).sum()),
        "successes_with_mfa": status["mfa"],
        "successes_without_mfa": status["no_mfa"],
        "successes_federated_idp": status["idp"],
        "successes_mfa_unknown": len(ok) - sum(status.values()),
        "mfa_share": round(status["mfa"] / visible, 4) if visible else None,
        "accounts": len(accounts),
        "account_ids": accounts,
        "regions": sorted(str(r) for r in frame["region"].dropna().unique()),
        "first_event": times.min().isoformat() if len(times) else None,
        "last_event": times.max().isoformat() if len(times) else None,
    }


REFERENCE = {
    "users": ref_users,
    "endpoints": ref_endpoints,
    "mfa_by_identity": ref_mfa_by_identity,
    "without_mfa": ref_without_mfa,
    "failures_by_kind": ref_failures_by_kind,
    "failures_by_user": ref_failures_by_user,
    "failures_by_source_ip": ref_failures_by_source_ip,
}

# --- randomized frames ------------------------------------------------------------------

HOSTILE = [
    "", " ", "=cmd|' /C calc'!A0", "a, b", "a/b", "?", 'quote"d', "line\nbreak", "cr\rhere",
    "é", "😀", "\u202egnp.exe", "zero\u200bwidth", "\x1b[31mred", "Z", "a", "A", "ä",
]  # fmt: skip
BASE = datetime(2026, 11, 1, tzinfo=UTC)


def pool(rng: random.Random, values: list[Any], nulls: float = 0.15) -> Any:
    return None if rng.random() < nulls else rng.choice(values)


def random_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Few distinct values per column (many groups share counts and names: sort ties),
    nulls everywhere, hostile text in the names and addresses."""
    names = [*rng.sample(HOSTILE, 6), "alice", "bob", "HIDDEN_DUE_TO_SECURITY_REASONS"]
    times = [BASE + timedelta(minutes=rng.randrange(0, 5000), microseconds=i) for i in range(6)]
    rows = []
    for index in range(count):
        rows.append(
            {
                "event_id": f"e{index}" if rng.random() > 0.05 else None,
                "event_time": pool(rng, times),
                "event_name": "ConsoleLogin",
                "event_kind": pool(rng, ["login"] * 5 + ["mfa_check", "portal"], 0.0),
                "account_id": pool(rng, ["111111111111", "222222222222", "?", "a/b", "a"]),
                "region": pool(rng, ["us-east-1", "eu-west-1", "é"]),
                "identity_type": pool(rng, ["IAMUser", "Root", "AssumedRole", "?"]),
                "user_name": pool(rng, names),
                "unknown_user": pool(rng, [True, False]),
                "source_ip": pool(rng, ["192.0.2.1", "192.0.2.2", *rng.sample(HOSTILE, 3)]),
                "user_agent": pool(rng, HOSTILE),
                "outcome": pool(rng, ["success", "success", "failure"]),
                "failure_kind": pool(rng, ["bad_password", "mfa", "", "z, a"]),
                "mfa_status": pool(rng, ["mfa", "no_mfa", "idp", "unknown", "other"]),
                "endpoint": pool(rng, ["signin.aws.amazon.com", "b/c", ""]),
                "endpoint_scope": pool(rng, ["global", "regional"]),
                "endpoint_inferred": pool(rng, [True, False]),
            }
        )
    return rows


def report_of(frame: pd.DataFrame, accounts: list[AccountCoverage]) -> Any:
    coverage = Coverage(accounts=accounts) if accounts else None
    return build_report(
        frame, coverage, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC)
    )


ACCOUNTS = [
    AccountCoverage("222222222222", name="two", status="read"),
    AccountCoverage("a/b", status="read"),
    AccountCoverage("111111111111", name="one", status="failed", reason="AccessDenied"),
    AccountCoverage("333333333333", status="pending"),
]


def chunked_frame(rows: list[dict[str, Any]], pieces: int) -> pd.DataFrame:
    """The frame with every column in several Arrow chunks, as a frame read from many files
    (or the history's Parquet parts) has."""
    size = max(len(rows) // pieces, 1)
    parts = [rows[start : start + size] for start in range(0, len(rows), size)] or [[]]
    table = pa.concat_tables(
        [pa.Table.from_pandas(frame_from_rows(part), preserve_index=False) for part in parts]
    )
    frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return frame


@pytest.mark.parametrize("seed", range(30))
def test_sections_equal_the_pandas_reference(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    count = rng.choice([0, 1, 2, 7, 40, 300])
    rows = random_rows(rng, count)
    frame = chunked_frame(rows, 1 + seed % 4)
    report = report_of(frame, ACCOUNTS)
    assert report.summary == ref_summary(frame)
    attempts = ref_logins(frame)
    for key, reference in REFERENCE.items():
        got = report.tables[key]
        if key == "mfa_by_identity":
            has_rows = bool(ref_flag(attempts["outcome"] == "success").any())
        else:
            has_rows = not attempts.empty and (
                not key.startswith("failures")
                or bool(ref_flag(attempts["outcome"] == "failure").any())
            )
        if not has_rows and key != "without_mfa":
            assert got.empty, key
            continue
        expected = in_report_dtypes(reference(frame))
        pd.testing.assert_frame_equal(got, expected[list(got.columns)], check_exact=True, obj=key)
        assert list(got.columns) == list(expected.columns), key
    accounts = report.tables["accounts"]
    pd.testing.assert_frame_equal(accounts, in_report_dtypes(ref_accounts(frame, ACCOUNTS)))
    for key, table in report.tables.items():  # every column Arrow-backed, as the frame's
        assert all(isinstance(t, pd.ArrowDtype) for t in table.dtypes), (key, table.dtypes)


def in_report_dtypes(reference: pd.DataFrame) -> pd.DataFrame:
    """The reference's numpy counts and Python text as the report's Arrow columns (values
    unchanged: the comparison stays exact)."""
    arrow = {
        name: pd.ArrowDtype(pa.from_numpy_dtype(dtype))
        if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.ArrowDtype)
        else pd.ArrowDtype(pa.string())
        if pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, pd.ArrowDtype)
        else dtype
        for name, dtype in reference.dtypes.items()
    }
    return reference.astype(arrow)
