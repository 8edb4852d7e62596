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

import pandas as pd

from analyzer.findings.config import Network, Suppression


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


def _flag(values: pd.Series) -> pd.Series:
    return values.fillna(False).astype(bool)


def _inside(networks: Sequence[Network]) -> Any:
    def inside(value: Any) -> bool:
        try:
            address = ipaddress.ip_address(str(value))
        except ValueError:
            return False
        return any(address in network for network in networks)

    return inside


def _agent_matches(agents: pd.Series, patterns: Sequence[str]) -> pd.Series:
    """Exact, or a prefix when the pattern ends in `*` (never a substring: the attacker
    chooses the user agent and could embed any allowed word in it)."""
    exact = [p for p in patterns if not p.endswith("*")]
    mask = _flag(agents.isin(exact))
    for pattern in patterns:
        if pattern.endswith("*"):
            mask |= _flag(agents.str.startswith(pattern[:-1]))
    return mask


def matches(entry: Suppression, rows: pd.DataFrame) -> pd.Series:
    """Rows the entry matches: every criterion it gives must hold. A blanket entry never
    matches a root sign-in."""
    mask = pd.Series(True, index=rows.index)
    if entry.users:
        mask &= _flag(rows["user_name"].isin(list(entry.users)))
    if entry.user_agents:
        mask &= _agent_matches(rows["user_agent"], entry.user_agents)
    if entry.cidrs:
        mask &= _flag(rows["source_ip"].map(_inside(entry.cidrs), na_action="ignore"))
    if entry.blanket:
        mask &= ~_flag(rows["identity_type"] == "Root")
    return mask


def suppressed_by(
    rule_id: str, evidence: pd.DataFrame, entries: Sequence[Suppression]
) -> tuple[str, ...]:
    """Labels of the entries that together match every evidence row of a finding of
    `rule_id`, in configuration order; empty when any row is left (the finding stands)."""
    applicable = [entry for entry in entries if entry.applies_to(rule_id)]
    if evidence.empty or not applicable:
        return ()
    covered = pd.Series(False, index=evidence.index)
    used = []
    for entry in applicable:
        hit = matches(entry, evidence) & ~covered
        if hit.any():
            used.append(entry.label)
            covered |= hit
    return tuple(used) if bool(covered.all()) else ()
