"""Runs the enabled rules over every row, sets aside what the suppressions silence, and orders
the findings by severity."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import TypeVar

import numpy as np
import pandas as pd

from analyzer.findings.config import SEVERITIES, FindingsConfig
from analyzer.findings.model import (
    EVIDENCE_COLUMNS,
    EVIDENCE_SHOWN,
    SEVERITY_RANK,
    Finding,
    Severity,
    evidence,
    worst_severity,
)
from analyzer.findings.org_rules import ORG_RULES
from analyzer.findings.prepared import RuleInput
from analyzer.findings.rules import RULES
from analyzer.findings.suppress import Suppressed, suppressed_by_each
from analyzer.frame.memory import release_free_memory

__all__ = [
    "EVIDENCE_COLUMNS",
    "EVIDENCE_SHOWN",
    "SEVERITIES",
    "Finding",
    "RuleResults",
    "Severity",
    "evaluate_rules",
    "evidence",
    "run_rules",
    "worst_severity",
]


F = TypeVar("F", Finding, Suppressed)


@dataclass(frozen=True)
class RuleResults:
    """The findings to report, and those the configuration's suppressions silenced."""

    findings: list[Finding]
    suppressed: list[Suppressed]


def _order(severity: str, rule_id: str, title: str) -> tuple[int, str, str]:
    return (-SEVERITY_RANK[severity], rule_id, title)


def _ordered(items: list[F]) -> list[F]:
    """Sorted by `_order`, stable. Items come rule by rule, and one rule's share one
    severity: each rule's run is sorted by title alone and the runs by rule, which gives the
    same list without a tuple key per item (a run may have hundreds of thousands)."""
    runs: list[list[F]] = []
    for item in items:
        if runs and (runs[-1][0].rule_id, runs[-1][0].severity) == (item.rule_id, item.severity):
            runs[-1].append(item)
        else:
            runs.append([item])
    runs = [sorted(run, key=attrgetter("title")) for run in runs]
    runs.sort(key=lambda run: (-SEVERITY_RANK[run[0].severity], run[0].rule_id))
    return [item for run in runs for item in run]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The garbage collector off while the rules build their findings. A rule may return
    hundreds of thousands of them (a new address per user, with a history), and each full
    collection meanwhile walks every object the process holds: half the time of such a
    rule went to collections that free nothing (findings hold no reference cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _suppression(
    rule_id: str, findings: list[Finding], config: FindingsConfig
) -> tuple[list[Finding], list[Suppressed]]:
    """Which of one rule's findings stand and which the suppressions silence: every finding's
    evidence rows are matched in one pass (`suppressed_by_each`)."""
    if not any(entry.applies_to(rule_id) for entry in config.suppressions) or not findings:
        return findings, []
    lazy = [f.evidence_rows for f in findings]
    tables = {id(rows.table) for rows in lazy if rows is not None}
    if all(rows is not None for rows in lazy) and len(tables) == 1:
        held = [rows for rows in lazy if rows is not None]
        positions = np.concatenate([rows.positions for rows in held])
        evidence = held[0].table.iloc[positions]
        sizes = [len(rows) for rows in held]
    else:
        evidence = pd.concat([f.evidence for f in findings], ignore_index=True)
        sizes = [len(f.evidence) for f in findings]
    labels = suppressed_by_each(rule_id, evidence, sizes, config.suppressions)
    found: list[Finding] = []
    silenced: list[Suppressed] = []
    offset = 0
    for finding, size, entries in zip(findings, sizes, labels, strict=True):
        if not entries:
            found.append(finding)
        else:
            first = evidence["event_time"].iloc[offset : offset + size].min()
            silenced.append(Suppressed(
                finding.rule_id, finding.severity, finding.title, size,
                None if pd.isna(first) else first, entries))  # fmt: skip
        offset += size
    return found, silenced


def evaluate_rules(
    frame: pd.DataFrame,
    baseline: pd.DataFrame | None = None,
    config: FindingsConfig | None = None,
) -> RuleResults:
    """`baseline` is history before the report window (None: no history, so the first-seen
    and dormancy rules have nothing to compare with and stay silent). Every rule sees every
    row; suppressions are applied to the findings (see `analyzer.findings.suppress`).
    `config` None is the defaults (`FindingsConfig()`).

    The frame and the baseline are prepared once (`RuleInput`: subsets, codes, times) and
    shared by every rule; findings keep their evidence as row positions until read."""
    config = FindingsConfig() if config is None else config
    rows = RuleInput.of(frame)
    history = None if baseline is None else RuleInput.of(baseline, narrow=False)
    found: list[Finding] = []
    silenced: list[Suppressed] = []
    with _collector_paused():
        for rule_id, rule in {**RULES, **ORG_RULES}.items():
            settings = config.rules[rule_id]
            if not settings.enabled:
                continue
            standing, quiet = _suppression(rule_id, rule(rows, history, settings), config)
            found += standing
            silenced += quiet
    del rows, history  # the prepared masks and codes: freed, and handed back
    release_free_memory()
    return RuleResults(_ordered(found), _ordered(silenced))


def run_rules(
    frame: pd.DataFrame,
    baseline: pd.DataFrame | None = None,
    config: FindingsConfig | None = None,
) -> list[Finding]:
    """The findings to report (`evaluate_rules` also says which were suppressed)."""
    return evaluate_rules(frame, baseline, config).findings
