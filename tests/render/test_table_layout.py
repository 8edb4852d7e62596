"""The terminal report in an ordinary terminal: at 80, 100 and 120 columns every table shows
who (user, account, address, endpoint) and its key counts in full on the row's own line, no
line is wider than the terminal, and no column is dropped. Before, "Sign-ins by user" gave
the names zero width and "Failures by user" printed one character per line."""

from __future__ import annotations

import io
import os
import re
import subprocess
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import analyzer
from analyzer.domain.window import Window
from analyzer.findings.config import FindingsConfig
from analyzer.findings.engine import run_rules
from analyzer.render.formats import SECTION_NAMES
from analyzer.render.table import TableRenderer
from analyzer.reports.report import SigninReport, build_report
from tests.conftest import hermetic_env
from tests.entry.test_cli import SAMPLE, command

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
# Per table: the columns that must be readable on the row's line, in order.
ON_THE_ROW = {
    "users": ["account_id", "user_name", "sign_ins", "successes", "failures"],
    "failures_by_user": ["account_id", "user_name", "failures"],
    "failures_by_source_ip": ["source_ip", "failures", "users"],
    "failures_by_kind": ["failure_kind", "failures", "users", "source_ips"],
    "endpoints": ["endpoint", "region", "sign_ins", "successes", "failures"],
    "without_mfa": ["account_id", "user_name", "source_ip"],
    "mfa_by_identity": [
        "identity_type",
        "successes_with_mfa",
        "successes_without_mfa",
        "successes_federated_idp",
        "successes_mfa_unknown",
    ],
}


@cache
def sample_report() -> SigninReport:
    collection = analyzer.collect_logs(SAMPLE, since="2026-11-02", until="2026-11-09")
    frame = collection.frame
    return build_report(
        frame,
        collection.coverage,
        window=Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC)),
        generated_at=datetime(2026, 11, 26, tzinfo=UTC),
        findings=run_rules(frame, None, FindingsConfig()),
    )


def rendered(width: int, sections: list[str] | None = None) -> str:
    out = io.StringIO()
    chosen = sections or [s for s in SECTION_NAMES if s != "regions"]
    TableRenderer(width=width, max_rows=0).render(sample_report(), out, chosen)
    return out.getvalue()


def tokens(line: str) -> list[str]:
    return [t for t in re.split(r"[\s│┃]+", line) if t]


def on_one_line(lines: list[str], values: list[str]) -> bool:
    """Some line holds `values` as whole tokens, in this order."""
    for line in lines:
        found = iter(tokens(line))
        if all(any(token == value for token in found) for value in values):
            return True
    return False


@pytest.mark.parametrize("width", [80, 100, 120])
def test_who_and_key_counts_are_in_full_on_the_row(width: int) -> None:
    text = rendered(width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert HIDDEN in text
    for key, columns in ON_THE_ROW.items():
        table = sample_report().tables[key]
        for row in table.itertuples(index=False):
            values = [str(getattr(row, c)) for c in columns if getattr(row, c) is not None]
            values = [v for v in values if v not in {"<NA>", "nan"}]
            assert on_one_line(lines, values), (key, width, values)


@pytest.mark.parametrize("width", [80, 100, 120])
def test_no_column_is_dropped(width: int) -> None:
    """Each column is either a header or the `name:` label of the line under each row."""
    for key in ON_THE_ROW:
        text = rendered(width, [key])
        flat = " ".join(text.split())
        for column in sample_report().tables[key].columns:
            name = str(column).replace("_", " ")
            header_words = all(word in text for word in name.split())
            assert f"{name}:" in flat or header_words, (key, column, width)
        for row in sample_report().tables[key].itertuples(index=False):
            for value in row:
                if isinstance(value, str) and value and " " not in value:
                    # long values may be folded over lines: compare without whitespace
                    assert value in "".join(flat.split()), (key, value)


def test_a_name_wider_than_the_terminal_is_folded_not_cut() -> None:
    from analyzer.frame.schema import frame_from_rows
    from analyzer.normalize import normalize_record
    from tests.conftest import console_login

    long_name = "x" * 70 + "-END"
    record = console_login(
        userIdentity={"type": "IAMUser", "accountId": "111122223333", "userName": long_name}
    )
    normalized = normalize_record(record, "t#0")
    assert normalized is not None
    report = build_report(
        frame_from_rows([normalized.row]),
        None,
        window=None,
        generated_at=datetime(2026, 11, 26, tzinfo=UTC),
    )
    out = io.StringIO()
    TableRenderer(width=60).render(report, out, ["users", "failures_by_user", "without_mfa"])
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 60
    pieces = re.findall(r"\b(x+(?:-END)?)\b", out.getvalue())  # the name's column, in order
    assert "".join(pieces) == long_name * 2  # users, without_mfa: every character, once each


def run_report(env: dict[str, str]) -> str:
    result = subprocess.run(
        [*command(), "--logs", str(SAMPLE), "--since", "2026-11-02", "--until", "2026-11-09"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_columns_is_honoured_when_piped() -> None:
    narrow = run_report(hermetic_env(COLUMNS="80"))
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert HIDDEN in narrow
    env = hermetic_env()
    env.pop("COLUMNS", None)
    wide = run_report(env)  # a file or pipe without COLUMNS: 200 columns
    assert max(len(line) for line in wide.splitlines()) == 200


def test_a_real_terminal_of_80_columns(tmp_path: Path) -> None:
    """The command on a pty sized 80x24, as a user's terminal: rich asks the terminal."""
    import fcntl
    import pty
    import struct
    import termios

    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = hermetic_env(TERM="xterm-256color")
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    process = subprocess.Popen(
        [*command(), "--logs", str(SAMPLE), "--since", "2026-11-02", "--until", "2026-11-09"],
        stdout=secondary,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=120) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode())
    lines = text.replace("\r\n", "\n").splitlines()
    assert max(len(line) for line in lines) <= 80
    assert HIDDEN in text
    assert on_one_line(lines, ["111122223333", HIDDEN, "3", "0", "3"])  # users: 3 failures


def test_live_region_coverage_at_80_columns() -> None:
    from analyzer.domain.coverage import Coverage, RegionCoverage

    coverage = Coverage()
    coverage.regions = [
        RegionCoverage("ap-southeast-2", "lookup", "ok", pages=3, events=120, attempts=4),
        RegionCoverage("eu-north-1", "lookup", "failed", reason="AccessDenied: not authorized"),
    ]
    report = build_report(
        sample_report_frame(),
        coverage,
        window=None,
        generated_at=datetime(2026, 11, 26, tzinfo=UTC),
    )
    out = io.StringIO()
    TableRenderer(width=80).render(report, out, ["regions"])
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert on_one_line(lines, ["ap-southeast-2", "lookup", "ok", "3", "120"])
    assert on_one_line(lines, ["eu-north-1", "lookup", "failed"])
    assert "AccessDenied: not authorized" in " ".join(" ".join(lines).split())


def sample_report_frame() -> Any:
    return analyzer.read_logs(SAMPLE, since="2026-11-02", until="2026-11-09")


def test_an_empty_table_says_none_at_any_width() -> None:
    from analyzer.frame.schema import empty_frame
    from analyzer.render.formats import TABLE_SECTIONS

    report = build_report(
        empty_frame(), None, window=None, generated_at=datetime(2026, 11, 26, tzinfo=UTC)
    )
    for width in (60, 80, 200):
        out = io.StringIO()
        TableRenderer(width=width).render(report, out, [key for key, _ in TABLE_SECTIONS])
        lines = [line.rstrip() for line in out.getvalue().splitlines()]
        for _, title in TABLE_SECTIONS:
            assert lines[lines.index(title) + 1] == "none", (width, title)


def test_a_huge_cell_is_cut_in_the_table_and_whole_elsewhere() -> None:
    """A hostile user agent of megabytes took the table twenty seconds to lay out."""
    from dataclasses import replace

    from analyzer.render.table import CELL_CHARS

    report = sample_report()
    users = report.tables["users"].copy()
    users.loc[0, "endpoints"] = "A" * 2_000_000
    huge = replace(report, tables={**report.tables, "users": users})
    out = io.StringIO()
    TableRenderer(width=80, max_rows=0).render(huge, out, ["users"])
    text = out.getvalue()
    assert f"({2_000_000 - CELL_CHARS} more characters: --format json)" in text.replace("\n", "")
    assert text.count("A") < 2 * CELL_CHARS
