"""A whole sign-in report: every section computed once, then handed to any renderer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window
from analyzer.findings.model import Finding, as_dicts
from analyzer.findings.suppress import Suppressed
from analyzer.frame.memory import release_free_memory
from analyzer.frame.records import records_of
from analyzer.render.formats import SECTION_NAMES, TABLE_SECTIONS
from analyzer.reports.accounts import account_table
from analyzer.reports.charts import ChartSeries, chart_series_of
from analyzer.reports.common import Rows
from analyzer.reports.endpoints import endpoint_table
from analyzer.reports.failures import kind_table, source_ip_table, user_failure_table
from analyzer.reports.mfa import mfa_table, without_mfa_table
from analyzer.reports.summary import summary_of
from analyzer.reports.users import user_table

__all__ = ["SECTION_NAMES", "TABLE_SECTIONS", "SigninReport", "build_report", "records_of"]

REPORT_VERSION = 1


@dataclass(frozen=True)
class SigninReport:
    generated_at: datetime
    window: Window | None
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    coverage: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    charts: ChartSeries | None = None  # the HTML report's series (build_report(charts=True))

    def suppressed_by_entry(self) -> dict[str, int]:
        """Suppressed findings per configuration entry (a finding silenced by two entries
        together counts for both)."""
        counts: dict[str, int] = {}
        for item in self.suppressed:
            for entry in item.entries:
                counts[entry] = counts.get(entry, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON structure (README "JSON output"); DataFrames become lists of
        row objects with ISO-8601 times."""
        return self.document(records_of)

    def document(self, table_value: Callable[[Any], Any], *, spans: bool = False) -> dict[str, Any]:
        """`as_dict` with each table given by `table_value(table)`: the JSON renderer puts a
        placeholder there and writes the tables column by column (`render.columns`); with
        `spans`, findings' evidence comes as `ShownRows` of tables they share."""
        rows = {key: table_value(table) for key, table in self.tables.items()}
        return {
            "report_version": REPORT_VERSION,
            "generated_at": self.generated_at.isoformat(),
            "window": self.window.as_dict() if self.window else {"since": None, "until": None},
            "summary": self.summary,
            "findings": as_dicts(self.findings, table_value, spans=spans),
            "suppressed": {
                "total": len(self.suppressed),
                "by_entry": self.suppressed_by_entry(),
                "findings": [item.as_dict() for item in self.suppressed],
            },
            "users": rows["users"],
            "endpoints": rows["endpoints"],
            "mfa": {"by_identity": rows["mfa_by_identity"], "without_mfa": rows["without_mfa"]},
            "failures": {
                "by_kind": rows["failures_by_kind"],
                "by_user": rows["failures_by_user"],
                "by_source_ip": rows["failures_by_source_ip"],
            },
            **({"accounts": rows["accounts"]} if "accounts" in rows else {}),
            "coverage": self.coverage,
        }


def build_report(
    frame: pd.DataFrame,
    coverage: Coverage | None,
    *,
    window: Window | None,
    generated_at: datetime,
    findings: list[Finding] | None = None,
    suppressed: list[Suppressed] | None = None,
    charts: bool = False,
) -> SigninReport:
    """`charts=True` also computes the series the HTML report draws."""
    rows = Rows(frame)  # each subset selected once, shared by every section
    users = user_table(rows)
    series = chart_series_of(rows, users) if charts else None
    tables = {
        "users": users,
        "endpoints": endpoint_table(rows),
        "mfa_by_identity": mfa_table(rows),
        "without_mfa": without_mfa_table(rows),
        "failures_by_kind": kind_table(rows),
        "failures_by_user": user_failure_table(rows),
        "failures_by_source_ip": source_ip_table(rows),
    }
    if coverage is not None and coverage.accounts:  # an organization run
        tables["accounts"] = account_table(rows, coverage.accounts)
    report = SigninReport(
        generated_at=generated_at,
        window=window,
        summary=summary_of(rows),
        tables=tables,
        coverage=coverage.as_dict() if coverage else {},
        findings=list(findings or []),
        suppressed=list(suppressed or []),
        charts=series,
    )
    del rows  # the subsets and encodings: freed, and handed back
    release_free_memory()
    return report
