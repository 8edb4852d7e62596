"""`--engine athena` through real boto3 clients against moto's Athena, Glue and S3
(in-process): the table, the recorded SQL, polling, failures, and every way results are read.

moto serves canned results and runs no SQL (tests/aws/test_athena_sql.py runs the SQL); its
result file does not escape quotes, so the CSV reader is tested on files written here, and
GetQueryResults paging (moto always answers one page) through a before-send fake."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any, cast

import boto3
import pytest
from moto import mock_aws, settings
from moto.athena.models import athena_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager
from moto.moto_api._internal.models import moto_api_backend

from analyzer.api import run_audit_job
from analyzer.audit.request import AuditRequest, Sources
from analyzer.audit.run import run_audit
from analyzer.aws.athena_setup import (
    ScanLimitExceeded,
    athena_runner,
    plan_athena,
)
from analyzer.aws.plan import plan_s3
from analyzer.aws.session import client_config
from analyzer.domain.errors import LiveSetupError, RequestError
from analyzer.domain.values import Engine
from analyzer.domain.window import Window
from analyzer.frame.collect import Collection, collect
from analyzer.sources.athena import AthenaRunner, RunnerSettings
from analyzer.sources.athena_table import SELECT_LIST, AthenaOptions, TableLocation
from analyzer.sources.s3 import S3Location
from tests.conftest import api_call, console_login, fake_aws_credentials
from tests.fakes import _response, attach

BUCKET = "org-trail"
OUTPUT = "s3://athena-results/runs/"
ORG = "o-a1b2c3d4e5"
ACCOUNTS = ("111111111111", "222222222222")
WINDOW = Window(datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC))
LOCATION = S3Location(BUCKET, "ct/")


def trail_object(*records: dict[str, Any]) -> bytes:
    return gzip.compress(json.dumps({"Records": list(records)}).encode())


def day_key(account: str, region: str, day: str) -> str:
    return f"ct/AWSLogs/{ORG}/{account}/CloudTrail/{region}/{day}/{account}_x.json.gz"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    fake_aws_credentials(monkeypatch)
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        config = client_config(2, 16)
        s3 = session.client("s3", config=config)
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket="athena-results")
        for account in ACCOUNTS:
            s3.put_object(
                Bucket=BUCKET,
                Key=day_key(account, "us-east-1", "2026/11/03"),
                Body=trail_object(api_call(), console_login(eventID=f"{account}-a")),
            )
            s3.put_object(  # outside the window's delivery days: never part of a query
                Bucket=BUCKET,
                Key=day_key(account, "us-east-1", "2026/10/01"),
                Body=trail_object(console_login(eventID=f"{account}-old")),
            )
        yield {
            "session": session,
            "s3": s3,
            "glue": session.client("glue", config=config),
            "athena": session.client("athena", config=config),
        }
        state_manager.unset_transition("athena::execution")


def s3_operations(client: Any) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, dict(params)))

    attach(client, "provide-client-params.s3.*", record)
    return seen


def row_of(record: dict[str, Any], account: str, region: str, day: str) -> dict[str, str | None]:
    """What Athena returns for a record: each selected leaf as text, JSON columns as JSON."""
    row: dict[str, str | None] = {}
    for column in SELECT_LIST:
        value: Any = record
        for key in column.keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and column.json_text:
            value = json.dumps(value)
        row[column.alias] = None if value is None else str(value)
    return {**row, "account": account, "region": region, "delivery_date": day}


HEADER = [c.alias for c in SELECT_LIST] + ["account", "region", "delivery_date"]
COLUMN_INFO = [{"Name": h, "Type": "varchar"} for h in HEADER]


def canned(rows: list[dict[str, str | None]]) -> None:
    """Queue one result in moto (header row first, as Athena answers)."""

    def data(values: list[str | None]) -> dict[str, Any]:
        return {"Data": [{"VarCharValue": v} if v is not None else {} for v in values]}

    moto_api_backend.set_athena_result(
        rows=[data(list(HEADER))] + [data([r[h] for h in HEADER]) for r in rows],
        column_info=COLUMN_INFO,
        account_id=DEFAULT_ACCOUNT_ID,
        region="us-east-1",
    )


def runner(aws: dict[str, Any], sleeps: list[float], **settings: Any) -> AthenaRunner:
    return AthenaRunner(
        aws["athena"],
        aws["s3"],
        RunnerSettings(database="signin_report", output=OUTPUT, **settings),
        sleep=sleeps.append,
    )


def run(aws: dict[str, Any], athena: AthenaRunner, **options: Any) -> Collection:
    source = plan_athena(
        WINDOW,
        [LOCATION],
        AthenaOptions(output=OUTPUT, **options),
        s3=aws["s3"],
        glue=aws["glue"],
        runner=athena,
    )
    return collect([source], WINDOW)


def executions() -> dict[str, Any]:
    return dict(athena_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].executions)


LOGIN = console_login(eventID="111111111111-a")


def test_query_flow_sql_polling_and_no_trail_object_downloaded(aws: dict[str, Any]) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 2})
    canned([row_of(LOGIN, ACCOUNTS[0], "us-east-1", "2026/11/03")])
    seen = s3_operations(aws["s3"])
    sleeps: list[float] = []
    collection = run(aws, runner(aws, sleeps))

    assert list(collection.frame["event_id"]) == ["111111111111-a"]
    assert collection.frame["collected_from"].str.startswith("athena:").all()
    (execution,) = executions().values()
    (query,) = collection.coverage.queries
    assert query.query_id == execution.id
    assert query.state == "SUCCEEDED"
    assert query.rows == 1
    assert execution.context == {"Database": "signin_report", "Catalog": "AwsDataCatalog"}
    assert execution.workgroup.name == "primary"
    assert execution.execution_parameters is None  # no user text to bind: only checked literals
    table = TableLocation(BUCKET, "ct/", ORG).table_name()
    assert execution.query.startswith("SELECT eventid AS eventid,")
    assert f'FROM "signin_report"."{table}"\n' in execution.query
    assert "WHERE account IN ('111111111111', '222222222222')\n" in execution.query
    assert "AND region IN ('us-east-1')\n" in execution.query
    assert "AND delivery_date BETWEEN '2026/11/03' AND '2026/11/05'\n" in execution.query
    assert "eventtime >= '2026-11-03T00:00:00Z' AND eventtime < '2026-11-05T00:00:00Z'" in (
        execution.query
    )
    assert execution.config["OutputLocation"] == f"{OUTPUT}{execution.id}.csv"
    assert sleeps == [0.5, 1.0, 2.0]  # QUEUED, RUNNING, RUNNING, then SUCCEEDED: backoff
    operations = {op for op, _ in seen}
    assert operations == {"ListObjectsV2"}  # listed, never downloaded
    listed = [p["Prefix"] for _, p in seen]
    assert not any("2026/10/01" in p for p in listed)
    assert query.projected_bytes == sum(r.bytes for r in collection.coverage.regions) > 0
    regions = {r.region: r for r in collection.coverage.regions}
    assert regions["111111111111/us-east-1"].events == 1
    assert regions["111111111111/us-east-1"].status == "ok"
    assert collection.coverage.files_read == 2
    assert collection.coverage.as_dict()["queries"] == [query.as_dict()]
    assert query.as_dict()["price_usd"] == round(10 * 2**20 / 1e12 * 5, 6)  # 10 MB minimum


def test_progress_follows_each_query(aws: dict[str, Any]) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 2})
    canned([row_of(LOGIN, ACCOUNTS[0], "us-east-1", "2026/11/03")])
    seen: list[tuple[str, str, int]] = []
    source = plan_athena(
        WINDOW, [LOCATION], AthenaOptions(output=OUTPUT), s3=aws["s3"], glue=aws["glue"],
        runner=runner(aws, []), progress=lambda r: seen.append((r.region, r.status, r.events)),
    )  # fmt: skip
    collect([source], WINDOW)
    assert [status for _, status, _ in seen] == [
        "queued",
        "queued",
        "running",
        "running",
        "ok",
        "ok",
    ]
    assert {region for region, _, _ in seen} == {"query 1/1"}
    assert seen[-1][2] == 1


def test_table_created_once_and_updated_when_the_regions_change(aws: dict[str, Any]) -> None:
    name = TableLocation(BUCKET, "ct/", ORG).table_name()
    for _ in range(2):
        run(aws, runner(aws, []))
    versions = aws["glue"].get_table_versions(DatabaseName="signin_report", TableName=name)
    assert len(versions["TableVersions"]) == 1
    table = aws["glue"].get_table(DatabaseName="signin_report", Name=name)["Table"]
    parameters = table["Parameters"]
    assert parameters["projection.region.values"] == "us-east-1"
    assert parameters["projection.account.type"] == "injected"
    assert parameters["storage.location.template"] == (
        f"s3://{BUCKET}/ct/AWSLogs/{ORG}/${{account}}/CloudTrail/${{region}}/${{delivery_date}}"
    )
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hive.hcatalog.data.JsonSerDe"
    )
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert "clientprovidedhostheader:string" in columns["tlsdetails"]
    assert "onbehalfof:struct<userid:string,identitystorearn:string>" in columns["useridentity"]

    aws["s3"].put_object(
        Bucket=BUCKET,
        Key=day_key(ACCOUNTS[1], "eu-west-1", "2026/11/04"),
        Body=trail_object(console_login(eventID="eu")),
    )
    run(aws, runner(aws, []))
    versions = aws["glue"].get_table_versions(DatabaseName="signin_report", TableName=name)
    assert len(versions["TableVersions"]) == 2
    table = aws["glue"].get_table(DatabaseName="signin_report", Name=name)["Table"]
    assert table["Parameters"]["projection.region.values"] == "eu-west-1,us-east-1"
    # a run limited to one region does not shrink the table for the next run
    source = plan_athena(
        WINDOW, [LOCATION], AthenaOptions(), s3=aws["s3"], glue=aws["glue"],
        runner=runner(aws, []), regions=["us-east-1"],
    )  # fmt: skip
    assert source.jobs[0].query.regions == ("us-east-1",)
    table = aws["glue"].get_table(DatabaseName="signin_report", Name=name)["Table"]
    assert table["Parameters"]["projection.region.values"] == "eu-west-1,us-east-1"


def failing(states: list[tuple[str, bool]]) -> Any:
    """Answers GetQueryExecution with the next (state, retryable) until the list runs out,
    then lets moto answer."""

    def answer(request: Any, **_: Any) -> Any:
        if not states:
            return None
        state, retryable = states.pop(0)
        query_id = json.loads(request.body)["QueryExecutionId"]
        return _response(request.url, 200, {"QueryExecution": {
            "QueryExecutionId": query_id,
            "Status": {
                "State": state,
                "StateChangeReason": "HIVE_CURSOR_ERROR: Please reduce your\nrequest rate.",
                "AthenaError": {"ErrorCategory": 2, "ErrorType": 1002, "Retryable": retryable},
            },
            "Statistics": {"DataScannedInBytes": 1234},
        }})  # fmt: skip

    return answer


def test_a_failed_query_is_one_line_with_athenas_reason(aws: dict[str, Any]) -> None:
    attach(aws["athena"], "before-send.athena.GetQueryExecution", failing([("FAILED", False)]))
    collection = run(aws, runner(aws, []))
    assert len(executions()) == 1  # not retryable: not retried
    (problem,) = collection.coverage.problems
    assert problem.skipped
    assert problem.line() == (
        f"athena query {next(iter(executions()))}: FAILED: HIVE_CURSOR_ERROR: Please reduce "
        "your request rate."
    )
    assert collection.frame.empty
    assert {r.status for r in collection.coverage.regions} == {"failed"}
    (query,) = collection.coverage.queries
    assert (query.state, query.bytes_scanned, query.price_usd) == ("FAILED", 1234, 0.0)
    assert collection.coverage.files_read == 0


def test_a_retryable_failure_is_retried(aws: dict[str, Any]) -> None:
    canned([row_of(LOGIN, ACCOUNTS[0], "us-east-1", "2026/11/03")])  # popped by the 1st start
    canned([row_of(LOGIN, ACCOUNTS[0], "us-east-1", "2026/11/03")])  # the retry's result
    attach(aws["athena"], "before-send.athena.GetQueryExecution", failing([("FAILED", True)]))
    collection = run(aws, runner(aws, []))
    assert len(executions()) == 2
    assert list(collection.frame["event_id"]) == ["111111111111-a"]
    (query,) = collection.coverage.queries
    assert (query.attempts, query.state) == (2, "SUCCEEDED")
    assert not collection.coverage.problems


def test_retryable_failures_give_up_after_the_attempts(aws: dict[str, Any]) -> None:
    attach(
        aws["athena"],
        "before-send.athena.GetQueryExecution",
        failing([("FAILED", True)] * 3),
    )
    collection = run(aws, runner(aws, []))
    assert len(executions()) == 3
    assert collection.coverage.problems[0].message.endswith("(retryable, gave up after 3 attempts)")


def test_ctrl_c_stops_the_running_query(aws: dict[str, Any]) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 5})

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    athena = AthenaRunner(
        aws["athena"], aws["s3"], RunnerSettings("signin_report", output=OUTPUT), sleep=interrupt
    )
    with pytest.raises(KeyboardInterrupt):
        run(aws, athena)
    (execution,) = executions().values()
    assert execution.status == "CANCELLED"


def fake_pages(rows: list[dict[str, str | None]], calls: list[dict[str, Any]]) -> Any:
    """GetQueryResults as Athena pages it: <= MaxResults rows a page, the header first."""
    table = [list(HEADER)] + [[r[h] for h in HEADER] for r in rows]

    def answer(request: Any, **_: Any) -> Any:
        params = json.loads(request.body)
        calls.append(params)
        offset = int(params.get("NextToken") or 0)
        size = int(params["MaxResults"])
        chunk = table[offset : offset + size]
        body: dict[str, Any] = {
            "ResultSet": {
                "Rows": [
                    {"Data": [{"VarCharValue": v} if v is not None else {} for v in values]}
                    for values in chunk
                ],
                "ResultSetMetadata": {"ColumnInfo": COLUMN_INFO},
            },
            "UpdateCount": 0,
        }
        if offset + size < len(table):
            body["NextToken"] = str(offset + size)
        return _response(request.url, 200, body)

    return answer


def many_rows(count: int) -> list[dict[str, str | None]]:
    rows = []
    for n in range(count):
        record = console_login(
            eventID=f"e-{n:05d}",
            eventTime=f"2026-11-03T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
            errorMessage='No "quoted", comma\nand newline' if n % 7 == 0 else None,
        )
        rows.append(row_of(record, ACCOUNTS[n % 2], "us-east-1", "2026/11/03"))
    return rows


def write_result_file(aws: dict[str, Any], rows: list[dict[str, str | None]]) -> None:
    """Athena's result file (every value quoted, quotes doubled, nulls empty) written at the
    location moto gives each execution, as soon as the query starts."""

    def store(parsed: dict[str, Any], **_: Any) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow(["" if row[h] is None else row[h] for h in HEADER])
        aws["s3"].put_object(
            Bucket="athena-results",
            Key=f"runs/{parsed['QueryExecutionId']}.csv",
            Body=buffer.getvalue().encode(),
        )

    attach(aws["athena"], "after-call.athena.StartQueryExecution", store)


@pytest.mark.parametrize(
    ("results", "api_pages", "pages_read"),
    [("api", 10, 3), ("auto", 1, 1), ("csv", 10, 0)],
    ids=["paginated-api", "api-then-result-file", "result-file"],
)
def test_more_than_a_thousand_rows_are_read_completely(
    aws: dict[str, Any], results: str, api_pages: int, pages_read: int
) -> None:
    rows = many_rows(2500)
    calls: list[dict[str, Any]] = []
    attach(aws["athena"], "before-send.athena.GetQueryResults", fake_pages(rows, calls))
    write_result_file(aws, rows)
    collection = run(aws, runner(aws, [], results=results, api_pages=api_pages))
    assert len(calls) == pages_read
    assert all(c["MaxResults"] == 1000 for c in calls)
    assert len(collection.frame) == 2500
    assert collection.frame["event_id"].is_unique
    assert collection.coverage.queries[0].rows == 2500
    assert collection.coverage.records_scanned == 2500  # no row read twice
    assert collection.coverage.duplicates_dropped == 0
    messages = collection.frame.set_index("event_id")["error_message"]
    assert messages["e-00007"] == 'No "quoted", comma\nand newline'
    assert messages.isna().sum() == 2500 - len(range(0, 2500, 7))


def test_a_result_file_cut_mid_download_fails_its_query_only(aws: dict[str, Any]) -> None:
    """The connection drops while the result file streams: one problem line naming the file,
    the rows read before the cut kept (each once), no exception out of the collection."""
    from botocore.response import StreamingBody
    from urllib3.exceptions import ProtocolError

    class Cut(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data, self.sent = data, False

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            if not self.sent:
                self.sent = True
                return self.data
            raise ProtocolError("Connection broken: IncompleteRead(0 bytes read)")

    def cut(parsed: dict[str, Any], **_: Any) -> None:
        whole = parsed["Body"].read()
        head = whole[: whole.index(b"e-00010")]  # a header and the first rows, then the cut
        parsed["Body"] = StreamingBody(cast(IO[bytes], Cut(head)), len(whole))

    write_result_file(aws, many_rows(40))
    attach(aws["s3"], "after-call.s3.GetObject", cut)
    collection = run(aws, runner(aws, [], results="csv"))
    (problem,) = collection.coverage.problems
    assert problem.skipped
    assert "cannot read the result file s3://athena-results/runs/" in problem.line()
    assert "ResponseStreamingError" in problem.line()
    assert "\n" not in problem.line()
    kept = list(collection.frame["event_id"])
    assert 0 < len(kept) < 40
    assert len(set(kept)) == len(kept)
    assert {r.status for r in collection.coverage.regions} == {"failed"}


def test_the_scan_limit_refuses_before_any_query(aws: dict[str, Any]) -> None:
    with pytest.raises(ScanLimitExceeded, match=r"over --athena-max-scan 1e-07 GB"):
        run(aws, runner(aws, []), max_scan_gb=1e-7)
    assert executions() == {}
    run(aws, runner(aws, []), max_scan_gb=1.0)
    assert len(executions()) == 1


def test_an_existing_table_must_have_the_columns(aws: dict[str, Any]) -> None:
    glue = aws["glue"]
    glue.create_database(DatabaseInput={"Name": "audit"})
    glue.create_table(DatabaseName="audit", TableInput={
        "Name": "old_cloudtrail",
        "StorageDescriptor": {"Columns": [
            {"Name": "eventid", "Type": "string"},
            {"Name": "useridentity", "Type": "struct<type:string,arn:string>"},
        ]},
        "PartitionKeys": [{"Name": "region", "Type": "string"}],
    })  # fmt: skip
    with pytest.raises(LiveSetupError) as raised:
        run(aws, runner(aws, []), table="audit.old_cloudtrail")
    message = str(raised.value)
    assert message.startswith("--athena-table audit.old_cloudtrail lacks columns")
    assert "eventtime" in message
    assert "useridentity.principalid" in message
    assert "useridentity.onbehalfof" in message
    assert "tlsdetails" in message
    assert "partition account" in message
    assert "partition delivery_date" in message
    assert "useridentity.type" not in message
    with pytest.raises(LiveSetupError, match="no such table"):
        run(aws, runner(aws, []), table="audit.missing")
    with pytest.raises(LiveSetupError, match="not a Glue name"):
        run(aws, runner(aws, []), table="audit.x;drop")
    assert executions() == {}


def test_plan_s3_wires_the_athena_engine(aws: dict[str, Any]) -> None:
    canned([row_of(LOGIN, ACCOUNTS[0], "us-east-1", "2026/11/03")])
    plan = plan_s3(
        aws["session"],
        WINDOW,
        locations=[f"s3://{BUCKET}/ct"],
        engine="athena",
        athena=AthenaOptions(output=OUTPUT),
    )
    collection = plan.collect(WINDOW)
    assert list(collection.frame["event_id"]) == ["111111111111-a"]
    assert not collection.coverage.problems
    canned([row_of(LOGIN, ACCOUNTS[0], "us-east-1", "2026/11/03")])
    misspelt = plan_s3(
        aws["session"],
        WINDOW,
        locations=[f"s3://{BUCKET}/ct"],
        accounts=[ACCOUNTS[0], "99999999999"],
        engine="athena",
        athena=AthenaOptions(output=OUTPUT),
    ).collect(WINDOW)
    [problem] = misspelt.coverage.problems  # the listing's, carried into the collection
    assert problem.line().startswith(
        "account 99999999999: named in the accounts to read, but no location holds "
        "AWSLogs/99999999999/ (found: "
    )
    assert problem.skipped
    with pytest.raises(LiveSetupError, match="--engine"):
        plan_s3(aws["session"], WINDOW, locations=[f"s3://{BUCKET}"], engine="spark")
    with pytest.raises(LiveSetupError, match="--athena-output"):
        athena_runner(
            aws["session"], aws["s3"], AthenaOptions(output="results/"), region="us-east-1",
            config=None,
        )  # fmt: skip
    assert settings.TEST_SERVER_MODE is False


def test_the_audit_run_takes_the_athena_engine(aws: dict[str, Any]) -> None:
    canned([row_of(LOGIN, ACCOUNTS[0], "us-east-1", "2026/11/03")])
    result = run_audit_job(
        s3=[f"s3://{BUCKET}/ct"],
        since="2026-11-03",
        until="2026-11-05",
        engine="athena",
        athena=AthenaOptions(output=OUTPUT),
        report_format="json",
    )
    assert list(result.frame["event_id"]) == ["111111111111-a"]
    (query,) = json.loads(result.text)["coverage"]["queries"]
    assert query["state"] == "SUCCEEDED"
    with pytest.raises(RequestError, match="engine athena reads trail buckets"):
        run_audit(
            AuditRequest(window=WINDOW, sources=Sources(logs=(), engine=Engine.athena)),
            session=aws["session"],
        )


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (b'"event_id"\n"ok"\n"\xff\xfe"\n', "UnicodeDecodeError"),
        (b'"event_id"\n"ok"\n"' + b"x" * 200_000 + b'"\n', "field larger than field limit"),
    ],
)
def test_a_result_file_that_cannot_be_parsed_fails_its_query(data: bytes, cause: str) -> None:
    """Not UTF-8, or a field past the csv module's limit: the query fails with the cause,
    the rows before kept."""
    from analyzer.sources.athena import QueryFailed

    class Body:
        def iter_lines(self, keepends: bool = False) -> Any:
            return iter(data.splitlines(keepends=keepends))

    class S3:
        def get_object(self, **_: Any) -> dict[str, Any]:
            return {"Body": Body()}

    athena = AthenaRunner(None, S3(), RunnerSettings(database="d"), sleep=lambda _: None)
    rows = athena._csv_rows("s3://out/r.csv")
    assert next(rows) == {"event_id": "ok"}
    with pytest.raises(QueryFailed, match=cause):
        next(rows)
