"""A weekly run reports the sign-ins from before its window that it stored first: delivered
after the run that covered their time, or fallen between two runs' windows. Reporting only
the window stored them and alerted on none (an adversarial review's two cases)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from analyzer.audit.request import AuditRequest, AuditResult, Rendering, Sources
from analyzer.audit.run import run_audit
from analyzer.domain.window import Window
from analyzer.render.formats import OutputFormat
from tests.conftest import console_login, write_trail


def root(event_id: str, at: str) -> dict[str, Any]:
    return console_login(
        eventID=event_id,
        eventTime=at,
        userIdentity={
            "type": "Root",
            "principalId": "999999999999",
            "arn": "arn:aws:iam::999999999999:root",
            "accountId": "999999999999",
        },
    )


def week(logs: Path, history: Path, since: str, until: str) -> AuditResult:
    return run_audit(
        AuditRequest(
            window=Window(datetime.fromisoformat(since), datetime.fromisoformat(until)),
            sources=Sources(logs=(logs,)),
            history=str(history),
            rendering=Rendering(format=OutputFormat.json),
        )
    )


def root_times(result: AuditResult) -> list[str]:
    report = json.loads(result.text)
    return sorted(
        row["event_time"]
        for finding in report["findings"]
        if finding["rule_id"] == "root_signin"
        for row in finding["evidence"]
    )


def new_addresses(result: AuditResult) -> list[str]:
    return sorted(
        str(address)
        for finding in result.findings
        if finding.rule_id == "new_source_ip"
        for address in finding.evidence["source_ip"]
    )


def test_a_late_delivery_is_reported_by_the_next_run_and_only_by_it(tmp_path: Path) -> None:
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("early", "2026-11-04T23:55:00Z")])  # after the late one
    first = week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    assert root_times(first) == ["2026-11-04T23:55:00+00:00"]
    # After the first run: a sign-in of its window arrives, and one of the next week.
    late = [root("late", "2026-11-04T23:50:00Z"), root("later", "2026-11-04T23:52:00Z")]
    write_trail(logs / "late.json.gz", late)
    write_trail(logs / "b.json.gz", [root("next", "2026-11-06T10:00:00Z")])
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    # The late one is reported; the overlap's copy of the early one (read again) is not.
    assert root_times(second) == [
        "2026-11-04T23:50:00+00:00",
        "2026-11-04T23:52:00+00:00",
        "2026-11-06T10:00:00+00:00",
    ]
    said = [p.message for p in second.coverage.problems if p.culprit.startswith("history ")]
    assert len(said) == 1
    assert said[0].startswith(
        "2 sign-in events from before the window "
        "(2026-11-04T23:50:00+00:00 to 2026-11-04T23:52:00+00:00) first stored by this run"
    )
    assert [w for w in second.warnings if "from before the window" in w] == [
        f"history {history}: {said[0]}"]  # fmt: skip
    assert not second.coverage.skipped_input  # a note, not skipped input
    third = week(logs, history, "2026-11-12T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    assert root_times(third) == []  # reported once


def test_a_sign_in_between_two_runs_windows_is_reported(tmp_path: Path) -> None:
    """`--days 7` started at 06:01, then a week later at 06:09 (a timer's random delay):
    06:01-06:09 is in neither window."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("gap", "2026-11-05T06:05:00Z")])
    first = week(logs, history, "2026-10-29T06:01:00+00:00", "2026-11-05T06:01:00+00:00")
    assert root_times(first) == []
    second = week(logs, history, "2026-11-05T06:09:00+00:00", "2026-11-12T06:09:00+00:00")
    assert root_times(second) == ["2026-11-05T06:05:00+00:00"]


@pytest.mark.parametrize("failed_once", [False, True])
def test_a_late_row_is_not_its_own_baseline(tmp_path: Path, failed_once: bool) -> None:
    """The first-seen rules compare the reported rows with the history before them: a late
    sign-in from a new address is new, though history now holds it before the window; so
    it is when the run that stored it failed before its report and the next one shows it."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(
        logs / "a.json.gz", [console_login(eventID="old", eventTime="2026-11-01T09:00:00Z")]
    )
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    late = console_login(
        eventID="late", eventTime="2026-11-04T23:50:00Z", sourceIPAddress="203.0.113.9"
    )
    write_trail(logs / "late.json.gz", [late])
    if failed_once:
        unfinished(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert new_addresses(second) == ["203.0.113.9"]


def test_a_record_reusing_a_reported_events_id_is_shown_beside_it(tmp_path: Path) -> None:
    """A replayed or altered copy of an event reported weeks ago, stored under its own day:
    the window alone held one record of the id, so no report raised event_id_conflict."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [console_login(eventID="X", eventTime="2026-11-03T09:00:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    replay = console_login(
        eventID="X", eventTime="2026-11-06T09:00:00Z", sourceIPAddress="203.0.113.7"
    )
    write_trail(
        logs / "b.json.gz", [replay, console_login(eventID="Y", eventTime="2026-11-07T09:00:00Z")]
    )
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    [conflict] = [f for f in second.findings if f.rule_id == "event_id_conflict"]
    assert [str(t) for t in conflict.evidence["event_time"]] == [
        "2026-11-03 09:00:00+00:00", "2026-11-06 09:00:00+00:00"]  # fmt: skip
    said = [p.message for p in second.coverage.problems if p.culprit.startswith("history ")]
    assert said == [
        "1 eventID of the window's sign-ins also names a different record stored before it "
        "(2026-11-03T09:00:00+00:00 to 2026-11-03T09:00:00+00:00): shown beside them "
        "(event_id_conflict)"
    ]
    third = week(logs, history, "2026-11-12T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    assert [f.rule_id for f in third.findings if f.rule_id == "event_id_conflict"] == []


def test_a_sign_in_at_the_window_start_is_the_windows_not_a_late_one(tmp_path: Path) -> None:
    """Exactly at `since` is inside the window: shown beside the late rows (not dropped), and
    not itself called late."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("early", "2026-11-04T23:55:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    write_trail(logs / "late.json.gz", [root("late", "2026-11-04T23:50:00Z")])
    write_trail(logs / "b.json.gz", [root("edge", "2026-11-05T00:00:00Z")])  # == since
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert root_times(second) == ["2026-11-04T23:50:00+00:00", "2026-11-05T00:00:00+00:00"]
    said = [p.message for p in second.coverage.problems if p.culprit.startswith("history ")]
    assert len(said) == 1
    assert said[0].startswith(
        "1 sign-in event from before the window "
        "(2026-11-04T23:50:00+00:00 to 2026-11-04T23:50:00+00:00)"
    )


def test_a_record_reusing_an_id_exactly_at_the_window_start_is_a_conflict(
    tmp_path: Path,
) -> None:
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [console_login(eventID="X", eventTime="2026-11-03T09:00:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    replay = console_login(
        eventID="X", eventTime="2026-11-05T00:00:00Z", sourceIPAddress="203.0.113.7"
    )
    write_trail(logs / "b.json.gz", [replay])
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    [conflict] = [f for f in second.findings if f.rule_id == "event_id_conflict"]
    assert [str(t) for t in conflict.evidence["event_time"]] == [
        "2026-11-03 09:00:00+00:00",
        "2026-11-05 00:00:00+00:00",
    ]


def test_an_altered_copy_delivered_into_the_overlap_is_reported(tmp_path: Path) -> None:
    """A record reusing a reported event's id, with other content and a time before the
    window, delivered after the run that reported the original: stored beside it, and it
    was never reported (the late rows were judged by eventID, which history held). Now it is
    a late row, shown beside the original and raised as event_id_conflict."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    original = root("X", "2026-11-04T23:00:00Z")
    write_trail(logs / "a.json.gz", [original])
    first = week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    assert root_times(first) == ["2026-11-04T23:00:00+00:00"]
    altered = {**root("X", "2026-11-04T23:30:00Z"), "sourceIPAddress": "203.0.113.66"}
    write_trail(logs / "b.json.gz", [altered])  # in the next run's overlap, before its window
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    [conflict] = [f for f in second.findings if f.rule_id == "event_id_conflict"]
    assert [str(t) for t in conflict.evidence["event_time"]] == [
        "2026-11-04 23:00:00+00:00",
        "2026-11-04 23:30:00+00:00",
    ]
    said = [p.message for p in second.coverage.problems if p.culprit.startswith("history ")]
    assert said[0].startswith(  # the span of what this run stored first: the copy alone
        "1 sign-in event from before the window "
        "(2026-11-04T23:30:00+00:00 to 2026-11-04T23:30:00+00:00) first stored by this run"
    )
    third = week(logs, history, "2026-11-12T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    assert not [f for f in third.findings if f.rule_id == "event_id_conflict"]  # reported once


def test_the_original_of_a_late_altered_copy_stays_in_the_baseline(tmp_path: Path) -> None:
    """Only the copy is this run's: the original, reported a week ago, stays the baseline the
    copy's values are judged by (dropping both alerted on the original's address again)."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(
        logs / "0.json.gz", [console_login(eventID="base", eventTime="2026-10-20T09:00:00Z")]
    )
    week(logs, history, "2026-10-15T00:00:00+00:00", "2026-10-22T00:00:00+00:00")
    original = console_login(
        eventID="X", eventTime="2026-11-04T23:00:00Z", sourceIPAddress="198.51.100.1"
    )
    write_trail(logs / "a.json.gz", [original])
    first = week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    assert new_addresses(first) == ["198.51.100.1"]
    altered = console_login(
        eventID="X", eventTime="2026-11-04T23:30:00Z", sourceIPAddress="203.0.113.66"
    )
    write_trail(logs / "b.json.gz", [altered])
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert [f.rule_id for f in second.findings].count("event_id_conflict") == 1
    assert new_addresses(second) == ["203.0.113.66"]


def test_an_overlap_holding_only_copies_reports_no_late_row(tmp_path: Path) -> None:
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("early", "2026-11-04T23:55:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    write_trail(logs / "b.json.gz", [root("next", "2026-11-06T10:00:00Z")])
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert root_times(second) == ["2026-11-06T10:00:00+00:00"]


def test_an_added_row_without_a_time_is_not_late() -> None:
    import pyarrow as pa

    from analyzer.audit.late import late_rows

    kind = pa.timestamp("us", tz="UTC")
    added = pa.table(
        {"event_id": ["a", "b"], "event_time": pa.array([None, datetime(2026, 11, 4)], kind)}
    )
    since = datetime.fromisoformat("2026-11-05T00:00:00+00:00")
    late = late_rows(added, since)
    assert late is not None
    assert late.event_ids.to_pylist() == ["b"]
    assert late_rows(added.slice(0, 1), since) is None


def carried_line(history: Path, at: str) -> str:
    """The line of one sign-in at `at` that a run whose report never went out stored."""
    return (
        f"history {history}: 1 sign-in event from before the window ({at} to {at}) in no "
        "report yet (1 stored by another run whose report was not out: it failed, or is "
        "still being made): reported here beside the window's sign-ins"
    )


def unfinished(logs: Path, history: Path, since: str, until: str) -> None:
    """A weekly run that records its collection and makes its report, then ends before the
    report is out (a full disk, a refused upload, a kill): it never settles."""
    from analyzer.audit.run import AuditRun

    run = AuditRun(
        AuditRequest(
            window=Window(datetime.fromisoformat(since), datetime.fromisoformat(until)),
            sources=Sources(logs=(logs,)),
            history=str(history),
            rendering=Rendering(format=OutputFormat.json),
        )
    )
    run.start()
    run.collect()
    run.check_collection()
    run.report()


def test_late_rows_of_a_run_whose_report_never_went_out_are_reported_by_the_next(
    tmp_path: Path,
) -> None:
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("early", "2026-11-04T23:55:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    write_trail(logs / "late.json.gz", [root("late", "2026-11-04T23:50:00Z")])
    write_trail(logs / "b.json.gz", [root("next", "2026-11-06T10:00:00Z")])
    unfinished(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    # The job runs again (the same week, once the disk is freed): the late row, stored by
    # the run that failed, is no longer new to history, and still reported.
    again = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert root_times(again) == ["2026-11-04T23:50:00+00:00", "2026-11-06T10:00:00+00:00"]
    said = [w for w in again.warnings if "from before the window" in w]
    assert said == [carried_line(history, "2026-11-04T23:50:00+00:00")]
    after = week(logs, history, "2026-11-12T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    assert root_times(after) == []  # shown once the report is out, then settled


def test_unreported_rows_after_the_window_wait_for_a_report_that_shows_them(
    tmp_path: Path,
) -> None:
    """A report of an earlier span (a backfill) does not show a later run's unreported rows,
    so it leaves them noted."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("early", "2026-11-04T23:55:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    write_trail(logs / "late.json.gz", [root("late", "2026-11-04T23:50:00Z")])
    unfinished(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    backfill = week(logs, history, "2026-09-01T00:00:00+00:00", "2026-09-08T00:00:00+00:00")
    assert root_times(backfill) == []
    again = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert root_times(again) == ["2026-11-04T23:50:00+00:00"]


def test_a_failure_to_settle_is_a_warning_and_the_rows_are_shown_again(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from analyzer.history.store import History

    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("early", "2026-11-04T23:55:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    write_trail(logs / "late.json.gz", [root("late", "2026-11-04T23:50:00Z")])

    def refused(self: History, shown: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(History, "settle", refused)
        second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert root_times(second) == ["2026-11-04T23:50:00+00:00"]
    assert [w for w in second.warnings if "as reported" in w] == [
        f"history {history}: cannot note 1 sign-in(s) of this report as reported (disk full); "
        "the next run reports them again"
    ]
    third = week(logs, history, "2026-11-12T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    assert root_times(third) == ["2026-11-04T23:50:00+00:00"]
    assert (
        root_times(week(logs, history, "2026-11-19T00:00:00+00:00", "2026-11-26T00:00:00+00:00"))
        == []
    )


def test_the_week_of_a_run_whose_report_never_went_out_is_in_the_next_report(
    tmp_path: Path,
) -> None:
    """Week 2's run stores its sign-ins, then fails before its report is out; the job's next
    run is week 3's (six hours late: a sign-in between the windows is its own late one): it
    shows week 2's sign-ins too, judged against the history before them; week 4 does not."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [console_login(eventID="w1", eventTime="2026-11-01T09:00:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    away = console_login(
        eventID="w2b", eventTime="2026-11-08T10:00:00Z", sourceIPAddress="203.0.113.9"
    )
    write_trail(logs / "b.json.gz", [root("w2", "2026-11-07T10:00:00Z"), away])
    unfinished(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    write_trail(
        logs / "d.json.gz",
        [root("gap", "2026-11-12T03:00:00Z"), root("w3", "2026-11-14T10:00:00Z")],
    )
    third = week(logs, history, "2026-11-12T06:00:00+00:00", "2026-11-19T06:00:00+00:00")
    assert root_times(third) == [
        "2026-11-07T10:00:00+00:00", "2026-11-12T03:00:00+00:00", "2026-11-14T10:00:00+00:00"
    ]  # fmt: skip
    assert new_addresses(third) == ["203.0.113.9"]
    assert [w for w in third.warnings if "before the window" in w] == [
        f"history {history}: 3 sign-in events from before the window (2026-11-07T10:00:00+00:00 "
        "to 2026-11-12T03:00:00+00:00) in no report yet (2 stored by another run whose report "
        "was not out: it failed, or is still being made): reported here beside the window's "
        "sign-ins"
    ]
    fourth = week(logs, history, "2026-11-19T06:00:00+00:00", "2026-11-26T06:00:00+00:00")
    assert root_times(fourth) == []
    assert not [w for w in fourth.warnings if "before the window" in w]


def test_a_failed_run_that_stored_nothing_new_leaves_nothing_to_report(tmp_path: Path) -> None:
    """A week reported, then read again by a run that fails (a rerun with a typo in its
    output): it stored no row first, so the next week's report repeats nothing."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("r1", "2026-11-02T10:00:00Z")])
    first = week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    assert root_times(first) == ["2026-11-02T10:00:00+00:00"]
    unfinished(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert root_times(second) == []
    assert not [w for w in second.warnings if "before the window" in w]


def test_a_failed_run_with_a_later_end_leaves_its_rows_to_the_next_weekly_report(
    tmp_path: Path,
) -> None:
    """A month-to-date run stores a late sign-in and fails; the next weekly run, whose window
    ends long before the month's, shows it, and only it."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("w1", "2026-11-01T09:00:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    write_trail(
        logs / "late.json.gz",
        [root("late", "2026-11-03T10:00:00Z"), root("edge", "2026-11-12T00:00:00Z")],
    )
    unfinished(logs, history, "2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert root_times(second) == ["2026-11-03T10:00:00+00:00"]
    # At the second window's end, so not in its report: still owed, to the next one (which
    # starts six hours later, so only as an unreported row).
    third = week(logs, history, "2026-11-12T06:00:00+00:00", "2026-11-19T06:00:00+00:00")
    assert root_times(third) == ["2026-11-12T00:00:00+00:00"]


# (part unreadable for one run, the earlier week, the failed week, the two weeks after)
UNREADABLE = {
    "day": ("day=2026-11-07", "day 2026-11-07", "2026-11-01", "2026-10-29", "2026-11-05",
            "2026-11-07T10:00:00Z", "2026-11-12", "2026-11-19", "2026-11-26"),
    # a closed month's part: the run that closes October cannot read the part it wrote
    "month": ("month=2026-10", "day 2026-10", "2026-10-21", "2026-10-20", "2026-10-27",
              "2026-10-28T10:00:00Z", "2026-11-03", "2026-11-10", "2026-11-17"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_an_unreported_row_in_a_part_one_run_cannot_read_stays_owed(
    tmp_path: Path, monkeypatch: Any, kind: str
) -> None:
    """Week 3 cannot read the part holding week 2's unreported sign-in (a GET error in that
    run only): its report skips the day (or month) with a line, and the sign-in stays
    noted, so week 4 shows it."""
    from analyzer.history.backends import LocalStore, StoreReadError

    part, said, early, first, second, late, third_since, fourth_since, end = UNREADABLE[kind]
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("w1", f"{early}T09:00:00Z")])
    week(logs, history, f"{first}T00:00:00+00:00", f"{second}T00:00:00+00:00")
    write_trail(logs / "b.json.gz", [root("w2", late)])
    unfinished(logs, history, f"{second}T00:00:00+00:00", f"{third_since}T00:00:00+00:00")
    # A sign-in of week 3 (not a root one): its report is not empty, so what it settles is
    # chosen row by row.
    write_trail(
        logs / "c.json.gz", [console_login(eventID="w3", eventTime=f"{third_since}T12:00:00Z")]
    )
    read = LocalStore.read

    def flaky(self: LocalStore, name: str) -> bytes | None:
        if part in name:
            raise StoreReadError(f"cannot read {name}: throttled")
        return read(self, name)

    with monkeypatch.context() as patch:
        patch.setattr(LocalStore, "read", flaky)
        third = week(
            logs, history, f"{third_since}T00:00:00+00:00", f"{fourth_since}T00:00:00+00:00"
        )
    assert root_times(third) == []
    assert any(f"{said} incomplete" in w for w in third.warnings)
    assert not [w for w in third.warnings if "before the window" in w]  # counts shown rows
    fourth = week(logs, history, f"{fourth_since}T00:00:00+00:00", f"{end}T00:00:00+00:00")
    assert root_times(fourth) == [late.replace("Z", "+00:00")]


def test_a_row_shown_beside_a_damaged_part_of_its_day_is_reported_once(tmp_path: Path) -> None:
    """Settled by the row the report held, not by its day: a damaged part of the day (never
    deleted) kept the row owed, reported again every week (a review's case)."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("w1", "2026-11-01T09:00:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    damaged = history / "events" / "day=2026-11-07" / "part-0000000000000000.parquet"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"PAR1 truncated")
    write_trail(logs / "b.json.gz", [root("w2", "2026-11-07T10:00:00Z")])
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    assert root_times(second) == ["2026-11-07T10:00:00+00:00"]
    third = week(logs, history, "2026-11-12T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    assert root_times(third) == []
    assert not [w for w in third.warnings if "before the window" in w]


def test_a_report_from_history_alone_settles_what_it_shows(tmp_path: Path) -> None:
    """Week 2's run fails; the operator makes week 2's report from history alone: the next
    weekly run does not show week 2 again (a review's case)."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("w1", "2026-11-01T09:00:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    write_trail(logs / "b.json.gz", [root("w2", "2026-11-07T10:00:00Z")])
    unfinished(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    rebuilt = run_audit(
        AuditRequest(
            window=Window(
                datetime.fromisoformat("2026-11-05T00:00:00+00:00"),
                datetime.fromisoformat("2026-11-12T00:00:00+00:00"),
            ),
            history=str(history),
            rendering=Rendering(format=OutputFormat.json),
        )
    )
    assert root_times(rebuilt) == ["2026-11-07T10:00:00+00:00"]
    third = week(logs, history, "2026-11-12T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    assert root_times(third) == []


def test_the_copies_line_names_only_the_ids_held_twice(tmp_path: Path) -> None:
    """A late altered copy arrives beside a late sign-in of its own id: the line about copies
    counts the one id stored twice and spans its two records, not the other late row."""
    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("X", "2026-11-04T20:00:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    altered = {**root("X", "2026-11-04T22:00:00Z"), "sourceIPAddress": "203.0.113.66"}
    write_trail(logs / "b.json.gz", [altered, root("L", "2026-11-04T23:30:00Z")])
    second = week(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    copies = [w for w in second.warnings if "also name" in w]
    assert copies == [
        f"history {history}: 1 eventID of the window's sign-ins also names a different record "
        "stored before it (2026-11-04T20:00:00+00:00 to 2026-11-04T22:00:00+00:00): shown "
        "beside them (event_id_conflict)"
    ]


def test_the_late_line_counts_only_the_carried_rows_it_shows(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """A failed run left two sign-ins unreported; the next run cannot read the day of one of
    them. Its line counts the one it shows as carried over (it said two)."""
    from analyzer.history.backends import LocalStore, StoreReadError

    logs, history = tmp_path / "logs", tmp_path / "history"
    write_trail(logs / "a.json.gz", [root("w1", "2026-11-01T09:00:00Z")])
    week(logs, history, "2026-10-29T00:00:00+00:00", "2026-11-05T00:00:00+00:00")
    write_trail(
        logs / "b.json.gz", [root("w2", "2026-11-06T10:00:00Z"), root("w3", "2026-11-07T10:00:00Z")]
    )
    unfinished(logs, history, "2026-11-05T00:00:00+00:00", "2026-11-12T00:00:00+00:00")
    read = LocalStore.read

    def flaky(self: LocalStore, name: str) -> bytes | None:
        if "day=2026-11-07" in name:
            raise StoreReadError(f"cannot read {name}: throttled")
        return read(self, name)

    monkeypatch.setattr(LocalStore, "read", flaky)
    third = week(logs, history, "2026-11-12T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    assert root_times(third) == ["2026-11-06T10:00:00+00:00"]
    said = [w for w in third.warnings if "from before the window" in w]
    assert said == [carried_line(history, "2026-11-06T10:00:00+00:00")]
