"""The early `--logs` scan is used only when it reads exactly what the parsed command reads."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing import active_children
from pathlib import Path

import pytest

from analyzer.domain.coverage import Coverage
from analyzer.domain.window import Window
from analyzer.entry import prestart
from tests.conftest import api_call, console_login, hermetic_env, write_trail

NOV_3_TO_5 = Window(datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC))


@pytest.fixture(autouse=True)
def nothing_started() -> Iterator[None]:
    prestart.abandon()
    yield
    prestart.abandon()


def tree(root: Path) -> Path:
    day = root / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/03"
    for index in range(40):  # enough files for the worker pool
        write_trail(
            day / f"f{index:02d}.json.gz",
            [api_call(f"n{index}"), console_login(eventID=f"s{index}")],
        )
    return root


def test_a_matching_scan_is_claimed_and_reads_everything(tmp_path: Path) -> None:
    root = tree(tmp_path)
    prestart.begin(
        ["--logs", str(root), "--since", "2026-11-03", "--until=2026-11-05", "--format", "json"]
    )
    claimed = prestart.claim([root], NOV_3_TO_5, keep_records=False)
    assert claimed is not None
    coverage = Coverage()
    rows = [raw.normalized() for raw in claimed.records(coverage)]
    assert sorted(row.row["event_id"] for row in rows if row) == sorted(f"s{i}" for i in range(40))
    assert coverage.files_read == 40
    assert prestart.claim([root], NOV_3_TO_5, keep_records=False) is None  # claimed once


@pytest.mark.parametrize(
    ("paths", "window", "keep_records"),
    [
        pytest.param(["other"], NOV_3_TO_5, False, id="other path"),
        pytest.param(
            None,
            Window(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC)),
            False,
            id="other days",
        ),
        pytest.param(None, NOV_3_TO_5, True, id="raw records wanted"),
    ],
)
def test_a_scan_of_anything_else_is_stopped(
    tmp_path: Path, paths: list[str] | None, window: Window, keep_records: bool
) -> None:
    root = tree(tmp_path)
    prestart.begin(["--logs", str(root), "--since", "2026-11-03", "--until", "2026-11-05"])
    assert active_children()  # the workers are scanning
    wanted = [Path(p) for p in paths] if paths else [root]
    assert prestart.claim(wanted, window, keep_records) is None
    assert not active_children()  # and were stopped


@pytest.mark.parametrize(
    "argv",
    [
        ["--logs", "{root}", "--since", "2026-11-03"],  # the control: this one starts
        ["--since", "2026-11-03"],  # no --logs: nothing to start
        ["--logs", "{root}", "--since", "2026-11-03", "--help"],
        [
            "--logs",
            "{root}",
            "--since",
            "2026-11-03",
            "--history",
            "h",
        ],  # the window depends on the history
        ["--logs", "{root}", "--since", "not a date"],
        ["--logs", "{root}", "--days", "many"],
        ["--logs"],
    ],
)
def test_nothing_starts_unless_the_arguments_plainly_ask_for_a_scan(
    tmp_path: Path, argv: list[str]
) -> None:
    root = tree(tmp_path)
    prestart.begin([arg.format(root=root) for arg in argv])
    assert bool(active_children()) is (argv == ["--logs", "{root}", "--since", "2026-11-03"])


def test_a_usage_error_after_an_early_scan_exits_cleanly(tmp_path: Path) -> None:
    """typer rejects the command before `run()` claims the started scan: the workers are
    stopped at exit, with exit code 2 and typer's message, never a traceback or a hang."""
    root = tree(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "--logs", str(root), "--since", "2026-11-03",
         "--format", "bogus"],
        env=hermetic_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--format" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "mistake", [["--days", "abc"], ["--days", "1.5"], ["--max-file-mb=abc"], ["--since"]]
)
def test_a_mistake_the_early_parser_sees_is_reported_once(
    tmp_path: Path, mistake: list[str]
) -> None:
    """The early parser (argparse) stays silent: the one line is typer's, in the CLI's
    style, not argparse's usage block and its own error line before it."""
    root = tree(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "--logs", str(root), *mistake],
        env=hermetic_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("signin-report: error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
