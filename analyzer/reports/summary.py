"""Headline numbers of a report."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.reports.common import Rows
from analyzer.reports.grouping import Encoded


def summary(frame: pd.DataFrame) -> dict[str, Any]:
    """`mfa_share` is measured over successful sign-ins where AWS can see MFA (status `mfa` or
    `no_mfa`): federated (`idp`) sessions are left out instead of counted as "without MFA"."""
    return summary_of(Rows(frame))


def _sorted_distinct(column: Encoded) -> list[str]:
    """The column's distinct non-null values (every encoded value occurs in some row)."""
    return sorted(str(v) for v in column.values.drop_null().to_pylist())


def _nulls(column: Encoded) -> int:
    null = column.null_code
    return 0 if null is None else int((column.codes == null).sum())


def _moment(value: pa.Scalar) -> str | None:
    """ISO form of a time as pandas writes it (`Timestamp.isoformat`)."""
    return None if not value.is_valid else pd.Timestamp(value.as_py()).isoformat()


def summary_of(rows: Rows) -> dict[str, Any]:
    """`summary` over rows already selected."""
    with_mfa = int(rows.equals("successes", "mfa_status", "mfa").sum())
    without_mfa = int(rows.equals("successes", "mfa_status", "no_mfa").sum())
    idp = int(rows.equals("successes", "mfa_status", "idp").sum())
    visible = with_mfa + without_mfa
    unknown_user = rows.flag("logins", "unknown_user")
    names = rows.encoded("logins", "user_name")
    named = (
        np.ones(len(names.codes), dtype=bool)
        if names.null_code is None
        else (names.codes != names.null_code)
    )
    known = rows.person("logins").codes[~unknown_user & named]
    times = pc.min_max(rows.column("all", "event_time"))
    return {
        "signin_events": rows.size("all"),
        "sign_ins": rows.size("logins"),
        "successes": rows.size("successes"),
        "failures": rows.size("failures"),
        "outcome_unknown": _nulls(rows.encoded("logins", "outcome")),
        "distinct_users": len(pd.unique(known)),
        "unknown_user_attempts": int(unknown_user.sum()),
        "successes_with_mfa": with_mfa,
        "successes_without_mfa": without_mfa,
        "successes_federated_idp": idp,
        "successes_mfa_unknown": rows.size("successes") - with_mfa - without_mfa - idp,
        "mfa_share": round(with_mfa / visible, 4) if visible else None,
        "accounts": len(_sorted_distinct(rows.encoded("all", "account_id"))),
        "account_ids": _sorted_distinct(rows.encoded("all", "account_id")),
        "regions": _sorted_distinct(rows.encoded("all", "region")),
        "first_event": _moment(times["min"]),
        "last_event": _moment(times["max"]),
    }
