"""`Codes.of` (derived from the report's encoding) equals `encode` (the rules' own), and
inside `shared_encodings()` a column is encoded once for both."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analyzer.findings.prepared import Codes, encode
from analyzer.reports import grouping
from analyzer.reports.grouping import Encoded, shared_encodings

TEXT = pd.ArrowDtype(pa.string())
COLUMNS = {
    "no nulls": pd.Series(["b", "a", "b", "c"], dtype=TEXT),
    "null first": pd.Series([None, "a", "b", "a"], dtype=TEXT),
    "null in the middle": pd.Series(["c", "a", None, "b", None, "c"], dtype=TEXT),
    "null last": pd.Series(["a", "b", None], dtype=TEXT),
    "only nulls": pd.Series([None, None], dtype=TEXT),
    "empty": pd.Series([], dtype=TEXT),
    "object dtype": pd.Series(["x", None, "y", "x"], dtype=object),
    "chunked": pd.Series(
        pd.arrays.ArrowExtensionArray(pa.chunked_array([["a", None], ["b", "a"], [None, "c"]]))
    ),
}


def counted(monkeypatch: pytest.MonkeyPatch, method: str) -> list[int]:
    """The lengths of the columns `Encoded.<method>` is called with, from now on."""
    calls: list[int] = []
    real = getattr(Encoded, method)

    def counting(values: grouping.ArrowColumn) -> Encoded:
        calls.append(len(values))
        encoded: Encoded = real(values)
        return encoded

    monkeypatch.setattr(Encoded, method, staticmethod(counting))
    return calls


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_codes_of_equals_encode(name: str) -> None:
    column = COLUMNS[name]
    with shared_encodings():
        derived = Codes.of(column)
    own = encode(column)[0]
    np.testing.assert_array_equal(derived.codes, own.codes)
    assert derived.uniques.to_pylist() == own.uniques.to_pylist()
    assert [derived.label(c) for c in range(-1, derived.size + 1)] == [
        own.label(c) for c in range(-1, own.size + 1)
    ]


def test_one_encoding_per_column_inside_the_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    column = COLUMNS["null in the middle"]
    calls = counted(monkeypatch, "of")
    with shared_encodings():
        first = Codes.of(column)
        again = Codes.of(column)
        report = Encoded.shared(column.array.__arrow_array__())
    assert len(calls) == 1
    np.testing.assert_array_equal(first.codes, again.codes)
    Encoded.shared(column.array.__arrow_array__())  # outside the scope: nothing kept
    assert len(calls) == 2
    assert report.values.to_pylist() == ["c", "a", None, "b"]


def test_columns_outside_the_frame_contract_are_encoded_as_before() -> None:
    for column in (
        COLUMNS["null in the middle"],  # (no scope: no report to share with)
        pd.Series(["b", None, "a", "b"], dtype="category"),
        pd.Series([None, None], dtype=object),
        pd.Series(
            pd.arrays.ArrowExtensionArray(
                pa.chunked_array([pa.array(["a", "b"]).dictionary_encode()])
            )
        ),
    ):
        derived, own = Codes.of(column), encode(column)[0]
        np.testing.assert_array_equal(derived.codes, own.codes)
        assert derived.uniques.to_pylist() == own.uniques.to_pylist()


def test_rules_on_an_event_id_column_arrow_cannot_count() -> None:
    """A hand-made frame's dictionary eventIDs: the same findings as plain text gives."""
    import random

    from analyzer.findings.config import FindingsConfig
    from analyzer.findings.engine import run_rules
    from analyzer.frame.schema import frame_from_rows
    from tests.reports.test_reference import random_rows

    rows = random_rows(random.Random(3), 60)  # noqa: S311 - test data
    rows[1] = {**rows[1], "event_id": rows[0]["event_id"]}  # one conflict
    frame = frame_from_rows(rows)
    plain = run_rules(frame, None, FindingsConfig())
    encoded = frame.copy()
    ids = pa.chunked_array([pa.array(frame["event_id"]).dictionary_encode()])
    encoded["event_id"] = pd.Series(pd.arrays.ArrowExtensionArray(ids))
    assert [f.title for f in run_rules(encoded, None, FindingsConfig())] == [f.title for f in plain]
    assert any(f.rule_id == "event_id_conflict" for f in plain)


@pytest.mark.parametrize("seed", range(40))
def test_a_chunked_column_encodes_as_its_joined_copy(seed: int) -> None:
    """Codes of a column in many chunks (a history read: a chunk per part) are the codes of
    the same column joined into one chunk, values in order of first appearance."""
    import random

    rng = random.Random(seed)  # noqa: S311 - test data
    pool = ["a", "b", None, "c", "é", "", "d"]
    chunks = [
        [rng.choice(pool) for _ in range(rng.randint(0, 7))] for _ in range(rng.randint(2, 6))
    ]
    column = pa.chunked_array([pa.array(chunk, pa.string()) for chunk in chunks], pa.string())
    chunked, joined = Encoded.of(column), Encoded.of(column.combine_chunks())
    np.testing.assert_array_equal(chunked.codes, joined.codes)
    assert chunked.values.to_pylist() == joined.values.to_pylist()
    assert chunked.codes.dtype == joined.codes.dtype


def test_a_lone_run_encodes_its_own_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside `shared_encodings()` (a lone run_rules) nothing goes through the report's
    shared encoding: the rules encode as they always did."""
    calls = counted(monkeypatch, "shared")
    Codes.of(COLUMNS["chunked"])
    assert calls == []


def test_columns_without_rows_encode_to_nothing() -> None:
    for column in (
        pa.chunked_array([], pa.string()),
        pa.chunked_array([pa.array([], pa.string())]),
        pa.chunked_array([pa.array([], pa.string()), pa.array([], pa.string())]),
    ):
        encoded = Encoded.of(column)
        assert len(encoded.codes) == 0
        assert len(encoded.values) == 0
