"""Names across records. Identity Center: since the 2025 change, a user's name appears in one
event of a sign-in (CredentialChallenge for a password, UserAuthentication for an external
IdP) and every other event carries only the opaque user id. IAM users: a failed sign-in
records the name as typed, in any case. A per-record normalizer cannot see either; these
passes over the frame can."""

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


# IAM user names are unique without regard to case, and a failed sign-in records the name as
# typed: the same user is `CATTeamIDC` on successes and `catteamidc` on failures.
CASE_INSENSITIVE_TYPES = ("IAMUser",)


def _person_keys(combos: pd.DataFrame) -> pd.Series:
    """One key per IAM user: the account and `principalId` where CloudTrail gives one, else
    the account and the lower-cased name. A row without a principal joins the principal that
    the same lower-cased name has in the same account, when exactly one has it. `combos` are
    the distinct (account, principal, name) of the frame: few, however long the frame."""
    account = combos["account_id"].astype(object).fillna("")
    by_name = account + "/" + combos["user_name"].astype(object).str.lower()
    principal = combos["principal_id"].astype(object)
    known = principal.notna()
    owners = pd.DataFrame({"name": by_name[known], "principal": principal[known]})
    single = owners.drop_duplicates().groupby("name")["principal"].agg(["nunique", "first"])
    unique_owner = single.loc[single["nunique"] == 1, "first"]
    principal = principal.where(known, by_name.map(unique_owner))
    return ("p:" + account + "/" + principal).where(principal.notna(), "n:" + by_name)


def canonical_user_names(frame: pd.DataFrame) -> pd.DataFrame:
    """IAM user rows of one person (same account and principal, else same name without case)
    get one `user_name`: the spelling of the person's latest successful sign-in (IAM's own
    spelling), else of their latest attempt. `typed_user_name` keeps what each record wrote.
    Runs on any frame (a collection, history of several runs) and is idempotent; the work is
    done on the distinct (account, principal, name) combinations, not per row."""
    if frame.empty or "principal_id" not in frame.columns:
        return frame
    mask = (
        frame["identity_type"].isin(CASE_INSENSITIVE_TYPES).fillna(False).astype(bool)
        & ~frame["unknown_user"].fillna(False).astype(bool)
        & frame["user_name"].notna()
    )
    if not mask.any():
        return frame
    keys = ["account_id", "principal_id", "user_name"]
    rows = frame.loc[mask, [*keys, "outcome", "event_time"]]
    combos = rows[keys].drop_duplicates().reset_index(drop=True)
    combos["person"] = _person_keys(combos)
    if combos["person"].is_unique:
        return frame  # every person has one spelling already: nothing to change
    ok = (rows["outcome"] == "success").fillna(False).astype(bool)
    latest = rows.groupby(keys, dropna=False, sort=False)["event_time"].max()
    latest_ok = rows[ok].groupby(keys, dropna=False, sort=False)["event_time"].max()
    ranked = combos.join(latest.rename("at"), on=keys).join(latest_ok.rename("at_ok"), on=keys)
    ranked = ranked.assign(ok=ranked["at_ok"].notna()).sort_values(
        ["ok", "at_ok", "at"], na_position="first", kind="stable"
    )
    canonical = ranked.groupby("person")["user_name"].last()
    combos["canonical"] = combos["person"].map(canonical)
    renamed = combos[combos["canonical"] != combos["user_name"]]
    lookup = rows[keys].merge(renamed[[*keys, "canonical"]], on=keys, how="left")
    lookup.index = rows.index
    fill = lookup["canonical"].notna()
    resolved = frame.copy()
    resolved.loc[lookup.index[fill], "user_name"] = lookup.loc[fill, "canonical"].astype(
        resolved["user_name"].dtype
    )
    return resolved
