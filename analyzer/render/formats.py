"""Names the CLI offers, kept free of heavy imports so `signin-report` can start its worker
processes before pandas is loaded."""

from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


# (key, title): the order sections appear in every format, and the names `--section` takes.
TABLE_SECTIONS: tuple[tuple[str, str], ...] = (
    ("users", "Sign-ins by user"),
    ("endpoints", "Sign-ins by endpoint and logged region"),
    ("mfa_by_identity", "MFA status of successful sign-ins"),
    ("without_mfa", "Successful IAM user / root sign-ins without MFA"),
    ("failures_by_kind", "Failures by kind"),
    ("failures_by_user", "Failures by user"),
    ("failures_by_source_ip", "Failures by source IP"),
)
DEFAULT_ROWS = 25  # rows per data table in the terminal format (`--rows`)


class Section(StrEnum):
    """The names `--section` takes, in the order sections appear in every format."""

    summary = "summary"
    findings = "findings"
    suppressed = "suppressed"
    users = "users"
    endpoints = "endpoints"
    mfa_by_identity = "mfa_by_identity"
    without_mfa = "without_mfa"
    failures_by_kind = "failures_by_kind"
    failures_by_user = "failures_by_user"
    failures_by_source_ip = "failures_by_source_ip"
    coverage = "coverage"
    problems = "problems"  # shown when there are any (or asked for alone)
    regions = "regions"
    accounts = "accounts"  # organization runs only (--org-role)


SECTION_NAMES: tuple[str, ...] = tuple(s.value for s in Section)
# `--events FILE`: the row formats, chosen by the file's extension.
EVENT_FORMATS: tuple[str, ...] = (".parquet", ".csv", ".jsonl")
# Sections that exist only for some collections: `regions` describes collection from AWS,
# `accounts` a live collection across an organization's accounts (--org-role).
LIVE_ONLY_SECTIONS = frozenset({"regions", "accounts"})
ORG_ONLY_SECTIONS = frozenset({"accounts"})
