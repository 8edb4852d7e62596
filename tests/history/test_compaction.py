"""Closed months are compacted into one part each; what reads back never changes: nothing
lost, nothing twice, against a reference that keeps every recorded row in plain pandas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from moto import mock_aws

from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
from analyzer.frame.schema import ARROW_SCHEMA, COLUMNS, frame_from_rows
from analyzer.history.parts import encode_part
from analyzer.history.store import History
from analyzer.normalize import normalize_record
from analyzer.normalize.names import canonical_user_names
from tests.conftest import console_login

OVERLAP = timedelta(hours=2)
HISTORY_URL = "s3://audit/signin/history"


def rows(*ids_and_times: tuple[str, str]) -> pd.DataFrame:
    found = []
    for event_id, moment in ids_and_times:
        normalized = normalize_record(console_login(eventID=event_id, eventTime=moment), "t")
        assert normalized is not None
        found.append(normalized.row)
    return frame_from_rows(found)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def record(history: History, frame: pd.DataFrame, since: str, until: str) -> Any:
    """A run that collected [since, until) and started at its end."""
    return history.record(
        frame,
        [ScopeOutcome("logs:/x", True)],
        collected=Window(moment(since), moment(until)),
        started=moment(until),
        overlap=OVERLAP,
    )


def layout(history: History) -> list[str]:
    """The period folders holding parts (`day=...`, `month=...`), one entry per part."""
    return [name.split("/")[1] for name in history.store.names("events/")]


def ids(
    history: History, since: datetime | None = None, until: datetime | None = None
) -> list[str]:
    return list(history.read(since, until)["event_id"])


@pytest.fixture(params=["local", "s3"])
def location(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A function opening the same history, in a folder or in (moto's) S3."""
    if request.param == "local":
        yield lambda: History.open(str(tmp_path / "h"))
        return
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
        client.create_bucket(Bucket="audit")
        yield lambda: History.open(HISTORY_URL, s3_client=client)


OCTOBER = [("o1", "2026-10-01T10:00:00Z"), ("o2", "2026-10-15T10:00:00Z"),
           ("o3", "2026-10-31T23:59:00Z")]  # fmt: skip


def test_a_closed_month_becomes_one_part_and_reads_the_same(location: Any) -> None:
    history = location()
    record(history, rows(*OCTOBER), "2026-10-01", "2026-10-31T23:59:30")
    assert layout(history) == ["day=2026-10-01", "day=2026-10-15", "day=2026-10-31"]
    before = history.read()
    record(location(), rows(("n1", "2026-11-02T10:00:00Z")), "2026-11-01", "2026-11-03")
    after = location()
    assert layout(after) == ["day=2026-11-02", "month=2026-10"]
    pd.testing.assert_frame_equal(after.read(None, moment("2026-11-01")), before)
    assert ids(after) == ["o1", "o2", "o3", "n1"]
    assert ids(after, moment("2026-10-15"), moment("2026-10-16")) == ["o2"]


def test_a_crash_between_the_month_part_and_the_deletes_loses_and_doubles_nothing(
    location: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(location(), rows(*OCTOBER), "2026-10-01", "2026-10-31T23:59:30")
    crashing = location()

    def killed(name: str) -> None:
        raise KeyboardInterrupt("killed after the month part was written")

    monkeypatch.setattr(crashing.store, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        record(crashing, rows(("n1", "2026-11-02T10:00:00Z")), "2026-11-01", "2026-11-03")
    survivor = location()
    assert "month=2026-10" in layout(survivor)
    assert "day=2026-10-01" in layout(survivor)  # both: the month part and its days
    assert ids(survivor) == ["o1", "o2", "o3", "n1"]  # each once
    record(survivor, rows(("n1", "2026-11-02T10:00:00Z")), "2026-11-01", "2026-11-03")
    healed = location()
    assert layout(healed) == ["day=2026-11-02", "month=2026-10"]
    assert ids(healed) == ["o1", "o2", "o3", "n1"]


def test_late_events_of_a_compacted_month_replace_its_part(location: Any) -> None:
    record(location(), rows(*OCTOBER), "2026-10-01", "2026-10-31T23:59:30")
    record(location(), rows(("n1", "2026-11-02T10:00:00Z")), "2026-11-01", "2026-11-03")
    late = record(
        location(),
        rows(("o2", "2026-10-15T10:00:00Z"), ("late", "2026-10-20T08:00:00Z")),
        "2026-10-01",
        "2026-11-04",
    )
    assert (late.added, late.duplicates, late.days) == (1, 1, 1)
    history = location()
    assert layout(history) == ["day=2026-11-02", "month=2026-10"]  # one October part
    assert ids(history) == ["o1", "o2", "late", "o3", "n1"]


def test_a_history_of_day_parts_only_reads_unchanged_and_is_compacted_by_the_next_run(
    location: Any,
) -> None:
    """A history written before months were compacted: one part per day, whatever month."""
    history = location()
    old = rows(*OCTOBER, ("s1", "2026-09-03T10:00:00Z"), ("s2", "2026-09-03T11:00:00Z"))
    for day, group in old.groupby(old["event_time"].dt.date.astype(str)):
        table = pa.Table.from_pandas(group, schema=ARROW_SCHEMA, preserve_index=False)
        data = encode_part(table)
        history.store.write(f"events/day={day}/part-old{day}.parquet", data)
    assert ids(location()) == ["s1", "s2", "o1", "o2", "o3"]
    record(location(), rows(), "2026-11-20", "2026-11-27")
    compacted = location()
    assert layout(compacted) == ["month=2026-09", "month=2026-10"]
    assert ids(compacted) == ["s1", "s2", "o1", "o2", "o3"]


# --- differential: many runs, compacted history vs every row kept in pandas ------------------


def _random_runs(seed: int) -> list[tuple[pd.DataFrame, str, str]]:
    """Weekly runs over four months, each collecting its week with the overlap again, some
    late rows of earlier months, and repeats (a backfill read twice)."""
    rng = np.random.default_rng(seed)
    runs: list[tuple[pd.DataFrame, str, str]] = []
    start = datetime(2026, 7, 1, tzinfo=UTC)
    serial = 0
    for week in range(18):
        since = start + timedelta(weeks=week) - OVERLAP
        until = start + timedelta(weeks=week + 1)
        picked = []
        for _ in range(int(rng.integers(0, 12))):
            span = int((until - since).total_seconds())
            at = since + timedelta(seconds=int(rng.integers(0, span)))
            picked.append((f"w{serial}", at.strftime("%Y-%m-%dT%H:%M:%SZ")))
            serial += 1
        if week > 6 and rng.random() < 0.4:  # late rows of a month already closed
            at = start + timedelta(days=int(rng.integers(0, 30)), hours=5)
            picked.append((f"late{serial}", at.strftime("%Y-%m-%dT%H:%M:%SZ")))
            serial += 1
        if runs and rng.random() < 0.3:  # rows another run already stored
            picked.extend(runs[-1][0][["event_id", "event_time"]].head(2).itertuples(index=False))
            picked = [(i, t if isinstance(t, str) else t.strftime("%Y-%m-%dT%H:%M:%SZ"))
                      for i, t in picked]  # fmt: skip
        runs.append((rows(*picked), since.isoformat(), until.isoformat()))
    return runs


def _reference(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Every row recorded, first copy of each eventID, sorted as the history reads."""
    every = pd.concat(frames, ignore_index=True).drop_duplicates("event_id", keep="first")
    ordered = every.sort_values(["event_time", "event_id"], na_position="last", kind="stable")
    return canonical_user_names(ordered[list(COLUMNS)]).reset_index(drop=True)


@pytest.mark.parametrize("seed", [1, 2])
def test_compacted_history_reads_like_every_row_recorded(location: Any, seed: int) -> None:
    recorded: list[pd.DataFrame] = []
    for frame, since, until in _random_runs(seed):
        record(location(), frame, since[:19], until[:19])
        recorded.append(frame)
    history = location()
    folders = layout(history)
    assert {"month=2026-07", "month=2026-08", "month=2026-09"} <= set(folders)
    assert len(folders) == len(set(folders))  # one part per period
    assert not any(f.startswith("day=2026-0") for f in folders)
    expected = _reference(recorded)
    pd.testing.assert_frame_equal(history.read(), expected)
    for since, until in (("2026-07-20", "2026-08-03"), ("2026-09-30", "2026-10-02")):
        window = expected[
            (expected["event_time"] >= moment(since)) & (expected["event_time"] < moment(until))
        ].reset_index(drop=True)
        pd.testing.assert_frame_equal(history.read(moment(since), moment(until)), window)
        columns = ["source_ip", "user_name"]
        projected = history.read(moment(since), moment(until), columns=columns)
        assert set(columns) <= set(projected.columns)
        pd.testing.assert_frame_equal(projected, window[list(projected.columns)])


def test_the_differential_check_catches_a_lost_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Break the invariant on purpose: day parts deleted before their month part is written
    (and the write lost): the comparison with the reference fails."""
    history = History.open(str(tmp_path))
    recorded = []
    for frame, since, until in _random_runs(1)[:8]:
        record(History.open(str(tmp_path)), frame, since[:19], until[:19])
        recorded.append(frame)
    monkeypatch.setattr(type(history.store), "write", lambda self, name, data: None)
    for frame, since, until in _random_runs(1)[8:10]:
        record(History.open(str(tmp_path)), frame, since[:19], until[:19])
        recorded.append(frame)
    assert len(History.open(str(tmp_path)).read()) < len(_reference(recorded))


def test_the_first_weekly_run_of_a_month_closes_the_month_before(location: Any) -> None:
    """Its collection starts `--overlap` before its window, in the old month: that rereading
    does not keep the month open (its day parts were read one by one for another week)."""
    history = location()
    record(history, rows(*OCTOBER), "2026-10-25", "2026-11-01")
    late = ("o4", "2026-10-31T23:30:00Z")  # delivered late, read by the overlap
    next_week = rows(late, ("n1", "2026-11-02T10:00:00Z"))
    location().record(
        next_week,
        [ScopeOutcome("logs:/x", True)],
        collected=Window(moment("2026-11-01T00:00:00") - OVERLAP, moment("2026-11-08")),
        started=moment("2026-11-08"),
        overlap=OVERLAP,
    )
    after = location()
    assert layout(after) == ["day=2026-11-02", "month=2026-10"]
    assert ids(after) == ["o1", "o2", "o4", "o3", "n1"]


def test_a_run_never_closes_its_own_month(location: Any) -> None:
    """A progress mark written by a machine whose clock ran ahead starts the collection after
    this run's own start, in the next month: the run's month stays open (its rows stay day
    parts, the next run merges into them) rather than being folded into a month part."""
    history = location()
    started = moment("2026-11-30T23:00:00")
    history.record(
        rows(("n1", "2026-11-30T22:30:00Z")),
        [ScopeOutcome("logs:/x", True)],
        collected=Window(moment("2026-11-30T22:30:00"), started),
        started=started,
        overlap=OVERLAP,
    )
    assert layout(location()) == ["day=2026-11-30"]
