"""The exploration notebook runs top to bottom (headless, in a fresh kernel) on sample_logs,
and the committed copy carries its outputs so it reads well on a code host."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any, cast

import nbformat
import pytest

from tests.conftest import hermetic_env
from tests.entry.test_cli import promised_numbers

read_notebook = cast(Any, nbformat).read

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "signin_exploration.ipynb"


def executed_notebook(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The notebook run top to bottom by scripts/refresh_notebook.py's `execute`, in a fresh
    kernel that sees no AWS credentials."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in hermetic_env().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the script's inline backend: images
    spec = importlib.util.spec_from_file_location(
        "refresh", ROOT / "scripts" / "refresh_notebook.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.execute(NOTEBOOK)


def text_of(cell: Any) -> str:
    parts = []
    for output in cell.get("outputs", []):
        assert output.get("output_type") != "error", output
        parts.append(output.get("text") or output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_notebook_executes_and_shows_the_sample_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = executed_notebook(monkeypatch)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = {cell.source: text_of(cell) for cell in code}
    promised = promised_numbers()

    def output_of(fragment: str) -> str:
        [found] = [text for source, text in outputs.items() if fragment in source]
        return found

    events = promised["sign-in events (all kinds)"]
    assert f"{events} sign-in events" in output_of("DATA SOURCE")
    summary = output_of("analyzer.summary(frame)")
    assert f"'sign_ins': {promised['sign-ins']}," in summary
    assert f"'failures': {promised['failures']}," in summary
    outside = promised["global-endpoint sign-ins logged outside us-east-1"]
    assert f"logged outside us-east-1: {outside}" in output_of("elsewhere = endpoints[")
    assert "Console sign-in without MFA: bob" in output_of("analyzer.run_rules(")
    kinds = output_of("analyzer.failures_by_kind(frame)")
    assert re.search(rf"bad_password\s+{promised['failures bad_password']}\b", kinds)
    images = sum("image/png" in o.get("data", {}) for c in code for o in c["outputs"])
    assert images == 4


def test_committed_notebook_has_outputs_and_uses_sample_logs() -> None:
    notebook = read_notebook(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("outputs") for cell in code[1:]), "run scripts/refresh_notebook.py"
    assert not any(o.get("output_type") == "error" for c in code for o in c["outputs"])
    source_cells = [c for c in code if "DATA SOURCE" in c.source]
    assert len(source_cells) == 1
    assert 'SOURCE = "sample"' in source_cells[0].source
    images = sum("image/png" in o.get("data", {}) for c in code for o in c["outputs"])
    assert images == 4
