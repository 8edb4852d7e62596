"""Worker processes and the calling process share one list of files.

`signin-report` forks its scan workers first and imports pandas afterwards. With a classic
process pool sized to the cores, those imports competed with the workers for the same cores,
and the report could not start before both were done. Here the pool is one process smaller
than the machine, and the calling process joins the scan as soon as it asks for results: the
files are cut into chunks, every process takes the next chunk from one shared counter, and
whoever is free does the next one. Results are handed out in file order whoever read them, so
the output never depends on timing.

Only results cross between processes (sign-in candidates and a coverage per file), through a
queue each worker fills from its own feeder thread, so a worker never waits for the calling
process to read. A worker that dies (killed, out of memory) loses nothing: the chunks it took
and never delivered are read again by the calling process.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.context import ForkContext, ForkProcess
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

CHUNK = 4  # files per claim: small enough to balance the processes at the end of a scan
_POLL_SECONDS = 0.5  # how often a waiting caller checks that the workers are still alive

_PR_SET_PDEATHSIG = 1  # prctl(2) option, Linux

Job = TypeVar("Job")  # what one call of the reader takes: a file, or a span of a large file
Result = TypeVar("Result")
Chunk = tuple[int, int]  # [start, end) indices into the jobs: what one claim reads


def chunks_of(count: int, size: int = CHUNK) -> list[Chunk]:
    """Consecutive jobs `size` at a time (the last chunk may be shorter)."""
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _claim(counter: Synchronized[int], chunks: int) -> int | None:
    with counter.get_lock():
        index = counter.value
        if index >= chunks:
            return None
        counter.value = index + 1
    return index


def _read_chunk(jobs: Sequence[Job], read: Callable[[Job], Result], chunk: Chunk) -> list[Result]:
    return [read(job) for job in jobs[chunk[0] : chunk[1]]]


def _die_with(parent: int) -> None:
    """A worker must not outlive the process that forked it (killed with -9, it cannot stop
    them): on Linux the kernel sends SIGKILL when the parent ends; elsewhere the loop in
    `_work` notices at the next chunk."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent ended before the signal was armed
        os._exit(1)


class _PandasRefused:  # a meta path finder (not importlib.abc's: 4 ms of start-up imports)
    """Fails any import of pandas in a scan worker, so pyarrow learns that it is absent.

    pyarrow imports pandas the first time `pa.array` converts a Python list, only to ask
    whether the list is a pandas object (`_is_array_like`). A worker reading a JSON Lines
    span makes its rows' Arrow batches that way, so each worker loaded all of pandas for an
    answer that is always no: 50 MB resident per worker, and the import's CPU time
    (benchmarks/README.md). On ImportError pyarrow treats pandas as absent and converts
    lists as before (pyarrow 15's C++ conversion asks again each time: a few microseconds a
    batch); nothing a worker runs needs pandas. A check made with
    `importlib.util.find_spec("pandas")` raises here instead of answering None: nothing a
    worker runs makes one."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"a scan worker does not load {fullname}", name=fullname)
        return None


def _keep_pandas_out() -> None:
    """Refuse pandas in this worker, unless it was forked from a process that had it (then
    the worker shares those pages and pyarrow finds it loaded: nothing to save)."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _PandasRefused())


def _work(
    jobs: Sequence[Job],
    read: Callable[[Job], Result],
    chunks: Sequence[Chunk],
    counter: Synchronized[int],
    results: Queue[tuple[int, list[Result] | BaseException]],
    parent: int,
) -> None:
    _die_with(parent)
    _keep_pandas_out()
    while (index := _claim(counter, len(chunks))) is not None:
        if os.getppid() != parent:
            results.cancel_join_thread()  # nobody reads the queue any more
            os._exit(1)
        try:
            results.put((index, _read_chunk(jobs, read, chunks[index])))
        except BaseException as err:  # re-raised in the calling process
            results.put((index, err))
            return
    results.close()
    results.join_thread()


class SharedScan(Generic[Job, Result]):
    """`start()` forks the workers, which begin at once; iterating yields one result per
    job (a file, or a span of a large file), in order, with the calling process reading
    chunks too whenever none is ready. `chunks` groups the jobs into claims (default: `CHUNK`
    files at a time; a span of a large file is a claim of its own)."""

    def __init__(
        self,
        files: Sequence[Job],
        read: Callable[[Job], Result],
        workers: int,
        chunks: Sequence[Chunk] | None = None,
    ) -> None:
        self.files = list(files)
        self.read = read
        self.workers = workers
        self._chunks = list(chunks) if chunks is not None else chunks_of(len(self.files))
        self.chunks = len(self._chunks)
        context: ForkContext = multiprocessing.get_context("fork")
        self._context = context
        self._counter: Synchronized[int] = context.Value("q", 0)
        self._results: Queue[tuple[int, list[Result] | BaseException]] = context.Queue()
        self._processes: list[ForkProcess] = []

    def start(self) -> None:
        for _ in range(self.workers):
            process = self._context.Process(
                target=_work,
                args=(
                    self.files,
                    self.read,
                    self._chunks,
                    self._counter,
                    self._results,
                    os.getpid(),
                ),
                daemon=True,
            )
            process.start()
            self._processes.append(process)

    def __iter__(self) -> Iterator[Result]:
        ready: dict[int, list[Result]] = {}
        next_index = 0
        try:
            while next_index < self.chunks:
                if next_index in ready:
                    yield from ready.pop(next_index)
                    next_index += 1
                elif not self._take_a_result(ready, block=False):
                    index = _claim(self._counter, self.chunks)
                    if index is not None:
                        ready[index] = self._read_here(index)
                    else:
                        self._wait_for(next_index, ready)
        finally:
            self.close()

    def _read_here(self, index: int) -> list[Result]:
        return _read_chunk(self.files, self.read, self._chunks[index])

    def _take_a_result(self, ready: dict[int, list[Result]], *, block: bool) -> bool:
        try:
            index, result = self._results.get(block, _POLL_SECONDS if block else None)
        except queue.Empty:
            return False
        if isinstance(result, BaseException):
            raise result
        ready[index] = result
        return True

    def _wait_for(self, index: int, ready: dict[int, list[Result]]) -> None:
        """Every chunk is taken; wait for a worker to deliver `index`, and read it here if no
        worker is left alive to do so."""
        while index not in ready:
            if self._take_a_result(ready, block=True):
                continue
            if not any(process.is_alive() for process in self._processes):
                while self._take_a_result(ready, block=False):
                    pass  # what the workers sent before they ended
                if index not in ready:
                    ready[index] = self._read_here(index)

    def close(self) -> None:
        """Stop the workers; safe to call more than once."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join()
        self._processes.clear()
        self._results.close()
        self._results.cancel_join_thread()
