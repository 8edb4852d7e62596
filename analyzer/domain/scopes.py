"""What a source reports per scope for the history's progress: plain values, so sources
(which report them) and the history (which records them) share them without importing each
other."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScopeOutcome:
    """What a source did for one of its scopes in a run, for the history's progress:
    `complete` when nothing in the scope had to be skipped; `keys` the object names read
    completely per delivery day folder (YYYY-MM-DD), for sources that read S3 objects."""

    scope: str
    complete: bool
    keys: Mapping[str, Sequence[str]] = field(default_factory=dict)


KnownKeys = Callable[[str, str], AbstractSet[str]]  # (scope, day) -> object names read before
