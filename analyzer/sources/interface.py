"""A source only fetches: it yields raw CloudTrail records and accounts for what it read."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING

from analyzer.domain.coverage import Coverage
from analyzer.domain.scopes import KnownKeys, ScopeOutcome
from analyzer.normalize import Normalized, RecordRejected, normalize_record

if TYPE_CHECKING:
    from analyzer.sources.batches import RowBatch


_BATCH_ROWS = 4096  # candidates per batch of the default `Source.batches()`


@dataclass(frozen=True)
class RawRecord:
    """A record as decoded JSON, and where it came from (`path#index` or `path:line`).

    A source that reads in worker processes normalizes there too (normalization is pure), and
    hands over the result with the record, so the CPU work is spread over the cores;
    `normalized()` returns it, or computes it for records read in this process."""

    record: object
    where: str
    prepared: bool = False
    result: Normalized | None = None
    rejection: str | None = None

    def normalized(self) -> Normalized | None:
        if not self.prepared:
            return normalize_record(self.record, self.where)
        if self.rejection is not None:
            raise RecordRejected(self.rejection)
        return self.result

    def prepare(self, keep_record: bool = True) -> RawRecord:
        record = self.record if keep_record else None
        try:
            result = normalize_record(self.record, self.where)
        except RecordRejected as err:
            return RawRecord(record, self.where, prepared=True, rejection=str(err))
        return RawRecord(record, self.where, prepared=True, result=result)


class Source(ABC):
    """Scopes are the units a history records progress for: a `--logs` path, a trail bucket
    location's account/region, a LookupEvents region. Scope names start with the prefixes
    `scope_families()` gives before reading, so the progress that decides how far back this
    source re-reads can be looked up before its scopes are discovered."""

    known_skipped = 0  # objects not fetched because a recorded run read them (skip_known)

    @abstractmethod
    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        """Yield every record that may be a sign-in event; count every record read in
        `coverage.records_scanned` and add files, skips and problems to `coverage`."""

    def batches(self, coverage: Coverage) -> Iterator[RowBatch]:
        """The candidates of `records()` normalized into Arrow row batches (`batches.py`),
        which `frame/collect.py` reads column by column. A source that reads in worker
        processes overrides this to make the batches there. Each batch's anchor is the
        number of problems the source had added when its candidates were read, so the
        collection's own problem lines keep their place among the source's."""
        from analyzer.sources.batches import Anchor, row_batches

        def anchored() -> Iterator[tuple[int, RawRecord]]:
            for raw in self.records(coverage):
                yield len(coverage.problems), raw

        for problems, candidates in groupby(anchored(), key=itemgetter(0)):
            yield from row_batches(
                (raw for _, raw in candidates), Anchor(problems), size=_BATCH_ROWS
            )

    def scope_families(self) -> list[str]:
        """Prefixes of the scope names this source reports (none: no progress kept)."""
        return []

    def outcomes(self, coverage: Coverage) -> list[ScopeOutcome]:
        """After `records()` is exhausted: one outcome per scope read."""
        return []

    def skip_known(self, known: KnownKeys) -> None:  # noqa: B027 - optional for sources
        """Objects `known` names are not read again (sources that read S3 objects)."""
