"""Which files to read under the given paths.

A synced trail bucket has a known shape, `AWSLogs/[o-org/]<account>/CloudTrail/<region>/
YYYY/MM/DD/`: when a folder on that path is a day outside the window (plus one day after its
end, since folders are named by delivery date, not event date), it is not entered at all;
digest, Insights and network-activity folders beside `CloudTrail/` are skipped unread. Any
other folder is walked completely and its files are judged by content.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window

HIDDEN = "hidden file"
# A file or folder reached again through another of the paths given (`--logs a --logs a`,
# a folder and a folder inside it, a link to a file beside it): read once, counted
# quietly, nothing lost.
GIVEN_TWICE = "already read through another path given, not read twice"
SIBLING_FOLDERS = {
    "CloudTrail-Digest": "CloudTrail-Digest folder (digests, not read)",
    "CloudTrail-Insight": "CloudTrail-Insight folder (not sign-ins, not read)",
    "CloudTrail-NetworkActivity": "CloudTrail-NetworkActivity folder (not sign-ins, not read)",
    "CloudTrail-Aggregated": "CloudTrail-Aggregated folder (not read)",
}
_DAY = re.compile(r"(?:^|/)CloudTrail/[a-z0-9-]+/(\d{4})/(\d{2})/(\d{2})$")


def delivery_days(window: Window | None) -> tuple[date, date] | None:
    """First and last day folder that can hold events of the window."""
    if window is None or window.since is None or window.until is None:
        return None
    return window.since.date(), (window.until + timedelta(days=1)).date()


def _outside(folder: str, days: tuple[date, date] | None) -> bool:
    if days is None:
        return False
    match = _DAY.search(folder.replace(os.sep, "/"))
    if match is None:
        return False
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return not days[0] <= day <= days[1]


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


@dataclass
class _Seen:
    """What the paths given reached so far, by (device, inode): folders with the index of
    the path that entered them, files."""

    folders: dict[tuple[int, int], int] = field(default_factory=dict)
    files: set[tuple[int, int]] = field(default_factory=set)

    def first_file(self, info: os.stat_result) -> bool:
        key = (info.st_dev, info.st_ino)
        if key in self.files:
            return False
        self.files.add(key)
        return True


def _walk(
    root: Path, days: tuple[date, date] | None, coverage: Coverage, seen: _Seen, given: int
) -> Iterator[Path]:
    """Depth-first with a stack of its own (no recursion limit on deep trees), entering each
    folder once whatever symlinks point at it (no loops), in a stable order, and yielding
    each file once over all the paths given. Entries that cannot be examined, and files
    that are not regular files (a FIFO would block the read), are named in a line."""
    stack: list[Path] = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            key = (info.st_dev, info.st_ino)
            entered_by = seen.folders.get(key)
            if entered_by == given:  # a link back into this path: a loop, said
                coverage.skip_file(
                    str(folder), "folder already read through another path (symlink), skipped"
                )
                continue
            if entered_by is not None:  # by another path given: quiet, nothing is lost
                coverage.skip_file(str(folder), GIVEN_TWICE, warn=False)
                continue
            seen.folders[key] = given
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            coverage.skip_file(str(folder), f"cannot list folder ({err.strerror or err})")
            continue
        folders: list[Path] = []
        for entry in entries:
            try:
                mode = entry.stat().st_mode
            except OSError as err:
                if not entry.name.startswith("."):
                    coverage.skip_file(entry.path, f"cannot read ({err.strerror or err})")
                continue
            if entry.name.startswith("."):
                if stat.S_ISREG(mode):
                    coverage.skip_file(entry.path, HIDDEN, warn=False)
                continue
            if stat.S_ISDIR(mode):
                if entry.name in SIBLING_FOLDERS:
                    coverage.skip_file(entry.path, SIBLING_FOLDERS[entry.name], warn=False)
                elif _outside(entry.path, days):
                    coverage.day_folders_pruned += 1
                else:
                    folders.append(Path(entry.path))
            elif stat.S_ISREG(mode):
                if seen.first_file(entry.stat()):
                    yield Path(entry.path)
                else:
                    coverage.skip_file(entry.path, GIVEN_TWICE, warn=False)
            else:
                coverage.skip_file(entry.path, f"not a regular file ({_kind(mode)}), not read")
        stack.extend(reversed(folders))


def files_under(paths: list[Path], window: Window | None, coverage: Coverage) -> list[Path]:
    """Every file to read, in a stable order; missing paths and empty folders are reported.
    A FIFO or device given directly (`--logs <(zcat ...)`, `/dev/stdin`) is read as a
    stream; one found inside a folder is not."""
    days = delivery_days(window)
    found: list[Path] = []
    seen = _Seen()
    for given, path in enumerate(paths):
        coverage.inputs.append(str(path))
        try:
            info = path.stat()
            mode = info.st_mode
        except FileNotFoundError:
            coverage.skip_file(str(path), "no such file or folder")
            continue
        except OSError as err:
            coverage.skip_file(str(path), f"cannot read ({err.strerror or err})")
            continue
        if stat.S_ISDIR(mode):
            before, skipped = len(found), coverage.files_skipped[GIVEN_TWICE]
            found.extend(_walk(path, days, coverage, seen, given))
            twice = coverage.files_skipped[GIVEN_TWICE] > skipped
            if len(found) == before and not coverage.day_folders_pruned and not twice:
                coverage.skip_file(str(path), "folder holds no files")
        elif stat.S_ISREG(mode):
            if seen.first_file(info):
                found.append(path)
            else:
                coverage.skip_file(str(path), GIVEN_TWICE, warn=False)
        elif stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
            found.append(path)
        else:
            coverage.skip_file(str(path), f"not a regular file ({_kind(mode)}), not read")
    return found
