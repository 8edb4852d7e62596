"""`--events FILE`: the normalized rows themselves, format chosen by the file extension."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from analyzer.frame.compact import plain_frame
from analyzer.frame.schema import ARROW_SCHEMA, COLUMNS, SCHEMA_VERSION
from analyzer.render.columns import csv_rows, jsonl_rows
from analyzer.render.csv_out import SafeCsvWriter, safe_cell
from analyzer.render.formats import EVENT_FORMATS


def write_events(frame: pd.DataFrame, path: Path) -> None:
    """Raises ValueError for an unknown extension, OSError when the file cannot be written."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq  # 60 ms of import that only this format needs

        table = pa.Table.from_pandas(
            plain_frame(frame[list(COLUMNS)]), schema=ARROW_SCHEMA, preserve_index=False
        )
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), b"signin_schema_version": str(SCHEMA_VERSION)}
        )
        pq.write_table(table, path)
    elif suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            SafeCsvWriter(handle).writerow(COLUMNS)
            rows = csv_rows(frame[list(COLUMNS)], safe_cell)  # column by column, the same text
            assert rows is not None  # (None only for a table of fewer than two columns)
            handle.writelines(rows)
    elif suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as handle:
            handle.writelines(jsonl_rows(frame[list(COLUMNS)]))
    else:
        raise ValueError(
            f"{path}: unknown extension {suffix or '(none)'}; use " + ", ".join(EVENT_FORMATS)
        )
