"""The Athena table over a trail location, and the sign-in queries over it.

One column spec (AWS's CloudTrail column list, with each field's CloudTrail JSON key) serves
the Glue table definition, the check of an existing table, the SELECT list, and turning a
result row back into the camelCase record the normalizer reads: the table, the SQL and the
record rebuild cannot drift apart. Partition projection over account (injected), region
(enum) and delivery date means no crawler and no partition job; every query names its
partitions, so Athena only reads the objects of the window.

Every literal in the SQL is a validated account id, region name, date or one of this
module's constants; no user text is ever pasted into a query.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from analyzer.normalize.selection import (
    IDENTITY_CENTER_SIGNIN_EVENTS,
    IDENTITY_CENTER_SOURCES,
    SIGNIN_ONLY_NAMES,
    SIGNIN_SOURCE,
)

SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
FIRST_DELIVERY_DAY = "2013/11/01"  # CloudTrail's launch: days before it cannot exist
PARTITION_KEYS = ("account", "region", "delivery_date")
DEFAULT_DATABASE = "signin_report"

_ACCOUNT = re.compile(r"^\d{12}$")
# Every partition's region names (us-gov-west-1, cn-north-1, us-isob-east-1, eusc-de-east-1):
# lower-case words joined by dashes, the first of two to four letters, the last a number.
_REGION = re.compile(r"^[a-z]{2,4}(?:-[a-z0-9]+)+-\d{1,2}$")
_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_WORD = re.compile(r"^[A-Za-z0-9.-]{1,128}$")
_DAY = re.compile(r"^\d{4}/\d{2}/\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass(frozen=True)
class AthenaOptions:
    """What `--athena-*` set. `table` is `database.table` of an existing table to query
    instead of the ones the tool manages; `max_scan_gb` refuses larger projected scans."""

    output: str | None = None
    workgroup: str = "primary"
    database: str = DEFAULT_DATABASE
    table: str | None = None
    max_scan_gb: float | None = None
    results: str = "auto"


class AthenaPlanError(ValueError):
    """A value that cannot go into a query or table name; the message names it."""


@dataclass(frozen=True)
class Column:
    """`name` is the lowercase name Athena and Glue use; `key` the CloudTrail JSON key. `kind`
    is string, struct (`fields`), array (of a struct of `fields`) or map (string to string)."""

    name: str
    key: str
    kind: str = "string"
    fields: tuple[Column, ...] = ()

    def hive_type(self) -> str:
        if self.kind == "string":
            return "string"
        if self.kind == "map":
            return "map<string,string>"
        inner = ",".join(f"{f.name}:{f.hive_type()}" for f in self.fields)
        return f"struct<{inner}>" if self.kind == "struct" else f"array<struct<{inner}>>"


def _s(*keys: str) -> tuple[Column, ...]:
    return tuple(Column(k.lower(), k) for k in keys)


# AWS's column list for CloudTrail tables (create-cloudtrail-table-partition-projection),
# in its order, with tlsdetails and useridentity.onbehalfof.
COLUMNS: tuple[Column, ...] = (
    Column("eventversion", "eventVersion"),
    Column("useridentity", "userIdentity", "struct", (
        *_s("type", "principalId", "arn", "accountId", "invokedBy", "accessKeyId", "userName"),
        Column("onbehalfof", "onBehalfOf", "struct", _s("userId", "identityStoreArn")),
        Column("sessioncontext", "sessionContext", "struct", (
            Column("attributes", "attributes", "struct", _s("mfaAuthenticated", "creationDate")),
            Column("sessionissuer", "sessionIssuer", "struct",
                   _s("type", "principalId", "arn", "accountId", "userName")),
            Column("ec2roledelivery", "ec2RoleDelivery"),
            Column("webidfederationdata", "webIdFederationData", "struct", (
                Column("federatedprovider", "federatedProvider"),
                Column("attributes", "attributes", "map"),
            )),
        )),
    )),
    *_s("eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
        "errorCode", "errorMessage", "requestParameters", "responseElements",
        "additionalEventData", "requestID", "eventID", "readOnly"),
    Column("resources", "resources", "array", _s("ARN", "accountId", "type")),
    *_s("eventType", "apiVersion", "recipientAccountId", "serviceEventDetails", "sharedEventID",
        "vpcEndpointId", "vpcEndpointAccountId", "eventCategory"),
    Column("addendum", "addendum", "struct",
           _s("reason", "updatedFields", "originalRequestID", "originalEventID")),
    *_s("sessionCredentialFromConsole", "edgeDeviceDetails"),
    Column("tlsdetails", "tlsDetails", "struct",
           _s("tlsVersion", "cipherSuite", "clientProvidedHostHeader")),
)  # fmt: skip

# Columns whose JSON objects the SerDe hands over as text; the record gets them parsed.
JSON_TEXT = frozenset({"responseelements", "additionaleventdata", "serviceeventdetails"})

# Every field the normalizer reads, as a path of column names. Leaf fields only: Athena
# prints a struct as {k=v, ...}, which is not JSON.
SELECTED: tuple[tuple[str, ...], ...] = (
    ("eventid",),
    ("eventtime",),
    ("eventsource",),
    ("eventname",),
    ("eventversion",),
    ("awsregion",),
    ("recipientaccountid",),
    ("sourceipaddress",),
    ("useragent",),
    ("errorcode",),
    ("errormessage",),
    ("useridentity", "type"),
    ("useridentity", "principalid"),
    ("useridentity", "arn"),
    ("useridentity", "accountid"),
    ("useridentity", "username"),
    ("useridentity", "onbehalfof", "userid"),
    ("useridentity", "onbehalfof", "identitystorearn"),
    ("useridentity", "sessioncontext", "sessionissuer", "username"),
    ("useridentity", "sessioncontext", "webidfederationdata", "federatedprovider"),
    ("tlsdetails", "clientprovidedhostheader"),
    ("responseelements",),
    ("additionaleventdata",),
    ("serviceeventdetails",),
)


@dataclass(frozen=True)
class Selected:
    """One result column: its alias, the SQL that reads it, and where it goes in a record."""

    alias: str
    expression: str
    keys: tuple[str, ...]
    json_text: bool


def _resolve(path: Sequence[str]) -> tuple[str, ...]:
    keys: list[str] = []
    level: Sequence[Column] = COLUMNS
    for name in path:
        column = next(c for c in level if c.name == name)
        keys.append(column.key)
        level = column.fields
    return tuple(keys)


SELECT_LIST: tuple[Selected, ...] = tuple(
    Selected("_".join(p), ".".join(p), _resolve(p), p[0] in JSON_TEXT) for p in SELECTED
)


# ---------------------------------------------------------------------------------------------
# table location and Glue definition


@dataclass(frozen=True)
class TableLocation:
    """Where one table reads: `s3://bucket/prefix/AWSLogs/[o-org/]`. A bucket can hold an
    organization trail and a single-account trail side by side: two locations, two tables."""

    bucket: str
    prefix: str  # "" or ends with "/"
    org: str | None

    @property
    def root(self) -> str:
        org = f"{self.org}/" if self.org else ""
        return f"s3://{self.bucket}/{self.prefix}AWSLogs/{org}"

    def table_name(self) -> str:
        """Stable and unique per location, and a valid Glue name whatever the bucket is
        called (the hash keeps two similar buckets apart)."""
        digest = hashlib.sha256(self.root.encode()).hexdigest()[:10]
        readable = re.sub(r"[^a-z0-9]+", "_", f"{self.bucket}_{self.org or ''}".lower())
        return f"cloudtrail_{readable.strip('_')[:80]}_{digest}"


def table_input(location: TableLocation, regions: Iterable[str], name: str) -> dict[str, Any]:
    """The Glue TableInput for one location (what AWS's projection DDL creates)."""
    values = ",".join(sorted({region_literal(r) for r in regions}))
    template = f"{location.root}${{account}}/CloudTrail/${{region}}/${{delivery_date}}"
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "EXTERNAL": "TRUE",
            "classification": "cloudtrail",
            "projection.enabled": "true",
            "projection.account.type": "injected",
            "projection.region.type": "enum",
            "projection.region.values": values,
            "projection.delivery_date.type": "date",
            "projection.delivery_date.format": "yyyy/MM/dd",
            "projection.delivery_date.range": f"{FIRST_DELIVERY_DAY},NOW",
            "projection.delivery_date.interval": "1",
            "projection.delivery_date.interval.unit": "DAYS",
            "storage.location.template": template,
        },
        "PartitionKeys": [{"Name": k, "Type": "string"} for k in PARTITION_KEYS],
        "StorageDescriptor": {
            "Columns": [{"Name": c.name, "Type": c.hive_type()} for c in COLUMNS],
            "Location": location.root,
            "InputFormat": INPUT_FORMAT,
            "OutputFormat": OUTPUT_FORMAT,
            "SerdeInfo": {
                "SerializationLibrary": SERDE,
                "Parameters": {"serialization.format": "1"},
            },
        },
    }


def projected_regions(existing: Mapping[str, Any] | None) -> set[str]:
    """The region enum of a table we made before (so a run limited with --regions never
    shrinks it for the next run)."""
    if not existing:
        return set()
    values = str(existing.get("Parameters", {}).get("projection.region.values", ""))
    return {v for v in values.split(",") if _REGION.match(v)}


def differs(existing: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether the stored table is not the one we would create (Glue adds fields of its own,
    so only what we set is compared)."""
    storage = existing.get("StorageDescriptor", {})
    ours = wanted["StorageDescriptor"]
    parameters = existing.get("Parameters", {})
    return (
        any(parameters.get(k) != v for k, v in wanted["Parameters"].items())
        or [(c.get("Name"), c.get("Type")) for c in storage.get("Columns", [])]
        != [(c["Name"], c["Type"]) for c in ours["Columns"]]
        or [(c.get("Name"), c.get("Type")) for c in existing.get("PartitionKeys", [])]
        != [(c["Name"], c["Type"]) for c in wanted["PartitionKeys"]]
        or storage.get("Location") != ours["Location"]
        or storage.get("InputFormat") != ours["InputFormat"]
        or storage.get("SerdeInfo", {}).get("SerializationLibrary") != SERDE
    )


# ---------------------------------------------------------------------------------------------
# an existing table (--athena-table): which needed columns it lacks


def _split_top(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current:
        parts.append(current)
    return parts


def struct_fields(hive_type: str) -> dict[str, str]:
    """`struct<a:string,b:struct<c:string>>` -> {"a": "string", "b": "struct<c:string>"}; {}
    for any other type."""
    compact = hive_type.replace(" ", "").lower()
    if not compact.startswith("struct<") or not compact.endswith(">"):
        return {}
    fields: dict[str, str] = {}
    for part in _split_top(compact[len("struct<") : -1]):
        name, _, kind = part.partition(":")
        fields[name.strip("`")] = kind
    return fields


def missing_columns(table: Mapping[str, Any]) -> list[str]:
    """The columns and partition keys our queries read that a Glue table lacks, as dotted
    paths (e.g. `tlsdetails.clientprovidedhostheader`, `partition delivery_date`)."""
    storage = table.get("StorageDescriptor", {})
    top = {
        str(c.get("Name", "")).lower(): str(c.get("Type", "")) for c in storage.get("Columns", [])
    }
    missing: list[str] = []
    for path in SELECTED:
        kinds = top
        for depth, name in enumerate(path):
            if name not in kinds:
                missing.append(".".join(path[: depth + 1]))
                break
            kinds = struct_fields(kinds[name])
    keys = {str(k.get("Name", "")).lower() for k in table.get("PartitionKeys", [])}
    missing.extend(f"partition {k}" for k in PARTITION_KEYS if k not in keys)
    return list(dict.fromkeys(missing))


# ---------------------------------------------------------------------------------------------
# literals and queries


def name_literal(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise AthenaPlanError(
            f"{what} {value!r} is not a Glue name (lowercase letters, digits, underscores)"
        )
    return value


def is_region(value: str) -> bool:
    return bool(_REGION.match(value))


def account_literal(value: str) -> str:
    if not _ACCOUNT.match(value):
        raise AthenaPlanError(f"account {value!r} is not a 12-digit AWS account id")
    return value


def region_literal(value: str) -> str:
    if not _REGION.match(value):
        raise AthenaPlanError(f"region {value!r} is not an AWS region name")
    return value


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _word(value: str) -> str:
    if not _WORD.match(value):
        raise AthenaPlanError(f"{value!r} cannot be a query literal")
    return value


def _moment(value: str) -> str:
    if not _MOMENT.match(value):
        raise AthenaPlanError(f"{value!r} is not a UTC time of the form 2026-01-31T00:00:00Z")
    return value


def _day(value: str) -> str:
    if not _DAY.match(value):
        raise AthenaPlanError(f"{value!r} is not a delivery day of the form 2026/01/31")
    return value


def signin_filter() -> str:
    """The normalizer's selection rule (normalize/selection.py) in SQL: every event of the
    sign-in service, the Identity Center portal events that mark a sign-in, and sign-in-only
    event names on records without an event source."""
    portal = _quoted(sorted(_word(s) for s in IDENTITY_CENTER_SOURCES))
    portal_names = _quoted(sorted(_word(n) for n in IDENTITY_CENTER_SIGNIN_EVENTS))
    only = _quoted(sorted(_word(n) for n in SIGNIN_ONLY_NAMES))
    return (
        f"(eventsource = '{_word(SIGNIN_SOURCE)}'"
        f" OR (eventsource IN ({portal}) AND eventname IN ({portal_names}))"
        f" OR (eventsource IS NULL AND eventname IN ({only})))"
    )


def delivery_day_range(since: datetime, until: datetime) -> tuple[date, date]:
    """The delivery-day partitions that can hold the window's events: its days, and the day
    after its last instant (a day folder is named by delivery date; at least 24 h of delivery
    lag for the window's last event). A window ending at midnight does not name the day after
    the next, which halves the cost of a one-day window."""
    last = (until.astimezone(UTC) - timedelta(microseconds=1)).date()
    return since.astimezone(UTC).date(), last + timedelta(days=1)


def time_bounds(since: datetime, until: datetime) -> tuple[str, str]:
    """CloudTrail writes eventTime as `YYYY-MM-DDTHH:MM:SSZ`, so text comparison orders it;
    the lower bound is rounded down and the upper one up to the second (the collector applies
    the exact window to what comes back)."""
    low = since.astimezone(UTC).replace(microsecond=0)
    high = until.astimezone(UTC)
    if high.microsecond:
        high = high.replace(microsecond=0) + timedelta(seconds=1)
    return f"{low:%Y-%m-%dT%H:%M:%SZ}", f"{high:%Y-%m-%dT%H:%M:%SZ}"


@dataclass(frozen=True)
class Limits:
    """Athena's limits (service-limits page; partition-projection page for `IN` on an
    injected column)."""

    accounts_per_query: int = 1000
    partitions_per_query: int = 1_000_000
    query_bytes: int = 262_144


@dataclass(frozen=True)
class PlannedQuery:
    """One query and the partitions it names (for coverage and for its projected scan)."""

    sql: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    first_day: date
    last_day: date
    table: str

    def covers(self, account: str, region: str, day: date) -> bool:
        return (
            account in self.accounts
            and region in self.regions
            and self.first_day <= day <= self.last_day
        )


def select_sql(
    table: str,
    accounts: Sequence[str],
    regions: Sequence[str],
    first_day: date,
    last_day: date,
    since: datetime,
    until: datetime,
) -> str:
    """The sign-in query for one chunk: partitions first (account, region, delivery day),
    then event time, then event source."""
    low, high = time_bounds(since, until)
    columns = ",\n       ".join(f"{s.expression} AS {s.alias}" for s in SELECT_LIST)
    return (
        f"SELECT {columns},\n       account, region, delivery_date\n"
        f"FROM {table}\n"
        f"WHERE account IN ({_quoted(account_literal(a) for a in accounts)})\n"
        f"  AND region IN ({_quoted(region_literal(r) for r in regions)})\n"
        f"  AND delivery_date BETWEEN '{_day(f'{first_day:%Y/%m/%d}')}'"
        f" AND '{_day(f'{last_day:%Y/%m/%d}')}'\n"
        f"  AND eventtime >= '{_moment(low)}' AND eventtime < '{_moment(high)}'\n"
        f"  AND {signin_filter()}"
    )


def qualified(database: str, table: str) -> str:
    return f'"{name_literal(database, "database")}"."{name_literal(table, "table")}"'


def plan_queries(
    database: str,
    table: str,
    accounts: Iterable[str],
    regions: Iterable[str],
    first_day: date,
    last_day: date,
    since: datetime,
    until: datetime,
    limits: Limits | None = None,
) -> list[PlannedQuery]:
    """Queries covering every (account, region, delivery day), each within Athena's limits:
    days are split only when the regions times the days alone pass the partition limit, and
    accounts are grouped so each `IN` list and each partition count stays under its limit."""
    limits = limits or Limits()
    accounts = sorted({account_literal(a) for a in accounts})
    regions = sorted({region_literal(r) for r in regions})
    if not accounts or not regions:
        return []
    name = qualified(database, table)
    days = (last_day - first_day).days + 1
    span = max(1, min(days, limits.partitions_per_query // len(regions)))
    per_query = max(
        1, min(limits.accounts_per_query, limits.partitions_per_query // (len(regions) * span))
    )
    planned: list[PlannedQuery] = []
    start = first_day
    while start <= last_day:
        end = min(last_day, start + timedelta(days=span - 1))
        for n in range(0, len(accounts), per_query):
            group = tuple(accounts[n : n + per_query])
            sql = select_sql(name, group, regions, start, end, since, until)
            if len(sql.encode()) > limits.query_bytes:
                raise AthenaPlanError(
                    f"a query for {len(group)} accounts is longer than Athena's "
                    f"{limits.query_bytes} bytes"
                )
            planned.append(PlannedQuery(sql, group, tuple(regions), start, end, name))
        start = end + timedelta(days=1)
    return planned


# ---------------------------------------------------------------------------------------------
# result rows back into records


def record_from_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    """The camelCase record the normalizer reads, from one result row. Null and empty values
    are left out (Athena's CSV cannot tell them apart, and the normalizer treats both as
    missing); the JSON text columns are parsed back into objects."""
    record: dict[str, Any] = {}
    for column in SELECT_LIST:
        value = row.get(column.alias)
        if value is None or value == "":
            continue
        parsed: Any = value
        if column.json_text:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
        target = record
        for key in column.keys[:-1]:
            target = target.setdefault(key, {})
        target[column.keys[-1]] = parsed
    return record
