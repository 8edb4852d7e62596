"""`--save-raw DIR`: keep what a live collection fetched as ordinary trail log files, so it can
be analyzed again offline with `--logs DIR` (collect once, analyze many times)."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer.normalize.fields import text
from analyzer.normalize.timeparse import parse_event_time


class RawArchive:
    """Collects raw records, then writes one gzip `{"Records": [...]}` file per account,
    region and day in the trail layout `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`.
    File names carry a content hash: saving the same events twice writes the same files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)

    def add(self, record: object) -> None:
        if not isinstance(record, Mapping):
            return
        identity = record.get("userIdentity")
        account = text(record.get("recipientAccountId")) or (
            text(identity.get("accountId")) if isinstance(identity, Mapping) else None
        )
        moment = parse_event_time(text(record.get("eventTime")))
        day = moment.strftime("%Y/%m/%d") if moment else "undated"
        key = (account or "unknown-account", text(record.get("awsRegion")) or "unknown-region", day)
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
