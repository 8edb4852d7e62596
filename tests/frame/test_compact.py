"""The compact frame (`frame.compact`) against the documented one: the same rows, and the same
findings, report tables and report text in every format, whichever form the rules and the
report are given (a fast form must never disagree with the plain one)."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from analyzer.api import load_history
from analyzer.audit import run as audit_run
from analyzer.audit.request import AuditRequest, Rendering, Sources
from analyzer.audit.run import run_audit
from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
from analyzer.findings.engine import evaluate_rules
from analyzer.frame.collect import collect
from analyzer.frame.compact import (
    COMPACT_COLUMNS,
    compacted,
    is_compact,
    plain_frame,
    stored,
)
from analyzer.frame.schema import REPORT_COLUMNS, SCHEMA_VERSION
from analyzer.history import parts
from analyzer.history.store import NAME_COLUMNS, History
from analyzer.render.events import write_events
from analyzer.render.formats import SECTION_NAMES, OutputFormat
from analyzer.render.registry import renderer_for
from analyzer.reports import build_report
from analyzer.reports.grouping import Encoded, shared_encodings
from analyzer.sources.files import FileSource
from tests.findings.test_rules_differential import START, random_config, random_frame
from tests.history.test_store import _write_part, frame
from tests.reports.test_reference import ACCOUNTS, chunked_frame, random_rows, report_of


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test data, not secrets


SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"
SAMPLE_WINDOW = Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC))


def per_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """Compact with a dictionary per chunk (as a history read of many parts gives), not one
    per column."""
    columns: dict[str, object] = {}
    for name in frame.columns:
        values = stored(frame[name])
        if name in COMPACT_COLUMNS and pa.types.is_string(values.type):
            values = pa.chunked_array([chunk.dictionary_encode() for chunk in values.chunks])
            columns[name] = pd.arrays.ArrowExtensionArray(values)
        else:
            columns[name] = frame[name].array
    return pd.DataFrame(columns, index=frame.index)


def test_compacted_encodes_the_repeated_texts_and_plain_frame_gives_them_back() -> None:
    frame = random_frame(_rng(3), 120)
    compact = compacted(frame)
    encoded = {name for name in compact.columns if is_compact(compact[name])}
    assert encoded == {name for name in COMPACT_COLUMNS if name in frame.columns}
    assert {"event_id", "source_ip", "event_time"}.isdisjoint(encoded)
    pd.testing.assert_frame_equal(plain_frame(compact), frame, check_exact=True)
    assert plain_frame(frame) is frame  # nothing encoded: nothing copied


@pytest.mark.parametrize("columns", [None, REPORT_COLUMNS])
def test_a_compact_collection_is_the_plain_one_encoded(columns: tuple[str, ...] | None) -> None:
    def collected(compact: bool) -> tuple[pd.DataFrame, list[str]]:
        source = FileSource([SAMPLE], window=SAMPLE_WINDOW, keep_records=False)
        found = collect([source], SAMPLE_WINDOW, columns=columns, compact=compact)
        return found.frame, [p.line() for p in found.coverage.problems]

    plain, plain_problems = collected(False)
    compact, compact_problems = collected(True)
    assert len(plain) > 0
    assert compact_problems == plain_problems
    assert [is_compact(compact[name]) for name in ("user_agent", "endpoint")] == [True, True]
    assert [is_compact(compact[name]) for name in ("event_id", "source_ip")] == [False, False]
    pd.testing.assert_frame_equal(plain_frame(compact), plain, check_exact=True)


def test_encoding_a_compact_column_gives_the_plain_columns_codes() -> None:
    """Codes, values and their order (first appearance, a null as one value) as Arrow's
    encoding of the decoded column, also when chunks bring their own dictionaries."""
    rng = _rng(11)
    texts = ["a", "b", None, "é", "a,b", ""]
    chunks = [[rng.choice(texts) for _ in range(rng.randrange(0, 30))] for _ in range(5)]
    plain = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string())
    encoded = pa.chunked_array([chunk.dictionary_encode() for chunk in plain.chunks])
    want, got = Encoded.of(plain), Encoded.of(encoded)
    assert got.codes.tolist() == want.codes.tolist()
    assert got.values.equals(want.values)
    # A dictionary may spell a value twice, or hold a null (Arrow allows both).
    odd = pa.DictionaryArray.from_arrays(
        pa.array([2, None, 0, 1, 3, 2, None], pa.int32()), pa.array(["b", "a", "a", None])
    )
    want, got = Encoded.of(odd.cast(pa.string())), Encoded.of(pa.chunked_array([odd]))
    assert got.codes.tolist() == want.codes.tolist() == [0, 1, 2, 0, 1, 0, 1]
    assert got.values.equals(want.values)
    other = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, None, 2], pa.int32()), pa.array([None, "c", "b"])
    )
    both = pa.chunked_array([odd, other])
    want, got = Encoded.of(both.cast(pa.string())), Encoded.of(both)
    assert got.codes.tolist() == want.codes.tolist()
    assert got.values.equals(want.values)


Found = tuple[list[tuple[dict[str, Any], pd.DataFrame]], list[tuple[Any, ...]]]


def _findings(frame: pd.DataFrame, baseline: pd.DataFrame | None, seed: int, shared: bool) -> Found:
    config = random_config(_rng(seed), suppress=seed % 2 == 0)
    if shared:
        with shared_encodings():
            results = evaluate_rules(frame, baseline, config)
    else:
        results = evaluate_rules(frame, baseline, config)
    found = [(f.as_dict(), f.evidence) for f in results.findings]
    silenced = [
        (s.rule_id, s.title, s.events, s.first_event, s.entries) for s in results.suppressed
    ]
    return found, silenced


@pytest.mark.parametrize("seed", range(24))
def test_the_rules_find_the_same_in_a_compact_frame(seed: int) -> None:
    rng = _rng(500 + seed)
    frame = random_frame(rng, rng.randrange(1, 160))
    baseline = (
        random_frame(rng, rng.randrange(0, 100), START - timedelta(days=rng.choice([0, 3])))
        if seed % 3
        else None
    )
    want = _findings(frame, baseline, seed, shared=False)
    assert any(found for found, _ in want[0]) or seed % 5  # (findings to compare, mostly)
    other = None if baseline is None else compacted(baseline)
    # Inside and outside a report's shared encodings; a dictionary per column and per chunk;
    # the baseline plain (as the command reads it) or compact.
    for here, there, shared in (
        (compacted(frame), baseline if seed % 2 else other, seed % 2 == 0),
        (per_chunk(frame), other if seed % 2 else baseline, seed % 2 == 1),
    ):
        got = _findings(here, there, seed, shared)
        assert [d for d, _ in got[0]] == [d for d, _ in want[0]]
        for (_, evidence), (_, expected) in zip(got[0], want[0], strict=True):
            pd.testing.assert_frame_equal(evidence, expected, check_exact=True)
        assert got[1] == want[1]


def _texts(frame: pd.DataFrame) -> dict[str, str]:
    """The report of the frame in every format (tables built inside `shared_encodings`, as
    the command builds them)."""
    with shared_encodings():
        report = build_report(
            frame,
            None,
            window=None,
            generated_at=datetime(2026, 11, 26, tzinfo=UTC),
            charts=True,
        )
    texts = {}
    for fmt in OutputFormat:
        out = io.StringIO()
        renderer_for(fmt, max_rows=1_000).render(report, out, list(SECTION_NAMES))
        texts[fmt.value] = out.getvalue()
    return texts


@pytest.mark.parametrize("seed", range(12))
def test_the_report_is_the_same_from_a_compact_frame(seed: int) -> None:
    rng = _rng(seed)
    rows = random_rows(rng, rng.choice([0, 1, 7, 40, 300]))
    frame = chunked_frame(rows, 1 + seed % 4)
    want = report_of(frame, ACCOUNTS)
    for compact in (compacted(frame), per_chunk(frame)):
        got = report_of(compact, ACCOUNTS)
        assert got.summary == want.summary
        assert set(got.tables) == set(want.tables)
        for key, table in want.tables.items():
            pd.testing.assert_frame_equal(got.tables[key], table, check_exact=True, obj=key)
        assert _texts(compact) == _texts(frame)


class _Frozen(datetime):
    """The run's clock stopped, so two runs' reports carry one generation time (HTML
    writes it in forms no text replacement can name for sure)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _Frozen:
        return cls(2026, 11, 27, 12, 0, tzinfo=tz)


def _report(compact: bool, fmt: OutputFormat, history: Path | None = None) -> str:
    request = AuditRequest(
        window=SAMPLE_WINDOW,
        sources=Sources(logs=(SAMPLE,)) if history is None else Sources(),
        history=None if history is None else str(history),
        rendering=Rendering(format=fmt, every_column=False, compact=compact),
    )
    result = run_audit(request)
    assert is_compact(result.frame["user_agent"]) == compact
    assert result.report.generated_at == _Frozen.now(UTC)
    return result.text


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_a_compact_run_writes_the_same_report(
    tmp_path: Path, fmt: OutputFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's paths: a collection, and a history read, each compact or plain."""
    monkeypatch.setattr(audit_run, "datetime", _Frozen)
    assert _report(True, fmt) == _report(False, fmt)
    store = tmp_path / "history"
    recorded = AuditRequest(
        window=SAMPLE_WINDOW, sources=Sources(logs=(SAMPLE,)), history=str(store)
    )
    assert run_audit(recorded).appended is not None
    assert _report(True, fmt, store) == _report(False, fmt, store)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_rows_written_from_a_compact_frame_are_the_same(tmp_path: Path, suffix: str) -> None:
    frame = random_frame(_rng(5), 80)
    plain, compact = tmp_path / f"plain{suffix}", tmp_path / f"compact{suffix}"
    write_events(frame, plain)
    write_events(compacted(frame), compact)
    assert compact.read_bytes() == plain.read_bytes()


def test_a_compact_frame_is_stored_in_the_documented_types(tmp_path: Path) -> None:
    frame = random_frame(_rng(6), 60).dropna(subset=["event_time", "event_id"])
    frame = frame.reset_index(drop=True)
    start, end = START - timedelta(days=1), START + timedelta(days=8)
    stored = {}
    for name, given in (("plain", frame), ("compact", compacted(frame))):
        history = History.open(str(tmp_path / name))
        history.record(
            given,
            [ScopeOutcome("logs:/x", True)],
            collected=Window(start, end),
            started=end,
            overlap=timedelta(hours=2),
        )
        parts = history.store.names("events/")
        stored[name] = sorted((part.split("/")[1], history.store.read(part)) for part in parts)
    assert stored["compact"] == stored["plain"]


def test_load_history_gives_a_compact_frame_when_asked(tmp_path: Path) -> None:
    store = tmp_path / "history"
    recorded = AuditRequest(
        window=SAMPLE_WINDOW, sources=Sources(logs=(SAMPLE,)), history=str(store)
    )
    run_audit(recorded)
    for columns in (None, REPORT_COLUMNS):
        plain = load_history(store, columns=columns)
        compact = load_history(store, columns=columns, compact=True)
        assert is_compact(compact["user_agent"])
        assert not is_compact(compact["user_name"])  # (user names are settled on plain text)
        pd.testing.assert_frame_equal(plain_frame(compact), plain, check_exact=True)


def _part_table(*changes: str) -> pa.Table:
    """A history part's table of two sign-ins, changed as asked: `v1` (written before
    principal_id and typed_user_name), `no-region` (a current part that lost a column),
    `large` (user_agent stored as large_string)."""
    table = pa.Table.from_pandas(
        frame(("a", "2026-11-01T10:00:00Z"), ("b", "2026-11-01T11:00:00Z")), preserve_index=False
    )
    version = str(SCHEMA_VERSION).encode()
    if "v1" in changes:
        table = table.drop_columns(["principal_id", "typed_user_name"])
        version = b"1"
    if "no-region" in changes:
        table = table.drop_columns(["region"])
    if "large" in changes:
        index = table.schema.get_field_index("user_agent")
        agents = table.column(index).cast(pa.large_string())
        table = table.set_column(index, "user_agent", agents)
    return table.replace_schema_metadata({parts.VERSION_KEY: version})


@pytest.mark.parametrize("change", ["v1", "no-region", "large"])
@pytest.mark.parametrize("columns", [None, REPORT_COLUMNS])
def test_a_compact_history_read_takes_odd_parts_as_the_plain_read(
    tmp_path: Path, change: str, columns: tuple[str, ...] | None
) -> None:
    """An older part, a part missing a column (skipped, with its reason) and a part of
    another string type read compact as they read plain: never a failed read."""
    _write_part(tmp_path, "2026-11-01", _part_table(change))
    plain_history, compact_history = History.open(str(tmp_path)), History.open(str(tmp_path))
    plain = plain_history.read(columns=columns)
    compact = compact_history.read(columns=columns, compact=True)
    assert compact_history.problems == plain_history.problems
    assert len(plain) == (0 if change == "no-region" else 2)
    named = set(NAME_COLUMNS)  # (settled on plain text)
    kept = [name for name in compact.columns if name in COMPACT_COLUMNS and name not in named]
    assert "user_agent" in kept
    assert [name for name in kept if not is_compact(compact[name])] == []
    pd.testing.assert_frame_equal(plain_frame(compact), plain, check_exact=True)
