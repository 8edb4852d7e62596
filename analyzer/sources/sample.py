"""Where the sample trail is, in a checkout and after `pip install .`.

The repository keeps the sample at the top level (`sample_logs/`, written by
`scripts/make_sample_logs.py`); `analyzer/sample_logs` links to it, and the wheel carries it
as package data under that name. So the same path works from a source checkout, an editable
install and an installed wheel, from any working directory.
"""

from __future__ import annotations

from pathlib import Path

# The week the sample's sign-ins were planned in (`sample_logs/README.md`).
SAMPLE_SINCE = "2026-11-02"
SAMPLE_UNTIL = "2026-11-09"


def sample_path() -> Path:
    """The installed copy of `sample_logs/` (a checkout without symlinks has none there, and
    reading it then fails with the usual one-line error naming this path)."""
    return Path(__file__).resolve().parent.parent / "sample_logs"
