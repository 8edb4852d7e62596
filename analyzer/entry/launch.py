"""The `signin-report` console script. It imports only what starting a `--logs` scan needs,
starts it (`prestart`), and only then loads the CLI framework, so the scan's worker processes
run while typer loads and parses.

Start-up is mostly imports (pandas, pyarrow, typer and the pydantic it parses with), and
importing them creates hundreds of thousands of long-lived objects: with the cyclic garbage
collector on, it walks them again and again while they load (about a fifth of pandas' import
time, benchmarks/startup_bench.py). The collector is off from here until `cli.execute` has
imported what the run needs, frozen those objects out of its reach and turned it back on;
a process forked in between (a scan worker) turns it on for itself at once.

OpenBLAS, which numpy loads with pandas, starts a thread per core and keeps them spinning
for work no report gives it (nothing here is linear algebra): 0.08 CPU-s of the import, taken
from the scan workers on a small machine. One thread is asked for unless the user chose a
number in any variable OpenBLAS reads.

The console script (`console`) leaves without the interpreter's teardown once nothing is
left to do (`_leave`)."""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading

from analyzer.entry import INTERRUPTED  # (the package: loaded with this module)

# What OpenBLAS reads for its thread count, in its order of precedence.
_THREAD_SETTINGS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def console() -> None:
    """The `signin-report` console script: `main`, ended without the interpreter's teardown
    (`_leave`). Only here: code that calls `main` itself (`python -m analyzer`, a wrapper
    script, `python -m cProfile -m analyzer`) has work of its own after it."""
    try:
        main()
    except SystemExit as ended:
        _leave(ended)
        raise


def main() -> None:
    try:
        _launch()
    except KeyboardInterrupt:  # Ctrl-C while loading (the command has its own handling)
        print("signin-report: error: interrupted", file=sys.stderr)  # cli's one line
        raise SystemExit(INTERRUPTED) from None


def _leave(ended: SystemExit) -> None:
    """End the process once the command has ended, without the interpreter's teardown.

    The teardown frees pandas', pyarrow's and the report's objects one by one and unloads
    some thousand modules: about 0.03 s at the end of every run, on one core, with nothing
    left to do (benchmarks/README.md, ninth pass). What the interpreter's exit does that
    matters is done here, in its order: other threads are waited for (so with one still
    running, the usual exit runs instead), the exit functions run (multiprocessing's stops
    the scan workers; a library's own), and the standard streams are flushed (a stream
    closed at start is None, as the usual exit skips it). Report files and the history are
    complete and closed before the command returns its status. The usual exit runs instead
    when a status is not a number (nobody printed it yet), and under a debugger, profiler
    or coverage tool, which writes its results after the command."""
    code = ended.code
    if threading.active_count() > 1 or not isinstance(code, int | None) or _watched():
        return
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return  # the usual exit reports what could not be written
    os._exit(code or 0)


def _watched() -> bool:
    """A trace or profile function (pdb, coverage, cProfile up to Python 3.11), or a tool
    registered with `sys.monitoring` (their newer form, Python 3.12 and later)."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    tools = range(6)  # sys.monitoring's tool ids: debugger, coverage, profiler, 3 more
    return monitoring is not None and any(monitoring.get_tool(tool) for tool in tools)


def _launch() -> None:
    if not any(os.environ.get(name) for name in _THREAD_SETTINGS):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
    gc.disable()
    os.register_at_fork(after_in_child=gc.enable)
    from analyzer.frame.memory import use_system_allocator

    use_system_allocator()  # before the workers fork: they allocate with it too
    from analyzer.entry import prestart

    prestart.begin(sys.argv[1:])
    from analyzer.entry.cli import main as cli_main

    cli_main()
