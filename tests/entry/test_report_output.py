"""The report file is replaced whole or not at all (a failed write leaves the old report),
through a symbolic link, keeping the file's mode, as a shell redirection would; an
unwritable place is one line naming it."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any, TextIO

import pytest

from analyzer.entry.cli import CliError, _write_report


class Rendered:
    """An AuditResult as far as writing goes: renders `pieces`, then fails with `error`."""

    def __init__(self, pieces: list[str], error: Exception | None = None) -> None:
        self.pieces = pieces
        self.error = error
        self.request: Any = type("R", (), {"delivery": type("D", (), {"report_s3": None})()})()

    def write_report(self, out: TextIO) -> None:
        for piece in self.pieces:
            out.write(piece)
        if self.error is not None:
            raise self.error


def test_the_report_replaces_the_content_of_the_file(tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    output.write_text("an older, longer report")
    output.chmod(0o600)
    _write_report(Rendered(["new ", "report"]), output)  # type: ignore[arg-type]
    assert output.read_text() == "new report"
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_symbolic_link_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    _write_report(Rendered(["new"]), link)  # type: ignore[arg-type]
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_an_unwritable_place_is_one_line_naming_the_output(tmp_path: Path) -> None:
    output = tmp_path / "missing" / "report.json"
    with pytest.raises(CliError, match=r"cannot write --output .*missing/report.json: No such"):
        _write_report(Rendered(["x"]), output)  # type: ignore[arg-type]


def test_a_report_also_uploaded_is_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --report-s3 the text is rendered once, whole, and written a slice at a time."""
    from analyzer.entry import cli

    result = Rendered([])
    result.request.delivery.report_s3 = "s3://bucket/report.html"
    result.text = "abcdefghij" * 3  # type: ignore[attr-defined]
    monkeypatch.setattr(cli, "WRITE_CHARS", 4)
    output = tmp_path / "report.html"
    _write_report(result, output)  # type: ignore[arg-type]
    assert output.read_text() == "abcdefghij" * 3


def test_a_write_that_fails_leaves_the_old_report_whole(tmp_path: Path) -> None:
    """A full disk halfway through used to leave half of this week's report in place of
    last week's (the shipped timer writes one fixed file)."""
    output = tmp_path / "report.html"
    output.write_text("last week's whole report")
    full = OSError(28, "No space left on device")
    with pytest.raises(CliError, match=r"cannot write --output .*report.html: No space left"):
        _write_report(Rendered(["<html>half"], full), output)  # type: ignore[arg-type]
    assert output.read_text() == "last week's whole report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_new_report_gets_the_mode_a_redirection_gives(tmp_path: Path) -> None:
    import os

    old = os.umask(0o027)
    try:
        _write_report(Rendered(["new"]), tmp_path / "new.json")  # type: ignore[arg-type]
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640


def test_a_device_is_written_in_place() -> None:
    _write_report(Rendered(["to the bit bucket"]), Path("/dev/null"))  # type: ignore[arg-type]
    assert Path("/dev/null").exists()


def test_a_report_is_private_while_written_and_a_pipe_is_written_through(
    tmp_path: Path,
) -> None:
    """The new file was 0o644 (umask) while a 0o600 report was written; /dev/stdout into a
    pipe resolved to a path that does not exist and failed."""
    import os
    import subprocess
    import sys

    output = tmp_path / "report.json"
    output.write_text("old")
    output.chmod(0o600)
    seen: list[int] = []

    class Watching(Rendered):
        def write_report(self, out: TextIO) -> None:
            for scratch in tmp_path.glob(".report.json.*.tmp"):
                seen.append(stat.S_IMODE(scratch.stat().st_mode))
            super().write_report(out)

    _write_report(Watching(["new"]), output)  # type: ignore[arg-type]
    assert seen == [0o600]
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    script = (
        "from pathlib import Path; from tests.entry.test_report_output import Rendered; "
        "from analyzer.entry.cli import _write_report; "
        "_write_report(Rendered(['through the pipe']), Path('/dev/stdout'))"
    )
    root = Path(__file__).resolve().parents[2]
    piped = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, check=False,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "through the pipe", "")


def test_a_replaced_report_keeps_a_group_readable_mode(tmp_path: Path) -> None:
    """A 0o644 report a web server serves stays 0o644 after the atomic replace (the scratch
    file is made 0o600 while written)."""
    output = tmp_path / "report.html"
    output.write_text("last week")
    output.chmod(0o644)
    _write_report(Rendered(["this week"]), output)  # type: ignore[arg-type]
    assert output.read_text() == "this week"
    assert stat.S_IMODE(output.stat().st_mode) == 0o644


def test_a_replaced_report_keeps_its_owner(tmp_path: Path) -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("only root may give a file away")
    output = tmp_path / "report.html"
    output.write_text("last week")
    os.chown(output, 4321, 4321)
    _write_report(Rendered(["this week"]), output)  # type: ignore[arg-type]
    assert (output.stat().st_uid, output.stat().st_gid) == (4321, 4321)


def test_a_file_in_a_folder_the_user_may_not_write_is_written_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No scratch file can be made beside the report (a folder the user may not write, a
    file they may): the report is written into the file itself, the same inode."""
    import os

    output = tmp_path / "report.json"
    output.write_text("last week, a longer text than this week's")
    inode = output.stat().st_ino
    real_open = os.open

    def refuse_scratch(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if str(path).endswith(".tmp"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", refuse_scratch)
    _write_report(Rendered(["this week"]), output)  # type: ignore[arg-type]
    assert output.read_text() == "this week"
    assert output.stat().st_ino == inode
    assert not list(tmp_path.glob(".*.tmp"))
