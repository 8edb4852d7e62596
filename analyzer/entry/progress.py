"""Live progress on a terminal: one line per region with pages, events and throttles, or for
a folder of log files, one bar of files read.

Shown only when stderr is a terminal (and not --quiet); updates come from collector threads,
which rich's Progress handles with its own lock. Region and folder names come from S3 keys
(anyone who can write to the bucket chooses them): shown as plain text, never rich markup,
with control and invisible characters escaped."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from analyzer.domain.coverage import RegionCoverage
from analyzer.render.text import printable


class _Display:
    """A rich Progress on stderr, started and stopped around the collection."""

    _progress: Progress

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()


class RegionProgress(_Display):
    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            TextColumn("{task.fields[counts]}  {task.fields[status]}", markup=False),
            TimeElapsedColumn(),
            console=console or Console(file=sys.stderr),
            transient=False,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}

    def update(self, stats: RegionCoverage) -> None:
        key = (stats.region, stats.source)
        if key not in self._tasks:
            label = stats.region
            if stats.source != "signin.amazonaws.com":
                label = f"{stats.region} ({stats.source})"
            self._tasks[key] = self._progress.add_task(
                printable(label), total=None, counts="", status=""
            )
        if stats.source.startswith("athena:"):
            counts = (
                f"{stats.status:<9}  scanned {stats.bytes / 1e6:>9.1f} MB  rows {stats.events:>6}"
            )
        elif stats.source.startswith("s3://"):
            counts = (
                f"objects {stats.objects:>6}  {stats.bytes / 1e6:>8.1f} MB  "
                f"sign-ins {stats.events:>5}  failed {stats.objects_failed:>3}"
            )
        else:
            counts = (
                f"pages {stats.pages:>4}  events {stats.events:>6}  throttles {stats.throttles:>3}"
            )
        done = stats.status in {"ok", "failed"}
        self._progress.update(
            self._tasks[key],
            counts=counts,
            status=stats.status if done else "",
            total=1 if done else None,
            completed=1 if done else 0,
        )


class FileProgress(_Display):
    """Files read out of the files to read, for `--logs` on a large synced trail tree."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("reading log files"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(file=sys.stderr),
            transient=False,
        )
        self._task = self._progress.add_task("files", total=total)

    def update(self, _name: str, done: int) -> None:
        self._progress.update(self._task, completed=done)


class AccountProgress(_Display):
    """An organization run: one line per account (its regions summed), since an account's
    seventeen region lines times hundreds of accounts would scroll past unread."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            MofNCompleteColumn(),
            TextColumn("regions  {task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console or Console(file=sys.stderr),
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._regions: dict[str, dict[tuple[str, str], RegionCoverage]] = {}

    def update(self, stats: RegionCoverage) -> None:
        account = stats.account or "this account"
        regions = self._regions.setdefault(account, {})
        regions[(stats.region, stats.source)] = stats
        if account not in self._tasks:
            self._tasks[account] = self._progress.add_task(account, total=None, counts="")
        done = [r for r in regions.values() if r.status in {"ok", "failed"}]
        failed = sum(1 for r in done if r.status == "failed")
        counts = (
            f"pages {sum(r.pages for r in regions.values()):>5}  "
            f"events {sum(r.events for r in regions.values()):>7}  "
            f"throttles {sum(r.throttles for r in regions.values()):>4}"
            + (f"  failed {failed}" if failed else "")
        )
        self._progress.update(
            self._tasks[account], counts=counts, total=len(regions), completed=len(done)
        )
