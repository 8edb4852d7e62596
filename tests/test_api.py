from __future__ import annotations

from pathlib import Path

import pytest

import analyzer
from analyzer import SkippedInputError, SkippedInputWarning, read_logs
from tests.conftest import console_login, write_trail


def test_read_logs_warns_about_skipped_input(tmp_path: Path) -> None:
    write_trail(tmp_path / "good.json.gz", [console_login()])
    (tmp_path / "bad.json").write_text('{"Records": [')
    with pytest.warns(SkippedInputWarning, match=r"bad\.json"):
        frame = read_logs(tmp_path)
    assert len(frame) == 1
    with pytest.raises(SkippedInputError, match=r"bad\.json"):
        read_logs(tmp_path, strict=True)


def test_public_api_exports() -> None:
    for name in [
        "read_logs",
        "collect_logs",
        "SCHEMA",
        "summary",
        "by_user",
        "by_endpoint",
        "without_mfa",
        "failures_by_user",
        "failures_by_source_ip",
        "failures_by_kind",
        "build_report",
        "schema_frame",
    ]:
        assert hasattr(analyzer, name), name
    schema = analyzer.schema_frame()
    assert list(schema.columns) == ["column", "dtype", "meaning"]
    assert len(schema) == len(analyzer.SCHEMA)
