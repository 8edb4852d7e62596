"""Progress per source scope: where the next run reads from, what a failed run leaves to
retry, and which S3 keys are kept to tell objects already read. Each case is one a
mutation pass found unprotected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
from analyzer.history.meta import Meta, ScopeProgress
from analyzer.history.progress import collect_window, record, resume_since

OVERLAP = timedelta(hours=2)


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_an_s3_scope_lists_the_day_before_its_mark_again() -> None:
    """Objects land in the day folder of their events, up to a day late."""
    progress = ScopeProgress(complete_until=at(2026, 11, 10, 12))
    assert resume_since(progress, "s3://bucket/p#x", OVERLAP) == at(2026, 11, 9)


def test_a_failed_backfill_is_read_again_though_the_mark_is_later() -> None:
    meta = Meta(scopes={"logs:/t": ScopeProgress(at(2026, 11, 10), retry_from=at(2026, 10, 1))})
    asked = Window(at(2026, 11, 10), at(2026, 11, 17))
    assert collect_window(asked, meta, ["logs:/t"], OVERLAP).since == at(2026, 10, 1)


def test_the_old_single_watermark_is_ignored_once_a_scope_has_progress() -> None:
    meta = Meta(
        scopes={"logs:/t": ScopeProgress(complete_until=at(2026, 11, 10))},
        legacy_watermark=at(2026, 1, 1),
    )
    asked = Window(at(2026, 11, 10), at(2026, 11, 17))
    assert collect_window(asked, meta, ["logs:/t"], OVERLAP).since == at(2026, 11, 10) - OVERLAP


def test_a_second_failure_keeps_the_earlier_span_to_retry() -> None:
    meta = Meta(scopes={"logs:/t": ScopeProgress(retry_from=at(2026, 11, 1))})
    failed = Window(at(2026, 11, 5), at(2026, 11, 12))
    record(meta, [ScopeOutcome("logs:/t", False)], failed, at(2026, 11, 20), OVERLAP)
    assert meta.scopes["logs:/t"].retry_from == at(2026, 11, 1)


def test_a_complete_run_from_the_retry_clears_it() -> None:
    meta = Meta(scopes={"logs:/t": ScopeProgress(retry_from=at(2026, 11, 1))})
    complete = Window(at(2026, 11, 1), at(2026, 11, 8))
    record(meta, [ScopeOutcome("logs:/t", True)], complete, at(2026, 11, 20), OVERLAP)
    assert meta.scopes["logs:/t"].retry_from is None


def test_keys_are_kept_back_to_the_earliest_scope_of_the_bucket() -> None:
    meta = Meta(
        scopes={
            "s3://b/p#b": ScopeProgress(retry_from=at(2026, 11, 3)),
            "s3://b/p#a": ScopeProgress(at(2026, 11, 20), keys={"2026-11-05": ["k"]}),
        }
    )
    run = Window(at(2026, 11, 18), at(2026, 11, 20))
    record(meta, [ScopeOutcome("s3://b/p#a", True)], run, at(2026, 11, 20), OVERLAP)
    assert meta.scopes["s3://b/p#a"].keys == {"2026-11-05": ["k"]}


@pytest.mark.parametrize(("day", "kept"), [("2026-11-08", True), ("2026-11-07", False)])
def test_one_day_of_keys_is_kept_before_the_day_listed_again(day: str, kept: bool) -> None:
    """Resuming from Nov 10 12:00 lists Nov 9 again; the keys of Nov 8 stay, Nov 7's go."""
    meta = Meta(scopes={"s3://b/p#a": ScopeProgress(at(2026, 11, 10, 12), keys={day: ["k"]})})
    record(meta, [], Window(at(2026, 11, 1), at(2026, 11, 2)), at(2026, 11, 20), OVERLAP)
    assert (day in meta.scopes["s3://b/p#a"].keys) == kept
