"""What a finding is: its severity, text and evidence rows. Reports and renderers import this
module; it imports neither them nor the rules, so the findings engine and the report never
depend on each other."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analyzer.domain.values import Severity
from analyzer.frame.records import records_of, row_tuples
from analyzer.frame.take import rows_at

__all__ = [
    "EVIDENCE_SHOWN",
    "SEVERITY_RANK",
    "EvidenceRows",
    "Finding",
    "Severity",
    "as_dicts",
    "evidence",
    "worst_severity",
]


SEVERITY_RANK: dict[str, int] = {s.value: rank for rank, s in enumerate(Severity, start=1)}

EVIDENCE_SHOWN = 50  # rows per finding in reports; the Finding itself keeps every row
EVIDENCE_COLUMNS = [
    "event_time", "event_name", "account_id", "user_name", "identity_type", "source_ip",
    "outcome", "failure_kind", "mfa_status", "region", "endpoint", "user_agent", "event_id",
]  # fmt: skip


class EvidenceRows:
    """A finding's evidence before it is taken out of the frame: the frame's evidence columns
    and the positions of the rows, already in evidence order (by time, then frame order).

    A rule over a million rows may report a hundred thousand findings (a new address for
    each user, with a history); building a DataFrame for each one cost more than the whole
    rule. Every finding of a run shares one table; a finding builds its own DataFrame the
    first time someone reads `Finding.evidence`, and counts and first times come from the
    positions without it."""

    __slots__ = ("_rows", "start", "stop", "table")

    def __init__(
        self, table: pd.DataFrame, rows: np.ndarray, start: int = 0, stop: int | None = None
    ) -> None:
        """The positions are `rows[start:stop]`: findings of one rule share one array."""
        self.table = table
        self._rows = rows
        self.start = start
        self.stop = len(rows) if stop is None else stop

    @property
    def positions(self) -> np.ndarray:
        return self._rows[self.start : self.stop]

    def __len__(self) -> int:
        return self.stop - self.start

    def frame(self, limit: int | None = None) -> pd.DataFrame:
        """The evidence DataFrame (its first `limit` rows when given)."""
        stop = self.stop if limit is None else min(self.stop, self.start + limit)
        return rows_at(self.table[EVIDENCE_COLUMNS], self._rows[self.start : stop])


@dataclass(frozen=True, init=False, eq=False)
class Finding:
    """`evidence` may be given as a DataFrame or as `EvidenceRows`; reading it always gives
    the DataFrame (built once, then kept)."""

    rule_id: str
    severity: str  # a Severity value (rules take it from their settings)
    title: str
    description: str
    _evidence: pd.DataFrame | EvidenceRows = field(repr=False)

    def __init__(
        self,
        rule_id: str,
        severity: str,
        title: str,
        description: str,
        evidence: pd.DataFrame | EvidenceRows,
    ) -> None:
        fields = self.__dict__  # frozen: set once here, as the generated __init__ would
        fields["rule_id"] = rule_id
        fields["severity"] = severity
        fields["title"] = title
        fields["description"] = description
        fields["_evidence"] = evidence

    @property
    def evidence(self) -> pd.DataFrame:
        held = self._evidence
        if isinstance(held, EvidenceRows):
            held = held.frame()
            object.__setattr__(self, "_evidence", held)
        return held

    @property
    def evidence_rows(self) -> EvidenceRows | None:
        """The unbuilt evidence, or None once it is a DataFrame (or was given as one)."""
        return self._evidence if isinstance(self._evidence, EvidenceRows) else None

    @property
    def evidence_total(self) -> int:
        """len(evidence), without building it."""
        lazy = self.evidence_rows
        return len(lazy) if lazy is not None else len(self.evidence)

    def evidence_head(self, rows: int) -> pd.DataFrame:
        """evidence.head(rows), building only those rows when the evidence is unbuilt."""
        lazy = self.evidence_rows
        return lazy.frame(rows) if lazy is not None else self.evidence.head(rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.as_dict_without_evidence(),
            "evidence": records_of(self.evidence_head(EVIDENCE_SHOWN)),
        }

    def as_dict_without_evidence(self) -> dict[str, Any]:
        """`as_dict` up to its evidence rows, which `as_dicts` fills for many at once."""
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "title": self.title,
            "description": self.description,
            "evidence_total": self.evidence_total,
        }


@dataclass(frozen=True)
class ShownRows:
    """A finding's shown evidence rows as a span of a table its rule's findings share: the
    JSON renderer writes each shared table's rows once and cuts them, where a DataFrame per
    finding cost milliseconds each (fifteen thousand findings of a week at scale)."""

    table: pd.DataFrame
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def frame(self) -> pd.DataFrame:
        return self.table.iloc[self.start : self.stop].reset_index(drop=True)


def as_dicts(
    findings: Sequence[Finding],
    table_value: Callable[[Any], Any] = records_of,
    *,
    spans: bool = False,
) -> list[dict[str, Any]]:
    """`[f.as_dict() for f in findings]`, with the shown rows of every finding that shares
    one frame taken in one pass. Taking fifty rows is a take per column per chunk, whatever
    the number of rows; a million-row report from a history (a chunk per part) held 239
    findings, and taking their rows one finding at a time was most of its JSON time.

    `table_value`: what a finding's shown rows become (records; the JSON renderer's
    placeholder, see `SigninReport.document`), given a `ShownRows` when `spans`."""
    documents = [f.as_dict_without_evidence() for f in findings]
    shown: Sequence[pd.DataFrame | ShownRows] = (
        [ShownRows(*span) for span in _shown_spans(findings)] if spans else shown_evidence(findings)
    )
    for document, rows in zip(documents, shown, strict=True):
        document["evidence"] = table_value(rows)
    return documents


Span = tuple[pd.DataFrame, int, int]  # rows [start, stop) of a table


def _sharing(findings: Sequence[Finding]) -> tuple[list[int], list[list[tuple[int, EvidenceRows]]]]:
    """The findings with built evidence (by index), and the others grouped by the frame
    their evidence rows point into: each group is taken from its frame in one pass."""
    built: list[int] = []
    sharing: dict[int, list[tuple[int, EvidenceRows]]] = {}
    for index, finding in enumerate(findings):
        lazy = finding.evidence_rows
        if lazy is None:
            built.append(index)
        else:
            sharing.setdefault(id(lazy.table), []).append((index, lazy))
    return built, list(sharing.values())


def _shown_spans(findings: Sequence[Finding]) -> list[Span]:
    """Where each finding's shown evidence rows are: the rows of every finding that shares
    one frame are taken in one pass, into one table the findings' spans cut."""
    spans: dict[int, Span] = {}
    built, groups = _sharing(findings)
    for index in built:
        own = findings[index].evidence.head(EVIDENCE_SHOWN)
        spans[index] = (own, 0, len(own))
    for members in groups:
        heads = [lazy.positions[:EVIDENCE_SHOWN] for _, lazy in members]
        taken = rows_at(members[0][1].table[EVIDENCE_COLUMNS], np.concatenate(heads))
        offset = 0
        for (index, _), positions in zip(members, heads, strict=True):
            spans[index] = (taken, offset, offset + len(positions))
            offset += len(positions)
    return [spans[index] for index in range(len(findings))]


def shown_evidence(findings: Sequence[Finding]) -> list[pd.DataFrame]:
    """Each finding's shown evidence rows (`evidence_head(EVIDENCE_SHOWN)`), in order, the
    rows of every finding that shares one frame taken in one pass."""
    return [
        table.iloc[start:stop].reset_index(drop=True)
        for table, start, stop in _shown_spans(findings)
    ]


def shown_evidence_rows(
    findings: Sequence[Finding],
) -> list[tuple[list[str], list[tuple[Any, ...]]]]:
    """`shown_evidence` as (column names, row tuples): each shared table's rows are made
    once and cut, where a DataFrame per finding and its own row iteration cost about 0.7 ms
    a finding (fifteen thousand findings: ten seconds of an HTML report)."""
    made: dict[int, list[tuple[Any, ...]]] = {}
    shown: list[tuple[list[str], list[tuple[Any, ...]]]] = []
    for table, start, stop in _shown_spans(findings):
        rows = made.get(id(table))
        if rows is None:
            rows = made[id(table)] = list(row_tuples(table))
        shown.append(([str(column) for column in table.columns], rows[start:stop]))
    return shown


def first_event_times(findings: Sequence[Finding]) -> list[object]:
    """Each finding's earliest evidence time (None without evidence). Unbuilt evidence is in
    time order with missing times last, so its first row answers; the first rows of every
    finding that shares one frame are taken in one pass (a table per finding cost a
    millisecond each: fifteen thousand findings of a week from a big history, 15 s)."""
    times: list[object] = [None] * len(findings)
    built, groups = _sharing(findings)
    for index in built:
        if findings[index].evidence_total:
            times[index] = findings[index].evidence["event_time"].min()
    for group in groups:
        members = [(index, lazy) for index, lazy in group if len(lazy)]
        if not members:
            continue
        firsts = np.array([lazy.positions[0] for _, lazy in members], dtype=np.int64)
        taken = rows_at(members[0][1].table[["event_time"]], firsts)["event_time"]
        for (index, _), moment in zip(members, list(taken), strict=True):
            times[index] = moment  # (a missing time as the column holds it, as min() gives)
    return times


def evidence(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("event_time", kind="stable")[EVIDENCE_COLUMNS].reset_index(drop=True)


def worst_severity(findings: Iterable[Finding]) -> Severity | None:
    severities = [Severity(f.severity) for f in findings]
    return max(severities, key=lambda s: s.rank) if severities else None


def at_or_above(findings: Iterable[Finding], threshold: Severity | str) -> bool:
    """True when a finding is at least as severe as `threshold`."""
    worst = worst_severity(findings)
    return worst is not None and worst.rank >= Severity(threshold).rank
