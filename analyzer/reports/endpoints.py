"""Sign-ins per sign-in endpoint and the region whose log holds them."""

from __future__ import annotations

import pandas as pd

from analyzer.reports.common import joined, logins, person

ENDPOINT_KEYS = ["endpoint", "endpoint_scope", "region"]


def by_endpoint(frame: pd.DataFrame) -> pd.DataFrame:
    """Global-endpoint sign-ins logged outside us-east-1 are the ones collectors miss, so the
    region stays part of the key instead of being folded into the host."""
    attempts = logins(frame).assign(
        _success=lambda f: (f["outcome"] == "success").fillna(False).astype(int),
        _failure=lambda f: (f["outcome"] == "failure").fillna(False).astype(int),
        _inferred=lambda f: f["endpoint_inferred"].fillna(False).astype(int),
        _person=person,
    )
    columns = [
        *ENDPOINT_KEYS,
        "sign_ins",
        "successes",
        "failures",
        "inferred",
        "users",
        "user_names",
    ]
    if attempts.empty:
        return pd.DataFrame(columns=columns)
    table = (
        attempts.groupby(ENDPOINT_KEYS, dropna=False, sort=False)
        .agg(
            sign_ins=("event_id", "size"),
            successes=("_success", "sum"),
            failures=("_failure", "sum"),
            inferred=("_inferred", "sum"),
            users=("_person", "nunique"),
            user_names=("user_name", joined),
        )
        .reset_index()
        .sort_values(
            ["sign_ins", "endpoint", "region"], ascending=[False, True, True], kind="stable"
        )
    )
    return table[columns].reset_index(drop=True)
