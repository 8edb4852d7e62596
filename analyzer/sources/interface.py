"""A source only fetches: it yields raw CloudTrail records and accounts for what it read."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from analyzer.coverage import Coverage


@dataclass(frozen=True)
class RawRecord:
    """A record as decoded JSON, and where it came from (`path#index` or `path:line`)."""

    record: object
    where: str


class Source(ABC):
    @abstractmethod
    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        """Yield every record read; add files, skips and problems to `coverage`."""
