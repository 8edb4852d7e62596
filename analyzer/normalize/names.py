"""Names across records. Identity Center: since the 2025 change, a user's name appears in one
event of a sign-in (CredentialChallenge for a password, UserAuthentication for an external
IdP) and every other event carries only the opaque user id. IAM users: a failed sign-in
records the name as typed, in any case. A per-record normalizer cannot see either; these
passes over the frame can."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


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


Combo = tuple[str | None, str | None, str]  # (account_id, principal_id, user_name)


def _persons(combos: list[Combo]) -> dict[Combo, str]:
    """One key per IAM user: the account and `principalId` where CloudTrail gives one, else
    the account and the lower-cased name. A name without a principal joins the principal
    that the same lower-cased name has in the same account, when exactly one has it.
    `combos` are the distinct (account, principal, name) of the frame: as many as there are
    users, however long the frame, so plain Python is the fast way."""
    owners: dict[tuple[str | None, str], set[str]] = {}
    for account, principal, name in combos:
        if principal is not None:
            owners.setdefault((account, name.lower()), set()).add(principal)
    persons: dict[Combo, str] = {}
    for account, principal, name in combos:
        owner = principal
        if owner is None:
            known = owners.get((account, name.lower()), set())
            owner = next(iter(known)) if len(known) == 1 else None
        if owner is not None:
            persons[(account, principal, name)] = f"principal:{account}/{owner}"
        else:
            persons[(account, principal, name)] = f"name:{account}/{name.lower()}"
    return persons


def canonical_user_names(frame: pd.DataFrame) -> pd.DataFrame:
    """IAM user rows of one person (same account and principal, else same name without case)
    get one `user_name`: the spelling of the person's latest successful sign-in (IAM's own
    spelling), else of their latest attempt. `typed_user_name` keeps what each record wrote.
    Runs on any frame (a collection, history of several runs) and is idempotent; when every
    person has one spelling already (the usual case) it only lists the distinct users."""
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
    distinct = (
        pa.table({key: pa.array(frame[key]) for key in keys})
        .filter(pa.array(mask.to_numpy()))
        .group_by(keys, use_threads=False)
        .aggregate([])
    )
    combos: list[Combo] = list(zip(*(distinct[key].to_pylist() for key in keys), strict=True))
    persons = _persons(combos)
    spellings: dict[str, set[str]] = {}
    for combo, person in persons.items():
        spellings.setdefault(person, set()).add(combo[2])
    if all(len(names) == 1 for names in spellings.values()):
        return frame  # every person has one spelling already: nothing to change
    return _rename(frame, mask, keys, persons)


def _rename(
    frame: pd.DataFrame, mask: pd.Series, keys: list[str], persons: dict[Combo, str]
) -> pd.DataFrame:
    """Each person's spelling of their latest success (else latest attempt) on all rows."""
    rows = frame.loc[mask, [*keys, "outcome", "event_time"]]
    ok = (rows["outcome"] == "success").fillna(False).astype(bool)
    latest = rows.groupby(keys, dropna=False, sort=False)["event_time"].max()
    latest_ok = rows[ok].groupby(keys, dropna=False, sort=False)["event_time"].max()
    combos = pd.DataFrame(list(persons), columns=keys).astype(rows[keys].dtypes.to_dict())
    combos["person"] = [persons[combo] for combo in persons]
    ranked = combos.join(latest.rename("at"), on=keys).join(latest_ok.rename("at_ok"), on=keys)
    ranked = ranked.assign(ok=ranked["at_ok"].notna()).sort_values(
        ["ok", "at_ok", "at"], na_position="first", kind="stable"
    )
    canonical = ranked.groupby("person")["user_name"].last()
    combos["canonical"] = combos["person"].map(canonical)
    renamed = combos[combos["canonical"] != combos["user_name"].astype(object)]
    lookup = rows[keys].merge(renamed[[*keys, "canonical"]], on=keys, how="left")
    lookup.index = rows.index
    fill = lookup["canonical"].notna()
    resolved = frame.copy()
    resolved.loc[lookup.index[fill], "user_name"] = lookup.loc[fill, "canonical"].astype(
        resolved["user_name"].dtype
    )
    return resolved
