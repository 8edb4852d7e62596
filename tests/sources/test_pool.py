"""Worker processes and the caller share the files; results come in file order, and nothing
is lost when a worker dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from multiprocessing import active_children
from pathlib import Path

import pytest

from analyzer.sources.decode import FileResult
from analyzer.sources.pool import SharedScan

FILES = [Path(f"f{index:03d}") for index in range(60)]


def named(path: Path) -> FileResult:
    return FileResult(path.name)


def test_every_file_once_in_order_whoever_reads_it() -> None:
    caller = os.getpid()

    def read(path: Path) -> FileResult:
        time.sleep(0.002)  # long enough for the forked workers to take their share
        return FileResult(f"{path.name}:{os.getpid() == caller}")

    scan = SharedScan(FILES, read, workers=2)
    scan.start()
    results = [result.name for result in scan]
    assert [name.split(":")[0] for name in results] == [path.name for path in FILES]
    assert any(name.endswith("False") for name in results)  # the workers read some
    assert not active_children()


def test_a_dead_worker_loses_nothing() -> None:
    caller = os.getpid()

    def read(path: Path) -> FileResult:
        if os.getpid() != caller:
            os._exit(9)  # the worker dies in the first chunk it took: that chunk never arrives
        time.sleep(0.002)  # the caller is slow enough for the worker to take a chunk
        return named(path)

    scan = SharedScan(FILES, read, workers=1)
    scan.start()
    assert [result.name for result in scan] == [path.name for path in FILES]


def test_a_worker_error_reaches_the_caller() -> None:
    def read(path: Path) -> FileResult:
        if path.name == "f040":
            raise RuntimeError("bug while reading f040")
        return named(path)

    scan = SharedScan(FILES, read, workers=2)
    scan.start()
    with pytest.raises(RuntimeError, match="f040"):
        list(scan)
    assert not active_children()


def test_an_abandoned_scan_stops_its_workers() -> None:
    def slow(path: Path) -> FileResult:
        time.sleep(0.02)  # 60 files: the workers are still busy when the scan is dropped
        return named(path)

    scan = SharedScan(FILES, slow, workers=2)
    scan.start()
    results = iter(scan)
    next(results)
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
