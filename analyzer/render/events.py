"""`--events FILE`: the normalized rows themselves, format chosen by the file extension."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

from analyzer.frame.schema import ARROW_SCHEMA, COLUMNS, SCHEMA_VERSION
from analyzer.render.cells import cell_text
from analyzer.render.csv_out import SafeCsvWriter
from analyzer.render.formats import EVENT_FORMATS
from analyzer.render.text import json_visible


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return cell_text(value)
    return value


def write_events(frame: pd.DataFrame, path: Path) -> None:
    """Raises ValueError for an unknown extension, OSError when the file cannot be written."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq  # 60 ms of import that only this format needs

        table = pa.Table.from_pandas(
            frame[list(COLUMNS)], schema=ARROW_SCHEMA, preserve_index=False
        )
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), b"signin_schema_version": str(SCHEMA_VERSION)}
        )
        pq.write_table(table, path)
    elif suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = SafeCsvWriter(handle)
            writer.writerow(COLUMNS)
            for row in frame[list(COLUMNS)].itertuples(index=False, name=None):
                writer.writerow(row)
    elif suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for row in frame[list(COLUMNS)].itertuples(index=False, name=None):
                record = {c: _json_value(v) for c, v in zip(COLUMNS, row, strict=True)}
                handle.write(json_visible(json.dumps(record, ensure_ascii=False)) + "\n")
    else:
        raise ValueError(
            f"{path}: unknown extension {suffix or '(none)'}; use " + ", ".join(EVENT_FORMATS)
        )
