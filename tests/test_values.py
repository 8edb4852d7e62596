"""The typed vocabularies: each StrEnum and its Literal agree, the schema documents the same
values, and the frame holds exactly these strings."""

from __future__ import annotations

from pathlib import Path

from analyzer.api import read_logs
from analyzer.domain.values import PAIRS, EventKind, FailureKind, MfaStatus, Outcome, Severity
from analyzer.frame.schema import SCHEMA

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs"


def test_enums_and_literals_name_the_same_values() -> None:
    for enum, literal in PAIRS:
        assert tuple(m.value for m in enum) == literal, enum.__name__


def test_the_schema_documents_every_value() -> None:
    meaning = {column.name: column.meaning for column in SCHEMA}
    for column, enum in (
        ("outcome", Outcome),
        ("failure_kind", FailureKind),
        ("mfa_status", MfaStatus),
        ("event_kind", EventKind),
    ):
        for member in enum:
            assert f"`{member.value}`" in meaning[column], (column, member)


def test_the_frame_holds_only_these_values() -> None:
    frame = read_logs(SAMPLE)
    for column, enum in (
        ("outcome", Outcome),
        ("failure_kind", FailureKind),
        ("mfa_status", MfaStatus),
        ("event_kind", EventKind),
    ):
        seen = set(frame[column].dropna().astype(str))
        assert seen, column
        assert seen <= {m.value for m in enum}, column
    assert (frame["outcome"] == Outcome.success).sum() > 0  # members compare as strings


def test_severity_order() -> None:
    assert [s.rank for s in Severity] == [1, 2, 3]
    assert max(Severity, key=lambda s: s.rank) is Severity.high
