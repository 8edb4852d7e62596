"""The report flattened into (key, title, header, rows) blocks for tabular formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def _summary(report: SigninReport) -> Block | None:
    summary = dict(report.summary)
    if report.window:
        summary = {**{f"window_{k}": v for k, v in report.window.as_dict().items()}, **summary}
    return ("summary", "Summary", ["metric", "value"], _key_values(summary))


def _findings(report: SigninReport) -> Block | None:
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
    return ("findings", "Findings", header, rows)


def _regions(report: SigninReport) -> Block | None:
    regions = report.coverage.get("regions") or []
    if not regions:
        return None  # file sources have no per-region account
    header = list(regions[0])
    rows = [[region[h] for h in header] for region in regions]
    return ("regions", "Coverage by region (live collection)", header, rows)


def _accounts(report: SigninReport) -> Block | None:
    table = report.tables.get("accounts")
    if table is None:
        return None  # not an organization run
    rows = [list(r) for r in table.itertuples(index=False, name=None)]
    title = (
        f"Accounts of the organization: covered {report.coverage.get('accounts_covered')}"
        f" of {report.coverage.get('accounts_total')}"
    )
    return ("accounts", title, [str(c) for c in table.columns], rows)


def _coverage(report: SigninReport) -> Block | None:
    coverage = {
        k: v for k, v in report.coverage.items() if k not in {"problems", "regions", "accounts"}
    }
    coverage["problems"] = len(report.coverage.get("problems", []))
    return ("coverage", "Coverage", ["metric", "value"], _key_values(coverage))


def _suppressed(report: SigninReport) -> Block:
    """What the configuration's suppressions hid, one row per finding, with the entries."""
    header = ["severity", "rule", "finding", "events", "first event", "suppressed by"]
    rows: list[list[Any]] = [
        [s.severity, s.rule_id, s.title, s.events, s.first_event, ", ".join(s.entries)]
        for s in report.suppressed
    ]
    return ("suppressed", f"Suppressed findings ({len(rows)})", header, rows)


# Sections that are not one of the report's tables; None: nothing to show for this report.
_SPECIAL: dict[str, Callable[[SigninReport], Block | None]] = {
    "summary": _summary,
    "findings": _findings,
    "suppressed": _suppressed,
    "regions": _regions,
    "accounts": _accounts,
    "coverage": _coverage,
}


def section_rows(report: SigninReport, sections: Sequence[str]) -> list[Block]:
    titles = dict(TABLE_SECTIONS)
    blocks: list[Block] = []
    for key in sections:
        if key in _SPECIAL:
            block = _SPECIAL[key](report)
            if block is not None:
                blocks.append(block)
        else:
            table = report.tables[key]
            rows = [list(r) for r in table.itertuples(index=False, name=None)]
            blocks.append((key, titles[key], [str(c) for c in table.columns], rows))
    return blocks
