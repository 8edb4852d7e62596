"""Progress per source scope: how far back a run re-reads, and what it may record afterwards.

The rules, each one an invariant a test breaks on purpose:

- A run always collects the window it was asked for (a backfill too). Progress only widens
  that window backwards: to the scope's `retry_from`, and to its `complete_until` minus the
  overlap, so events delivered late, or missed while no run happened, are read again.
  Only the scopes of the sources this run reads count ("families": scope-name prefixes).
- Trail files in S3 are tracked by object key, so their scopes re-list one more day of
  delivery folders (`KEY_LOOKBACK`, from midnight) and read only objects not read before.
- A complete collection moves `complete_until` forward to the end of what it read, but never
  past the run's start (a future `--until` cannot poison it) and never backwards (a backfill
  cannot rewind it). An incomplete one leaves it and sets `retry_from`.
- Recording is a merge with whatever another run recorded meanwhile (marks by max, keys by
  union), so it can be applied again after a conflicting concurrent write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
from analyzer.history.meta import Meta, ScopeProgress

KEY_SCOPE_PREFIX = "s3://"
KEY_LOOKBACK = timedelta(days=1)
KEY_DAYS_KEPT = timedelta(days=1)  # kept before the earliest day a later run lists


def _matches(scope: str, families: Sequence[str]) -> bool:
    """A family is a scope (`logs:/abs/path`) or a prefix ending where a scope name's parts
    meet (`s3://`, `s3://bucket/prefix#`, `lookup:`): `logs:/x/trail` is not a prefix of
    `logs:/x/trail-old`, whose old progress mark would otherwise widen every run of it."""
    return any(
        scope == family or (family.endswith(("#", ":", "/")) and scope.startswith(family))
        for family in families
    )


def _midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), time(), tzinfo=moment.tzinfo)


def resume_since(progress: ScopeProgress, scope: str, overlap: timedelta) -> datetime | None:
    """How far back the next run of `scope` must read, from its own progress alone."""
    marks: list[datetime] = []
    if progress.complete_until is not None:
        mark = progress.complete_until - overlap
        if scope.startswith(KEY_SCOPE_PREFIX):
            mark = _midnight(mark - KEY_LOOKBACK)
        marks.append(mark)
    if progress.retry_from is not None:
        marks.append(progress.retry_from)
    return min(marks) if marks else None


def collect_window(
    window: Window,
    meta: Meta,
    families: Sequence[str],
    overlap: timedelta,
    *,
    not_before: datetime | None = None,
) -> Window:
    """The window to collect: the asked window, widened back by the progress of the scopes in
    `families`. `not_before` bounds the widening (event history keeps 90 days); the asked
    window itself is never narrowed."""
    if window.since is None or window.until is None:
        return window
    marks = [
        since
        for name, progress in meta.scopes.items()
        if _matches(name, families) and (since := resume_since(progress, name, overlap))
    ]
    if not any(_matches(name, families) for name in meta.scopes) and meta.legacy_watermark:
        marks.append(meta.legacy_watermark - overlap)  # history from before per-scope progress
    start = min([window.since, *marks])
    if not_before is not None and start < not_before:
        start = min(window.since, not_before)
    return Window(start, window.until)


def record(
    meta: Meta,
    outcomes: Iterable[ScopeOutcome],
    collected: Window,
    started: datetime,
    overlap: timedelta,
) -> None:
    """Merge this run's outcomes into `meta` (read fresh, under the lock or before a
    conditional write). `started` is the run's start: no mark moves past it."""
    assert collected.since is not None
    assert collected.until is not None
    reached = min(collected.until, started)
    for outcome in outcomes:
        progress = meta.scopes.setdefault(outcome.scope, ScopeProgress())
        for day, names in outcome.keys.items():
            progress.keys[day] = sorted(set(progress.keys.get(day, [])) | set(names))
        if not outcome.complete:
            retry = progress.retry_from
            progress.retry_from = collected.since if retry is None else min(retry, collected.since)
            continue
        retry = progress.retry_from
        if retry is not None and collected.since <= retry < collected.until:
            progress.retry_from = None  # the failed span was read again, completely
        if reached > collected.since:
            stored = progress.complete_until
            progress.complete_until = reached if stored is None else max(stored, reached)
    _prune_keys(meta, overlap)


def _prune_keys(meta: Meta, overlap: timedelta) -> None:
    """Drop the object names of day folders no later run lists again: those before the
    earliest re-read start of any scope of the same bucket location (one listing serves
    them all), with a day to spare. A backfill reading older days re-reads their objects and
    reports the events as duplicates."""
    starts: dict[str, date] = {}
    for name, progress in meta.scopes.items():
        since = resume_since(progress, name, overlap)
        if name.startswith(KEY_SCOPE_PREFIX) and since is not None:
            family = name.split("#", 1)[0]
            starts[family] = min(starts.get(family, since.date()), since.date())
    for name, progress in meta.scopes.items():
        start = starts.get(name.split("#", 1)[0])
        if start is None:
            continue
        oldest = (start - KEY_DAYS_KEPT).isoformat()
        for day in [d for d in progress.keys if d < oldest]:
            del progress.keys[day]
