"""The report flattened into (key, title, header, rows) blocks for tabular formats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analyzer.render.formats import TABLE_SECTIONS
from analyzer.reports.report import SigninReport

Block = tuple[str, str, list[str], list[list[Any]]]


def _key_values(mapping: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in mapping.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
        rows.append([key, value])
    return rows


def section_rows(report: SigninReport, sections: Sequence[str]) -> list[Block]:
    titles = dict(TABLE_SECTIONS)
    blocks: list[Block] = []
    for key in sections:
        if key == "summary":
            summary = dict(report.summary)
            if report.window:
                summary = {
                    **{f"window_{k}": v for k, v in report.window.as_dict().items()},
                    **summary,
                }
            blocks.append((key, "Summary", ["metric", "value"], _key_values(summary)))
        elif key == "findings":
            header = ["severity", "rule", "finding", "events", "first event"]
            rows = [
                [
                    f.severity,
                    f.rule_id,
                    f.title,
                    len(f.evidence),
                    f.evidence["event_time"].min() if len(f.evidence) else None,
                ]
                for f in report.findings
            ]
            blocks.append((key, "Findings", header, rows))
        elif key == "regions":
            regions = report.coverage.get("regions") or []
            if not regions:
                continue  # file sources have no per-region account
            header = list(regions[0])
            rows = [[region[h] for h in header] for region in regions]
            blocks.append((key, "Coverage by region (live collection)", header, rows))
        elif key == "accounts":
            table = report.tables.get("accounts")
            if table is None:
                continue  # not an organization run
            rows = [list(r) for r in table.itertuples(index=False, name=None)]
            title = (
                f"Accounts of the organization: covered {report.coverage.get('accounts_covered')}"
                f" of {report.coverage.get('accounts_total')}"
            )
            blocks.append((key, title, [str(c) for c in table.columns], rows))
        elif key == "coverage":
            coverage = {
                k: v
                for k, v in report.coverage.items()
                if k not in {"problems", "regions", "accounts"}
            }
            coverage["problems"] = len(report.coverage.get("problems", []))
            blocks.append((key, "Coverage", ["metric", "value"], _key_values(coverage)))
        else:
            table = report.tables[key]
            rows = [list(r) for r in table.itertuples(index=False, name=None)]
            blocks.append((key, titles[key], [str(c) for c in table.columns], rows))
    return blocks
