"""Sources name their scopes and report per scope; the history turns that into progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
from analyzer.frame.collect import collect
from analyzer.history.progress import collect_window
from analyzer.history.store import History
from analyzer.sources.files import FileSource
from analyzer.sources.lookup import LookupEventsSource
from tests.conftest import console_login, write_trail
from tests.fakes import FakeLookupEvents, lookup_jobs

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 8, tzinfo=UTC)
OVERLAP = timedelta(hours=2)


def test_a_failed_lookup_region_keeps_its_progress_the_others_move(tmp_path: Path) -> None:
    fake = FakeLookupEvents(
        events={"us-east-1": [console_login(eventID="e1", eventTime="2026-11-02T10:00:00Z")]},
        not_enabled={"me-south-1"},
    )
    source = LookupEventsSource(
        lookup_jobs(fake, ["us-east-1", "me-south-1"]), since=SINCE, until=UNTIL, interval=0
    )
    assert source.scope_families() == ["lookup:"]
    collection = collect([source], Window(SINCE, UNTIL))
    outcomes = {o.scope: o.complete for o in source.outcomes(collection.coverage)}
    assert outcomes == {
        "lookup:us-east-1:signin.amazonaws.com": True,
        "lookup:me-south-1:signin.amazonaws.com": False,
    }
    history = History.open(str(tmp_path))
    history.record(
        collection.frame,
        source.outcomes(collection.coverage),
        collected=Window(SINCE, UNTIL),
        started=datetime(2026, 11, 20, tzinfo=UTC),
        overlap=OVERLAP,
    )
    scopes = History.open(str(tmp_path)).meta.scopes
    assert scopes["lookup:us-east-1:signin.amazonaws.com"].complete_until == UNTIL
    failed = scopes["lookup:me-south-1:signin.amazonaws.com"]
    assert (failed.complete_until, failed.retry_from) == (None, SINCE)
    later = Window(datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))
    assert collect_window(later, history.meta, ["lookup:"], OVERLAP).since == SINCE
    assert collect_window(later, history.meta, ["logs:"], OVERLAP) == later  # not its scope


def test_file_scopes_are_absolute_and_one_skip_holds_every_path(tmp_path: Path) -> None:
    write_trail(tmp_path / "a" / "ok.json.gz", [console_login()])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "bad.json.gz").write_bytes(b"\x1f\x8b broken")
    source = FileSource([tmp_path / "a", tmp_path / "b"], workers=0)
    assert source.scope_families() == [f"logs:{tmp_path / 'a'}", f"logs:{tmp_path / 'b'}"]
    collection = collect([source])
    assert [o.complete for o in source.outcomes(collection.coverage)] == [False, False]


def test_widening_stops_at_not_before_but_never_narrows_the_asked_window(tmp_path: Path) -> None:
    history = History.open(str(tmp_path))
    history.record(
        collect([]).frame,
        [ScopeOutcome("lookup:us-east-1:signin.amazonaws.com", False)],
        collected=Window(SINCE, UNTIL),
        started=datetime(2026, 11, 20, tzinfo=UTC),
        overlap=OVERLAP,
    )
    asked = Window(datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC))
    bound = datetime(2026, 11, 5, tzinfo=UTC)
    widened = collect_window(asked, history.meta, ["lookup:"], OVERLAP, not_before=bound)
    assert widened.since == bound
    early = Window(datetime(2026, 10, 1, tzinfo=UTC), asked.until)
    assert collect_window(early, history.meta, ["lookup:"], OVERLAP, not_before=bound) == early


def test_a_logs_scope_is_not_widened_by_a_scope_whose_path_merely_starts_the_same(
    tmp_path: Path,
) -> None:
    """`logs:/x/trail` and `logs:/x/trail-old` are two scopes: the old one's mark (never
    read again, so never cleared) widened every run of the other."""
    history = History.open(str(tmp_path / "h"))
    old, new = tmp_path / "trail-old", tmp_path / "trail"
    history.record(
        collect([]).frame,
        [ScopeOutcome(f"logs:{old}", False)],
        collected=Window(SINCE, UNTIL),
        started=datetime(2026, 11, 20, tzinfo=UTC),
        overlap=OVERLAP,
    )
    asked = Window(datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))
    assert collect_window(asked, history.meta, [f"logs:{new}"], OVERLAP) == asked
    assert collect_window(asked, history.meta, [f"logs:{old}"], OVERLAP).since == SINCE
    assert collect_window(asked, history.meta, ["logs:"], OVERLAP).since == SINCE
