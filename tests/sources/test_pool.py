"""Worker processes and the caller share the files; results come in file order, and nothing
is lost when a worker dies.

Events shared with the forked workers decide who reads what, never sleeps: each test makes
the path it is about (a worker reading, a worker dying, a worker failing, a worker still
busy) happen on every run."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from multiprocessing import active_children
from pathlib import Path

import pytest

from analyzer.sources.decode import FileResult
from analyzer.sources.pool import CHUNK, SharedScan

FILES = [Path(f"f{index:03d}") for index in range(60)]
WAIT = 30  # seconds; only reached when the code under test is broken
FORK = multiprocessing.get_context("fork")


def named(path: Path) -> FileResult:
    return FileResult(path.name)


def test_every_file_once_in_order_whoever_reads_it() -> None:
    caller = os.getpid()
    worker_read = FORK.Event()

    def read(path: Path) -> FileResult:
        if os.getpid() != caller:
            worker_read.set()
        else:
            assert worker_read.wait(WAIT)  # the caller joins only after a worker has read
        return FileResult(f"{path.name}:{os.getpid() == caller}")

    scan = SharedScan(FILES, read, workers=2)
    scan.start()
    results = [result.name for result in scan]
    assert [name.split(":")[0] for name in results] == [path.name for path in FILES]
    assert any(name.endswith("False") for name in results)  # the workers read some
    assert not active_children()


def test_a_dead_worker_loses_nothing() -> None:
    caller = os.getpid()
    died = FORK.Event()

    def read(path: Path) -> FileResult:
        if os.getpid() != caller:
            died.set()
            os._exit(9)  # the worker dies in the first chunk it took: that chunk never arrives
        assert died.wait(WAIT)  # the caller reads only once the worker has taken a chunk
        return named(path)

    scan = SharedScan(FILES, read, workers=1)
    scan.start()
    assert [result.name for result in scan] == [path.name for path in FILES]
    assert died.is_set()


def test_a_worker_error_reaches_the_caller() -> None:
    caller = os.getpid()
    failed = FORK.Event()

    def read(path: Path) -> FileResult:
        if os.getpid() != caller:
            failed.set()
            raise RuntimeError(f"bug in a worker while reading {path.name}")
        assert failed.wait(WAIT)  # only workers fail, and one has before the caller reads
        return named(path)

    scan = SharedScan(FILES, read, workers=2)
    scan.start()
    with pytest.raises(RuntimeError, match="bug in a worker while reading f"):
        list(scan)
    assert not active_children()


def test_an_abandoned_scan_stops_its_workers() -> None:
    caller = os.getpid()
    first_chunk = set(FILES[:CHUNK])
    busy = FORK.Event()
    never = FORK.Event()

    def read(path: Path) -> FileResult:
        if os.getpid() != caller and path not in first_chunk:
            busy.set()
            never.wait(WAIT)  # a worker stays busy until it is stopped
        return named(path)

    scan = SharedScan(FILES, read, workers=2)
    scan.start()
    assert busy.wait(WAIT)  # a worker is inside a read before the caller asks for anything
    results = iter(scan)
    assert next(results).name == "f000"
    assert active_children()
    results.close()  # type: ignore[attr-defined]
    assert not active_children()


_ORPHAN_SCRIPT = """
import sys, time
from pathlib import Path
from analyzer.sources.decode import FileResult
from analyzer.sources.pool import SharedScan

def stuck(path):
    time.sleep(60)  # a worker busy with one file when its parent is killed
    return FileResult(str(path))

scan = SharedScan([Path(f"f{i}") for i in range(40)], stuck, workers=2)
scan.start()
print(" ".join(str(p.pid) for p in scan._processes), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_workers_exit_when_the_main_process_is_killed() -> None:
    main = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True
    )
    assert main.stdout is not None
    workers = [int(pid) for pid in main.stdout.readline().split()]
    assert len(workers) == 2
    assert all(_alive(pid) for pid in workers)
    main.kill()  # SIGKILL: no cleanup runs in the main process
    main.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


_SPAN_WORKER_SCRIPT = """
import json, multiprocessing, os, sys
from pathlib import Path
from analyzer.sources.pool import SharedScan
from analyzer.sources.spans import plan_spans, read_span

assert "pandas" not in sys.modules  # as in signin-report, which forks before importing it
caller = os.getpid()
worker_read = multiprocessing.get_context("fork").Event()

def read(span):
    if os.getpid() == caller:
        assert worker_read.wait(30)  # the caller joins only after a worker has read a span
    result = read_span(span, 1 << 20)
    worker_read.set()
    rows = sum(batch.rows.num_rows for batch in result.batches if batch.rows is not None)
    return (os.getpid() != caller, "pandas" in sys.modules, rows)

scan = SharedScan(plan_spans(Path(sys.argv[1]), 512), read, workers=1, chunks=None)
scan.start()
print(json.dumps(list(scan)))
"""


def test_a_span_worker_makes_arrow_batches_without_loading_pandas(tmp_path: Path) -> None:
    """pyarrow imports pandas on its first list conversion; a worker refuses it (50 MB and
    seconds of CPU a worker) and still makes the same rows."""
    from tests.conftest import console_login

    path = tmp_path / "large.jsonl"
    lines = [json.dumps(console_login(eventID=f"e-{index}")) for index in range(60)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _SPAN_WORKER_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    by_workers = [result for result in results if result[0]]
    assert by_workers  # the worker read spans
    assert not any(loaded for _, loaded, _ in by_workers)
    assert sum(rows for _, _, rows in results) == 60  # every sign-in, whoever read it
