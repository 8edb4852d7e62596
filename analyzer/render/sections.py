"""The report flattened into (key, title, header, rows) blocks for tabular formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from analyzer.findings.model import first_event_times
from analyzer.frame.records import row_tuples
from analyzer.render.formats import TABLE_SECTIONS
from analyzer.reports.common import UNKNOWN_ENDPOINT
from analyzer.reports.report import SigninReport

Block = tuple[str, str, list[str], list[list[Any]]]
# A block whose rows may still be the report's table itself, for writers that go column by
# column (`render.columns`) instead of listing the rows first.
TableBlock = tuple[str, str, list[str], list[list[Any]] | pd.DataFrame]


def _key_values(mapping: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in mapping.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
        rows.append([key, value])
    return rows


def _summary(report: SigninReport) -> list[Block]:
    summary = dict(report.summary)
    if report.window:
        summary = {**{f"window_{k}": v for k, v in report.window.as_dict().items()}, **summary}
    return [("summary", "Summary", ["metric", "value"], _key_values(summary))]


def _findings(report: SigninReport) -> list[Block]:
    header = ["severity", "rule", "finding", "events", "first event"]
    firsts = first_event_times(report.findings)
    rows = [
        [f.severity, f.rule_id, f.title, f.evidence_total, first]
        for f, first in zip(report.findings, firsts, strict=True)
    ]
    return [("findings", "Findings", header, rows)]


def _listed_blocks(report: SigninReport) -> list[Block]:
    """Per-region coverage (file sources have none), and with --engine athena what each
    query scanned and cost."""
    found: list[Block] = []
    for key, title in (
        ("regions", "Coverage by region (live collection)"),
        ("queries", "Athena queries (estimated at $5/TB)"),
    ):
        entries = report.coverage.get(key) or []
        if entries:
            header = list(entries[0])
            found.append((key, title, header, [[e[h] for h in header] for e in entries]))
    return found


def _accounts(report: SigninReport) -> list[TableBlock]:
    table = report.tables.get("accounts")
    if table is None:
        return []  # not an organization run
    title = (
        f"Accounts of the organization: covered {report.coverage.get('accounts_covered')}"
        f" of {report.coverage.get('accounts_total')}"
    )
    return [("accounts", title, [str(c) for c in table.columns], table)]


def _coverage(report: SigninReport) -> list[Block]:
    listed = {"problems", "regions", "queries", "accounts"}  # shown in their own blocks
    coverage = {k: v for k, v in report.coverage.items() if k not in listed}
    coverage["problems"] = len(report.coverage.get("problems", []))
    return [("coverage", "Coverage", ["metric", "value"], _key_values(coverage))]


def incomplete_note(report: SigninReport) -> str | None:
    """The line a report opens with when input was skipped: its headline counts only what
    was read, and the Problems table that names the inputs comes last."""
    skipped = sum(1 for p in report.coverage.get("problems") or [] if p["skipped"])
    if not skipped:
        return None
    inputs = "1 input" if skipped == 1 else f"{skipped} inputs"
    return (
        f"Incomplete: {inputs} could not be read in full, so sign-ins may be missing from "
        "this report (see Problems)."
    )


def _problems(report: SigninReport) -> list[Block]:
    """Each problem with its culprit (the file, record, region or account), so a saved report
    names what it could not read, not only how many; no block when there is none."""
    problems = report.coverage.get("problems") or []
    return [_problems_block(problems)] if problems else []


def _problems_block(problems: list[dict[str, Any]]) -> Block:
    rows = [[p["culprit"], p["message"], "skipped" if p["skipped"] else "kept"] for p in problems]
    title = f"Problems ({len(rows)}): input skipped, or kept with a flag"
    return ("problems", title, ["culprit", "problem", "input"], rows)


def _suppressed(report: SigninReport) -> list[Block]:
    """What the configuration's suppressions hid, one row per finding, with the entries."""
    header = ["severity", "rule", "finding", "events", "first event", "suppressed by"]
    rows: list[list[Any]] = [
        [s.severity, s.rule_id, s.title, s.events, s.first_event, ", ".join(s.entries)]
        for s in report.suppressed
    ]
    return [("suppressed", f"Suppressed findings ({len(rows)})", header, rows)]


# Sections that are not one of the report's tables: each gives its blocks (none when the
# report has nothing of that kind).
_SPECIAL: dict[str, Callable[[SigninReport], Sequence[TableBlock]]] = {
    "summary": _summary,
    "findings": _findings,
    "suppressed": _suppressed,
    "regions": _listed_blocks,
    "accounts": _accounts,
    "coverage": _coverage,
    "problems": _problems,
}


def listed(rows: list[list[Any]] | pd.DataFrame, limit: int | None = None) -> list[list[Any]]:
    """A table's rows as lists of its values (the first `limit` only: the rest never become
    Python values)."""
    if isinstance(rows, pd.DataFrame):
        head = rows if limit is None else rows.iloc[:limit]
        return [list(r) for r in row_tuples(head)]
    return rows if limit is None else rows[:limit]


def section_blocks(report: SigninReport, sections: Sequence[str]) -> list[TableBlock]:
    """`section_rows`, with each report table's block holding the table itself."""
    if list(sections) == ["problems"]:  # asked for alone: its table, empty or not
        return [_problems_block(report.coverage.get("problems") or [])]
    titles = dict(TABLE_SECTIONS)
    blocks: list[TableBlock] = []
    for key in sections:
        if key in _SPECIAL:
            blocks.extend(_SPECIAL[key](report))
        else:
            table = report.tables[key]
            if key == "endpoints" and table["endpoint"].isna().any():
                # A sign-in no record tells the endpoint of (no host header, no LoginTo) is
                # grouped under a null endpoint: a blank first cell read as a glitch. The
                # charts name it UNKNOWN_ENDPOINT; so do the tables (JSON keeps its null).
                table = table.assign(endpoint=table["endpoint"].fillna(UNKNOWN_ENDPOINT))
            blocks.append((key, titles[key], [str(c) for c in table.columns], table))
    return blocks


def section_rows(report: SigninReport, sections: Sequence[str]) -> list[Block]:
    return [
        (key, title, header, listed(rows))
        for key, title, header, rows in section_blocks(report, sections)
    ]
