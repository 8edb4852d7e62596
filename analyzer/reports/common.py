"""What every report agrees on: which rows are sign-ins, and how lists of values are shown."""

from __future__ import annotations

import pandas as pd

LOGIN = "login"
# The columns reports and findings read. Both narrow the frame to these first: every boolean
# selection copies each column it carries, and the other 15 columns made a large report's
# selections twice as slow (benchmarks/README.md).
ANALYZED_COLUMNS = [
    "event_id", "event_time", "event_name", "event_kind", "account_id", "user_name",
    "identity_type", "unknown_user", "role_name", "identity_provider", "source_ip",
    "user_agent", "outcome", "failure_kind", "mfa_status", "region", "endpoint",
    "endpoint_scope", "endpoint_inferred", "session_name", "identity_center_user_id",
]  # fmt: skip


def analyzed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame narrowed to ANALYZED_COLUMNS (no copy: the columns are shared)."""
    return frame[ANALYZED_COLUMNS]


def logins(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that are sign-in attempts (event_kind `login`): CheckMfa, credential steps and
    portal events describe an attempt but are not one, so counting them would inflate totals."""
    return frame[frame["event_kind"] == LOGIN]


def person(frame: pd.DataFrame) -> pd.Series:
    """One value per person: the account and the user name (canonical, see
    `analyzer.normalize.names`). A user is never a bare name across accounts: `admin` in two
    accounts is two people, so every "users" count counts these."""
    return (
        frame["account_id"].astype(object).fillna("?")
        + "/"
        + frame["user_name"].astype(object).fillna("?")
    )


def joined(values: pd.Series) -> str:
    """Distinct non-null values, sorted, comma-separated: stable output for diffs and tests.
    Runs once per group, so it avoids per-call pandas machinery (`dropna` on a small Series
    costs more than the join)."""
    return ", ".join(sorted({str(v) for v in values.tolist() if v is not None and v is not pd.NA}))


def count_of(mask: pd.Series) -> int:
    return int(mask.fillna(False).astype(bool).sum())
