"""CloudTrail records from files and folders on disk.

Files are read one at a time (`decode.read_file`), and on a tree of many files by forked
worker processes together with this one (`pool.SharedScan`): inflating and scanning is CPU
work, and only the few sign-in candidates come back from a worker. Memory follows the files
in flight, not the tree.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window
from analyzer.sources.decode import FileResult, read_and_normalize, read_file
from analyzer.sources.interface import RawRecord, Source
from analyzer.sources.limits import DEFAULT_MAX_FILE_BYTES
from analyzer.sources.pool import SharedScan
from analyzer.sources.tree import files_under

POOL_THRESHOLD = 32  # files; below this worker processes cost more than they save
MAX_WORKERS = 3


def _can_fork() -> bool:
    """Forking is cheap (the parent's imports are shared), but only safe with no other
    threads running; otherwise files are read in this process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


class FileSource(Source):
    """Files and folders (recursive). Paths that do not exist are reported, not fatal."""

    def __init__(
        self,
        paths: Iterable[str | Path],
        progress: Callable[[str, int], None] | None = None,
        window: Window | None = None,
        workers: int | None = None,
        keep_records: bool = True,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ) -> None:
        """`workers` counts the processes forked besides this one, which reads too (default:
        one fewer than the cores, at most 3). `keep_records=False` lets worker processes send
        back only normalized rows (the raw records are needed only to save them again, as
        `--save-raw` does). A file that inflates to more than `max_file_bytes` is skipped with
        a line naming it (`limits.py`)."""
        self.paths = [Path(p) for p in paths]
        self.progress = progress
        self.window = window
        cores = os.cpu_count() or 1
        self.workers = workers if workers is not None else min(cores - 1, MAX_WORKERS)
        self.keep_records = keep_records
        self.max_file_bytes = max_file_bytes
        self._listing = Coverage()
        self._started: Iterator[FileResult] | None = None
        self._scan: SharedScan | None = None
        self.file_count = 0  # files to read, known once `start()` has listed them

    def start(self) -> None:
        """List the files and put the worker pool to work now; `records()` then consumes the
        results. The CLI calls this before it imports pandas, so the import overlaps the scan
        and the forked workers do not carry pandas."""
        if self._started is not None:
            return
        files = files_under(self.paths, self.window, self._listing)
        self.file_count = len(files)
        if self.workers > 0 and len(files) >= POOL_THRESHOLD and _can_fork():
            read = functools.partial(
                read_and_normalize,
                keep_records=self.keep_records,
                max_file_bytes=self.max_file_bytes,
            )
            self._scan = SharedScan(files, read, self.workers)
            self._scan.start()
            self._started = iter(self._scan)
        else:
            self._started = map(
                functools.partial(read_file, max_file_bytes=self.max_file_bytes), files
            )

    def close(self) -> None:
        """Stop the workers (done after the last result, or when the scan is abandoned)."""
        if self._scan is not None:
            self._scan.close()
            self._scan = None

    def _results(self) -> Iterator[FileResult]:
        self.start()
        assert self._started is not None
        try:
            yield from self._started
        finally:
            self.close()

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        self.start()
        coverage.merge(self._listing)
        coverage.inputs.extend(self._listing.inputs)
        for done, result in enumerate(self._results(), start=1):
            coverage.merge(result.coverage)
            yield from result.candidates
            if self.progress:
                self.progress(result.name, done)
