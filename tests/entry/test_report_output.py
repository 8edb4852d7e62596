"""The report file: written whole or not at all (the previous one stays)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

import pytest

from analyzer.entry.cli import CliError, _write_report


class Rendered:
    """An AuditResult as far as writing goes: renders `pieces`, failing after them if told."""

    def __init__(self, pieces: list[str], fail: bool = False) -> None:
        self.pieces, self.fail = pieces, fail
        self.request: Any = type("R", (), {"delivery": type("D", (), {"report_s3": None})()})()

    def write_report(self, out: TextIO) -> None:
        for piece in self.pieces:
            out.write(piece)
        if self.fail:
            raise RuntimeError("renderer broke")


def test_a_complete_report_replaces_the_file(tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    output.write_text("old")
    _write_report(Rendered(["new ", "report"]), output)  # type: ignore[arg-type]
    assert output.read_text() == "new report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_failed_rendering_leaves_the_previous_report(tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    output.write_text("old")
    with pytest.raises(RuntimeError):
        _write_report(Rendered(["half of a"], fail=True), output)  # type: ignore[arg-type]
    assert output.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_an_unwritable_place_is_one_line_naming_the_output(tmp_path: Path) -> None:
    output = tmp_path / "missing" / "report.json"
    with pytest.raises(CliError, match=r"cannot write --output .*missing/report.json: No such"):
        _write_report(Rendered(["x"]), output)  # type: ignore[arg-type]
