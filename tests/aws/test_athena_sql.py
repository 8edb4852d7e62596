"""The Athena SQL itself: it runs (sqlglot to DuckDB over a generated trail tree), it gives the
same frame as the local engine, and every query names its partitions and its bounds."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import boto3
import pandas as pd
import pytest
import sqlglot
from moto import mock_aws
from sqlglot import exp

from analyzer.aws.athena_setup import plan_athena
from analyzer.domain.window import Window
from analyzer.frame.collect import collect
from analyzer.sources.athena_table import (
    AthenaOptions,
    AthenaPlanError,
    Limits,
    TableLocation,
    plan_queries,
    select_sql,
)
from analyzer.sources.s3 import S3Location, S3TrailSource
from tests.athena_standin import DuckDBRunner
from tests.conftest import fake_aws_credentials

GENERATOR = Path(__file__).resolve().parents[3] / "shared" / "bench" / "gen_trail.py"
BUCKET = "generated-trail"
ORG = "o-a1b2c3d4e5"
# Cuts through days on both ends, so event-time bounds and the delivery lag both matter.
WINDOW = Window(
    datetime(2026, 11, 3, 6, 30, tzinfo=UTC), datetime(2026, 11, 5, 17, 0, 0, 500, tzinfo=UTC)
)


def generate(root: Path, org: str | None) -> Path:
    if not GENERATOR.exists():
        pytest.skip(f"the shared trail generator is not beside this checkout ({GENERATOR})")
    arguments = [
        sys.executable, str(GENERATOR), "--out", str(root), "--accounts", "3",
        "--regions", "us-east-1,eu-west-1", "--days", "8", "--end-date", "2026-11-09",
        "--files-per-region-day", "3", "--records-per-file", "60", "--signin-rate", "0.08",
        "--decoy-rate", "0.01", "--seed", "5", "--jobs", "1",
    ]  # fmt: skip
    if org:
        arguments += ["--org-id", org]
    subprocess.run(arguments, check=True, capture_output=True)
    return root


@pytest.fixture(scope="module", params=[ORG, None], ids=["organization", "single-account"])
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("tree"), request.param)


@pytest.fixture
def aws(tree: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    fake_aws_credentials(monkeypatch)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for path in sorted((tree / "AWSLogs").rglob("*.json.gz")):
            s3.put_object(Bucket=BUCKET, Key=f"ct/{path.relative_to(tree)}", Body=path.read_bytes())
        yield {"s3": s3, "glue": boto3.client("glue", region_name="us-east-1")}


def without_origin(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["collected_from"]).reset_index(drop=True)


def test_athena_sql_gives_the_local_frame(tree: Path, aws: dict[str, Any]) -> None:
    location = S3Location(BUCKET, "ct/")
    local = collect([S3TrailSource(aws["s3"], location, WINDOW)], WINDOW)
    runner = DuckDBRunner(aws["glue"], tree, f"s3://{BUCKET}/ct/")
    source = plan_athena(
        WINDOW, [location], AthenaOptions(), s3=aws["s3"], glue=aws["glue"], runner=runner
    )
    athena = collect([source], WINDOW)
    assert len(local.frame) > 50
    assert athena.frame["collected_from"].str.startswith("athena:duckdb-").all()
    pd.testing.assert_frame_equal(without_origin(athena.frame), without_origin(local.frame))
    # the window's days only (plus the delivery lag), all accounts and regions, in one query
    assert len(runner.seen) == 1
    assert "BETWEEN '2026/11/03' AND '2026/11/06'" in runner.seen[0]
    assert (
        "eventtime >= '2026-11-03T06:30:00Z' AND eventtime < '2026-11-05T17:00:01Z'"
        in (runner.seen[0])
    )
    (query,) = athena.coverage.queries
    assert query.state == "SUCCEEDED"
    assert query.rows == athena.coverage.records_scanned
    assert 0 < query.projected_bytes == sum(r.bytes for r in athena.coverage.regions)
    assert athena.coverage.files_read == local.coverage.files_read
    assert {r.region for r in athena.coverage.regions} == {r.region for r in local.coverage.regions}
    assert all(r.status == "ok" for r in athena.coverage.regions)


def test_chunked_queries_give_the_same_frame(tree: Path, aws: dict[str, Any]) -> None:
    """With tiny limits the run splits into queries by accounts and by days; the rows are the
    same, none twice."""
    location = S3Location(BUCKET, "ct/")
    runner = DuckDBRunner(aws["glue"], tree, f"s3://{BUCKET}/ct/")
    source = plan_athena(
        WINDOW,
        [location],
        AthenaOptions(),
        s3=aws["s3"],
        glue=aws["glue"],
        runner=runner,
        limits=Limits(accounts_per_query=2, partitions_per_query=4),
    )
    athena = collect([source], WINDOW)
    local = collect([S3TrailSource(aws["s3"], location, WINDOW)], WINDOW)
    pd.testing.assert_frame_equal(without_origin(athena.frame), without_origin(local.frame))
    # 4 partitions a query over 2 regions: spans of 2 days, one account each; 4 days, 3 accounts
    assert len(runner.seen) == 2 * 3
    assert athena.coverage.duplicates_dropped == local.coverage.duplicates_dropped
    for sql in runner.seen:
        assert_prunes(sql)


def test_a_two_day_window_scans_well_under_half_of_eight_days(aws: dict[str, Any]) -> None:
    listed = aws["s3"].get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="ct/")
    trail = sum(
        o["Size"] for page in listed for o in page["Contents"] if "/CloudTrail/" in o["Key"]
    )
    window = Window(datetime(2026, 11, 5, tzinfo=UTC), datetime(2026, 11, 7, tzinfo=UTC))
    source = plan_athena(
        window, [S3Location(BUCKET, "ct/")], AthenaOptions(), s3=aws["s3"], glue=aws["glue"],
        runner=DuckDBRunner(aws["glue"], Path("/nonexistent"), f"s3://{BUCKET}/ct/"),
    )  # fmt: skip
    projected = sum(job.projected_bytes for job in source.jobs)
    days = {p.day for job in source.jobs for p in job.partitions}
    assert days == {date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 7)}  # + delivery lag
    assert 0 < projected < 0.45 * trail


# --- the parsed SQL must name its partitions and bound its window ------------------------------


def _where(sql: str) -> exp.Expression:
    tree = sqlglot.parse_one(sql, read="athena")
    where = tree.args.get("where")
    assert isinstance(where, exp.Where), "no WHERE"
    condition = where.this
    assert isinstance(condition, exp.Expression)
    return condition


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.And):
        return _conjuncts(cast(exp.Expression, node.left)) + _conjuncts(
            cast(exp.Expression, node.right)
        )
    return [node]


def _column_of(node: exp.Expression) -> str | None:
    if isinstance(node, exp.In | exp.Between):
        target = node.this
    elif isinstance(node, exp.Binary):
        target = node.left
    else:
        return None
    return target.name if isinstance(target, exp.Column) else None


def assert_prunes(sql: str, limits: Limits | None = None) -> None:
    """Top-level AND terms: `account IN (<= limit literals)`, `region IN (...)`, `delivery_date
    BETWEEN a AND b`, `eventtime >= x` and `eventtime < y`; and the query fits Athena."""
    limits = limits or Limits()
    assert len(sql.encode()) <= limits.query_bytes
    terms = _conjuncts(_where(sql))
    by_column: dict[str, list[exp.Expression]] = {}
    for term in terms:
        name = _column_of(term)
        if name:
            by_column.setdefault(name, []).append(term)
    accounts = [t for t in by_column.get("account", []) if isinstance(t, exp.In)]
    assert len(accounts) == 1, "no top-level `account IN (...)`"
    values = accounts[0].expressions
    assert values
    assert len(values) <= limits.accounts_per_query
    assert all(isinstance(v, exp.Literal) and v.is_string for v in values)
    assert any(isinstance(t, exp.In) for t in by_column.get("region", []))
    days = [t for t in by_column.get("delivery_date", []) if isinstance(t, exp.Between)]
    assert len(days) == 1, "no top-level `delivery_date BETWEEN a AND b`"
    assert all(isinstance(days[0].args[k], exp.Literal) for k in ("low", "high"))
    bounds = by_column.get("eventtime", [])
    assert any(isinstance(t, exp.GTE) for t in bounds), "eventtime needs a lower bound"
    assert any(isinstance(t, exp.LT) for t in bounds), "eventtime needs an upper bound"


SQL = select_sql(
    '"signin_report"."t"',
    ["111111111111", "222222222222"],
    ["us-east-1"],
    date(2026, 11, 3),
    date(2026, 11, 6),
    WINDOW.since or datetime.now(UTC),
    WINDOW.until or datetime.now(UTC),
)


def test_the_lint_passes_generated_sql() -> None:
    assert_prunes(SQL)


@pytest.mark.parametrize(
    "broken",
    [
        SQL.replace("WHERE account IN ('111111111111', '222222222222')\n  AND", "WHERE"),
        SQL.replace("  AND delivery_date BETWEEN '2026/11/03' AND '2026/11/06'\n", ""),
        SQL.replace("AND eventtime < '2026-11-05T17:00:01Z'", ""),
        SQL.replace("eventtime >= '2026-11-03T06:30:00Z' AND ", ""),
        SQL.replace("AND region IN ('us-east-1')", "OR region IN ('us-east-1')"),
    ],
    ids=["no-account", "no-delivery-date", "no-upper-bound", "no-lower-bound", "or-region"],
)
def test_the_lint_fails_a_query_without_its_filters(broken: str) -> None:
    assert broken != SQL
    with pytest.raises(AssertionError):
        assert_prunes(broken)


def test_literals_are_validated_never_pasted() -> None:
    for accounts, regions in [
        (["1111111111x1"], ["us-east-1"]),
        (["111111111111' OR '1'='1"], ["us-east-1"]),
        (["111111111111"], ["us-east-1') OR (1=1"]),
    ]:
        with pytest.raises(AthenaPlanError):
            plan_queries(
                "signin_report", "t", accounts, regions, date(2026, 1, 1), date(2026, 1, 2),
                datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC),
            )  # fmt: skip
    with pytest.raises(AthenaPlanError):
        plan_queries(
            "signin_report", 'x"; DROP TABLE y; --', ["111111111111"], ["us-east-1"],
            date(2026, 1, 1), date(2026, 1, 2),
            datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC),
        )  # fmt: skip


def test_chunking_keeps_every_query_inside_athenas_limits() -> None:
    accounts = [f"{n:012d}" for n in range(2500)]
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2"]
    queries = plan_queries(
        "signin_report", "t", accounts, regions, date(2025, 1, 1), date(2026, 1, 1),
        datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    covered = [a for q in queries for a in q.accounts]
    assert sorted(covered) == accounts  # every account once
    for query in queries:
        assert_prunes(query.sql)
        assert len(query.accounts) * len(query.regions) * 366 <= Limits().partitions_per_query
    # 1,000 accounts x 3 regions x 366 days would be 1.1 M partitions: 910 accounts a query
    assert [len(q.accounts) for q in queries] == [910, 910, 680]


def test_table_names_are_stable_glue_names() -> None:
    org = TableLocation("My.Trail-Bucket", "ct/", "o-a1b2c3d4e5")
    single = TableLocation("My.Trail-Bucket", "ct/", None)
    assert org.table_name() == TableLocation("My.Trail-Bucket", "ct/", "o-a1b2c3d4e5").table_name()
    assert org.table_name() != single.table_name()
    assert org.table_name().startswith("cloudtrail_my_trail_bucket_o_a1b2c3d4e5_")
    assert org.root == "s3://My.Trail-Bucket/ct/AWSLogs/o-a1b2c3d4e5/"
