"""Files are recognised by content; bad input is reported with its culprit and skipped while
the good input beside it is still read."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window
from analyzer.sources import FileSource
from analyzer.sources.limits import MIB
from tests.conftest import api_call, console_login, write_trail


def read(*paths: Path) -> tuple[list[object], Coverage]:
    coverage = Coverage()
    records = [raw.record for raw in FileSource(paths).records(coverage)]
    return records, coverage


def problems(coverage: Coverage) -> list[str]:
    return [p.line() for p in coverage.problems]


def test_trail_file_gzip_and_plain_by_content(tmp_path: Path) -> None:
    write_trail(tmp_path / "no-extension", [console_login()])
    write_trail(tmp_path / "plain.json.gz", [api_call()], compress=False)  # name lies
    records, coverage = read(tmp_path)
    assert records == [console_login()]  # only sign-in candidates leave the source
    assert coverage.records_scanned == 2
    assert coverage.files_read == 2
    assert coverage.problems == []


def test_lookup_events_output(tmp_path: Path) -> None:
    events = {
        "Events": [
            {"EventId": "1", "CloudTrailEvent": json.dumps(console_login())},
            {"EventId": "2", "CloudTrailEvent": "{not json"},
            {"EventId": "3"},
        ]
    }
    path = tmp_path / "lookup.json"
    path.write_text(json.dumps(events, indent=4))
    records, coverage = read(path)
    assert records == [console_login()]
    assert problems(coverage) == [
        f"{path}#Events[1]: CloudTrailEvent is not JSON (Expecting property name enclosed in "
        "double quotes: column 2)",
        f"{path}#Events[2]: event has no CloudTrailEvent string",
    ]


def test_json_lines_with_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(console_login()) + "\n\n{broken\n" + json.dumps(api_call()) + "\n")
    records, coverage = read(path)
    assert records == [console_login()]
    assert coverage.records_scanned == 2
    assert problems(coverage) == [
        f"{path}:3: line is not JSON (Expecting property name enclosed in double quotes: column 2)"
    ]


def test_digests_and_non_json_files_are_skipped_quietly(tmp_path: Path) -> None:
    digest = {"awsAccountId": "1", "digestStartTime": "x", "logFiles": []}
    (tmp_path / "d.json.gz").write_bytes(gzip.compress(json.dumps(digest).encode()))
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    write_trail(tmp_path / "log.json.gz", [console_login()])
    records, coverage = read(tmp_path)
    assert len(records) == 1
    assert coverage.problems == []
    assert coverage.files_skipped == {
        "CloudTrail digest file": 1,
        "not a JSON file": 1,
        "hidden file": 1,
    }


def test_missing_path_and_empty_folder_are_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    good = write_trail(tmp_path / "good" / "x.json.gz", [console_login()])
    records, coverage = read(tmp_path / "nope", empty, good)
    assert len(records) == 1
    assert problems(coverage) == [
        f"{tmp_path / 'nope'}: no such file or folder",
        f"{empty}: folder holds no files",
    ]


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    good = write_trail(tmp_path / "good.json.gz", [console_login()])
    records, coverage = read(path, good)
    assert len(records) == 1
    [line] = problems(coverage)
    assert line.startswith(f"{path}: corrupt gzip")


def test_truncated_gzip_keeps_the_complete_records_before_the_cut(tmp_path: Path) -> None:
    records = [api_call(f"noise-{i:05d}") for i in range(3000)] + [console_login()]
    whole = gzip.compress(json.dumps({"Records": [console_login(), *records]}).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(whole[: len(whole) // 2])
    found, coverage = read(path)
    [line] = problems(coverage)
    assert line.startswith(f"{path}: truncated gzip")
    assert found == [console_login()]  # the first record, before the cut
    assert 0 < coverage.records_scanned < 3001
    assert line.endswith(f"kept the {coverage.records_scanned} records before it")


def test_truncated_json_keeps_the_complete_records(tmp_path: Path) -> None:
    text = json.dumps({"Records": [api_call("a"), console_login(), api_call("b")]})
    path = tmp_path / "cut.json"
    path.write_text(text[:-40])
    records, coverage = read(path)
    assert records == [console_login()]
    assert coverage.records_scanned == 2
    [line] = problems(coverage)
    assert line.startswith(f"{path}: truncated or invalid JSON in record 2")
    assert line.endswith("kept the 2 records before it")


def test_a_file_read_up_to_a_cut_is_counted_read_not_also_skipped(tmp_path: Path) -> None:
    """Read files and skipped files add up to the files looked at; the cut file's problem
    still counts as skipped input (its rest was not read), which `--strict` fails on."""
    write_trail(tmp_path / "good.json.gz", [console_login(eventID="good")])
    whole = gzip.compress(json.dumps({"Records": [console_login(), api_call()] * 200}).encode())
    (tmp_path / "cut.json.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "empty.json").write_text("")
    records, coverage = read(tmp_path)
    assert len(records) > 1
    assert coverage.files_read == 2
    assert dict(coverage.files_skipped) == {"empty file": 1}
    assert coverage.skipped_input
    assert [p.skipped for p in coverage.problems] == [True, True]


def test_a_cut_after_one_record_says_record_and_where_the_decoder_stopped(
    tmp_path: Path,
) -> None:
    text = json.dumps({"Records": [console_login(), {"eventSource": "ec2.amazonaws.com"}]})
    path = tmp_path / "cut.json"
    path.write_text(text[:-10])
    records, coverage = read(path)
    assert records == [console_login()]
    [line] = problems(coverage)
    column = text.rindex('"ec2') + 1  # where the string cut short starts
    assert line == (
        f"{path}: truncated or invalid JSON in record 1 (Unterminated string starting at: "
        f"line 1, column {column}); kept the 1 record before it"
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"Records": [', "truncated JSON before its first record"),
        ('{"Records": [{"eventName": "x"}, ', "truncated JSON after record 0"),
    ],
)
def test_json_cut_between_records_names_the_last_whole_one(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "cut.json"
    path.write_text(text)
    _, coverage = read(path)
    [line] = problems(coverage)
    assert said in line


def test_json_that_is_not_cloudtrail(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"configurationItems": [], "fileVersion": "1.0"}))
    records, coverage = read(path)
    assert records == []
    assert problems(coverage) == [
        f"{path}: JSON that is not CloudTrail (no Records or Events array; top-level keys: "
        "configurationItems, fileVersion)"
    ]
    assert coverage.files_read == 0


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("")
    _, coverage = read(path)
    assert problems(coverage) == [f"{path}: empty file"]


@pytest.mark.parametrize(("span_bytes", "bound"), [(16 * MIB, 2_000_000), (MIB, 3 * MIB)])
def test_memory_does_not_grow_with_non_signin_records(
    tmp_path: Path, span_bytes: int, bound: int
) -> None:
    """A JSON Lines export is streamed, line by line below twice the span size and span by
    span above it: peak memory stays far below its size either way."""
    path = tmp_path / "big.jsonl"
    line = json.dumps(api_call()) + "\n"
    with path.open("w") as handle:
        for _ in range(60_000):
            handle.write(line)
    size = path.stat().st_size
    coverage = Coverage()
    tracemalloc.start()
    count = sum(1 for _ in FileSource([path], span_bytes=span_bytes).records(coverage))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 0
    assert coverage.records_scanned == 60_000
    assert size > 15_000_000
    assert peak < bound


def test_synced_tree_prunes_days_outside_the_window_and_sibling_folders(tmp_path: Path) -> None:
    base = tmp_path / "AWSLogs" / "o-abc123" / "111122223333"
    inside = console_login(eventID="in", eventTime="2026-11-03T10:00:00Z")
    late = console_login(eventID="late", eventTime="2026-11-04T23:59:00Z")
    write_trail(base / "CloudTrail/us-east-1/2026/11/03/a.json.gz", [inside])
    write_trail(base / "CloudTrail/us-east-1/2026/11/05/b.json.gz", [late])  # delivered next day
    write_trail(base / "CloudTrail/us-east-1/2026/11/20/c.json.gz", [console_login()])
    write_trail(base / "CloudTrail/us-east-1/2026/10/01/d.json.gz", [console_login()])
    write_trail(base / "CloudTrail-Digest/us-east-1/2026/11/03/x.json.gz", [])
    window = Window(datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC))
    coverage = Coverage()
    records = [raw.record for raw in FileSource([tmp_path], window=window).records(coverage)]
    assert records == [inside, late]
    assert coverage.day_folders_pruned == 2
    assert coverage.files_read == 2
    assert coverage.files_skipped == {"CloudTrail-Digest folder (digests, not read)": 1}


def test_many_files_through_the_worker_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forked worker reads some of the files on every run: the caller starts reading only
    after one has (an event shared across the fork), and the results are the same."""
    from analyzer.sources import files as files_module

    caller = os.getpid()
    worker_read = multiprocessing.get_context("fork").Event()
    real = files_module.read_and_normalize  # type: ignore[attr-defined]

    def observed(path: Path, **options: Any) -> Any:
        if os.getpid() != caller:
            worker_read.set()
        else:
            assert worker_read.wait(30)
        return real(path, **options)

    monkeypatch.setattr(files_module, "read_and_normalize", observed)
    for index in range(40):
        records = [api_call(f"n{index}-{i}") for i in range(20)]
        records.insert(7, console_login(eventID=f"s{index}"))
        write_trail(tmp_path / f"f{index:02d}.json.gz", records)
    (tmp_path / "f99.json.gz").write_bytes(b"\x1f\x8bbroken")
    coverage = Coverage()
    found = list(FileSource([tmp_path], workers=2).records(coverage))
    assert [raw.record["eventID"] for raw in found] == [f"s{i}" for i in range(40)]  # type: ignore[index]
    assert found[0].where.endswith("f00.json.gz#7")
    assert coverage.records_scanned == 40 * 21
    assert coverage.files_read == 40
    [problem] = coverage.problems
    assert problem.culprit.endswith("f99.json.gz")
    assert worker_read.is_set()


def test_fast_path_finds_the_same_records_as_a_full_parse(tmp_path: Path) -> None:
    """Decoys that mention signin.amazonaws.com elsewhere are parsed and left to the
    normalizer; every real sign-in is found wherever it sits in the file."""
    decoy = api_call("decoy")
    decoy["requestParameters"] = {
        "lookupAttributes": [
            {"attributeKey": "EventSource", "attributeValue": "signin.amazonaws.com"}
        ]
    }
    portal = api_call("portal")
    portal.update(eventSource="sso.amazonaws.com", eventName="Authenticate")
    directory = api_call("directory")
    directory.update(eventSource="sso-directory.amazonaws.com", eventName="ListGroups")
    records = [
        console_login(eventID="first"),
        api_call("a"),
        decoy,
        portal,
        directory,
        api_call("b"),
        console_login(eventID="last"),
    ]
    payload = json.dumps({"Records": records}, separators=(",", ":")).encode()
    (tmp_path / "t.json.gz").write_bytes(gzip.compress(payload))
    coverage = Coverage()
    found = list(FileSource([tmp_path]).records(coverage))
    assert [raw.record for raw in found] == [records[0], portal, records[6]]
    assert [raw.where[-2:] for raw in found] == ["#0", "#3", "#6"]
    assert coverage.records_scanned == 7


def test_a_json_lines_problem_says_where_on_the_line(tmp_path: Path) -> None:
    """The decoder's own words end in a dangling "at" ("Invalid control character at"):
    the column follows them."""
    path = tmp_path / "export.jsonl"
    good = json.dumps(console_login())
    path.write_text(good + "\n" + '{"eventName": "Console\tLogin"}\n' + good + "\n")
    records, coverage = read(path)
    assert records == [console_login(), console_login()]
    assert problems(coverage) == [
        f"{path}:2: line is not JSON (Invalid control character at: column 23)"
    ]


def test_the_day_folder_after_a_window_ending_mid_day_is_read(tmp_path: Path) -> None:
    """Folders are named by delivery day: a sign-in at 23:29 of a window ending 23:30 sits in
    the next day's folder, which must not be pruned (only the day after that is)."""
    base = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1"
    last = console_login(eventID="last", eventTime="2026-11-05T23:29:00Z")
    write_trail(base / "2026/11/06/late.json.gz", [last])  # delivered after midnight
    write_trail(base / "2026/11/07/after.json.gz", [console_login(eventID="after")])
    window = Window(datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 5, 23, 30, tzinfo=UTC))
    coverage = Coverage()
    records = [raw.record for raw in FileSource([tmp_path], window=window).records(coverage)]
    assert records == [last]
    assert coverage.day_folders_pruned == 1  # 2026/11/07 only


def test_a_character_device_given_directly_is_read_as_a_stream() -> None:
    """`--logs /dev/stdin` at a terminal (a character device) is read, not refused."""
    from analyzer.sources.tree import files_under

    coverage = Coverage()
    assert files_under([Path("/dev/null")], None, coverage) == [Path("/dev/null")]
    assert not coverage.files_skipped


@pytest.mark.parametrize("layout", ["compact", "compact gzip", "indented"])
@pytest.mark.parametrize("byte", ["\x00", "\x1b", "\n", "\t"])
def test_a_record_the_decoder_refuses_costs_that_record_only(
    tmp_path: Path, layout: str, byte: str
) -> None:
    """A raw control character in a string (a file changed by hand or by a broken tool)
    stopped the decoder: every record after it in the file was lost (an adversarial review).
    The sign-in holding it is rejected with its line; a non-sign-in holding one is counted."""
    records = [console_login(eventID=f"s{n}") for n in range(6)]
    records[1]["userAgent"] = "Mozilla@@"
    records.insert(3, {**api_call("noise"), "sourceIPAddress": "192.0.2.1", "userAgent": "c@@"})
    text = json.dumps({"Records": records}, indent=None if "compact" in layout else 1)
    if "compact" in layout:
        text = text.replace(", ", ",").replace(": ", ":")
    data = text.replace("@@", byte).encode()
    path = tmp_path / ("f.json.gz" if "gzip" in layout else "f.json")
    path.write_bytes(gzip.compress(data) if "gzip" in layout else data)
    found, coverage = read(path)
    assert [r["eventID"] for r in found if isinstance(r, dict)] == ["s0", "s2", "s3", "s4", "s5"]
    assert coverage.records_scanned == 7
    assert coverage.records_rejected == 1
    [line] = problems(coverage)
    assert line.startswith(f"{path}#1: record is not valid JSON (Invalid control character")


@pytest.mark.parametrize(
    ("damage", "kept"),
    [("\\\n", ["s1", "s2"]), ("\\\r\n", ["s1", "s2"]), ('a"b', [])],
)
def test_a_skipped_record_never_swallows_the_records_after_it(
    tmp_path: Path, damage: str, kept: list[str]
) -> None:
    """The skip finds a refused record's end by its brackets and strings: a backslash before
    a line end was no string to it, and a stray quote pairs every later string the wrong
    way round, so the records after it were taken for the rest of that one record and lost
    with no line but the broken record's (an adversarial review). Now the first is read as
    text, and the second stops the file with its line, as any record whose end is unclear."""
    noise = {**api_call("n0"), "sourceIPAddress": "192.0.2.1", "userAgent": "@@"}
    records = [noise, console_login(eventID="s1"), console_login(eventID="s2"), api_call("n3")]
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"Records": records}, indent=1).replace('"@@"', f'"{damage}"'))
    found, coverage = read(path)
    assert [r["eventID"] for r in found if isinstance(r, dict)] == kept
    if not kept:
        assert problems(coverage) == [
            f"{path}: truncated or invalid JSON in record 0 (Expecting ',' delimiter: line 15, "
            "column 20)"
        ]
