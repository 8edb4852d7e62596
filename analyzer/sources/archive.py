"""`--save-raw DIR`: keep what a live collection fetched as ordinary trail log files, so it can
be analyzed again offline with `--logs DIR` (collect once, analyze many times)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.domain.coverage import Problem
from analyzer.normalize.fields import text
from analyzer.normalize.timeparse import parse_event_time

ACCOUNT = re.compile(r"\d{12}")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
UNKNOWN_ACCOUNT = "unknown-account"
UNKNOWN_REGION = "unknown-region"


def _folder_name(value: str | None, pattern: re.Pattern[str], unknown: str) -> str:
    """A record's own account or region when it has the AWS shape, else the safe folder:
    the value comes from the record, and `../..` or `/` in it must not leave the archive."""
    return value if value is not None and pattern.fullmatch(value) else unknown


class RawArchive:
    """Collects raw records, then writes one gzip `{"Records": [...]}` file per account,
    region and day in the trail layout `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`.
    File names carry a content hash: saving the same events twice writes the same files.
    A record whose account is not 12 digits or whose region is not a region name is saved
    under `unknown-account`/`unknown-region` and listed in `problems` (the record itself is
    kept as it was)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
        self._odd: dict[str, int] = defaultdict(int)

    @property
    def problems(self) -> list[Problem]:
        """One line per odd value, with the number of records that carried it."""
        return [
            Problem(f"--save-raw {self.root}", f"{what} ({count} record(s))", skipped=False)
            for what, count in sorted(self._odd.items())
        ]

    def _place(self, account: str | None, region: str | None) -> tuple[str, str]:
        safe = (
            _folder_name(account, ACCOUNT, UNKNOWN_ACCOUNT),
            _folder_name(region, REGION, UNKNOWN_REGION),
        )
        for value, name, shape, folder in (
            (account, safe[0], "a 12-digit account id", UNKNOWN_ACCOUNT),
            (region, safe[1], "a region name", UNKNOWN_REGION),
        ):
            if value is not None and name != value:
                self._odd[f"{value!r} is not {shape}: saved under {folder}"] += 1
        return safe

    def add(self, record: object) -> None:
        if not isinstance(record, Mapping):
            return
        identity = record.get("userIdentity")
        account = text(record.get("recipientAccountId")) or (
            text(identity.get("accountId")) if isinstance(identity, Mapping) else None
        )
        moment = parse_event_time(text(record.get("eventTime")))
        day = moment.strftime("%Y/%m/%d") if moment else "undated"
        key = (*self._place(account, text(record.get("awsRegion"))), day)
        self._groups[key].append(record)

    def write(self) -> list[Path]:
        written: list[Path] = []
        for (account, region, day), records in sorted(self._groups.items()):
            ordered = sorted(
                records, key=lambda r: (str(r.get("eventTime")), str(r.get("eventID")))
            )
            payload = json.dumps({"Records": ordered}, separators=(",", ":")).encode()
            digest = hashlib.sha256(payload).hexdigest()[:16]
            folder = self.root / "AWSLogs" / account / "CloudTrail" / region / day
            folder.mkdir(parents=True, exist_ok=True)
            stamp = day.replace("/", "")
            path = folder / f"{account}_CloudTrail_{region}_{stamp}T0000Z_{digest}.json.gz"
            path.write_bytes(gzip.compress(payload, mtime=0))
            written.append(path)
        return written
