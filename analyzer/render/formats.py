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
SECTION_NAMES: tuple[str, ...] = (
    "summary",
    "findings",
    *(k for k, _ in TABLE_SECTIONS),
    "coverage",
    "regions",
    "accounts",  # organization runs only (--org-role)
)
