from __future__ import annotations

import pandas as pd

from analyzer.frame.schema import empty_frame
from analyzer.reports import first_seen_ips, signins_per_day, user_timeline
from tests.conftest import console_login
from tests.reports.test_reports import FAIL, frame


def sample() -> pd.DataFrame:
    return frame(
        console_login(eventID="1", eventTime="2026-11-01T10:00:00Z"),
        console_login(eventID="2", eventTime="2026-11-03T10:00:00Z", **FAIL,
                      sourceIPAddress="192.0.2.9"),
        console_login(eventID="3", eventTime="2026-11-03T11:00:00Z", sourceIPAddress="192.0.2.9"),
        console_login(eventID="4", eventTime="2026-11-03T11:00:05Z", eventName="CheckMfa",
                      responseElements={"CheckMfa": "Success"}),
    )  # fmt: skip


def test_signins_per_day_fills_empty_days() -> None:
    table = signins_per_day(sample())
    assert [d.strftime("%m-%d") for d in table.index] == ["11-01", "11-02", "11-03"]
    assert table["success"].tolist() == [1, 0, 1]
    assert table["failure"].tolist() == [0, 0, 1]
    assert signins_per_day(empty_frame()).empty


def test_first_seen_ips() -> None:
    table = first_seen_ips(sample()).set_index("source_ip")
    assert table.loc["192.0.2.9", "sign_ins"] == 2
    assert table.loc["192.0.2.9", "failures"] == 1
    assert table.loc["192.0.2.9", "first_seen"] == pd.Timestamp("2026-11-03T10:00:00Z")


def test_user_timeline_has_every_kind_in_order() -> None:
    timeline = user_timeline(sample(), "Anaya")
    assert timeline["event_id"].tolist() == ["1", "2", "3", "4"]
    assert user_timeline(sample(), "nobody").empty
