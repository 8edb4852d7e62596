"""Differential fuzz of the two readers of a trail file: the byte-level fast path (`scan.py`)
and the full decoder (`decode.py`) must agree on every file, whatever its records look like:
the same candidates at the same places, the same rejected records, the same counts. And no
input, however broken, may raise anything but a reported problem.

Seeded, so a failure reproduces: the seed and the mutations are in the assertion message.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import random
import zlib
from collections.abc import Callable
from typing import Any

import deflate
import pytest

from analyzer.domain.coverage import Coverage
from analyzer.normalize import RecordRejected, normalize_record
from analyzer.normalize.selection import SIGNIN_ONLY_NAMES
from analyzer.sources.decode import (
    FileResult,
    _bounded,
    _decode_stream,
    _scan_payload,
    read_payload,
)
from analyzer.sources.scan import MEMBER_CHECKS, scan_trail
from tests.conftest import api_call, console_login

LIMIT = 64 * 2**20
FILES = 3000  # a few seconds on the shared 2-core runner

Mutation = Callable[[random.Random, str], str]


def _escape_one(rng: random.Random, text: str, word: str) -> str:
    """Write one letter of `word` (wherever it appears in quotes) as a \\u escape."""
    quoted = f'"{word}"'
    at = text.find(quoted)
    if at < 0:
        return text
    position = at + 1 + rng.randrange(len(word))
    return text[:position] + f"\\u{ord(text[position]):04x}" + text[position + 1 :]


def escaped_source(rng: random.Random, text: str) -> str:
    return _escape_one(rng, text, "signin.amazonaws.com")


def escaped_key(rng: random.Random, text: str) -> str:
    return _escape_one(rng, text, rng.choice(["eventSource", "eventName", "eventVersion"]))


def escaped_name(rng: random.Random, text: str) -> str:
    return _escape_one(rng, text, json.loads(text).get("eventName") or "ConsoleLogin")


def space_after_colon(rng: random.Random, text: str) -> str:
    key = rng.choice(['"eventSource":', '"eventName":', '"eventVersion":', '":'])
    return text.replace(key, key + " ", 1 if rng.random() < 0.5 else -1)


def no_event_source(rng: random.Random, text: str) -> str:
    record = json.loads(text)
    record.pop("eventSource", None)
    record["eventName"] = rng.choice(sorted(SIGNIN_ONLY_NAMES))
    return json.dumps(record, separators=(",", ":"))


def odd_event_source(rng: random.Random, text: str) -> str:
    record = json.loads(text)
    record["eventSource"] = rng.choice([None, 5, ["signin.amazonaws.com"], "SIGNIN.amazonaws.com"])
    return json.dumps(record, separators=(",", ":"))


def reordered(rng: random.Random, text: str) -> str:
    record = json.loads(text)
    items = list(record.items())
    rng.shuffle(items)
    return json.dumps(dict(items), separators=(",", ":"))


def duplicate_source(rng: random.Random, text: str) -> str:
    """Two eventSource keys: the decoder keeps the last."""
    other = rng.choice(['"s3.amazonaws.com"', '"signin.amazonaws.com"', '"sso.amazonaws.com"'])
    return text[:-1] + f',"eventSource":{other}}}'


def duplicate_source_not_a_string(rng: random.Random, text: str) -> str:
    """Another service's eventSource, then one that is not a string: JSON keeps the last,
    and the record is a sign-in by its name."""
    record = json.loads(text)
    record["eventSource"] = "ec2.amazonaws.com"
    record["eventName"] = rng.choice(sorted(SIGNIN_ONLY_NAMES))
    value = rng.choice(["null", "0", "-0", "true", "{}", "[]", "1e400"])
    return json.dumps(record, separators=(",", ":"))[:-1] + f',"eventSource":{value}}}'


def nested_decoy(rng: random.Random, text: str) -> str:
    record = json.loads(text)
    record["requestParameters"] = {
        "eventSource": "signin.amazonaws.com",
        "eventName": rng.choice(sorted(SIGNIN_ONLY_NAMES)),
    }
    return json.dumps(record, separators=(",", ":"))


def sso_source(rng: random.Random, text: str) -> str:
    record = json.loads(text)
    record["eventSource"] = rng.choice(["sso.amazonaws.com", "sso-oauth.amazonaws.com", "ssox"])
    record["eventName"] = rng.choice(["Authenticate", "Federate", "ListInstances", "CreateToken"])
    return json.dumps(record, separators=(",", ":"))


def invalid_byte(rng: random.Random, text: str) -> str:
    """A byte that is not UTF-8 inside the user agent (written back as a surrogate escape,
    encoded with `surrogateescape` when the file is built)."""
    return text.replace('"Mozilla', '"Mo\udcffzilla', 1)


def huge_number(rng: random.Random, text: str) -> str:
    return text[:-1] + ',"bytes":' + "9" * rng.choice([4301, 5000]) + "}"


def deep(rng: random.Random, text: str) -> str:
    depth = rng.choice([2000, 5000, rng.randint(900, 1000)])  # the last: near the decoder's limit
    return text[:-1] + ',"x":' + "[" * depth + "]" * depth + "}"


def lone_surrogate(rng: random.Random, text: str) -> str:
    return text.replace('"Mozilla', '"\\ud800Mozilla', 1)


def unrelated_escape(rng: random.Random, text: str) -> str:
    return text.replace('"Mozilla', '"Mozill\\u00e4', 1)


def newline_before(rng: random.Random, text: str) -> str:
    return "\n " + text


def not_an_object(rng: random.Random, text: str) -> str:
    return rng.choice(["null", "17", '"signin.amazonaws.com"', "[]"])


MUTATIONS: list[Mutation] = [
    escaped_source, escaped_key, escaped_name, space_after_colon, no_event_source,
    odd_event_source, reordered, duplicate_source, duplicate_source_not_a_string,
    nested_decoy, sso_source, invalid_byte,
    huge_number, deep, lone_surrogate, unrelated_escape, newline_before, not_an_object,
]  # fmt: skip


_ORDER = ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName")


def _record(rng: random.Random, index: int) -> dict[str, Any]:
    """A sign-in, a decoy that mentions the sign-in source, or another event, with its keys
    in the order CloudTrail writes them."""
    kind = rng.random()
    if kind < 0.3:
        record = console_login(eventID=f"login-{index}")
        record["eventName"] = rng.choice(sorted(SIGNIN_ONLY_NAMES))
    else:
        record = copy.deepcopy(api_call(f"noise-{index}"))
        record["userAgent"] = "Mozilla signin.amazonaws.com" if kind < 0.4 else "Mozilla"
    ordered = {key: record[key] for key in _ORDER if key in record}
    return {**ordered, **record}


def trail_file(rng: random.Random) -> tuple[bytes, list[str]]:
    """A compact `{"Records":[...]}` file as CloudTrail writes it, with a few records mutated."""
    texts = [json.dumps(_record(rng, i), separators=(",", ":")) for i in range(rng.randint(0, 12))]
    applied: list[str] = []
    for _ in range(rng.randint(0, 3) if texts else 0):
        at = rng.randrange(len(texts))
        mutation = rng.choice(MUTATIONS)
        try:
            texts[at] = mutation(rng, texts[at])
        except (ValueError, RecursionError, AttributeError, TypeError):
            continue  # a mutation that needs the record as JSON, after one that broke it
        applied.append(f"{mutation.__name__}@{at}")
    document = '{"Records":[' + ",".join(texts) + "]}"
    return document.encode("utf-8", "surrogateescape"), applied


def _outcome(result: FileResult) -> dict[str, Any]:
    coverage = result.coverage
    return {
        "candidates": [(raw.where, raw.record) for raw in result.candidates],
        "scanned": coverage.records_scanned,
        "rejected": coverage.records_rejected,
        "problems": sorted(p.line() for p in coverage.problems),
        "files_read": coverage.files_read,
    }


def _full(payload: bytes) -> FileResult:
    result = FileResult("f")
    binary = io.BufferedReader(io.BytesIO(payload))
    return _decode_stream(result, _bounded(binary, LIMIT), gzipped=payload[:2] == b"\x1f\x8b")


def _with_header_crc(payload: bytes) -> bytes:
    """One gzip member whose header carries its CRC-16 (FHCRC), which zlib checks."""
    member = gzip.compress(payload, mtime=0)
    header = bytes([*member[:3], member[3] | 0x02, *member[4:10]])
    crc16 = (zlib.crc32(header) & 0xFFFF).to_bytes(2, "little")
    return header + crc16 + member[10:]


def _gzip_layout(rng: random.Random, payload: bytes) -> tuple[bytes, str]:
    """The file as gzip in a layout zlib reads whole: what libdeflate, the fast path's
    inflater, reads otherwise (first member only, nothing when the last trailer states 0
    bytes, no header check) must not change what is read."""
    member = gzip.compress(payload, mtime=0)
    choice = rng.randrange(6)
    if choice == 0:
        return member, "one member"
    if choice == 1:
        cut = rng.randrange(len(payload) + 1)
        two = gzip.compress(payload[:cut], mtime=0) + gzip.compress(payload[cut:], mtime=0)
        return two, f"two members cut at {cut}"
    if choice == 2:
        other = trail_file(rng)[0]
        return member + gzip.compress(other, mtime=0) + member, "same first and last member"
    if choice == 3:
        return member + gzip.compress(b"", mtime=0), "an empty last member"
    if choice == 4:
        return member + b"\0" * 4, "zero padding"
    return _with_header_crc(payload), "header CRC"


def test_every_reader_agrees_with_the_full_decoder_whatever_the_gzip_layout() -> None:
    """What a reader gets (`read_payload`: the fast path, or what it hands over) against the
    full decoder on the same bytes, fallbacks included (the test above compares only the
    files the fast path read to the end)."""
    rng = random.Random(20261127)  # noqa: S311 - reproducible test data, not secrets
    for case in range(FILES // 3):
        payload, applied = trail_file(rng)
        packed, layout = _gzip_layout(rng, payload)
        got = _outcome(read_payload(packed, "f", LIMIT))
        assert got == _outcome(_full(packed)), (case, applied, layout)


LOGIN = json.dumps(console_login(eventID="hidden"), separators=(",", ":"))
NOISE = json.dumps(api_call("noise"), separators=(",", ":"))


def test_a_document_after_the_trail_document_is_read_as_the_full_decoder_reads_it() -> None:
    """An empty trail document, or a trail document followed by LookupEvents output (its
    records are escaped strings no marker sees), with a sign-in in the second document."""
    lookup = json.dumps({"Events": [{"EventId": "hidden", "CloudTrailEvent": LOGIN}]})
    for payload in (
        '{"Records":[]}{"Records":[' + LOGIN + "]}",
        '{"Records":[]}\n{"Records":[' + LOGIN + "]}",
        '{"Records":[' + NOISE + "]}" + lookup.replace(" ", ""),
    ):
        data = payload.encode()
        got = read_payload(data, "f", LIMIT)
        assert _outcome(got) == _outcome(_full(data)), payload[:60]
        records = [raw.record for raw in got.candidates]
        assert [r.get("eventID") for r in records if isinstance(r, dict)] == ["hidden"]


def test_fast_path_and_full_decoder_agree_on_mutated_records() -> None:
    rng = random.Random(20261126)  # noqa: S311 - reproducible test data, not secrets
    fast_used = 0
    for case in range(FILES):
        payload, applied = trail_file(rng)
        fast = FileResult("f")
        if _scan_payload(payload, fast, LIMIT) is not None:
            continue  # the fast path declined: the full decoder reads it, nothing to compare
        fast_used += 1
        assert _outcome(fast) == _outcome(_full(payload)), (case, applied)
    assert fast_used > FILES // 4  # the generator exercises the fast path, not only fallbacks


def _damaged(rng: random.Random, payload: bytes) -> tuple[bytes, bool]:
    """Whole-file damage: compressed, split into gzip members, cut short, bytes flipped.
    True when every record is still there to be read."""
    choice = rng.randrange(6)
    if choice == 0:
        return gzip.compress(payload, mtime=0), True
    if choice == 1:
        cut = rng.randrange(len(payload) + 1)
        return gzip.compress(payload[:cut], mtime=0) + gzip.compress(payload[cut:], mtime=0), True
    if choice == 2:
        whole = gzip.compress(payload, mtime=0)
        return whole[: rng.randrange(len(whole) + 1)], False
    if choice == 3:
        return payload[: rng.randrange(len(payload) + 1)], False
    if choice == 4:
        data = bytearray(payload)
        for _ in range(rng.randint(1, 4)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data), False
    return b"\xef\xbb\xbf" + payload.replace(b"},{", b"},\n{"), True


def _signins(payload: bytes) -> set[str]:
    """eventIDs of the sign-in records an undamaged file holds (what must not be lost)."""
    try:
        document = json.loads(payload.decode("utf-8"))
    except (ValueError, RecursionError):
        return set()
    found = set()
    for record in document["Records"]:
        try:
            if isinstance(record, dict) and normalize_record(record, "x") is not None:
                found.add(str(record.get("eventID")))
        except RecordRejected:
            pass
    return found


def test_no_input_raises_and_nothing_is_lost() -> None:
    """Damaged files never raise; every problem names the file or a record of it; the files
    that survive whole (BOM, newlines between records, gzip, multi-member gzip) lose no
    sign-in; what every candidate normalizes to can be encoded."""
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not secrets
    for case in range(FILES // 2):
        payload, applied = trail_file(rng)
        damaged, intact = _damaged(rng, payload)
        result = read_payload(damaged, "f", LIMIT)
        coverage: Coverage = result.coverage
        culprits = {p.culprit for p in coverage.problems}
        assert all(c == "f" or c.startswith(("f#", "f:")) for c in culprits)
        rows = []
        for raw in result.candidates:
            try:
                normalized = normalize_record(raw.record, raw.where)
            except RecordRejected:
                continue
            if normalized is not None:
                json.dumps(normalized.row, default=str).encode("utf-8")
                rows.append(normalized.row)
        if intact:
            kept = {str(row["event_id"]) for row in rows}
            lost = _signins(payload) - kept
            assert not lost, (case, applied, lost)


def test_a_record_too_deep_for_the_fast_path_is_left_to_the_full_decoder() -> None:
    """How deep the decoder may go depends on the depth of the stack it is called from, which
    differs between the two paths: the fast path rejected records the full decoder read."""
    deep_login = LOGIN[:-1] + ',"x":' + "[" * 5000 + "]" * 5000 + "}"
    assert scan_trail(('{"Records":[' + deep_login + "]}").encode()) is None


def test_a_file_full_of_gzip_magic_is_streamed_not_checked_place_by_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each place the magic bytes appear, after four bytes stating a plausible size, costs an
    inflate of the bytes before it (up to the whole file, for data made to decode that far):
    past a few places the file is streamed, read once, instead of checked in quadratic time."""
    inflates = []

    def counted(data: Any, originalsize: int = 0) -> bytearray:
        inflates.append(len(data))
        return real(data, originalsize)

    real = deflate.gzip_decompress
    monkeypatch.setattr(deflate, "gzip_decompress", counted)
    stuffed = gzip.compress(b"\x00\x00\x10\x00\x1f\x8b\x08" * 150_000, compresslevel=0, mtime=0)
    result = read_payload(stuffed, "f", LIMIT)
    assert len(inflates) <= MEMBER_CHECKS
    assert _outcome(result) == _outcome(_full(stuffed))


def test_gzip_that_is_not_json_is_reported_whichever_path_inflated_it() -> None:
    """Inflated in one shot and handed over, a gzip object (an S3 GET) that holds no JSON
    was skipped without a line: compressed like a log, it is reported, as when streamed."""
    payload = gzip.compress(b"not json at all\n" * 100, mtime=0)
    result = read_payload(payload, "f", LIMIT)
    assert _outcome(result) == _outcome(_full(payload))
    assert [p.culprit for p in result.coverage.problems] == ["f"]


def test_a_sign_in_shaped_object_nested_in_a_record_is_not_cut_out_as_one() -> None:
    """A failed API call logs its parameters as the caller sent them: an object shaped like
    a root sign-in, in a list of a record's requestParameters and followed by another object
    starting `{"eventVersion":`, passed every count (it adds one of each counted key), and
    the fast path cut it out as a sign-in the full decoder never saw (an adversarial review).
    Also nested in a map, and several in a row."""
    fake = json.dumps(
        console_login(eventID="FORGED", userIdentity={"type": "Root", "accountId": "1" * 12}),
        separators=(",", ":"),
    )
    follower = '{"eventVersion":"x"}'
    # A follower carrying one of every counted key balances every count (a second review).
    balance = '{"eventVersion":"x","eventTime":"Z","eventSource":"x","eventName":"x"}'

    def call(event_id: str) -> dict[str, Any]:  # keys in CloudTrail's order
        return {
            "eventVersion": "1.11", "eventTime": "2026-11-05T10:00:00Z",
            "eventSource": "ec2.amazonaws.com", "eventName": "CreateTags", "eventID": event_id,
        }  # fmt: skip

    for nested in (
        '{"items":["X",' + fake + "," + follower + "]}",
        '{"items":[{"a":1},' + fake + "," + follower + "]}",
        '{"m":{"k":[' + fake + "," + fake.replace("FORGED", "F2") + "," + follower + "]}}",
        '{"items":[{},' + fake + "," + balance + "]}",
        '{"a":[{},'
        + fake
        + ","
        + balance
        + '],"b":[{},'
        + fake.replace("FORGED", "F2")
        + ","
        + balance
        + "]}",
    ):
        outer = {**call("outer"), "requestParameters": json.loads(nested)}
        for records in ([call("before"), outer], [outer, call("after")], [outer]):
            payload = json.dumps({"Records": records}, separators=(",", ":")).encode()
            got = read_payload(payload, "f", LIMIT)
            assert _outcome(got) == _outcome(_full(payload)), nested[:40]
            assert not got.candidates


def test_a_balanced_nested_object_does_not_inflate_the_count_beside_a_sign_in() -> None:
    """Objects nested in a record and carrying one of every counted key add to the record
    count the fast path reads; beside a sign-in, the file's count is the full decoder's."""
    balance = {"eventVersion": "x", "eventTime": "Z", "eventSource": "x", "eventName": "x"}
    outer = {
        "eventVersion": "1.11", "eventTime": "2026-11-05T10:00:00Z",
        "eventSource": "ec2.amazonaws.com", "eventName": "CreateTags", "eventID": "outer",
        "requestParameters": {"items": [{}, balance, balance]},
    }  # fmt: skip
    login = json.loads(LOGIN)
    login = {k: login[k] for k in ("eventVersion", "userIdentity", "eventTime")} | login
    payload = json.dumps({"Records": [login, outer]}, separators=(",", ":")).encode()
    got = _outcome(read_payload(payload, "f", LIMIT))
    assert got == _outcome(_full(payload))
    assert got["scanned"] == 2
