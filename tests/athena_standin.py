"""A stand-in for Athena: the product's SQL, transpiled by sqlglot from Athena's dialect to
DuckDB's, runs over a local copy of the trail tree exposed the way Athena's JSON SerDe sees
the table the product defined in Glue.

The view is built from the Glue table itself (its storage template, its columns), so a
column the table lacks or a wrong template fails here too. The six known differences
between DuckDB and Athena (../shared/ATHENA.md §2.2) are accounted for here, not in the
product SQL:
1. DuckDB's `from_json` matches struct keys case-sensitively, Hive's JsonSerDe does not: the
   structs are declared with CloudTrail's camelCase keys (from the product's column spec);
   access by lowercase name stays case-insensitive in DuckDB.
2. `json_extract_scalar` on an object gives JSON text in DuckDB, NULL in Athena;
3. malformed JSON raises in DuckDB, gives NULL in Athena;
4. `format_datetime` is not transpiled;
5. `CAST(row AS JSON)` key case differs:
   the product SQL uses none of these (`assert_portable` checks 2, 4 and 5 on every query;
   the generated trees hold valid JSON for 3).
6. sqlglot cannot parse `UNLOAD`: the product reads results through the API or the result
   CSV, never UNLOAD, so only SELECTs reach the stand-in.
DuckDB ignores partition projection; tests/aws/test_athena_sql.py checks the partition
filters on the parsed SQL instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from analyzer.domain.coverage import QueryCoverage
from analyzer.sources.athena import Row
from analyzer.sources.athena_table import COLUMNS, Column, PlannedQuery


def _duck_type(column: Column) -> str:
    """A `from_json` structure with CloudTrail's own key spelling (difference 1)."""
    if column.kind == "string":
        return '"VARCHAR"'
    if column.kind == "map":
        return '"MAP(VARCHAR, VARCHAR)"'
    inner = ",".join(f'"{f.key}":{_duck_type(f)}' for f in column.fields)
    return f"{{{inner}}}" if column.kind == "struct" else f"[{{{inner}}}]"


def _expression(column: Column) -> str:
    if column.kind == "string":
        # A STRING column holding a JSON object gets its JSON text, a string its value.
        return f"r->>'{column.key}' AS {column.name}"
    return f"from_json(r->'{column.key}', '{_duck_type(column)}') AS {column.name}"


def view_sql(table: dict[str, Any], local_root: Path, bucket_root: str) -> str:
    """The view for one Glue table: its template's `s3://bucket/prefix/` replaced by the
    local copy, its projected partitions read back from each file's path."""
    template = str(table["Parameters"]["storage.location.template"])
    assert template.startswith(bucket_root), (template, bucket_root)
    local = str(local_root) + "/" + template[len(bucket_root) :]
    glob = re.sub(r"\$\{[a-z_]+\}", "*", local.replace("${delivery_date}", "*/*/*"))
    columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    spec = {c.name: c for c in COLUMNS}
    assert columns == [c.name for c in COLUMNS], "the Glue table is not the column spec"
    selected = ",\n  ".join(_expression(spec[name]) for name in columns)
    # The glob comes from the test's own temporary folder and the product's Glue template.
    return f"""
WITH f AS (
  SELECT filename, Records FROM read_json('{glob}/*.json.gz', columns={{'Records': 'JSON'}},
    filename=true, maximum_object_size=67108864)),
r AS (SELECT filename, unnest(from_json(Records, '["json"]')) AS r FROM f)
SELECT
  {selected},
  regexp_extract(filename, '/(\\d{{12}})/CloudTrail/', 1) AS account,
  regexp_extract(filename, '/CloudTrail/([a-z0-9-]+)/', 1) AS region,
  regexp_extract(filename, '/CloudTrail/[a-z0-9-]+/(\\d{{4}}/\\d{{2}}/\\d{{2}})/', 1)
    AS delivery_date
FROM r"""


def assert_portable(sql: str) -> None:
    """What the stand-in cannot reproduce faithfully must not be in the product SQL."""
    tree = sqlglot.parse_one(sql, read="athena")
    assert isinstance(tree, exp.Select)
    lowered = sql.lower()
    for construct in ("json_extract", "format_datetime", "as json", "unload"):
        assert construct not in lowered, construct


class DuckDBRunner:
    """A QueryRunner executing each query on DuckDB. `seen` keeps every SQL it ran."""

    def __init__(self, glue: Any, local_root: Path, bucket_root: str) -> None:
        self.glue = glue
        self.local_root = local_root
        self.bucket_root = bucket_root
        self.connection = duckdb.connect()
        self.views: set[str] = set()
        self.seen: list[str] = []

    def _view(self, qualified: str) -> None:
        if qualified in self.views:
            return
        database, table = (part.strip('"') for part in qualified.split("."))
        found = self.glue.get_table(DatabaseName=database, Name=table)["Table"]
        self.connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
        self.connection.execute(
            f"CREATE VIEW {qualified} AS " + view_sql(found, self.local_root, self.bucket_root)
        )
        self.views.add(qualified)

    def run(
        self, query: PlannedQuery, stats: QueryCoverage, update: Callable[[], None]
    ) -> Iterator[Row]:
        assert_portable(query.sql)
        self._view(query.table)
        self.seen.append(query.sql)
        duck = sqlglot.transpile(query.sql, read="athena", write="duckdb")[0]
        cursor = self.connection.execute(duck)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        stats.query_id = f"duckdb-{len(self.seen)}"
        stats.state = "SUCCEEDED"
        stats.rows = len(rows)
        update()
        for values in rows:
            yield {n: (None if v is None else str(v)) for n, v in zip(names, values, strict=True)}
