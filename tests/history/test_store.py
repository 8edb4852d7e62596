from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window, parse_moment
from analyzer.frame.schema import ARROW_SCHEMA, COLUMNS, SCHEMA_VERSION, frame_from_rows
from analyzer.history import parts
from analyzer.history.backends import LOCK_FILE
from analyzer.history.store import History, HistoryBusy, HistoryError
from analyzer.normalize import normalize_record
from tests.conftest import console_login

NOW = datetime(2026, 11, 20, tzinfo=UTC)
OVERLAP = timedelta(hours=2)
SCOPE = "logs:/trail"


def frame(*ids_and_times: tuple[str, str]) -> pd.DataFrame:
    rows = []
    for event_id, moment in ids_and_times:
        normalized = normalize_record(console_login(eventID=event_id, eventTime=moment), "t")
        assert normalized is not None
        rows.append(normalized.row)
    return frame_from_rows(rows)


def window(since: str, until: str) -> Window:
    return Window(parse_moment(since, "since"), parse_moment(until, "until"))


def record(
    history: History,
    rows: pd.DataFrame,
    collected: Window,
    *outcomes: ScopeOutcome,
    started: datetime = NOW,
) -> Any:
    return history.record(
        rows,
        list(outcomes) or [ScopeOutcome(SCOPE, True)],
        collected=collected,
        started=started,
        overlap=OVERLAP,
    )


def ids(history: History) -> list[str]:
    return list(history.read()["event_id"])


def test_record_read_and_dedupe_across_runs(tmp_path: Path) -> None:
    history = History.open(str(tmp_path / "h"))
    first = record(
        history,
        frame(("a", "2026-11-01T10:00:00Z"), ("b", "2026-11-02T10:00:00Z")),
        window("2026-11-01T00:00:00+00:00", "2026-11-03T00:00:00+00:00"),
    )
    assert (first.added, first.duplicates, first.days) == (2, 0, 2)
    second = record(
        History.open(str(tmp_path / "h")),
        frame(("b", "2026-11-02T10:00:00Z"), ("c", "2026-11-02T11:00:00Z")),
        window("2026-11-02T00:00:00+00:00", "2026-11-10T00:00:00+00:00"),
    )
    assert (second.added, second.duplicates) == (1, 1)
    stored = History.open(str(tmp_path / "h"))
    assert ids(stored) == ["a", "b", "c"]
    assert tuple(stored.read().columns) == COLUMNS
    assert stored.meta.scopes[SCOPE].complete_until == datetime(2026, 11, 10, tzinfo=UTC)
    assert [r["added"] for r in stored.meta.runs] == [2, 1]
    days = sorted(p.parent.name for p in (tmp_path / "h" / "events").rglob("*.parquet"))
    assert days == ["day=2026-11-01", "day=2026-11-02"]  # one part per day after merging


def test_progress_never_moves_back_nor_past_the_run_start(tmp_path: Path) -> None:
    history = History.open(str(tmp_path))
    record(history, frame(), window("2026-11-10T00:00:00+00:00", "2026-11-17T00:00:00+00:00"))
    record(history, frame(), window("2026-10-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00"))
    assert history.meta.scopes[SCOPE].complete_until == datetime(2026, 11, 17, tzinfo=UTC)
    record(history, frame(), window("2026-11-16T00:00:00+00:00", "2030-01-01T00:00:00+00:00"))
    assert history.meta.scopes[SCOPE].complete_until == NOW


def test_an_incomplete_scope_keeps_its_progress_and_is_read_again(tmp_path: Path) -> None:
    history = History.open(str(tmp_path))
    first = window("2026-11-01T00:00:00+00:00", "2026-11-08T00:00:00+00:00")
    record(history, frame(), first, ScopeOutcome("a", True), ScopeOutcome("b", True))
    second = window("2026-10-31T22:00:00+00:00", "2026-11-15T00:00:00+00:00")
    record(history, frame(), second, ScopeOutcome("a", True), ScopeOutcome("b", False))
    scopes = History.open(str(tmp_path)).meta.scopes
    assert scopes["a"].complete_until == datetime(2026, 11, 15, tzinfo=UTC)
    assert scopes["b"].complete_until == datetime(2026, 11, 8, tzinfo=UTC)
    assert scopes["b"].retry_from == second.since
    assert scopes["a"].retry_from is None


def test_leftover_temporary_files_are_removed_by_the_next_writer(tmp_path: Path) -> None:
    history = History.open(str(tmp_path))
    record(history, frame(("a", "2026-11-01T10:00:00Z")), window("2026-11-01", "2026-11-02"))
    leftover = tmp_path / "events" / "day=2026-11-01" / ".part-x.parquet.tmp-999"
    leftover.write_bytes(b"half a part")
    reader = History.open(str(tmp_path))
    assert reader.leftovers() == ["events/day=2026-11-01/.part-x.parquet.tmp-999"]
    assert ids(reader) == ["a"]  # ignored by readers
    result = record(reader, frame(), window("2026-11-02", "2026-11-03"))
    assert result.cleaned == ("events/day=2026-11-01/.part-x.parquet.tmp-999",)
    assert not leftover.exists()


def test_a_run_killed_mid_write_leaves_history_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History.open(str(tmp_path))
    record(history, frame(("a", "2026-11-01T10:00:00Z")), window("2026-11-01", "2026-11-02"))
    crashing = History.open(str(tmp_path))

    def killed(name: str) -> None:
        raise KeyboardInterrupt("killed after the new part was written")

    monkeypatch.setattr(crashing.store, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        record(
            crashing,
            frame(("a", "2026-11-01T10:00:00Z"), ("z", "2026-11-01T12:00:00Z")),
            window("2026-11-01", "2026-11-20"),
        )
    survivor = History.open(str(tmp_path))
    assert survivor.meta.scopes[SCOPE].complete_until == datetime(2026, 11, 2, tzinfo=UTC)
    assert ids(survivor) == ["a", "z"]  # old + new part, deduplicated
    assert len(survivor.store.names("events/")) == 2


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[1, 2]", "expected a JSON object, found list"),
        ('{"schema_version": "1"}', "schema_version: expected a positive integer"),
        ('{"schema_version": 99}', "schema version 99, written by a newer version"),
        ('{"scopes": []}', "scopes: expected an object"),
        ('{"scopes": {"s": []}}', "scopes['s']: expected an object, found list"),
        ('{"scopes": {"s": {"complete_until": 5}}}', "scopes['s'].complete_until: expected"),
        ('{"scopes": {"s": {"retry_from": "soon"}}}', "scopes['s'].retry_from: not an ISO time"),
        ('{"scopes": {"s": {"keys": {"d": "x"}}}}', "scopes['s'].keys['d']: expected a list"),
        ('{"runs": {"a": 1}}', "runs: expected a list of objects"),
        ('{"watermark": "2026-11-01T00:00:00"}', "watermark: time without a zone"),
        ('{"unreported": {}}', "unreported: expected a list, found dict"),
        ('{"unreported": [["a"]]}', "unreported[0]: expected [eventID, time]"),
        ('{"unreported": [[1, "2026-11-01T00:00:00+00:00"]]}', "unreported[0]: expected [eventID"),
        ('{"unreported": [["a", null]]}', "unreported[0]: expected an ISO time, found null"),
        ('{"unreported": [["a", "2026-11-01"]]}', "unreported[0]: time without a zone"),
        ('{"unreported": [["a", "0001-01-01T00:00:00+05:00"]]}', "[0]: time out of range"),
        ("{not json", "is not JSON"),
        ('{"x": 1}', "no schema_version: not a history this tool wrote"),
        ("{}", "no schema_version"),
    ],
)
def test_history_json_is_validated_field_by_field(
    tmp_path: Path, document: str, message: str
) -> None:
    (tmp_path / "history.json").write_text(document)
    with pytest.raises(HistoryError, match=r"history\.json") as raised:
        History.open(str(tmp_path))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_legacy_watermark_widens_the_first_run_of_every_source(tmp_path: Path) -> None:
    from analyzer.history.progress import collect_window

    (tmp_path / "history.json").write_text(
        json.dumps({"schema_version": 1, "watermark": "2026-11-05T00:00:00+00:00", "runs": []})
    )
    meta = History.open(str(tmp_path)).meta
    widened = collect_window(window("2026-11-08", "2026-11-15"), meta, ["logs:/x"], OVERLAP)
    assert widened.since == datetime(2026, 11, 4, 22, tzinfo=UTC)


def _write_part(root: Path, day: str, table: pa.Table) -> Path:
    path = root / "events" / f"day={day}" / "part-foreign.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def test_unusable_parts_are_named_skipped_and_never_deleted(tmp_path: Path) -> None:
    history = History.open(str(tmp_path))
    record(
        history,
        frame(("a", "2026-11-01T10:00:00Z"), ("b", "2026-11-02T10:00:00Z")),
        window("2026-11-01", "2026-11-03"),
    )
    good = next((tmp_path / "events" / "day=2026-11-01").glob("*.parquet"))
    good.write_bytes(good.read_bytes()[:-40])  # truncated
    foreign = _write_part(tmp_path, "2026-11-02", pa.table({"x": [1]}))
    reader = History.open(str(tmp_path))
    assert ids(reader) == ["b"]
    reasons = {p.name.rsplit("/", 2)[-2]: (p.day, p.reason) for p in reader.problems}
    assert reasons["day=2026-11-01"][0] == "2026-11-01"
    assert "not a readable Parquet file" in reasons["day=2026-11-01"][1]
    assert "no signin_schema_version" in reasons["day=2026-11-02"][1]
    assert all(str(tmp_path) in p.name for p in reader.problems)
    record(reader, frame(("c", "2026-11-01T11:00:00Z")), window("2026-11-01", "2026-11-03"))
    assert good.exists()  # kept for a human to look at
    assert foreign.exists()
    assert sorted(ids(History.open(str(tmp_path)))) == ["b", "c"]


def test_a_part_with_a_column_of_another_type_is_refused(tmp_path: Path) -> None:
    table = pa.Table.from_pandas(frame(("a", "2026-11-01T10:00:00Z")), preserve_index=False)
    table = table.set_column(
        table.column_names.index("mobile"), "mobile", pa.array([[1]], pa.list_(pa.int64()))
    )
    version = str(SCHEMA_VERSION).encode()
    _write_part(tmp_path, "2026-11-01", table.replace_schema_metadata({parts.VERSION_KEY: version}))
    history = History.open(str(tmp_path))
    assert ids(history) == []
    assert "column mobile is list<element: int64>, expected bool" in history.problems[0].reason


def test_schema_bump_reads_older_parts_with_the_new_column_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History.open(str(tmp_path))
    record(history, frame(("a", "2026-11-01T10:00:00Z")), window("2026-11-01", "2026-11-02"))
    newer = ARROW_SCHEMA.append(pa.field("device_name", pa.string()))
    monkeypatch.setattr(parts, "ARROW_SCHEMA", newer)
    monkeypatch.setattr(parts, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    part = next((tmp_path / "events").rglob("*.parquet")).read_bytes()
    table = parts.decode_part(part)
    assert table.schema == newer
    assert table.column("device_name").null_count == 1
    assert table.column("event_id").to_pylist() == ["a"]
    newer_part = parts.encode_part(table)  # written by the newer tool
    monkeypatch.setattr(parts, "SCHEMA_VERSION", SCHEMA_VERSION)  # read by an older one
    monkeypatch.setattr(parts, "ARROW_SCHEMA", ARROW_SCHEMA)
    newer_than = f"schema version {SCHEMA_VERSION + 1}, newer than this tool's {SCHEMA_VERSION}"
    with pytest.raises(parts.PartError, match=newer_than):
        parts.decode_part(newer_part)


def test_an_older_history_is_read_and_upgraded_by_the_next_write(tmp_path: Path) -> None:
    """A history of schema version 1 (before principal_id and typed_user_name): its parts
    read with those columns null, and the next write records the current version."""
    old_columns = [c for c in COLUMNS if c not in {"principal_id", "typed_user_name"}]
    table = pa.Table.from_pandas(frame(("a", "2026-11-01T10:00:00Z")), preserve_index=False)
    _write_part(
        tmp_path,
        "2026-11-01",
        table.select(old_columns).replace_schema_metadata({parts.VERSION_KEY: b"1"}),
    )
    (tmp_path / "history.json").write_text('{"schema_version": 1, "runs": []}')
    opened = History.open(str(tmp_path))
    assert opened.meta.schema_version == 1
    rows = opened.read()
    assert list(rows["event_id"]) == ["a"]
    assert rows["principal_id"].isna().all()
    record(opened, frame(("b", "2026-11-01T11:00:00Z")), window("2026-11-01", "2026-11-02"))
    assert History.open(str(tmp_path)).meta.schema_version == SCHEMA_VERSION
    assert ids(History.open(str(tmp_path))) == ["a", "b"]


def test_a_second_writer_waits_then_gives_up_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History.open(str(tmp_path))
    record(history, frame(), window("2026-11-01", "2026-11-02"))
    monkeypatch.setenv("SIGNIN_HISTORY_WAIT", "0.3")
    with (tmp_path / LOCK_FILE).open("a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(HistoryBusy, match="being written by another run") as raised:
            record(
                history, frame(("a", "2026-11-01T10:00:00Z")), window("2026-11-01", "2026-11-02")
            )
        assert "\n" not in str(raised.value)
    assert ids(History.open(str(tmp_path))) == []
    record(history, frame(("a", "2026-11-01T10:00:00Z")), window("2026-11-01", "2026-11-02"))
    assert ids(History.open(str(tmp_path))) == ["a"]


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
        client.create_bucket(Bucket="audit")
        yield client


HISTORY_URL = "s3://audit/signin/history"


def test_history_in_s3(s3: Any) -> None:
    history = History.open(HISTORY_URL, s3_client=s3)
    record(history, frame(("a", "2026-11-01T10:00:00Z")), window("2026-11-01", "2026-11-02"))
    history = History.open(HISTORY_URL, s3_client=s3)
    record(
        history,
        frame(("a", "2026-11-01T10:00:00Z"), ("b", "2026-11-03T10:00:00Z")),
        window("2026-11-01", "2026-11-04"),
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit")["Contents"]]
    assert "signin/history/history.json" in keys
    assert sum(k.endswith(".parquet") for k in keys) == 2
    assert ids(History.open(HISTORY_URL, s3_client=s3)) == ["a", "b"]


def test_s3_metadata_conflict_is_read_again_and_merged(s3: Any) -> None:
    """Another run writes history.json between this run's read and its conditional PUT: the
    PUT fails with 412 (moto implements If-Match), the update is applied again on the new
    content, and neither run's line nor progress is lost."""
    first = History.open(HISTORY_URL, s3_client=s3)
    record(first, frame(), window("2026-11-01", "2026-11-02"), ScopeOutcome("a", True))
    mine = History.open(HISTORY_URL, s3_client=s3)
    other = History.open(HISTORY_URL, s3_client=s3)
    sent: list[int] = []

    def interfere(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key", "").endswith("history.json") and not sent:
            sent.append(1)
            record(other, frame(), window("2026-11-01", "2026-11-09"), ScopeOutcome("b", True))

    s3.meta.events.register("before-parameter-build.s3.PutObject", interfere)
    record(mine, frame(), window("2026-11-01", "2026-11-05"), ScopeOutcome("a", True))
    s3.meta.events.unregister("before-parameter-build.s3.PutObject", interfere)
    stored = History.open(HISTORY_URL, s3_client=s3).meta
    assert len(stored.runs) == 3
    assert stored.scopes["a"].complete_until == datetime(2026, 11, 5, tzinfo=UTC)
    assert stored.scopes["b"].complete_until == datetime(2026, 11, 9, tzinfo=UTC)


def test_s3_get_errors_name_the_key(s3: Any) -> None:
    history = History.open(HISTORY_URL, s3_client=s3)
    record(history, frame(("a", "2026-11-01T10:00:00Z")), window("2026-11-01", "2026-11-02"))
    from botocore.exceptions import ClientError

    def deny(params: dict[str, Any], **_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject"
        )

    s3.meta.events.register("before-call.s3.GetObject", deny)
    with pytest.raises(HistoryError, match=r"cannot read s3://audit/signin/history/history\.json"):
        History.open(HISTORY_URL, s3_client=s3)
    s3.meta.events.unregister("before-call.s3.GetObject", deny)
    reader = History.open(HISTORY_URL, s3_client=s3)
    s3.meta.events.register("before-call.s3.GetObject", deny)
    assert ids(reader) == []
    (problem,) = reader.problems
    assert problem.name.startswith("s3://audit/signin/history/events/day=2026-11-01/part-")
    assert problem.reason == "AccessDenied: Access Denied"


class _Crash(BaseException):
    """Stands for the process dying: nothing after it runs (finally blocks aside)."""


def _crash_after(store: Any, budget: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write and delete of `store` counts; the one after `budget` of them crashes."""
    left = [budget]
    for name in ("write", "delete", "update"):
        original = getattr(store, name)

        def counted(*args: Any, _original: Any = original) -> Any:
            if left[0] == 0:
                raise _Crash
            left[0] -= 1
            return _original(*args)

        monkeypatch.setattr(store, name, counted)


def _crashed(
    run: Callable[[], object], store: Any, budget: int, monkeypatch: pytest.MonkeyPatch
) -> bool:
    """Whether `run` crashed after `budget` operations of `store` (the patches undone)."""
    _crash_after(store, budget, monkeypatch)
    try:
        run()
    except _Crash:
        return True
    finally:
        monkeypatch.undo()
    return False


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_crash_at_every_write_point_loses_nothing_stored_before(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic companion of the kill -9 runs: a crash after each single store
    operation of a run that rewrites three days. What an earlier run stored always reads
    back, and the rerun converges to the exact set."""
    with mock_aws():
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
        client.create_bucket(Bucket="audit")
        location = HISTORY_URL if where == "s3" else str(tmp_path / "h")
        base = [(f"b{d}", f"2026-11-0{d}T10:00:00Z") for d in (1, 2, 3)]
        extra = [(f"x{d}", f"2026-11-0{d}T11:00:00Z") for d in (1, 2, 3)]
        crashed_at = 0
        for budget in range(20):
            if where == "local":
                import shutil

                shutil.rmtree(location, ignore_errors=True)
            else:
                for item in client.list_objects_v2(Bucket="audit").get("Contents", []):
                    client.delete_object(Bucket="audit", Key=item["Key"])
            record(History.open(location, client), frame(*base), window("2026-11-01", "2026-11-04"))
            crashing = History.open(location, client)
            crashed = _crashed(
                partial(record, crashing, frame(*base, *extra), window("2026-11-01", "2026-11-04")),
                crashing.store,
                budget,
                monkeypatch,
            )
            monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
            if not crashed:
                break
            crashed_at += 1
            found = set(ids(History.open(location, client)))
            assert {b for b, _ in base} <= found, f"crash after {budget} operations lost events"
            record(
                History.open(location, client),
                frame(*base, *extra),
                window("2026-11-01", "2026-11-04"),
            )
            after = ids(History.open(location, client))
            assert sorted(after) == sorted(b for b, _ in base + extra)
        assert crashed_at >= 7  # 3 parts written, 3 removed, the metadata: every point tried


def test_a_crash_at_every_write_point_leaves_each_new_row_stored_noted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run recording for a report dies after any single store operation: every row it
    stored first is noted as unreported, so the next weekly run (whose window starts after
    them, and which finds them stored already) still reports them. Noted with the progress
    alone, a crash between the parts and `history.json` left rows stored that no report
    would ever show."""
    location = str(tmp_path / "h")
    base = [(f"b{d}", f"2026-11-0{d}T10:00:00Z") for d in (1, 2, 3)]
    extra = [(f"x{d}", f"2026-11-0{d}T11:00:00Z") for d in (1, 2, 3)]
    crashed_at = 0
    for budget in range(20):
        import shutil

        shutil.rmtree(location, ignore_errors=True)
        record(History.open(location), frame(*base), window("2026-11-01", "2026-11-04"))
        crashing = History.open(location)
        crashed = _crashed(
            partial(
                crashing.record,
                frame(*base, *extra),
                [ScopeOutcome(SCOPE, True)],
                collected=window("2026-11-01", "2026-11-04"),
                started=NOW,
                overlap=OVERLAP,
                note_unreported=True,
            ),
            crashing.store,
            budget,
            monkeypatch,
        )
        if not crashed:
            break
        crashed_at += 1
        after = History.open(location)
        stored_first = set(ids(after)) - {b for b, _ in base}
        assert stored_first <= {key for key, _ in after.meta.unreported}, f"crash at {budget}"
    assert crashed_at >= 5


def test_the_notebook_api_warns_about_skipped_parts(tmp_path: Path) -> None:
    from analyzer.api import SkippedInputWarning, load_history

    record(
        History.open(str(tmp_path)),
        frame(("a", "2026-11-01T10:00:00Z")),
        window("2026-11-01", "2026-11-02"),
    )
    part = next((tmp_path / "events").rglob("*.parquet"))
    part.write_bytes(b"PAR1")
    with pytest.warns(
        SkippedInputWarning, match="1 history part\\(s\\) skipped, first: .*day=2026-11-01"
    ):
        assert load_history(tmp_path).empty


def test_a_part_replaced_while_it_is_read_is_read_from_its_successor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run recording a day writes the merged part, then removes the one it replaces: a
    reader that listed the parts just before read the day as empty, without a word."""
    where = str(tmp_path / "h")
    record(History.open(where), frame(("a", "2026-11-05T10:00:00Z")), window(
        "2026-11-05T00:00:00+00:00", "2026-11-06T00:00:00+00:00"))  # fmt: skip
    reader = History.open(where)
    stale = reader._parts()  # the listing a concurrent run then outdates
    record(History.open(where), frame(("b", "2026-11-05T11:00:00Z")), window(
        "2026-11-05T00:00:00+00:00", "2026-11-06T00:00:00+00:00"))  # fmt: skip
    listings = iter([stale])
    fresh = History._parts
    monkeypatch.setattr(History, "_parts", lambda self: next(listings, None) or fresh(self))
    assert list(reader.read()["event_id"]) == ["a", "b"]
    assert reader.problems == []
    always_stale = History.open(where)
    monkeypatch.setattr(History, "_parts", lambda self: stale)
    assert list(always_stale.read()["event_id"]) == []
    [problem] = always_stale.problems
    assert "removed while it was read, 5 times" in problem.line()


FORGERIES: dict[str, dict[str, Any]] = {
    "address": {"sourceIPAddress": "192.0.2.200"},
    "outcome": {"responseElements": {"ConsoleLogin": "Failure"}},
    "principal": {"userIdentity": {"type": "IAMUser", "userName": "Anaya",
                  "arn": "arn:aws:iam::999999999999:user/Other", "accountId": "999999999999"}},
    "error": {"errorMessage": "Failed authentication"},
    "mfa": {"additionalEventData": {"MFAUsed": "Yes",
            "LoginTo": "https://console.aws.amazon.com/console/home"}},
    "login_to": {"additionalEventData": {"MFAUsed": "No", "LoginTo": "https://example.com/"}},
}  # fmt: skip


@pytest.mark.parametrize("changed", sorted(FORGERIES))
def test_a_record_reusing_an_eventid_is_stored_beside_it_whichever_comes_first(
    tmp_path: Path, changed: str
) -> None:
    """The collection keeps both (`event_id_conflict`); history kept the first per eventID
    and day, so the finding vanished through a history, and a forged copy read first
    replaced the real record for good (a 'Failure' copy of a real no-MFA sign-in hid it).
    A read of the report's columns alone keeps both too."""
    from analyzer.frame.schema import REPORT_COLUMNS

    moment = "2026-11-05T09:00:00Z"
    real = normalize_record(console_login(eventID="X", eventTime=moment), "a")
    forged = normalize_record(
        console_login(eventID="X", eventTime=moment, **FORGERIES[changed]), "b"
    )
    assert real is not None
    assert forged is not None
    span = window("2026-11-05T00:00:00+00:00", "2026-11-06T00:00:00+00:00")
    for order, name in (((real, forged), "h1"), ((forged, real), "h2")):
        history = History.open(str(tmp_path / name))
        first = record(history, frame_from_rows([order[0].row]), span)
        again = record(history, frame_from_rows([order[1].row, order[0].row]), span)
        assert (first.added, again.added, again.duplicates) == (1, 1, 1)
        stored = History.open(str(tmp_path / name))
        assert len(stored.read()) == 2
        assert len(stored.read(columns=REPORT_COLUMNS)) == 2


def test_a_row_read_again_is_a_copy_though_a_newer_version_derives_it_otherwise(
    tmp_path: Path,
) -> None:
    """Across an upgrade the overlap's rows are normalized anew: a derived column that
    changed (here the endpoint) does not make them different records."""
    normalized = normalize_record(console_login(eventID="Y", eventTime="2026-11-05T09:00:00Z"), "a")
    assert normalized is not None
    span = window("2026-11-05T00:00:00+00:00", "2026-11-06T00:00:00+00:00")
    history = History.open(str(tmp_path / "h"))
    record(history, frame_from_rows([normalized.row]), span)
    derived_anew = {**normalized.row, "endpoint": "eu-west-1.signin.aws.amazon.com"}
    again = record(history, frame_from_rows([derived_anew]), span)
    assert (again.added, again.duplicates) == (0, 1)
    assert len(History.open(str(tmp_path / "h")).read()) == 1


def test_a_part_and_the_part_replacing_it_read_as_one(tmp_path: Path) -> None:
    """A run killed between writing a merged part and removing the one it replaces leaves
    both: their rows are copies, read once."""
    where = tmp_path / "h"
    record(History.open(str(where)), frame(("a", "2026-11-05T10:00:00Z")), window(
        "2026-11-05T00:00:00+00:00", "2026-11-06T00:00:00+00:00"))  # fmt: skip
    [part] = list((where / "events").rglob("*.parquet"))
    part.with_name("part-leftover.parquet").write_bytes(part.read_bytes())
    assert list(History.open(str(where)).read()["event_id"]) == ["a"]


def test_a_read_is_since_inclusive_until_exclusive_on_the_exact_bounds(tmp_path: Path) -> None:
    """Which sign-ins a report shows: one exactly at `since` is in, one exactly at `until` is
    the next report's, whether the part is filtered row by row or taken whole, and an `until`
    inside a day reads that day's part (a mutation pass found no test on the bounds)."""
    record(
        History.open(str(tmp_path / "h")),
        frame(
            ("a", "2026-11-03T09:59:59Z"),
            ("b", "2026-11-03T10:00:00Z"),
            ("c", "2026-11-03T11:59:59Z"),
            ("d", "2026-11-03T12:00:00Z"),
        ),
        window("2026-11-01T00:00:00+00:00", "2026-11-05T00:00:00+00:00"),
    )
    stored = History.open(str(tmp_path / "h"))

    def read(since: str | None, until: str | None) -> list[str]:
        start = parse_moment(since, "since") if since else None
        end = parse_moment(until, "until") if until else None
        return list(stored.read(start, end, columns=["event_id"])["event_id"])

    assert read("2026-11-03T10:00:00+00:00", "2026-11-03T12:00:00+00:00") == ["b", "c"]
    # every row from `since` on and the last exactly at `until`: not taken whole
    assert read("2026-11-03T09:59:59+00:00", "2026-11-03T12:00:00+00:00") == ["a", "b", "c"]
    assert read(None, "2026-11-03T11:00:00+00:00") == ["a", "b"]
    assert read("2026-11-03T09:59:59+00:00", None) == ["a", "b", "c", "d"]


def test_a_leftover_part_is_folded_by_the_next_run_into_its_day(tmp_path: Path) -> None:
    """A run killed between writing a day's merged part and removing the old one leaves two;
    the next run recording into that day folds them, even bringing only copies (else every
    later read decodes and deduplicates both, for good)."""
    where = tmp_path / "h"
    day = window("2026-11-05T00:00:00+00:00", "2026-11-06T00:00:00+00:00")
    record(History.open(str(where)), frame(("a", "2026-11-05T10:00:00Z")), day)
    [part] = list((where / "events").rglob("*.parquet"))
    part.with_name("part-leftover.parquet").write_bytes(part.read_bytes())  # the killed run
    again = record(History.open(str(where)), frame(("a", "2026-11-05T10:00:00Z")), day)
    assert (again.added, again.duplicates) == (0, 1)
    assert len(list((where / "events").rglob("*.parquet"))) == 1
    assert ids(History.open(str(where))) == ["a"]


def test_a_damaged_part_read_several_times_is_one_problem(tmp_path: Path) -> None:
    """A run reads a day several times (merge, report, baseline): one damaged part is one
    warning and one skipped input, not one per read."""
    record(
        History.open(str(tmp_path)),
        frame(("a", "2026-11-01T10:00:00Z"), ("b", "2026-11-02T10:00:00Z")),
        window("2026-11-01T00:00:00+00:00", "2026-11-03T00:00:00+00:00"),
    )
    damaged = next((tmp_path / "events" / "day=2026-11-01").glob("*.parquet"))
    damaged.write_bytes(damaged.read_bytes()[:-40])
    reader = History.open(str(tmp_path))
    for _ in range(3):
        assert ids(reader) == ["b"]
    reader.read(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    assert len(reader.problems) == 1
    assert reader.problems[0].day == "2026-11-01"


def test_what_recording_added_holds_only_the_added_rows(tmp_path: Path) -> None:
    """An overlap re-read of a day (every row a copy) adds nothing, and the run's result
    holds nothing of the day's columns (a slice kept them alive)."""
    many = [(f"{n:036d}", f"2026-11-01T{n % 24:02d}:{n % 60:02d}:00Z") for n in range(3000)]
    day = window("2026-11-01T00:00:00+00:00", "2026-11-02T00:00:00+00:00")
    record(History.open(str(tmp_path)), frame(*many), day)
    again = record(History.open(str(tmp_path)), frame(*many[-10:]), day)
    assert again.added == 0
    assert again.added_rows is None or again.added_rows.get_total_buffer_size() < 1000


def test_rows_stay_unreported_until_settled_by_id_and_time(tmp_path: Path) -> None:
    """Recording for a report notes the rows it stored first in the same write as its
    progress (a recording for no report notes none); settling forgets only the rows named,
    by eventID and time."""
    history = History.open(str(tmp_path))
    history.record(
        frame(
            ("a", "2026-11-01T10:00:00Z"),
            ("b", "2026-11-03T10:00:00Z"),
            ("c", "2026-11-06T10:00:00Z"),
            ("u", "not a time"),  # stored undated: in no window, so not noted
        ),
        [ScopeOutcome(SCOPE, True)],
        collected=Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC)),
        started=datetime(2026, 11, 8, tzinfo=UTC),
        overlap=timedelta(hours=2),
        note_unreported=True,
    )
    a = ("a", datetime(2026, 11, 1, 10, tzinfo=UTC))
    b = ("b", datetime(2026, 11, 3, 10, tzinfo=UTC))
    c = ("c", datetime(2026, 11, 6, 10, tzinfo=UTC))
    reopened = History.open(str(tmp_path))
    assert reopened.meta.unreported == [a, b, c]
    table = reopened.unreported_rows()
    assert table.column("event_id").to_pylist() == ["a", "b", "c"]
    assert table.schema.field("event_time").type == pa.timestamp("us", tz="UTC")
    reopened.settle([("a", datetime(2026, 11, 1, 11, tzinfo=UTC)), b, c])  # a: another time
    assert History.open(str(tmp_path)).meta.unreported == [a]
    record(
        History.open(str(tmp_path)),
        frame(("e", "2026-11-07T10:00:00Z")),
        window("2026-11-07", "2026-11-08"),
    )
    assert History.open(str(tmp_path)).meta.unreported == [a]  # recorded for no report
    History.open(str(tmp_path)).record(
        frame(("a", "2026-11-01T10:00:00Z"), ("d", "2026-11-02T10:00:00Z")),
        [ScopeOutcome(SCOPE, True)],
        collected=Window(datetime(2026, 11, 8, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC)),
        started=datetime(2026, 11, 9, tzinfo=UTC),
        overlap=timedelta(hours=2),
        note_unreported=True,
    )  # a copy of a is not stored, so not noted again; d is
    assert History.open(str(tmp_path)).meta.unreported == [
        a,
        ("d", datetime(2026, 11, 2, 10, tzinfo=UTC)),
    ]


def test_rows_of_one_time_are_stored_and_read_in_event_id_order(tmp_path: Path) -> None:
    """Sign-ins sharing a second (a burst) come back ordered by eventID, whatever order the
    run collected them in: the order a report lists them in and a later merge relies on."""
    same = "2026-11-01T10:00:00Z"
    record(
        History.open(str(tmp_path)),
        frame(("b", "2026-11-01T09:00:00Z"), ("c", same), ("a", same)),
        window("2026-11-01", "2026-11-02"),
    )
    assert ids(History.open(str(tmp_path))) == ["b", "a", "c"]
