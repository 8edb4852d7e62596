"""Identity Center names across records: since the 2025 change, a user's name appears in one
event of a sign-in (CredentialChallenge for a password, UserAuthentication for an external
IdP) and every other event carries only the opaque user id. A per-record normalizer cannot
see that; this pass over the frame can."""

from __future__ import annotations

import pandas as pd


def resolve_identity_center_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose user_name is just their Identity Center user id get the name another row of
    the same frame gives that id. Ids with two different names are left alone."""
    ids = frame["identity_center_user_id"]
    named = frame[ids.notna() & (frame["user_name"] != ids)]
    if named.empty:
        return frame
    names: dict[str, str] = {}
    for user_id, values in named.groupby("identity_center_user_id")["user_name"]:
        distinct = {str(v) for v in values.dropna()}
        if len(distinct) == 1:
            names[str(user_id)] = distinct.pop()
    if not names:
        return frame
    unresolved = ids.notna() & (frame["user_name"] == ids).fillna(False).astype(bool)
    if not unresolved.any():
        return frame
    resolved = frame.copy()
    replacement = ids[unresolved].map(names)
    fill = replacement.notna()
    resolved.loc[replacement[fill].index, "user_name"] = replacement[fill].astype(
        resolved["user_name"].dtype
    )
    return resolved
