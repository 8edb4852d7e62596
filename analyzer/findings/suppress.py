"""Which findings the configuration's suppressions silence, and the account of it.

Every rule runs over every row; a finding is suppressed only when each of its evidence rows
is matched by an entry that applies to its rule. Rows are never dropped before the rules run,
so an allowed address or user agent cannot thin an attacker's burst below a threshold, and
one unmatched row keeps the whole finding. Reports list every suppressed finding with the
entries that silenced it."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.findings.columns import arrow_of
from analyzer.findings.config import NAMED_BY_ADMINISTRATORS, Network, Suppression


@dataclass(frozen=True)
class Suppressed:
    """A finding that was not reported, by what: plain values, so reports can show it
    without depending on the rules engine."""

    rule_id: str
    severity: str
    title: str
    events: int
    first_event: pd.Timestamp | None
    entries: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "title": self.title,
            "evidence_total": self.events,
            "suppressed_by": list(self.entries),
        }


def _arrow_flags(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(mask.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _inside(value: str, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return any(address in network for network in networks)


def _in_networks(addresses: pd.Series, networks: Sequence[Network]) -> np.ndarray:
    """Each distinct address is parsed once; a null address is inside no network."""
    array = arrow_of(addresses)
    distinct = pc.unique(array).drop_null()
    inside = pa.array([_inside(str(v), networks) for v in distinct.to_pylist()], pa.bool_())
    return _arrow_flags(pc.take(inside, pc.index_in(array, value_set=distinct)))


def _agent_matches(agents: pd.Series, patterns: Sequence[str]) -> np.ndarray:
    """Exact, or a prefix when the pattern ends in `*` (never a substring: the attacker
    chooses the user agent and could embed any allowed word in it)."""
    array = arrow_of(agents)
    exact = pa.array([p for p in patterns if not p.endswith("*")], pa.string())
    mask = _arrow_flags(pc.is_in(array, value_set=exact))
    for pattern in patterns:
        if pattern.endswith("*"):
            mask |= _arrow_flags(pc.starts_with(array, pattern=pattern[:-1]))
    return mask


def entry_mask(entry: Suppression, rows: pd.DataFrame) -> np.ndarray:
    """`matches` as a NumPy mask."""
    mask = np.ones(len(rows), dtype=bool)
    if not len(rows):
        return mask
    if entry.users:
        users = pa.array(sorted(entry.users), pa.string())
        mask &= _arrow_flags(pc.is_in(arrow_of(rows["user_name"]), value_set=users))
    # A user name is matched among the names administrators give, unless types are named.
    kinds = entry.identity_types or (NAMED_BY_ADMINISTRATORS if entry.users else frozenset())
    if kinds:
        wanted = pa.array(sorted(kinds), pa.string())
        mask &= _arrow_flags(pc.is_in(arrow_of(rows["identity_type"]), value_set=wanted))
    if entry.accounts:
        accounts = pa.array(sorted(entry.accounts), pa.string())
        mask &= _arrow_flags(pc.is_in(arrow_of(rows["account_id"]), value_set=accounts))
    if entry.user_agents:
        mask &= _agent_matches(rows["user_agent"], entry.user_agents)
    if entry.cidrs:
        mask &= _in_networks(rows["source_ip"], entry.cidrs)
    if entry.blanket:
        mask &= ~_arrow_flags(pc.equal(arrow_of(rows["identity_type"]), "Root"))
    return mask


def matches(entry: Suppression, rows: pd.DataFrame) -> pd.Series:
    """Rows the entry matches: every criterion it gives must hold. A blanket entry never
    matches a root sign-in."""
    return pd.Series(entry_mask(entry, rows), index=rows.index)


def suppressed_by_each(
    rule_id: str, rows: pd.DataFrame, sizes: Sequence[int], entries: Sequence[Suppression]
) -> list[tuple[str, ...]]:
    """`suppressed_by` for many findings of one rule at once: `rows` holds their evidence
    rows one finding after another, `sizes[k]` rows for finding k. Each entry is matched
    against all rows in one pass; the first-come order of `suppressed_by` is kept (an entry
    is listed for a finding only when it covers a row no earlier entry did)."""
    applicable = [entry for entry in entries if entry.applies_to(rule_id)]
    counts = np.asarray(sizes, dtype=np.int64)
    if not applicable or not len(counts):
        return [()] * len(counts)
    owner = np.repeat(np.arange(len(counts)), counts)
    covered = np.zeros(len(rows), dtype=bool)
    used: list[list[str]] = [[] for _ in counts]
    for entry in applicable:
        hit = entry_mask(entry, rows) & ~covered
        for k in np.flatnonzero(np.bincount(owner[hit], minlength=len(counts))).tolist():
            used[k].append(entry.label)
        covered |= hit
    whole = (np.bincount(owner[covered], minlength=len(counts)) == counts) & (counts > 0)
    return [tuple(labels) if whole[k] else () for k, labels in enumerate(used)]


def suppressed_by(
    rule_id: str, evidence: pd.DataFrame, entries: Sequence[Suppression]
) -> tuple[str, ...]:
    """Labels of the entries that together match every evidence row of a finding of
    `rule_id`, in configuration order; empty when any row is left (the finding stands)."""
    return suppressed_by_each(rule_id, evidence, [len(evidence)], entries)[0]
