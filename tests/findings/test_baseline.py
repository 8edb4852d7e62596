"""The reduced history baseline gives the rules exactly what the full one gives: differential
runs of every rule over shuffled, re-timed copies of the sample's rows (IAM users with
several spellings, Identity Center users, federated sessions, root, failures), split into a
baseline and a window at several points."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analyzer import read_logs
from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
from analyzer.findings import baseline as reduction
from analyzer.findings.baseline import BASELINE_COLUMNS, reduce_baseline, reduce_table
from analyzer.findings.config import FindingsConfig
from analyzer.findings.engine import Finding, run_rules
from analyzer.history.store import History
from analyzer.normalize.names import canonical_user_names

SAMPLE = Path(__file__).resolve().parents[2] / "analyzer" / "sample_logs" / "AWSLogs"
START = datetime(2026, 6, 1, tzinfo=UTC)


def scrambled(seed: int, rows: int = 1500) -> pd.DataFrame:
    """The sample's rows drawn with replacement over 120 days, with values from small pools
    so that users share and repeat addresses, agents and regions, IAM names change case,
    and outcomes flip."""
    rng = np.random.default_rng(seed)
    sample = read_logs(SAMPLE, since="2020-01-01", until="2030-01-01")
    frame = sample.iloc[rng.integers(0, len(sample), rows)].reset_index(drop=True)
    seconds = rng.integers(0, 120 * 86400, rows)
    times = pd.Series(pd.to_datetime(START) + pd.to_timedelta(seconds, unit="s"))
    frame["event_time"] = times.astype(frame["event_time"].dtype)
    frame.loc[rng.random(rows) < 0.01, "event_time"] = None
    frame["event_id"] = pd.Series([f"e{seed}-{n}" for n in range(rows)], dtype="string[pyarrow]")
    day = seconds // 86400
    for column, values in (  # new addresses and agents keep appearing over time
        ("source_ip", [f"10.0.{n // 250}.{n % 250}" for n in rng.integers(0, 5 + 3 * day)]),
        ("user_agent", [f"agent/{n}" for n in rng.integers(0, 2 + day // 10)]),
        ("region", [["us-east-1", "eu-west-1", "ap-southeast-2"][n] for n in day % 3]),
        ("outcome", [["success", "failure"][n] for n in (rng.random(rows) < 0.25).astype(int)]),
    ):
        frame[column] = pd.Series(values, dtype=object).astype(frame[column].dtype)
    frame.loc[rng.random(rows) < 0.02, "source_ip"] = None
    iam = (frame["identity_type"] == "IAMUser").fillna(False).astype(bool).to_numpy()
    flip = iam & (rng.random(rows) < 0.3)
    names = frame["user_name"].astype(object)
    frame.loc[flip, "user_name"] = [str(n).upper() for n in names[flip]]
    return frame


def config() -> FindingsConfig:
    """Every rule on, dormancy short enough to fire inside the span, root counted in member
    accounts."""
    rules: dict[str, Any] = dict(FindingsConfig().rules)
    rules["dormant_user"] = dataclasses.replace(rules["dormant_user"], days=3)
    rules["member_root_signin"] = dataclasses.replace(
        rules["member_root_signin"], management_account="000000000000"
    )
    return FindingsConfig(rules=rules)


def shown(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return [
        (f.rule_id, f.severity, f.title, f.description, tuple(f.evidence["event_id"]))
        for f in findings
    ]


def split(frame: pd.DataFrame, at: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    before = (frame["event_time"] < at).fillna(False).astype(bool)
    inside = (frame["event_time"] >= at).fillna(False).astype(bool)
    return (
        canonical_user_names(frame[before].reset_index(drop=True)),
        canonical_user_names(frame[inside].reset_index(drop=True)),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("days", [20, 60, 100])
def test_the_reduced_baseline_gives_the_same_findings(seed: int, days: int) -> None:
    baseline, window = split(scrambled(seed), START + timedelta(days=days))
    reduced = reduce_baseline(baseline)
    assert reduced is not None
    assert len(reduced) < len(baseline)
    full = shown(run_rules(window, baseline, config()))
    assert {f[0] for f in full} >= {"new_source_ip", "new_user_agent", "dormant_user"}
    assert len(full) > 10
    assert shown(run_rules(window, reduced, config())) == full


def test_no_history_stays_no_baseline() -> None:
    assert reduce_baseline(None) is None


def test_reducing_parts_then_the_whole_is_reducing_once() -> None:
    """What per-period summaries rely on: the reductions of two halves, put together and
    reduced again (names canonicalized after the union), give the rules what the whole does."""
    baseline, window = split(scrambled(4), START + timedelta(days=80))
    table = pa.Table.from_pandas(baseline[BASELINE_COLUMNS], preserve_index=False)
    half = table.num_rows // 2
    twice = reduce_table(
        pa.concat_tables([reduce_table(table.slice(0, half)), reduce_table(table.slice(half))])
    )
    merged = canonical_user_names(twice.to_pandas(types_mapper=pd.ArrowDtype))
    expected = shown(run_rules(window, baseline, config()))
    assert shown(run_rules(window, merged, config())) == expected


def test_through_history_the_reduced_read_matches_the_full_read(tmp_path: Path) -> None:
    """The audit run's path: rows stored in the history (days and compacted months), the
    baseline read back projected and reduced, against every column of every row."""
    frame = scrambled(5).dropna(subset=["event_time"])
    history = History.open(str(tmp_path))
    history.record(
        frame,
        [ScopeOutcome("logs:/x", True)],
        collected=Window(START + timedelta(days=100), START + timedelta(days=121)),
        started=START + timedelta(days=121),
        overlap=timedelta(hours=2),
    )
    at = START + timedelta(days=90)
    window = history.read(at, None)
    full = history.read(None, at)
    reduced = reduce_baseline(history.read(None, at, columns=BASELINE_COLUMNS))
    expected = shown(run_rules(window, full, config()))
    assert expected
    assert shown(run_rules(window, reduced, config())) == expected


def test_a_reduction_that_forgets_a_value_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The differential test can fail: reduce without the regions, and every region of the
    window looks new."""
    baseline, window = split(scrambled(1), START + timedelta(days=60))
    full = shown(run_rules(window, baseline, config()))
    monkeypatch.setattr(reduction, "VALUE_GROUPS", reduction.VALUE_GROUPS[:2])
    broken = shown(run_rules(window, reduce_baseline(baseline), config()))
    assert broken != full


def test_failed_attempts_of_known_iam_users_are_kept_unknown_ones_are_not() -> None:
    """The reduction keeps a named IAM user's failed attempt (its spelling settles the
    person's name) and drops one whose user AWS hid."""
    from analyzer.frame.schema import frame_from_rows
    from analyzer.normalize import normalize_record
    from tests.conftest import console_login

    def failure(event_id: str, at: str, identity: dict[str, object]) -> dict[str, object]:
        return console_login(
            eventID=event_id,
            eventTime=at,
            userIdentity={"type": "IAMUser", "accountId": "999999999999", **identity},
            responseElements={"ConsoleLogin": "Failure"},
            errorMessage="Failed authentication",
        )

    records = [
        console_login(eventID="ok", eventTime="2026-11-01T10:00:00Z"),
        failure("typo", "2026-11-02T10:00:00Z", {"principalId": "AIDAX", "userName": "ANAYA"}),
        failure("hidden", "2026-11-03T10:00:00Z", {"userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
    ]
    rows = [normalized.row for r in records if (normalized := normalize_record(r, "t"))]
    reduced = reduce_baseline(frame_from_rows(rows))
    assert reduced is not None
    failures = reduced[(reduced["outcome"] == "failure").fillna(False).astype(bool)]
    assert list(failures["user_name"]) == ["ANAYA"]


def test_text_past_32_bit_offsets_is_coded_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over 2 GiB of one column's text cannot be joined with 32-bit offsets (ArrowInvalid:
    offset overflow): such a column is joined as large_string. The limit is lowered here to
    take that path on a small history; the reduction is the same."""
    baseline, _ = split(scrambled(5), START + timedelta(days=80))
    table = pa.Table.from_pandas(baseline[BASELINE_COLUMNS], preserve_index=False)
    table = pa.concat_tables([table.slice(0, 100), table.slice(100)])  # chunked columns
    expected = reduce_table(table)
    monkeypatch.setattr(reduction, "JOIN_LIMIT", 0)
    assert reduce_table(table).equals(expected)
