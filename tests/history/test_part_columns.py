"""A history part with a column twice is skipped with its reason, whatever columns a read
asks for (it made the whole read fail with a KeyError)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from analyzer.frame.schema import REPORT_COLUMNS, SCHEMA_VERSION
from analyzer.history import parts
from analyzer.history.store import History
from tests.history.test_store import _write_part, frame, ids


def test_a_part_with_a_column_twice_is_refused(tmp_path: Path) -> None:
    table = pa.Table.from_pandas(frame(("a", "2026-11-01T10:00:00Z")), preserve_index=False)
    table = table.append_column("error_message", pa.array(["again"]))
    version = str(SCHEMA_VERSION).encode()
    _write_part(tmp_path, "2026-11-01", table.replace_schema_metadata({parts.VERSION_KEY: version}))
    whole = History.open(str(tmp_path))
    assert ids(whole) == []
    narrow = History.open(str(tmp_path))
    assert narrow.read(columns=REPORT_COLUMNS).empty
    for history in (whole, narrow):
        assert "column error_message appears more than once" in history.problems[0].reason
