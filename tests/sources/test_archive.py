"""`--save-raw` builds folder names from values inside the records: they never leave the
chosen folder."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from analyzer.sources.archive import RawArchive
from tests.conftest import console_login


def test_account_and_region_cannot_leave_the_archive(tmp_path: Path) -> None:
    root = tmp_path / "a" / "raw"
    archive = RawArchive(root)
    hostile = console_login(
        eventID="h", recipientAccountId="../../../../escape", awsRegion="../../../x"
    )
    archive.add(hostile)
    archive.add(console_login(eventID="slash", recipientAccountId="/etc", awsRegion="us-east-1"))
    archive.add(console_login(eventID="good"))
    written = archive.write()
    assert all(path.resolve().is_relative_to(root.resolve()) for path in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    folders = {path.relative_to(root).parts[1:4] for path in written}
    assert folders == {
        ("unknown-account", "CloudTrail", "unknown-region"),
        ("unknown-account", "CloudTrail", "us-east-1"),
        ("999999999999", "CloudTrail", "us-east-1"),
    }
    saved = [
        record["eventID"]
        for path in written
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]
    ]
    assert sorted(saved) == ["good", "h", "slash"]  # kept as they were, nothing dropped
    lines = [problem.line() for problem in archive.problems]
    assert lines == [
        f"--save-raw {root}: '../../../../escape' is not a 12-digit account id: saved under "
        "unknown-account (1 record(s))",
        f"--save-raw {root}: '../../../x' is not a region name: saved under unknown-region "
        "(1 record(s))",
        f"--save-raw {root}: '/etc' is not a 12-digit account id: saved under unknown-account "
        "(1 record(s))",
    ]
