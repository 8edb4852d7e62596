"""The Python API notebooks use: the same pieces the CLI composes, returning pandas objects.

The library never prints. Problems with the input are in `Collection.coverage`; `read_logs`
turns them into one Python warning so a notebook user sees that something was skipped.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from analyzer.collect import Collection, collect
from analyzer.sources.files import FileSource
from analyzer.window import Window, parse_moment

Moment = str | date | datetime


class SkippedInputWarning(UserWarning):
    """Some files or records could not be used; `collect_logs(...).coverage` lists them."""


class SkippedInputError(RuntimeError):
    """Raised instead of the warning when strict=True."""


def _window(since: Moment | None, until: Moment | None) -> Window | None:
    if since is None and until is None:
        return None
    return Window(
        parse_moment(since, "since") if since is not None else None,
        parse_moment(until, "until") if until is not None else None,
    )


def collect_logs(
    *paths: str | Path, since: Moment | None = None, until: Moment | None = None
) -> Collection:
    """Frame and coverage from CloudTrail files and folders; `since` inclusive, `until`
    exclusive. Without a window, records lacking a parseable eventTime are kept."""
    return collect([FileSource(paths)], _window(since, until))


def read_logs(
    *paths: str | Path,
    since: Moment | None = None,
    until: Moment | None = None,
    strict: bool = False,
) -> pd.DataFrame:
    """The normalized sign-in frame (see `SCHEMA`) from CloudTrail files and folders."""
    collection = collect_logs(*paths, since=since, until=until)
    skipped = [p for p in collection.coverage.problems if p.skipped]
    if skipped:
        message = (
            f"{len(skipped)} input(s) skipped, first: {skipped[0].line()} "
            "(collect_logs(...).coverage.problems lists all)"
        )
        if strict:
            raise SkippedInputError(message)
        warnings.warn(message, SkippedInputWarning, stacklevel=2)
    return collection.frame
