"""The terminal progress displays show what was read, and stay out of pipes."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from analyzer.domain.coverage import RegionCoverage
from analyzer.entry.progress import FileProgress, RegionProgress
from tests.conftest import api_call, console_login, hermetic_env, write_trail


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120), out


def test_file_progress_counts_files_read_out_of_the_total() -> None:
    console, out = terminal()
    with FileProgress(300, console=console) as display:
        for done in range(1, 301):
            display.update(f"f{done}", done)
    assert "300/300" in out.getvalue()


def test_region_progress_shows_s3_objects_and_sign_ins() -> None:
    console, out = terminal()
    display = RegionProgress(console)
    stats = RegionCoverage(region="111122223333/us-east-1", source="s3://trail")
    with display:
        stats.objects, stats.bytes, stats.events, stats.status = 12, 3_000_000, 2, "ok"
        display.update(stats)
    text = out.getvalue()
    assert "objects     12" in text
    assert "sign-ins     2" in text


def test_region_progress_shows_athena_queries() -> None:
    console, out = terminal()
    display = RegionProgress(console)
    stats = RegionCoverage(region="query 1/2", source='athena:"signin_report"."t"')
    with display:
        stats.status = "running"
        display.update(stats)
        stats.bytes, stats.events, stats.status = 52_000_000, 40, "ok"
        display.update(stats)
    text = out.getvalue()
    assert "query 1/2" in text
    assert "scanned      52.0 MB  rows     40" in text


def test_logs_progress_on_a_terminal_only(tmp_path: Path) -> None:
    day = tmp_path / "logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/03"
    for index in range(210):
        write_trail(
            day / f"f{index:03d}.json.gz",
            [api_call(f"n{index}"), console_login(eventID=f"s{index}")],
        )
    argv = [
        sys.executable, "-m", "analyzer", "--logs", str(tmp_path / "logs"), "--since", "2026-11-01",
        "--until", "2026-11-10", "--format", "json", "--output", str(tmp_path / "r.json"),
    ]  # fmt: skip
    piped = subprocess.run(argv, env=hermetic_env(), capture_output=True, text=True, check=True)
    assert "reading log files" not in piped.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(argv, env=hermetic_env(), stderr=follower, stdout=follower) as process:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    assert process.returncode == 0
    assert b"reading log files" in seen, seen[-500:]
    assert b"210/210" in seen


def test_region_progress_shows_folder_names_as_plain_text() -> None:
    """S3 folder names are chosen by whoever can write to the bucket: never rich markup,
    never terminal escapes."""
    console, out = terminal()
    display = RegionProgress(console)
    stats = RegionCoverage(
        region="[bold red]111122223333[/]/\x1b]0;pwned\x07us-east-1", source="s3://b/[link=x]"
    )
    with display:
        stats.status = "ok"
        display.update(stats)
    text = out.getvalue()
    assert "[bold red]111122223333[/]" in text
    assert "[link=x]" in text
    assert "\\x1b]0;pwned\\x07" in text
    assert "\x1b]0;pwned" not in text
