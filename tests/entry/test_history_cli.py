"""The audit history as an operator runs it: the real `signin-report` command (subprocesses),
local folders and S3 (a moto server the subprocesses talk to through AWS_ENDPOINT_URL).

Every test is a scenario from issue 11 that lost or hid sign-ins before per-scope progress:
second sources, backfills, a future `--until`, late deliveries, failed objects, concurrent
runs, `kill -9` at random points, damaged parts and metadata."""

from __future__ import annotations

import fcntl
import gzip
import json
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from analyzer.history.backends import LOCK_FILE
from analyzer.history.store import History
from tests.conftest import console_login, hermetic_env, write_trail
from tests.entry.test_cli import command, run

ACCOUNT = "111122223333"


def logins(prefix: str, start: str, count: int, step_minutes: int = 30) -> list[dict[str, Any]]:
    first = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return [
        console_login(
            eventID=f"{prefix}-{n}",
            eventTime=(first + timedelta(minutes=step_minutes * n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for n in range(count)
    ]


def report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def history_ids(location: str, s3_client: Any = None) -> list[str]:
    return list(History.open(location, s3_client=s3_client).read()["event_id"])


def window(since: str, until: str) -> tuple[str, ...]:
    return ("--since", since, "--until", until, "--format", "json")


# --- local folder ---------------------------------------------------------------------------


def test_a_second_source_into_the_same_history_is_kept(tmp_path: Path) -> None:
    """Before: run B stored nothing (its events counted outside_window, history_added 0)."""
    history = tmp_path / "history"
    write_trail(tmp_path / "a" / "a.json.gz", logins("a", "2026-11-01T08:00:00Z", 40))
    write_trail(tmp_path / "b" / "b.json.gz", logins("b", "2026-11-01T08:00:00Z", 30))
    asked = window("2026-11-01", "2026-11-08")
    first = report(run("--logs", tmp_path / "a", "--history", history, *asked))
    second = report(run("--logs", tmp_path / "b", "--history", history, *asked))
    assert first["coverage"]["history_added"] == 40
    assert second["coverage"]["history_added"] == 30
    assert second["coverage"]["outside_window"] == 0
    assert second["summary"]["sign_ins"] == 70  # the report is read from history
    assert len(history_ids(str(history))) == 70


def test_backfill_collects_the_asked_window_and_counts_what_was_there(tmp_path: Path) -> None:
    """Before: a window before the watermark collected nothing (history_added 0)."""
    history = tmp_path / "history"
    logs = tmp_path / "logs"
    write_trail(logs / "oct.json.gz", logins("oct", "2026-10-05T08:00:00Z", 24, 600))
    write_trail(logs / "nov.json.gz", logins("nov", "2026-11-09T08:00:00Z", 10, 60))
    weekly = report(run("--logs", logs, "--history", history, *window("2026-11-08", "2026-11-15")))
    assert weekly["coverage"]["history_added"] == 10
    backfill = report(
        run("--logs", logs, "--history", history, *window("2026-10-01", "2026-11-01"))
    )
    assert backfill["coverage"]["history_added"] == 24
    assert backfill["summary"]["sign_ins"] == 24
    again = report(run("--logs", logs, "--history", history, *window("2026-10-01", "2026-11-01")))
    assert again["coverage"]["history_added"] == 0
    assert again["coverage"]["history_duplicates"] == 24
    meta = json.loads((history / "history.json").read_text())
    (scope,) = meta["scopes"].values()
    assert scope["complete_until"] == "2026-11-15T00:00:00+00:00"  # the backfill did not rewind


def test_a_future_until_does_not_stop_later_runs(tmp_path: Path) -> None:
    """Before: `--until 2030-01-01` moved the watermark to 2030 and later runs stored nothing."""
    history = tmp_path / "history"
    logs = tmp_path / "logs"
    write_trail(logs / "first.json.gz", logins("first", "2026-11-01T08:00:00Z", 5))
    started = datetime.now(UTC)
    future = report(run("--logs", logs, "--history", history, *window("2026-11-01", "2030-01-01")))
    assert future["coverage"]["history_added"] == 5
    meta = json.loads((history / "history.json").read_text())
    (scope,) = meta["scopes"].values()
    mark = datetime.fromisoformat(scope["complete_until"])
    assert started <= mark <= datetime.now(UTC)  # the run's start, not 2030
    write_trail(logs / "later.json.gz", logins("later", "2026-11-10T08:00:00Z", 7))
    later = report(run("--logs", logs, "--history", history, *window("2026-11-08", "2026-11-15")))
    assert later["coverage"]["history_added"] == 7
    assert len(history_ids(str(history))) == 12


def test_late_delivery_inside_the_overlap_is_collected(tmp_path: Path) -> None:
    """A file delivered after run 1 with an event 60 min before its end: run 2 (the next
    window) re-reads the 120-minute overlap before the scope's progress mark."""
    history = tmp_path / "history"
    logs = tmp_path / "logs"
    write_trail(logs / "on-time.json.gz", logins("on-time", "2026-11-01T08:00:00Z", 6))
    report(run("--logs", logs, "--history", history, *window("2026-11-01", "2026-11-04")))
    write_trail(logs / "late.json.gz", logins("late", "2026-11-03T23:00:00Z", 1))
    write_trail(logs / "next.json.gz", logins("next", "2026-11-04T08:00:00Z", 3))
    second = report(run("--logs", logs, "--history", history, *window("2026-11-04", "2026-11-07")))
    assert second["coverage"]["history_added"] == 4
    assert "late-0" in history_ids(str(history))


def late_sign_ins(document: dict[str, Any]) -> list[str]:
    return [
        p["message"]
        for p in document["coverage"]["problems"]
        if "before the window" in p["message"]
    ]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_late_rows_of_a_report_that_could_not_be_written_are_in_the_next(tmp_path: Path) -> None:
    """Run 2 stores a late sign-in, then cannot write its report (a full disk): run 3, the
    job run again, shows it, though history holds it already; run 4 no longer does."""
    history, logs = tmp_path / "history", tmp_path / "logs"
    write_trail(logs / "on-time.json.gz", logins("on-time", "2026-11-01T08:00:00Z", 2))
    report(run("--logs", logs, "--history", history, *window("2026-11-01", "2026-11-04")))
    write_trail(logs / "late.json.gz", logins("late", "2026-11-03T23:00:00Z", 1))
    second_window = window("2026-11-04", "2026-11-07")
    full = run("--logs", logs, "--history", history, *second_window, "--output", "/dev/full")
    assert full.returncode != 0
    assert "/dev/full" in full.stderr or "No space" in full.stderr
    third = report(run("--logs", logs, "--history", history, *second_window))
    assert third["coverage"]["history_added"] == 0
    assert [m.split(" (")[0] for m in late_sign_ins(third)] == [
        "1 sign-in event from before the window"
    ]
    assert "1 stored by another run whose report was not out" in late_sign_ins(third)[0]
    fourth = report(run("--logs", logs, "--history", history, *window("2026-11-07", "2026-11-10")))
    assert late_sign_ins(fourth) == []


def test_an_output_folder_that_does_not_exist_fails_before_history_records(
    tmp_path: Path,
) -> None:
    history, logs = tmp_path / "history", tmp_path / "logs"
    write_trail(logs / "a.json.gz", logins("a", "2026-11-01T08:00:00Z", 2))
    missing = tmp_path / "reports" / "week.json"
    result = run("--logs", logs, "--history", history, *window("2026-11-01", "2026-11-04"),
                 "--output", missing)  # fmt: skip
    assert result.returncode == 4
    assert result.stderr == (
        f"signin-report: error: cannot write --output {missing}: {missing.parent} does not exist\n"
    )
    assert not history.exists()


def test_a_failed_file_keeps_its_scope_progress_until_it_is_read(tmp_path: Path) -> None:
    """Run 2 cannot read a file (the 2026-11-05 sign-ins in it): its scope keeps its mark,
    so run 3, a later window, goes back and reads the file once it is readable."""
    history = tmp_path / "history"
    logs = tmp_path / "logs"
    write_trail(logs / "w1.json.gz", logins("w1", "2026-11-01T08:00:00Z", 4))
    report(run("--logs", logs, "--history", history, *window("2026-11-01", "2026-11-04")))
    broken = logs / "w2.json.gz"
    broken.write_bytes(b"\x1f\x8b not gzip")
    second = run(
        "--logs", logs, "--history", history, *window("2026-11-04", "2026-11-08"), "--strict"
    )
    assert second.returncode == 3
    assert "collection incomplete: history keeps the progress of 1 scope(s)" in second.stderr
    write_trail(broken, logins("w2", "2026-11-05T08:00:00Z", 5))  # readable again
    write_trail(logs / "w3.json.gz", logins("w3", "2026-11-15T08:00:00Z", 2))
    third = report(run("--logs", logs, "--history", history, *window("2026-11-15", "2026-11-22")))
    assert third["coverage"]["history_added"] == 7
    assert len(history_ids(str(history))) == 11


def test_damaged_parts_are_named_and_strict_exits_3(tmp_path: Path) -> None:
    """Before: a truncated part ended every run with `internal error: ArrowInvalid`, and a
    part of another schema was read as nulls, its day silently empty."""
    history = tmp_path / "history"
    write_trail(tmp_path / "logs" / "a.json.gz", logins("a", "2026-11-01T08:00:00Z", 72))
    report(
        run("--logs", tmp_path / "logs", "--history", history, *window("2026-11-01", "2026-11-05"))
    )
    truncated = next((history / "events" / "day=2026-11-02").glob("*.parquet"))
    truncated.write_bytes(truncated.read_bytes()[:100])
    alone = run("--history", history, *window("2026-11-01", "2026-11-05"))
    shown = report(alone)
    assert shown["summary"]["sign_ins"] == 32  # day 1 (08:00 on), not the 40 of day 2
    assert f"{truncated}: skipped, day 2026-11-02 incomplete in history" in alone.stderr
    assert "Traceback" not in alone.stderr
    strict = run("--history", history, *window("2026-11-01", "2026-11-05"), "--strict")
    assert strict.returncode == 3


def test_malformed_history_json_is_one_line_naming_the_field(tmp_path: Path) -> None:
    """Before: `internal error: AttributeError: 'list' object has no attribute 'get'`."""
    history = tmp_path / "history"
    history.mkdir()
    (history / "history.json").write_text('{"schema_version": 1, "scopes": {"logs:/x": []}}')
    result = run("--history", history, *window("2026-11-01", "2026-11-05"))
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1
    assert "scopes['logs:/x']: expected an object, found list" in result.stderr


def test_leftover_temporary_files_are_reported_and_removed(tmp_path: Path) -> None:
    """Before: `.tmp-PID` files of failed writes stayed forever, unmentioned."""
    history = tmp_path / "history"
    write_trail(tmp_path / "logs" / "a.json.gz", logins("a", "2026-11-01T08:00:00Z", 3))
    args: tuple[str | Path, ...] = (
        "--logs", tmp_path / "logs", "--history", history, *window("2026-11-01", "2026-11-03")
    )  # fmt: skip
    report(run(*args))
    leftover = history / "events" / "day=2026-11-01" / ".part-dead.parquet.tmp-4242"
    leftover.write_bytes(b"PAR1 half")
    alone = run("--history", history, *window("2026-11-01", "2026-11-03"))
    assert "1 temporary file(s) left by an interrupted write, ignored" in alone.stderr
    writer = run(*args)
    assert "removed 1 temporary file(s) left by an interrupted write" in writer.stderr
    assert not leftover.exists()


def test_a_run_that_cannot_get_the_lock_waits_then_exits_with_one_line(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    write_trail(tmp_path / "logs" / "a.json.gz", logins("a", "2026-11-01T08:00:00Z", 3))
    with (history / LOCK_FILE).open("a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        began = time.monotonic()
        result = subprocess.run(
            [*command(), "--logs", str(tmp_path / "logs"), "--history", str(history),
             *window("2026-11-01", "2026-11-03")],
            capture_output=True, text=True, timeout=120, check=False,
            env=hermetic_env(SIGNIN_HISTORY_WAIT="1"),
        )  # fmt: skip
        waited = time.monotonic() - began
    assert result.returncode == 4
    assert waited >= 1
    assert result.stderr.strip().count("\n") == 0
    assert "is being written by another run" in result.stderr
    assert "gave up after 1 s" in result.stderr


def _spawn(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*command(), *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env or hermetic_env(),
    )


def _concurrent(tmp_path: Path, history: str, env: dict[str, str] | None) -> set[str]:
    """Four runs at once, each with its own source of 600 sign-ins over the same 25 days."""
    expected: set[str] = set()
    runs = []
    for n in range(4):
        records = logins(f"run{n}", "2026-11-01T00:00:00Z", 600, 60)
        write_trail(tmp_path / f"src{n}" / "t.json.gz", records)
        expected |= {r["eventID"] for r in records}
    for n in range(4):
        runs.append(
            _spawn(
                "--logs",
                tmp_path / f"src{n}",
                "--history",
                history,
                *window("2026-11-01", "2026-11-26"),
                env=env,
            )
        )
    for process in runs:
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
    return expected


def test_concurrent_runs_on_a_local_history_lose_nothing(tmp_path: Path) -> None:
    """Before: 1,200 events lost in 2 of 6 trials (the second run saw the first's mark)."""
    history = tmp_path / "history"
    expected = _concurrent(tmp_path, str(history), None)
    stored = history_ids(str(history))
    assert sorted(stored) == sorted(expected)
    assert len(json.loads((history / "history.json").read_text())["runs"]) == 4


DAYS = 40  # day parts a killed run rewrites: enough for kills between the first and the last


def _kill_and_converge(
    tmp_path: Path, history: str, env: dict[str, str], trials: int, reader: Any, probe: Any
) -> tuple[int, int]:
    """`probe()` is called before each run and returns a check that turns true once that run
    has begun writing history. A first run is timed from there to its end. Each trial adds
    one sign-in per day (so every day part is rewritten) and kills the run at a random moment
    of its history write. Whatever a finished run stored must survive every later kill; a
    final run must leave exactly the events of the source, once each."""
    logs = tmp_path / "logs"
    records = logins("k", "2026-09-01T00:00:00Z", DAYS * 6, 240)  # one part per day
    write_trail(logs / "base.json.gz", records)
    expected = {r["eventID"] for r in records}
    args: tuple[str | Path, ...] = (
        "--logs", logs, "--history", history, *window("2026-09-01", "2026-11-30")
    )  # fmt: skip

    def start_and_wait_for_the_write() -> tuple[subprocess.Popen[str], float]:
        writing = probe()
        process = _spawn(*args, env=env)
        while process.poll() is None and not writing():
            time.sleep(0.005)
        return process, time.monotonic()

    first, write_began = start_and_wait_for_the_write()
    first.communicate(timeout=180)
    assert first.returncode == 0
    writing_for = time.monotonic() - write_began
    committed = set(expected)
    rng = random.Random(11)  # noqa: S311 - reproducible kill points
    killed = partial = 0
    for trial in range(trials):
        extra = logins(f"t{trial}", "2026-09-01T12:00:00Z", DAYS, 24 * 60)
        write_trail(logs / f"extra-{trial}.json.gz", extra)
        expected |= {r["eventID"] for r in extra}
        process, _ = start_and_wait_for_the_write()
        time.sleep(rng.uniform(0, writing_for))
        if process.poll() is None:
            process.kill()  # SIGKILL: no cleanup of any kind
            killed += 1
        process.communicate(timeout=60)
        found = set(reader())
        assert committed <= found <= expected  # nothing stored before is lost
        partial += found != expected and found != committed
        if process.returncode == 0:
            committed = set(expected)
    final = subprocess.run(
        [*command(), *map(str, args)], capture_output=True, text=True, timeout=180,
        check=False, env=env,
    )  # fmt: skip
    assert final.returncode == 0, final.stderr
    stored = reader()
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    return killed, partial


def _local_lock_probe(history: Path) -> Any:
    """True while another process holds the history's writer lock."""

    def held() -> bool:
        if not (history / LOCK_FILE).exists():
            return False
        with (history / LOCK_FILE).open("a+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False

    return lambda: held


def reset(history: str) -> None:
    if history.startswith("s3://"):
        bucket, _, prefix = history[5:].partition("/")
        s3 = boto3.resource("s3")
        s3.Bucket(bucket).objects.filter(Prefix=prefix).delete()
    else:
        import shutil

        shutil.rmtree(history, ignore_errors=True)


def test_kill_9_at_random_points_then_a_rerun_converges_local(tmp_path: Path) -> None:
    history = str(tmp_path / "history")
    killed, partial = _kill_and_converge(
        tmp_path,
        history,
        hermetic_env(),
        5,
        lambda: history_ids(history),
        _local_lock_probe(Path(history)),
    )
    assert killed >= 3
    assert partial >= 1  # at least one kill landed between the first and the last part
    assert not list(Path(history).rglob("*.tmp-*"))


# --- S3, through a moto server --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    import requests

    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    env = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    s3 = boto3.client("s3")
    for bucket in ("audit", "trail"):
        s3.create_bucket(Bucket=bucket)
    return hermetic_env(**env)


def put_trail(
    key_day: str, name: str, records: list[dict[str, Any]], region: str = "us-east-1"
) -> str:
    body = gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode())
    key = f"AWSLogs/{ACCOUNT}/CloudTrail/{region}/{key_day}/{name}"
    boto3.client("s3").put_object(Bucket="trail", Key=key, Body=body)
    return key


def run_s3(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), "--s3", "s3://trail", "--history", "s3://audit/h", "--region", "us-east-1",
         *map(str, args)],
        capture_output=True, text=True, timeout=180, check=False, env=env,
    )  # fmt: skip


def s3_history_ids() -> list[str]:
    return history_ids("s3://audit/h", boto3.client("s3"))


def objects_read(document: dict[str, Any]) -> int:
    return sum(int(r["objects"]) for r in document["coverage"]["regions"])


def test_a_late_object_beyond_the_overlap_is_read_once(aws: dict[str, str]) -> None:
    """An object delivered after run 1 into a day folder run 1 already listed, with sign-ins
    12 hours before run 1's end (far beyond the 120-minute overlap). Before: never read."""
    put_trail("2026/11/03", "on-time.json.gz", logins("on-time", "2026-11-03T09:00:00Z", 4))
    first = report(run_s3(aws, *window("2026-11-03", "2026-11-04")))
    assert first["coverage"]["history_added"] == 4
    put_trail("2026/11/03", "late.json.gz", logins("late", "2026-11-03T12:00:00Z", 2))
    put_trail("2026/11/04", "next.json.gz", logins("next", "2026-11-04T09:00:00Z", 3))
    second = report(run_s3(aws, *window("2026-11-04", "2026-11-05")))
    assert second["coverage"]["history_added"] == 5
    assert objects_read(second) == 2  # on-time.json.gz is not fetched again
    third = report(run_s3(aws, *window("2026-11-04", "2026-11-05")))
    assert objects_read(third) == 0
    assert third["coverage"]["history_added"] == 0
    assert sorted(s3_history_ids()) == sorted(
        [f"on-time-{n}" for n in range(4)] + ["late-0", "late-1"] + [f"next-{n}" for n in range(3)]
    )


def test_a_failed_object_keeps_its_region_progress(aws: dict[str, str]) -> None:
    """us-west-2's object of 2026-11-03 cannot be read in runs 1 and 2 while us-east-1 reads
    fine; once it is readable, run 3 (a week later) goes back for it. Before: the watermark
    moved on after run 2 and the object's sign-ins were never collected."""
    put_trail("2026/11/03", "east.json.gz", logins("east", "2026-11-03T09:00:00Z", 3))
    bad = put_trail("2026/11/03", "west.json.gz", [], region="us-west-2")
    boto3.client("s3").put_object(Bucket="trail", Key=bad, Body=b"\x1f\x8b broken")
    first = run_s3(aws, *window("2026-11-03", "2026-11-04"))
    assert first.returncode == 0, first.stderr
    assert "collection incomplete" in first.stderr
    second = run_s3(aws, *window("2026-11-07", "2026-11-08"))
    assert "collection incomplete" in second.stderr
    put_trail("2026/11/03", "west.json.gz", logins("west", "2026-11-03T10:00:00Z", 2), "us-west-2")
    third = report(run_s3(aws, *window("2026-11-10", "2026-11-11")))
    assert third["coverage"]["history_added"] == 2
    assert objects_read(third) == 1  # only the repaired object
    assert sorted(s3_history_ids()) == ["east-0", "east-1", "east-2", "west-0", "west-1"]


def test_concurrent_runs_on_an_s3_history_lose_nothing(aws: dict[str, str], tmp_path: Path) -> None:
    """Before: the history.json run line of one run was lost 6 of 6 times (last writer wins)."""
    expected = _concurrent(tmp_path, "s3://audit/h", aws)
    assert sorted(s3_history_ids()) == sorted(expected)
    meta = json.loads(
        boto3.client("s3").get_object(Bucket="audit", Key="h/history.json")["Body"].read()
    )
    assert len(meta["runs"]) == 4


def test_kill_9_at_random_points_then_a_rerun_converges_s3(
    aws: dict[str, str], tmp_path: Path
) -> None:
    s3 = boto3.client("s3")

    def parts() -> set[str]:
        listed = s3.list_objects_v2(Bucket="audit", Prefix="h/events/").get("Contents", [])
        return {str(item["Key"]) for item in listed}

    def probe() -> Any:
        before = parts()
        return lambda: parts() != before

    killed, partial = _kill_and_converge(tmp_path, "s3://audit/h", aws, 4, s3_history_ids, probe)
    assert killed >= 2
    assert partial >= 1
