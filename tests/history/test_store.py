from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from analyzer.frame.schema import COLUMNS, frame_from_rows
from analyzer.history.store import History, HistoryError
from analyzer.normalize import normalize_record
from tests.conftest import console_login

UNTIL = datetime(2026, 11, 10, tzinfo=UTC)


def frame(*ids_and_times: tuple[str, str]) -> pd.DataFrame:
    rows = []
    for event_id, moment in ids_and_times:
        normalized = normalize_record(console_login(eventID=event_id, eventTime=moment), "t")
        assert normalized is not None
        rows.append(normalized.row)
    return frame_from_rows(rows)


def test_append_read_and_dedupe_across_runs(tmp_path: Path) -> None:
    history = History.open(str(tmp_path / "h"))
    first = history.append(
        frame(("a", "2026-11-01T10:00:00Z"), ("b", "2026-11-02T10:00:00Z")),
        collected_until=datetime(2026, 11, 3, tzinfo=UTC),
    )
    assert (first.added, first.duplicates, first.days) == (2, 0, 2)
    again = History.open(str(tmp_path / "h"))
    second = again.append(
        frame(("b", "2026-11-02T10:00:00Z"), ("c", "2026-11-02T11:00:00Z")), collected_until=UNTIL
    )
    assert (second.added, second.duplicates) == (1, 1)
    stored = History.open(str(tmp_path / "h"))
    assert list(stored.read()["event_id"]) == ["a", "b", "c"]
    assert stored.watermark == UNTIL
    assert list(stored.read(since=datetime(2026, 11, 2, tzinfo=UTC))["event_id"]) == ["b", "c"]
    assert tuple(stored.read().columns) == COLUMNS
    parts = sorted(p.parent.name for p in (tmp_path / "h" / "events").rglob("*.parquet"))
    assert parts == ["day=2026-11-01", "day=2026-11-02"]  # one part per day after merging


def test_incomplete_collection_keeps_the_watermark(tmp_path: Path) -> None:
    history = History.open(str(tmp_path))
    history.append(frame(("a", "2026-11-01T10:00:00Z")), collected_until=UNTIL)
    history.append(
        frame(("b", "2026-11-11T10:00:00Z")),
        collected_until=datetime(2026, 11, 12, tzinfo=UTC),
        advance_watermark=False,
    )
    assert History.open(str(tmp_path)).watermark == UNTIL
    assert len(History.open(str(tmp_path)).read()) == 2


def test_a_run_killed_mid_write_leaves_history_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History.open(str(tmp_path))
    history.append(frame(("a", "2026-11-01T10:00:00Z")), collected_until=UNTIL)
    store: Any = History.open(str(tmp_path)).store

    def killed(name: str) -> None:
        raise KeyboardInterrupt("killed after the new part was written")

    crashing = History.open(str(tmp_path))
    monkeypatch.setattr(crashing.store, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        crashing.append(
            frame(("a", "2026-11-01T10:00:00Z"), ("z", "2026-11-01T12:00:00Z")),
            collected_until=datetime(2026, 11, 20, tzinfo=UTC),
        )
    survivor = History.open(str(tmp_path))
    assert survivor.watermark == UNTIL  # metadata was not rewritten
    assert list(survivor.read()["event_id"]) == ["a", "z"]  # old + new part, deduplicated
    assert len(store.list("events/")) == 2
    leftovers = [p.name for p in tmp_path.rglob("*.tmp-*")]
    assert leftovers == []


def test_other_schema_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "history.json").write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(HistoryError, match="schema version 99"):
        History.open(str(tmp_path))


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
        client.create_bucket(Bucket="audit")
        yield client


def test_history_in_s3(s3: Any) -> None:
    history = History.open("s3://audit/signin/history", s3_client=s3)
    history.append(frame(("a", "2026-11-01T10:00:00Z")), collected_until=UNTIL)
    history = History.open("s3://audit/signin/history", s3_client=s3)
    history.append(
        frame(("a", "2026-11-01T10:00:00Z"), ("b", "2026-11-03T10:00:00Z")), collected_until=UNTIL
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit")["Contents"]]
    assert "signin/history/history.json" in keys
    assert sum(k.endswith(".parquet") for k in keys) == 2
    assert list(History.open("s3://audit/signin/history", s3_client=s3).read()["event_id"]) == [
        "a",
        "b",
    ]
