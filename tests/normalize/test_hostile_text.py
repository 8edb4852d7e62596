"""Text and times an attacker (or a broken exporter) chooses never break normalization: every
string in a row can be encoded, every time can be compared and shifted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from analyzer.normalize import normalize_record
from analyzer.normalize.timeparse import parse_event_time
from tests.conftest import console_login


def test_lone_surrogates_are_replaced_in_every_text_field() -> None:
    record = json.loads(
        json.dumps(console_login())
        .replace("Mozilla/5.0", "Mozilla\\ud800/5.0")
        .replace('"Anaya"', '"An\\udfffaya"')
    )
    assert record["userAgent"] == "Mozilla\ud800/5.0"  # what json gives: not encodable
    normalized = normalize_record(record, "bad\udcff-name.json#0")  # a file name not UTF-8
    assert normalized is not None
    row = normalized.row
    assert row["user_agent"] == "Mozilla\ufffd/5.0"
    assert row["user_name"] == "An\ufffdaya"
    assert row["collected_from"] == "bad\ufffd-name.json#0"
    for value in row.values():
        if isinstance(value, str):
            value.encode("utf-8")


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:30:00-01:00",  # past datetime.max once in UTC (OverflowError)
        "0001-01-01T00:30:00+01:00",  # before datetime.min
        "9999-12-31T23:59:59Z",  # a day later overflows every rule's arithmetic
        "1900-01-01T00:00:00Z",
    ],
)
def test_times_outside_any_sign_in_are_unparseable(raw: str) -> None:
    assert parse_event_time(raw) is None
    normalized = normalize_record(console_login(eventTime=raw), "f#0")
    assert normalized is not None
    assert normalized.row["event_time"] is None
    assert "bad_event_time" in normalized.issues


def test_times_that_parse_can_be_shifted_a_year_either_way() -> None:
    moment = parse_event_time("2199-12-31T23:59:59+00:00")
    assert moment is not None
    moment + timedelta(days=366)
    earliest = parse_event_time("1970-01-01T00:00:00Z")
    assert earliest is not None
    earliest - timedelta(days=366)


def test_numbers_past_the_digit_limit_in_records_built_in_python() -> None:
    record = console_login(userAgent=10**5000, recipientAccountId=10**4400)
    normalized = normalize_record(record, "api")
    assert normalized is not None
    assert normalized.row["user_agent"] is None
