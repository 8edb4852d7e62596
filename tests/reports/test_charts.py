"""The HTML report's chart series from the report's encodings against the pandas forms they
replace (`value_counts` and `crosstab` over the rows' Python values), on random frames with
nulls, values that print like the placeholders for nulls, ties among many users, and days
with gaps, before 1970 too."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from analyzer.frame.schema import frame_from_rows
from analyzer.reports.activity import per_day
from analyzer.reports.charts import TOP_PLACES, TOP_USERS, ChartSeries, chart_series
from analyzer.reports.common import logins
from analyzer.reports.users import by_user
from tests.reports.test_reference import chunked_frame, random_rows


def ref_counted(values: pd.Series, top: int | None = None) -> list[tuple[str, int]]:
    """`value_counts().head(top)` with its order spelled out: most first, ties in order of
    first appearance (pandas 3's order; pandas 2.2 orders ties otherwise)."""
    counts: dict[str, int] = {}
    for value in values.dropna().tolist():
        counts[str(value)] = counts.get(str(value), 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])  # (stable: ties keep order)
    return ranked if top is None else ranked[:top]


def ref_users(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """The users table's first rows, each bar named by its user, and by its identity type
    and account as well where two shown rows share a name."""
    head = by_user(frame).head(TOP_USERS).astype(object).where(lambda t: t.notna(), None)
    rows = head.to_dict("records")
    names = ["(none)" if row["user_name"] is None else row["user_name"] for row in rows]
    labels = []
    for name, row in zip(names, rows, strict=True):
        if sum(other == name for other in names) > 1:
            kind, account = row["identity_type"], row["account_id"]
            kind = "?" if kind is None else kind
            name += f" ({kind} in {'unknown account' if account is None else account})"
        labels.append((name, int(row["sign_ins"])))
    return labels


def ref_series(frame: pd.DataFrame) -> ChartSeries:
    """`chart_series` as it was: boolean selections and `value_counts` of object columns."""
    attempts = logins(frame).reset_index(drop=True)
    succeeded = attempts[(attempts["outcome"] == "success").fillna(False).astype(bool)]
    places = (
        attempts["endpoint"].astype(object).fillna("(unknown)")
        + " @ "
        + attempts["region"].astype(object).fillna("?")
    )
    return ChartSeries(
        per_day=per_day(attempts),  # (the pandas form, still the path of other time units)
        mfa=ref_counted(succeeded["mfa_status"].astype(object)),
        users=ref_users(frame),
        places=ref_counted(places, TOP_PLACES),
    )


def spread(rng: random.Random, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Times over weeks (days without sign-ins between) and on both sides of 1970, more
    users than the chart shows (ties among them), and values that print like the
    placeholders for nulls."""
    start = rng.choice([datetime(2026, 10, 1, tzinfo=UTC), datetime(1969, 12, 20, tzinfo=UTC)])
    users = [f"user{n}" for n in range(25)] + ["(none)", None]
    for row in rows:
        if rng.random() < 0.6:
            row["event_time"] = start + timedelta(seconds=rng.randrange(0, 40 * 86_400))
        row["user_name"] = rng.choice(users)
        if rng.random() < 0.1:
            row["outcome"] = rng.choice(["unknown", "other", None])
        if rng.random() < 0.1:
            row["endpoint"] = rng.choice(["(unknown)", None])
        if rng.random() < 0.1:
            row["region"] = rng.choice(["?", None])
    return rows


@pytest.mark.parametrize("seed", range(16))
def test_series_equal_the_pandas_reference(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    rows = random_rows(rng, rng.choice([0, 1, 7, 60, 400]))
    if seed % 2:
        rows = spread(rng, rows)
    frame = chunked_frame(rows, rng.choice([1, 3])) if rows else frame_from_rows(rows)
    found, expected = chart_series(frame), ref_series(frame)
    assert found.mfa == expected.mfa
    assert found.users == expected.users
    assert found.places == expected.places
    pd.testing.assert_frame_equal(found.per_day, expected.per_day)
    found_days, expected_days = found.per_day.index, expected.per_day.index
    assert isinstance(found_days, pd.DatetimeIndex)
    assert isinstance(expected_days, pd.DatetimeIndex)
    assert found_days.freq == expected_days.freq


def test_no_times_and_no_rows() -> None:
    rows = random_rows(random.Random(3), 20)  # noqa: S311 - reproducible test data
    for row in rows:
        row["event_time"] = None
    for frame in (frame_from_rows(rows), frame_from_rows([])):
        pd.testing.assert_frame_equal(chart_series(frame).per_day, ref_series(frame).per_day)


@pytest.mark.parametrize(
    "kind",
    [
        pa.timestamp("s", tz="UTC"),
        pa.timestamp("ms", tz="UTC"),
        pa.timestamp("ns", tz="UTC"),
        pa.timestamp("us", tz="Europe/Paris"),
    ],
)
def test_times_of_another_unit_or_zone_count_the_same_days(kind: pa.DataType) -> None:
    """A hand-made frame's times: counted by the pandas path, whatever the unit."""
    rng = random.Random(9)  # noqa: S311 - reproducible test data, not secrets
    rows = spread(rng, random_rows(rng, 300))
    for row in rows:  # whole seconds: every unit holds them
        if row["event_time"] is not None:
            row["event_time"] = row["event_time"].replace(microsecond=0)
    frame = frame_from_rows(rows)
    frame["event_time"] = frame["event_time"].astype(pd.ArrowDtype(kind))
    pd.testing.assert_frame_equal(chart_series(frame).per_day, ref_series(frame).per_day)


def test_users_of_one_name_are_apart_and_say_whose() -> None:
    """Two `admin` IAM users in two accounts and an `admin` role session are three bars
    (the users table's rows), not one bar of their sum; a name seen once stays bare."""
    rows = random_rows(random.Random(5), 9)  # noqa: S311 - reproducible test data
    principals = [
        ("111111111111", "admin", "IAMUser"),
        ("111111111111", "admin", "IAMUser"),
        ("111111111111", "admin", "IAMUser"),
        ("222222222222", "admin", "IAMUser"),
        ("222222222222", "admin", "IAMUser"),
        ("222222222222", "admin", "AssumedRole"),
        (None, "admin", None),
        ("111111111111", "carol", "IAMUser"),
        ("111111111111", "carol", "IAMUser"),
    ]
    for row, (account, name, kind) in zip(rows, principals, strict=True):
        row.update(account_id=account, user_name=name, identity_type=kind, event_kind="login")
        row["outcome"] = "success"
    users = dict(chart_series(frame_from_rows(rows)).users)
    assert users == {
        "admin (IAMUser in 111111111111)": 3,
        "admin (IAMUser in 222222222222)": 2,
        "carol": 2,
        "admin (AssumedRole in 222222222222)": 1,
        "admin (? in unknown account)": 1,
    }
