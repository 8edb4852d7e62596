"""CloudTrail records from files and folders on disk.

Files are read one at a time (`decode.read_file`), and on a tree of many files by forked
worker processes together with this one (`pool.SharedScan`): inflating and scanning is CPU
work, and only the few sign-in candidates come back from a worker. Memory follows the files
in flight, not the tree. A large JSON Lines file is cut into spans of whole lines
(`spans.py`) that the same pool reads, so one big export uses every core too, and its rows
come back as Arrow batches (`batches()`), never as every parsed record.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from analyzer.domain.coverage import Coverage
from analyzer.domain.scopes import ScopeOutcome
from analyzer.domain.window import Window
from analyzer.normalize import Normalized
from analyzer.sources.batches import BATCH_ROWS, POSITION, WHERE, Anchor, RowBatch, row_batches
from analyzer.sources.decode import FileResult, read_and_normalize, read_file
from analyzer.sources.interface import RawRecord, Source
from analyzer.sources.limits import DEFAULT_MAX_FILE_BYTES
from analyzer.sources.pool import CHUNK, Chunk, SharedScan
from analyzer.sources.spans import (
    Span,
    SpanResult,
    is_large_json_lines,
    plan_spans,
    read_span,
    span_size,
)
from analyzer.sources.tree import files_under

POOL_THRESHOLD = 32  # files; below this worker processes cost more than they save
MAX_WORKERS = 3


def _can_fork() -> bool:
    """Forking is cheap (the parent's imports are shared), but only safe with no other
    threads running; otherwise files are read in this process."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


Job = Path | Span
JobResult = FileResult | SpanResult


def _read_job(job: Job, *, keep_records: bool, max_file_bytes: int, prepare: bool) -> JobResult:
    """One file (normalized in the worker when `prepare`), or one span of a large file."""
    if isinstance(job, Span):
        return read_span(job, max_file_bytes, keep_records)
    if prepare:
        return read_and_normalize(job, keep_records=keep_records, max_file_bytes=max_file_bytes)
    return read_file(job, max_file_bytes=max_file_bytes)


def _raw_records(batch: RowBatch) -> Iterator[RawRecord]:
    """A row batch as prepared records again (without the raw record, as worker processes
    send them), in candidate order: for callers that ask for `records()`."""
    by_position: dict[int, RawRecord] = {
        position: RawRecord(None, where, prepared=True, rejection=reason)
        for position, where, reason in batch.rejected
    }
    if batch.rows is not None:
        for row in batch.rows.to_pylist():
            position = row.pop(POSITION)
            where = row.pop(WHERE)
            issues = tuple(row["data_issues"].split(";")) if row["data_issues"] else ()
            result = Normalized(row=row, issues=issues)
            by_position[position] = RawRecord(None, where, prepared=True, result=result)
    for position in sorted(by_position):
        yield by_position[position]


def _chunks(jobs: list[Job]) -> list[Chunk]:
    """Files `CHUNK` at a time, a span alone: a span is already a few seconds of work."""
    chunks: list[Chunk] = []
    start = 0
    for index, job in enumerate(jobs):
        if isinstance(job, Span):
            if start < index:
                chunks.append((start, index))
            chunks.append((index, index + 1))
            start = index + 1
        elif index + 1 - start == CHUNK:
            chunks.append((start, index + 1))
            start = index + 1
    if start < len(jobs):
        chunks.append((start, len(jobs)))
    return chunks


def file_scopes(paths: Iterable[str | Path]) -> list[str]:
    """History scope names of `--logs` paths: absolute, so the same folder is one scope
    whatever the working directory of the run."""
    return [f"logs:{_scope_path(Path(p))}" for p in paths]


def _scope_path(path: Path) -> str:
    """Files and folders resolved (links followed); anything else by the name it was given,
    made absolute: resolved, `/dev/stdin` (`--logs -`) or a `<(...)` names the pipe of
    this one process (`/proc/PID/fd/pipe:[N]`), so each run of a job fed through a pipe
    made a scope of its own in history.json and was never widened by the last one."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return str(path.resolve())
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return str(path.resolve())
    return os.path.abspath(path)


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
        span_bytes: int | None = None,
    ) -> None:
        """`workers` counts the processes forked besides this one, which reads too (default:
        one fewer than the cores, at most 3). `keep_records=False` lets worker processes send
        back only normalized rows (the raw records are needed only to save them again, as
        `--save-raw` does). A file that inflates to more than `max_file_bytes` is skipped with
        a line naming it (`limits.py`). A plain JSON Lines file of two spans or more
        (`span_bytes`, default `spans.SPAN_BYTES`), or larger than the limit, is read in
        spans, the limit applying to each line (`spans.py`)."""
        self.paths = [Path(p) for p in paths]
        self.progress = progress
        self.window = window
        cores = os.cpu_count() or 1
        self.workers = workers if workers is not None else min(cores - 1, MAX_WORKERS)
        self.keep_records = keep_records
        self.max_file_bytes = max_file_bytes
        self.span_bytes = span_bytes if span_bytes is not None else span_size()
        self._listing = Coverage()
        self._started: Iterator[JobResult] | None = None
        self._scan: SharedScan[Job, JobResult] | None = None
        self.file_count = 0  # files to read, known once `start()` has listed them

    def start(self) -> None:
        """List the files and put the worker pool to work now; `records()` then consumes the
        results. The CLI calls this before it imports pandas, so the import overlaps the scan
        and the forked workers do not carry pandas."""
        if self._started is not None:
            return
        files = files_under(self.paths, self.window, self._listing)
        self.file_count = len(files)
        jobs = self._jobs(files)
        spans = len(jobs) - len(files)
        pooled = len(files) >= POOL_THRESHOLD or spans > 0
        if self.workers > 0 and pooled and _can_fork():
            read = functools.partial(
                _read_job,
                keep_records=self.keep_records,
                max_file_bytes=self.max_file_bytes,
                prepare=True,
            )
            self._scan = SharedScan(jobs, read, self.workers, _chunks(jobs))
            self._scan.start()
            self._started = iter(self._scan)
        else:
            self._started = map(
                functools.partial(
                    _read_job,
                    keep_records=self.keep_records,
                    max_file_bytes=self.max_file_bytes,
                    prepare=False,
                ),
                jobs,
            )

    def _jobs(self, files: list[Path]) -> list[Job]:
        """Each file a job, except a large JSON Lines file: a job per span of it."""
        jobs: list[Job] = []
        threshold = 2 * self.span_bytes
        for path in files:
            if path.name.endswith(".gz"):  # trail files: gzip is never cut (no stat needed)
                jobs.append(path)
            elif is_large_json_lines(path, threshold, self.max_file_bytes):
                jobs.extend(plan_spans(path, self.span_bytes))
            else:
                jobs.append(path)
        return jobs

    def scope_families(self) -> list[str]:
        return file_scopes(self.paths)

    def outcomes(self, coverage: Coverage) -> list[ScopeOutcome]:
        """Every path is complete only when nothing at all was skipped: a skip is not traced
        back to one of several paths, so none of them moves on (they are read again)."""
        complete = not coverage.skipped_input
        return [ScopeOutcome(scope, complete) for scope in file_scopes(self.paths)]

    def close(self) -> None:
        """Stop the workers (done after the last result, or when the scan is abandoned)."""
        if self._scan is not None:
            self._scan.close()
            self._scan = None

    def _results(self) -> Iterator[JobResult]:
        self.start()
        assert self._started is not None
        try:
            yield from self._started
        finally:
            self.close()

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        """Candidates file by file, each file's problems first. A file read in spans is
        handed over once its last span is read (the record-by-record contract), so this
        holds its candidates; `batches()` streams them."""
        self.start()
        coverage.merge(self._listing)
        coverage.inputs.extend(self._listing.inputs)
        done = 0
        held: list[RawRecord] = []
        for result in self._results():
            coverage.merge(result.coverage)
            if isinstance(result, FileResult):
                yield from result.candidates
                name = result.name
            else:
                held.extend(result.candidates)
                for batch in result.batches:
                    held.extend(_raw_records(batch))
                if not result.span.last:
                    continue
                yield from held
                held = []
                name = result.span.name
            done += 1
            if self.progress:
                self.progress(name, done)

    def batches(self, coverage: Coverage) -> Iterator[RowBatch]:
        """Row batches file by file; a file read in spans streams span by span, its rows'
        problems anchored after the file's last decoding problem (as `records()` orders
        them)."""
        self.start()
        coverage.merge(self._listing)
        coverage.inputs.extend(self._listing.inputs)
        done = 0
        anchor: Anchor | None = None
        pending: list[RawRecord] = []  # whole files' candidates not yet in a batch
        pending_at = 0  # the problem count they are anchored at
        for result in self._results():
            coverage.merge(result.coverage)
            if isinstance(result, FileResult):
                # Consecutive files whose reading added no problem share one anchor, so
                # their candidates share batches: a tree of small files made one Arrow batch
                # per file (0.7 ms each; 1,182 files with sign-ins cost a second).
                at = len(coverage.problems)
                if pending and at != pending_at:
                    yield from row_batches(pending, Anchor(pending_at))
                    pending = []
                pending.extend(result.candidates)
                pending_at = at
                if len(pending) >= BATCH_ROWS:
                    yield from row_batches(pending, Anchor(pending_at))
                    pending = []
                name = result.name
            else:
                if pending:
                    yield from row_batches(pending, Anchor(pending_at))
                    pending = []
                if anchor is None:
                    anchor = Anchor()
                for batch in result.batches:
                    batch.anchor = anchor
                    yield batch
                yield from row_batches(result.candidates, anchor)
                if not result.span.last:
                    continue
                anchor.value = len(coverage.problems)
                anchor = None
                name = result.span.name
            done += 1
            if self.progress:
                self.progress(name, done)
        if pending:
            yield from row_batches(pending, Anchor(pending_at))
