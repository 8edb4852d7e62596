"""Execute `notebooks/signin_exploration.ipynb` top to bottom and write its outputs back.

Run from the repository root after `pip install '.[notebook]'` (or `-e '.[test]'`):

    python scripts/refresh_notebook.py [--check]

With `--check` the notebook is executed but not written (what the test does); any cell error
fails with the cell's error.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import nbformat
from nbclient import NotebookClient

# nbformat ships no type information
read_notebook = cast(Callable[..., Any], nbformat.read)
write_notebook = cast(Callable[..., None], nbformat.write)

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "signin_exploration.ipynb"


def execute(path: Path = NOTEBOOK) -> Any:
    notebook = read_notebook(path, as_version=4)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="execute without writing")
    args = parser.parse_args()
    notebook = execute()
    if not args.check:
        write_notebook(notebook, NOTEBOOK)
        print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
