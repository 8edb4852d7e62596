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


def _person_keys(rows: pd.DataFrame) -> pd.Series:
    """One key per IAM user: the account and `principalId` where CloudTrail gives one, else
    the account and the lower-cased name. A row without a principal joins the principal that
    the same lower-cased name has in the same account, when exactly one has it."""
    account = rows["account_id"].astype(object).fillna("")
    by_name = account + "/" + rows["user_name"].astype(object).str.lower()
    principal = rows["principal_id"].astype(object)
    known = principal.notna()
    owners = pd.DataFrame({"name": by_name[known], "principal": principal[known]})
    owners = owners.drop_duplicates()
    single = owners.groupby("name")["principal"].agg(["nunique", "first"])
    unique_owner = single.loc[single["nunique"] == 1, "first"]
    principal = principal.where(known, by_name.map(unique_owner))
    return ("p:" + account + "/" + principal).where(principal.notna(), "n:" + by_name)


def canonical_user_names(frame: pd.DataFrame) -> pd.DataFrame:
    """IAM user rows of one person (same account and principal, else same name without case)
    get one `user_name`: the spelling of the person's latest successful sign-in (IAM's own
    spelling), else of their latest attempt. `typed_user_name` keeps what each record wrote.
    Runs on any frame (a collection, history of several runs) and is idempotent."""
    if frame.empty or "principal_id" not in frame.columns:
        return frame
    mask = (
        frame["identity_type"].isin(CASE_INSENSITIVE_TYPES).fillna(False).astype(bool)
        & ~frame["unknown_user"].fillna(False).astype(bool)
        & frame["user_name"].notna()
    )
    if not mask.any():
        return frame
    rows = frame.loc[mask, ["account_id", "user_name", "principal_id", "outcome", "event_time"]]
    person = _person_keys(rows)
    spellings = pd.DataFrame({"person": person, "name": rows["user_name"].astype(object)})
    if spellings.drop_duplicates()["person"].is_unique:
        return frame  # every person has one spelling already: nothing to change
    ranked = spellings.assign(
        ok=(rows["outcome"] == "success").fillna(False).astype(bool),
        at=rows["event_time"],
    ).sort_values(["ok", "at"], na_position="first", kind="stable")
    canonical = ranked.groupby("person")["name"].last()
    names = person.map(canonical)
    changed = names != spellings["name"]
    resolved = frame.copy()
    resolved.loc[names[changed].index, "user_name"] = names[changed].astype(
        resolved["user_name"].dtype
    )
    return resolved
