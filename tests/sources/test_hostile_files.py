"""Hostile and damaged files: one bad record costs one record, memory stays bounded, nothing is
dropped without a line, and nothing raises. One test per class of input (issue 12)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest

from analyzer.domain.coverage import Coverage
from analyzer.entry import prestart
from analyzer.sources import FileSource
from analyzer.sources.decode import read_file
from tests.conftest import api_call, console_login

MIB = 2**20


def compact(records: list[Any]) -> bytes:
    """A trail file as CloudTrail writes it (the fast path's layout)."""
    ordered = []
    for record in records:
        front = {k: record[k] for k in ("eventVersion", "userIdentity", "eventTime") if k in record}
        ordered.append({**front, **record})
    return json.dumps({"Records": ordered}, separators=(",", ":")).encode()


def read(*paths: Path, **options: Any) -> tuple[list[Any], Coverage]:
    coverage = Coverage()
    records = [raw.record for raw in FileSource(paths, **options).records(coverage)]
    return records, coverage


def lines(coverage: Coverage) -> list[str]:
    return [p.line() for p in coverage.problems]


def ids(records: list[Any]) -> list[str]:
    return [r["eventID"] for r in records]


def spaced(records: list[Any]) -> bytes:
    return json.dumps({"Records": records}, indent=1).encode()


BAD_VALUES = {
    "deep": "[" * 100_000 + "]" * 100_000,
    "digits": "9" * 5000,
}


@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
@pytest.mark.parametrize("layout", ["compact", "spaced", "lines"])
def test_a_record_the_decoder_cannot_take_costs_that_record(
    tmp_path: Path, bad: str, layout: str
) -> None:
    """100k levels deep (RecursionError) or 5000 digits (ValueError) in one sign-in record:
    that record is rejected with one line naming it, the rest of the file is read."""
    records = [console_login(eventID="before"), console_login(eventID="bad"), api_call("x"),
               console_login(eventID="after")]  # fmt: skip
    texts = [json.dumps(r, separators=(",", ":")) for r in records]
    texts[1] = texts[1][:-1] + f',"extra":{BAD_VALUES[bad]}}}'
    if layout == "lines":
        path = tmp_path / "export.jsonl"
        path.write_text("\n".join(texts) + "\n")
        culprit = f"{path}:2"
    else:
        path = tmp_path / "trail.json.gz"
        sep = "," if layout == "compact" else ",\n "
        document = json.loads(compact([json.loads(t) for t in (texts[0], texts[2])]))
        head = json.dumps(document["Records"][0], separators=(",", ":"))
        path.write_bytes(gzip.compress(
            ('{"Records":[' + sep.join([head, texts[1], texts[2], texts[3]]) + "]}").encode()
        ))  # fmt: skip
        culprit = f"{path}#1"
    found, coverage = read(path)
    assert ids(found) == ["before", "after"]
    [line] = lines(coverage)
    assert line.startswith(f"{culprit}: record ")
    assert coverage.records_rejected == 1
    assert coverage.files_read == 1


def test_lookup_events_output_with_a_bad_event(tmp_path: Path) -> None:
    deep = json.dumps(console_login(eventID="bad"))[:-1] + ',"x":' + "[" * 5000 + "]" * 5000 + "}"
    events = {"Events": [
        {"EventId": "1", "CloudTrailEvent": deep},
        {"EventId": "2", "CloudTrailEvent": json.dumps(console_login(eventID="good"))},
    ]}  # fmt: skip
    path = tmp_path / "lookup.json"
    path.write_text(json.dumps(events))
    found, coverage = read(path)
    assert ids(found) == ["good"]
    reason = "CloudTrailEvent: record nested too deeply to decode"
    assert lines(coverage) == [f"{path}#Events[0]: {reason}"]


def test_one_invalid_byte_drops_only_its_record(tmp_path: Path) -> None:
    records = [console_login(eventID="bad"), console_login(eventID="good"), api_call("n")]
    for name, payload in {
        "compact.json.gz": gzip.compress(compact(records)),
        "spaced.json": spaced(records),
        "lines.jsonl": b"\n".join(json.dumps(r).encode() for r in records),
    }.items():
        path = tmp_path / name
        broken = compact(records).replace(b"Mozilla", b"Mo\xffzilla", 1)
        path.write_bytes(
            gzip.compress(broken)
            if "gz" in name
            else payload.replace(b"Mozilla", b"Mo\xffzilla", 1)
        )
        found, coverage = read(path)
        assert ids(found) == ["good"], name
        [line] = lines(coverage)
        assert line.endswith("record is not UTF-8 text"), name
        assert line.startswith(f"{path}#0" if "lines" not in name else f"{path}:1"), name


def test_a_byte_order_mark_is_not_a_reason_to_skip(tmp_path: Path) -> None:
    path = tmp_path / "powershell.json"
    path.write_bytes(b"\xef\xbb\xbf" + spaced([console_login()]))
    found, coverage = read(path)
    assert found == [console_login()]
    assert lines(coverage) == []


def test_gzip_files_concatenated_read_every_member(tmp_path: Path) -> None:
    """`cat a.json.gz b.json.gz > c.json.gz`: two whole trail files of the same size (so a
    one-shot inflater that stops after the first member still succeeds)."""
    first = gzip.compress(compact([console_login(eventID="a1"), api_call("n1")]))
    second = gzip.compress(compact([console_login(eventID="b1"), api_call("n2")]))
    path = tmp_path / "cat.json.gz"
    path.write_bytes(first + second)
    found, coverage = read(path)
    assert ids(found) == ["a1", "b1"]
    assert (coverage.records_scanned, lines(coverage)) == (4, [])


@pytest.mark.parametrize("layout", ["compact", "spaced"])
def test_multi_member_gzip_reads_every_member(tmp_path: Path, layout: str) -> None:
    records = [console_login(eventID=f"s{i}") for i in range(6)]
    payload = compact(records) if layout == "compact" else spaced(records)
    cut = len(payload) // 3
    path = tmp_path / "cat.json.gz"
    path.write_bytes(gzip.compress(payload[:cut]) + gzip.compress(payload[cut:]))
    found, coverage = read(path)
    assert ids(found) == [f"s{i}" for i in range(6)]
    assert lines(coverage) == []


def test_a_gzip_of_zeros_is_named_and_costs_little(tmp_path: Path) -> None:
    """10 MB of gzip holds about 10 GB of zeros; a quarter of that size is enough to show
    the reader stops at once (it looks at the first 4 kB, never for a newline)."""
    path = tmp_path / "bomb.json.gz"
    with gzip.open(path, "wb", compresslevel=1) as handle:
        block = bytes(MIB)
        for _ in range(200):
            handle.write(block)
    good = tmp_path / "good.json"
    good.write_bytes(spaced([console_login()]))
    found, coverage = read(path, good)
    assert found == [console_login()]
    [line] = lines(coverage)
    assert line == f"{path}: not a JSON file (holds NUL bytes); named or compressed like a log"


@pytest.mark.parametrize("layout", ["compact", "lines"])
def test_inflating_stops_at_the_limit_with_a_line(tmp_path: Path, layout: str) -> None:
    """A 2 GiB user agent in a 2 MB gzip grew past 8 GB; scaled down here: a 40 MiB user
    agent against a 4 MiB limit."""
    record = console_login(userAgent="A" * (40 * MIB))
    payload = compact([record]) if layout == "compact" else json.dumps(record).encode()
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(gzip.compress(payload, compresslevel=1))
    found, coverage = read(path, max_file_bytes=4 * MIB)
    assert found == []
    assert lines(coverage) == [f"{path}: inflates to more than the 4 MiB limit"]


def test_files_that_look_like_logs_but_cannot_be_read_are_named(tmp_path: Path) -> None:
    (tmp_path / "crash.json").write_bytes(bytes(4096))
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    found, coverage = read(tmp_path)
    assert found == []
    reason = "not a JSON file (holds NUL bytes); named or compressed like a log"
    assert lines(coverage) == [f"{tmp_path / 'crash.json'}: {reason}"]
    assert coverage.files_skipped["not a JSON file"] == 2  # counted, quietly


def test_a_fifo_in_a_tree_is_named_and_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "t.json").write_bytes(spaced([console_login()]))
    found, coverage = read(tmp_path)
    assert found == [console_login()]
    assert lines(coverage) == [f"{tmp_path / 'pipe'}: not a regular file (FIFO), not read"]


def test_a_pipe_given_directly_is_read_as_a_stream(tmp_path: Path) -> None:
    """`--logs <(zcat x.gz)` hands over /dev/fd/N, a pipe."""
    pipe = tmp_path / "fd63"
    os.mkfifo(pipe)
    payload = gzip.compress(compact([console_login(), api_call()]))

    def feed() -> None:
        with open(pipe, "wb") as handle:
            handle.write(payload)

    writer = threading.Thread(target=feed, daemon=True)  # never holds the suite up
    writer.start()
    try:
        found, coverage = read(pipe)
    finally:
        writer.join(5)
    assert found == [console_login()]
    assert (coverage.files_read, coverage.records_scanned, lines(coverage)) == (1, 2, [])


def test_symlink_loops_and_deep_trees_are_walked_once(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    name = str(deep)
    os.mkdir(name)
    for _ in range(1200):  # pathlib's and os's makedirs recurse: one level at a time
        name += "/d"
        os.mkdir(name)
    folder = Path(name)
    (folder / "t.json").write_bytes(spaced([console_login()]))
    (deep / "loop").symlink_to(deep)
    (deep / "self").symlink_to(deep / "self")
    try:
        found, coverage = read(deep)
    finally:  # pytest's cleanup (shutil.rmtree) recurses: remove the levels one by one
        os.remove(folder / "t.json")
        for _ in range(1200):
            os.rmdir(folder)
            folder = folder.parent
    assert found == [console_login()]
    assert sorted(lines(coverage)) == [
        f"{deep / 'loop'}: folder already read through another path (symlink), skipped",
        f"{deep / 'self'}: cannot read (Too many levels of symbolic links)",
    ]


def test_a_path_inside_an_unreadable_folder_is_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root the folder cannot be made unreadable: stat answers as it would for a user."""
    hidden = tmp_path / "locked" / "logs"
    real_stat = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).startswith(str(tmp_path / "locked")):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    found, coverage = read(hidden)
    assert found == []
    assert lines(coverage) == [f"{hidden}: cannot read (Permission denied)"]
    prestart.begin(["--logs", str(hidden)])  # before the CLI's error handling: must not raise
    prestart.abandon()


def test_read_file_never_raises_on_what_the_os_refuses(tmp_path: Path) -> None:
    folder = tmp_path / "a.json"
    folder.mkdir()
    result = read_file(folder)
    [problem] = result.coverage.problems
    assert problem.line().startswith(f"{folder}: cannot")


def test_a_truncated_gzip_keeps_its_records_whatever_its_last_bytes_say(tmp_path: Path) -> None:
    """A gzip cut short ends inside its compressed data, where the trailer would be: those
    four bytes read as an inflated size of up to 4 GiB. Taken as the size, most cuts were
    refused as too large and their complete records lost."""
    from analyzer.sources.limits import DEFAULT_MAX_FILE_BYTES
    from analyzer.sources.scan import gzip_size

    agents = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(200)]  # (no repeats)
    records = [console_login(eventID=f"s{i}", userAgent=agent) for i, agent in enumerate(agents)]
    whole = gzip.compress(compact(records))
    cuts = range(len(whole) // 3, len(whole) - 8, max(1, len(whole) // 17))
    claimed_too_much = 0
    for cut in cuts:
        path = tmp_path / f"cut-{cut}.json.gz"
        path.write_bytes(whole[:cut])
        claimed_too_much += gzip_size(whole[:cut]) > DEFAULT_MAX_FILE_BYTES
        found, coverage = read(path)
        [line] = lines(coverage)
        assert line.startswith(f"{path}: truncated gzip"), line
        assert found  # the records before the cut
        assert ids(found) == [f"s{i}" for i in range(len(found))]
    assert claimed_too_much  # the case that lost them


@pytest.mark.parametrize(
    "first",
    [
        json.dumps(console_login(eventID="cut"))[:120],  # a record cut short
        "exported by some SIEM",  # a header
        "[1, 2, 3]",  # a value that is no record
    ],
)
def test_a_broken_first_line_of_json_lines_costs_that_line(tmp_path: Path, first: str) -> None:
    path = tmp_path / "export.jsonl"
    good = [json.dumps(console_login(eventID=f"g{i}")) for i in range(3)]
    path.write_text("\n".join([first, "", good[0], "not json", good[1], good[2]]) + "\n")
    found, coverage = read(path)
    assert ids([r for r in found if isinstance(r, dict)]) == ["g0", "g1", "g2"]
    assert all(":" in line.removeprefix(str(path)) for line in lines(coverage))  # file:line
    assert f"{path}:4: line is not JSON (Expecting value: column 1)" in lines(coverage)


@pytest.mark.parametrize("opening", ['{"Records": [', "[", '{"Records":['])
def test_a_document_with_a_record_a_line_is_not_taken_for_broken_json_lines(
    tmp_path: Path, opening: str
) -> None:
    """Its first line opens the document; its next line is a whole record on its own."""
    closing = {"{": "]}", "[": "]"}[opening[0]]
    path = tmp_path / "records.json"
    record = json.dumps(console_login(eventID="only"))
    path.write_text(f"{opening}\n{record}\n{closing}\n")
    found, coverage = read(path)
    assert ids(found) == ["only"]
    assert lines(coverage) == []


def complete_records(inflated: bytes) -> int:
    """How many whole records a `{"Records": [...]}` prefix holds (the reference a cut is
    held to: zlib's own inflating of the bytes, then JSON's decoder, record by record)."""
    text = inflated.decode()
    if "[" not in text:
        return 0
    decoder = json.JSONDecoder()
    position, count = text.index("[") + 1, 0
    while True:
        position += len(text[position:]) - len(text[position:].lstrip(" ,"))
        try:
            _, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return count
        count += 1


@pytest.mark.parametrize("records", [3, 40, 400])
def test_a_cut_gzip_keeps_every_record_zlib_can_inflate_before_the_cut(
    tmp_path: Path, records: int
) -> None:
    """Every cut, of short files too: `gzip.GzipFile` held back what it inflated last (up
    to 8 KiB of records) when it met the cut, and a short file cut anywhere read as
    "corrupt gzip (ends before any data)", its sign-ins lost. A cut keeps exactly the
    complete records in what zlib inflates from the bytes before it."""
    agents = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(records)]
    logins = [console_login(eventID=f"s{i}", userAgent=agent) for i, agent in enumerate(agents)]
    whole = gzip.compress(compact(logins))
    step = max(1, len(whole) // 23)
    for cut in range(12, len(whole) - 8, step):
        path = tmp_path / f"cut-{cut}.json.gz"
        path.write_bytes(whole[:cut])
        expected = complete_records(zlib.decompressobj(31).decompress(whole[:cut]))
        found, coverage = read(path)
        assert ids(found) == [f"s{i}" for i in range(expected)], cut
        [line] = lines(coverage)
        assert line.startswith(f"{path}: truncated gzip" if expected else f"{path}: "), line


def test_gzip_members_and_padding_read_as_gzip_reads_them(tmp_path: Path) -> None:
    """`cat a.gz b.gz` is one file of both members; zero bytes after a member are padding;
    anything else after it is corruption, the records before it kept."""
    first = gzip.compress(compact([console_login(eventID="a")]))
    second = gzip.compress(compact([console_login(eventID="b")]))
    cases = {
        "two.json.gz": (first + second, ["a", "b"], []),
        "padded.json.gz": (first + b"\0" * 700 + second + b"\0" * 3, ["a", "b"], []),
        "garbage.json.gz": (first + b"not gzip", ["a"], ["corrupt gzip"]),
    }
    for name, (payload, expected, problems_said) in cases.items():
        path = tmp_path / name
        path.write_bytes(payload)
        found, coverage = read(path)
        assert ids(found) == expected, name
        assert [line.split(": ", 1)[1][:12] for line in lines(coverage)] == problems_said, name


def test_paths_given_twice_or_nested_are_read_once(tmp_path: Path) -> None:
    """`--logs a --logs a`, a folder and a folder inside it (either order), a file beside a
    link to it: each file read once, counted quietly (nothing was lost, so no line and
    nothing for `--strict`); an empty folder given twice is said to be empty once."""
    inner = tmp_path / "logs" / "inner"
    inner.mkdir(parents=True)
    (inner / "a.json").write_bytes(compact([console_login(eventID="a")]))
    (tmp_path / "logs" / "b.json").write_bytes(compact([console_login(eventID="b")]))
    (tmp_path / "logs" / "b-link.json").symlink_to(tmp_path / "logs" / "b.json")
    (tmp_path / "empty").mkdir()
    logs = tmp_path / "logs"
    for paths in ([logs, logs], [logs, inner], [inner, logs], [logs, inner / "a.json"]):
        found, coverage = read(*paths)
        assert sorted(ids(found)) == ["a", "b"], paths
        assert coverage.files_read == 2, paths
        assert lines(coverage) == [], paths
        assert not coverage.skipped_input
    found, coverage = read(tmp_path / "empty", tmp_path / "empty")
    assert lines(coverage) == [f"{tmp_path / 'empty'}: folder holds no files"]


def event(record: dict[str, Any], *, decoded: bool = False) -> dict[str, Any]:
    """One event as `aws cloudtrail lookup-events` prints it."""
    payload: Any = record if decoded else json.dumps(record)
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "CloudTrailEvent": payload,
    }


LOGINS = [console_login(eventID=f"e{i}") for i in range(4)]
LOOKUP_SHAPES = {
    # pages of `lookup-events --starting-token ... >> all.json`: each but the last has a token
    "pages appended": json.dumps({"Events": [event(LOGINS[0])], "NextToken": "t1"}, indent=4)
    + "\n"
    + json.dumps({"Events": [event(r) for r in LOGINS[1:]]}, indent=4),
    "pages appended, compact": json.dumps({"Events": [event(LOGINS[0])], "NextToken": "t1"})
    + json.dumps({"Events": [event(r) for r in LOGINS[1:]]}),
    "trail documents with a key after the array": json.dumps(
        {"Records": LOGINS[:1], "x": 1}, indent=2
    )
    + "\n"
    + json.dumps({"Records": LOGINS[1:]}, indent=2),
    # the same, with an item too deep to decode: the pages are then read item by item
    "pages appended, an item too deep": json.dumps(
        {"Events": [event(LOGINS[0]), {"x": "DEEP"}], "NextToken": "t1"}, indent=4
    ).replace('"DEEP"', BAD_VALUES["deep"])
    + "\n"
    + json.dumps({"Events": [event(r) for r in LOGINS[1:]]}, indent=4),
    "--query Events": json.dumps([event(r) for r in LOGINS], indent=2),
    "Records holding lookup events": json.dumps({"Records": [event(r) for r in LOGINS]}, indent=2),
    "jq -c '.Events[]'": "\n".join(json.dumps(event(r)) for r in LOGINS) + "\n",
    "CloudTrailEvent decoded": json.dumps({"Events": [event(r, decoded=True) for r in LOGINS]}),
}


@pytest.mark.parametrize("shape", sorted(LOOKUP_SHAPES))
def test_every_sign_in_of_saved_lookup_events_shapes_is_read(tmp_path: Path, shape: str) -> None:
    """Each shape read nothing after its first document, or took the events for records
    that are not sign-ins: sign-ins lost with no line."""
    path = tmp_path / "saved.json"
    path.write_text(LOOKUP_SHAPES[shape])
    found, coverage = read(path)
    assert sorted(ids(found)) == ["e0", "e1", "e2", "e3"]
    assert lines(coverage) == []


def test_what_follows_a_document_is_read_or_named(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    first = json.dumps({"Records": LOGINS[:1], "x": 1}, indent=2)
    path.write_text(first + "\nGARBAGE\n" + json.dumps({"Records": LOGINS[1:]}, indent=2))
    found, coverage = read(path)
    assert ids(found) == ["e0"]
    assert lines(coverage) == [
        f"{path}: invalid JSON after the Records array; kept the 1 record before it"
    ]
    assert coverage.skipped_input


@pytest.mark.parametrize("bad", [b"\xff", b"\xed\xa0\x80"])  # not UTF-8; a surrogate in UTF-8
@pytest.mark.parametrize(
    "layout",
    ["compact trail", "spaced trail", "lines", "lookup", "lookup decoded", "two documents"],
)
def test_a_record_not_utf8_is_rejected_whatever_the_layout(
    tmp_path: Path, bad: bytes, layout: str
) -> None:
    """Lookup-events output kept it silently, and a compact trail kept a surrogate encoded
    in UTF-8 (json.loads of bytes lets it pass), while the other layouts rejected both."""
    marker = "NAME"
    records = [console_login(eventID="bad", userIdentity={"type": "IAMUser", "userName": marker})]
    records.append(console_login(eventID="good"))
    if layout == "compact trail":
        text = compact(records)
    elif layout == "spaced trail":
        text = spaced(records)
    elif layout == "lines":
        text = "\n".join(json.dumps(r) for r in records).encode()
    elif layout == "lookup":
        text = json.dumps({"Events": [event(r) for r in records]}).encode()
    elif layout == "lookup decoded":
        text = json.dumps({"Events": [event(r, decoded=True) for r in records]}).encode()
    else:  # `cat` of two documents
        text = spaced(records[:1]) + b"\n" + spaced(records[1:])
    path = tmp_path / "bad.json"
    path.write_bytes(text.replace(marker.encode(), b"na" + bad + b"me", 1))
    found, coverage = read(path)
    assert ids(found) == ["good"]
    assert [line.rsplit(": ", 1)[1] for line in lines(coverage)] == ["record is not UTF-8 text"]


def test_a_document_cut_after_its_array_is_named(tmp_path: Path) -> None:
    """The array is whole, the object around it is not: its records are kept and the cut
    said (it ended without a line)."""
    path = tmp_path / "cut.json"
    whole = json.dumps({"Records": LOGINS[:2], "NextToken": "t"}, indent=2)
    path.write_text(whole[: whole.index('"NextToken"') + 12] + "\n" + "[" * 100_000)
    found, coverage = read(path)
    assert ids(found) == ["e0", "e1"]
    assert lines(coverage) == [
        f"{path}: truncated JSON after record 1; kept the 2 records before it"
    ]


def test_the_inflated_size_limit_is_exact(tmp_path: Path) -> None:
    """A file inflating to exactly the limit is read; one byte more is refused, named."""
    line = json.dumps(console_login()) + "\n"  # JSON Lines: the streaming decoder
    limit = 4096
    for extra, refused in ((0, False), (1, True)):
        text = line + " " * (limit + extra - len(line.encode()))
        path = tmp_path / f"lines{extra}.jsonl.gz"
        path.write_bytes(gzip.compress(text.encode()))
        found, coverage = read(path, max_file_bytes=limit)
        assert (
            lines(coverage) == [f"{path}: inflates to more than the 4096 bytes limit"]
        ) == refused
        assert len(found) == (0 if refused else 1)


def test_an_array_of_other_objects_is_named_like_an_object_is(tmp_path: Path) -> None:
    """`[{"foo": 1}]` read as one record and no sign-in, without a word, where `{"foo": 1}`
    is named as JSON that is not CloudTrail; an empty array is an empty export."""
    other = tmp_path / "other.json"
    other.write_text('[{"foo": 1}, 2]')
    found, coverage = read(other)
    assert found == []
    assert lines(coverage) == [
        f"{other}: JSON that is not CloudTrail (an array whose items have no CloudTrail event "
        "fields)"
    ]
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    found, coverage = read(empty)
    assert (found, lines(coverage), coverage.files_read) == ([], [], 1)
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps([{"foo": 1}, console_login()]))
    found, coverage = read(mixed)
    assert len(found) == 1


@pytest.mark.parametrize(
    "layout", ["compact trail", "spaced trail", "lines", "lookup", "lookup decoded", "lookup lines"]
)
def test_a_lone_surrogate_written_as_an_escape_is_text_in_every_layout(
    tmp_path: Path, layout: str
) -> None:
    """`\\udcff` in the file's text is a JSON escape, not a byte that is not UTF-8: the
    record is read (the character replaced) whatever the layout. Lookup-events output held
    the record's own text with the raw character, which was taken for a bad byte and the
    sign-in rejected, while the same record in a trail file was kept (adversarial review)."""
    record = console_login(eventID="odd", userAgent="Mozilla \udcff\ud800")
    inner = json.dumps(record, ensure_ascii=False)  # the raw characters inside the string
    lookup = {"EventId": "odd", "EventName": "ConsoleLogin", "CloudTrailEvent": inner}
    text = {
        "compact trail": compact([record]),
        "spaced trail": spaced([record]),
        "lines": json.dumps(record).encode(),
        "lookup": json.dumps({"Events": [lookup]}).encode(),
        "lookup decoded": json.dumps({"Events": [event(record, decoded=True)]}).encode(),
        "lookup lines": json.dumps({"Events": [lookup]}).encode()
        + b"\n"
        + json.dumps({"Events": [lookup]}).encode(),
    }[layout]
    assert text.isascii()  # every odd character is an escape
    path = tmp_path / "odd.json"
    path.write_bytes(text)
    found, coverage = read(path)
    assert set(ids(found)) == {"odd"}, lines(coverage)
    assert not coverage.records_rejected
