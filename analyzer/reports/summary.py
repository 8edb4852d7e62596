"""Headline numbers of a report."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.reports.common import Rows


def summary(frame: pd.DataFrame) -> dict[str, Any]:
    """`mfa_share` is measured over successful sign-ins where AWS can see MFA (status `mfa` or
    `no_mfa`): federated (`idp`) sessions are left out instead of counted as "without MFA"."""
    return summary_of(Rows(frame))


def _sorted_distinct(values: pa.Array | pa.ChunkedArray) -> list[str]:
    return sorted(str(v) for v in pc.unique(values).drop_null().to_pylist())


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
    named = np.asarray(
        rows.column("logins", "user_name").is_valid().to_numpy(zero_copy_only=False), dtype=bool
    )
    known = rows.person("logins").filter(pa.array(~unknown_user & named))
    times = pc.min_max(rows.column("all", "event_time"))
    return {
        "signin_events": rows.size("all"),
        "sign_ins": rows.size("logins"),
        "successes": rows.size("successes"),
        "failures": rows.size("failures"),
        "outcome_unknown": int(rows.column("logins", "outcome").null_count),
        "distinct_users": int(pc.count_distinct(known).as_py()),
        "unknown_user_attempts": int(unknown_user.sum()),
        "successes_with_mfa": with_mfa,
        "successes_without_mfa": without_mfa,
        "successes_federated_idp": idp,
        "successes_mfa_unknown": rows.size("successes") - with_mfa - without_mfa - idp,
        "mfa_share": round(with_mfa / visible, 4) if visible else None,
        "accounts": len(_sorted_distinct(rows.column("all", "account_id"))),
        "account_ids": _sorted_distinct(rows.column("all", "account_id")),
        "regions": _sorted_distinct(rows.column("all", "region")),
        "first_event": _moment(times["min"]),
        "last_event": _moment(times["max"]),
    }
