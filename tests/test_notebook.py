"""The exploration notebook runs top to bottom (headless, in a fresh kernel) on sample_logs,
and the committed copy carries its outputs so it reads well on a code host."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import nbformat

from tests.conftest import hermetic_env

read_notebook = cast(Any, nbformat).read

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "signin_exploration.ipynb"


def test_notebook_executes_without_errors() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "refresh_notebook.py"), "--check"],
        capture_output=True, text=True, timeout=900, check=False,
        env=hermetic_env(MPLBACKEND="Agg"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


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
