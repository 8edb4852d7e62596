"""Start scanning `--logs` before the command-line framework has loaded.

Loading typer (and the pydantic it parses options with) and parsing takes about 0.1 s, with
one of the two cores of a typical runner idle. The console entry point calls `begin(argv)`
first: when the arguments plainly ask for a `--logs` scan, the worker pool starts at once.
`run()` then `claim()`s it with the arguments typer parsed. The claim succeeds only when the
paths, the day folders the window selects and the raw-record setting are the same; any other
started scan (a different window, an argument this quick look misread) is stopped and the
normal path runs, so the result never depends on this shortcut.
"""

from __future__ import annotations

import argparse
import atexit
import os
import stat
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from analyzer.domain.window import Window, WindowError, resolve_window
from analyzer.sources.files import FileSource
from analyzer.sources.limits import DEFAULT_MAX_FILE_BYTES, MIB
from analyzer.sources.tree import delivery_days

# Options after which the scan would not be used as started (a history changes the window),
# or no scan happens at all.
_NOT_A_PLAIN_SCAN = frozenset({"--history", "--help", "-h", "--version"})

_started: FileSource | None = None


class _Unparsed(Exception):
    """The early parser's own objection to the arguments: typer words it a moment later."""


class _QuietParser(argparse.ArgumentParser):
    """argparse prints its usage and error to stderr before exiting; typer then printed the
    same mistake again in its own words (`--days abc` gave five lines). Here it only raises."""

    def error(self, message: str) -> NoReturn:
        raise _Unparsed(message)


def _parser() -> argparse.ArgumentParser:
    parser = _QuietParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--logs", action="append", default=[])
    parser.add_argument("--since")
    parser.add_argument("--until")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--save-raw")
    parser.add_argument("--max-file-mb", type=int, default=DEFAULT_MAX_FILE_BYTES // MIB)
    return parser


def _plain_paths(paths: Sequence[str]) -> bool:
    """Files and folders only: a pipe (`--logs <(...)`) can be read once, so it is left to
    the scan `run()` starts, never to one that may be abandoned."""
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            return False  # reported by the normal path, as a line naming it
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            return False
    return True


def begin(argv: Sequence[str]) -> None:
    """Start the scan `argv` asks for, if it plainly asks for one; never raises on odd input
    (typer reports that properly a moment later)."""
    global _started
    if _started is not None or any(arg.split("=", 1)[0] in _NOT_A_PLAIN_SCAN for arg in argv):
        return
    try:
        args, _ = _parser().parse_known_args(list(argv))
        window = resolve_window(
            days=args.days, since=args.since, until=args.until, now=datetime.now(UTC)
        )
    except (_Unparsed, SystemExit, WindowError, ValueError):
        return
    if not args.logs or args.max_file_mb < 1 or not _plain_paths(args.logs):
        return
    source = FileSource(
        args.logs,
        window=window,
        keep_records=args.save_raw is not None,
        max_file_bytes=args.max_file_mb * MIB,
    )
    source.start()
    _started = source
    atexit.register(abandon)


def claim(
    paths: Sequence[Path],
    window: Window,
    keep_records: bool,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> FileSource | None:
    """The started scan if it reads exactly what `run()` is about to read, else None (and the
    started one is stopped)."""
    global _started
    started, _started = _started, None
    if started is None:
        return None
    if (
        started.paths == [Path(p) for p in paths]
        and delivery_days(started.window) == delivery_days(window)
        and started.keep_records == keep_records
        and started.max_file_bytes == max_file_bytes
    ):
        return started
    started.close()
    return None


def abandon() -> None:
    """Stop a started scan nobody claimed (a usage error ends the command before `run()`)."""
    global _started
    if _started is not None:
        _started.close()
        _started = None
