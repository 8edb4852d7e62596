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
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window

HIDDEN = "hidden file"
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


def _walk(root: Path, days: tuple[date, date] | None, coverage: Coverage) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as err:
        coverage.skip_file(str(root), f"cannot list folder ({err.strerror})")
        return
    for entry in entries:
        if entry.name.startswith("."):
            if entry.is_file():
                coverage.skip_file(entry.path, HIDDEN, warn=False)
            continue
        if entry.is_dir():
            if entry.name in SIBLING_FOLDERS:
                coverage.skip_file(entry.path, SIBLING_FOLDERS[entry.name], warn=False)
                continue
            if _outside(entry.path, days):
                coverage.day_folders_pruned += 1
                continue
            yield from _walk(Path(entry.path), days, coverage)
        elif entry.is_file():
            yield Path(entry.path)


def files_under(paths: list[Path], window: Window | None, coverage: Coverage) -> list[Path]:
    """Every file to read, in a stable order; missing paths and empty folders are reported."""
    days = delivery_days(window)
    found: list[Path] = []
    for path in paths:
        coverage.inputs.append(str(path))
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            before = len(found)
            found.extend(_walk(path, days, coverage))
            if len(found) == before and not coverage.day_folders_pruned:
                coverage.skip_file(str(path), "folder holds no files")
        else:
            coverage.skip_file(str(path), "no such file or folder")
    return found
