"""Benchmark inputs at organization size, built once and cached in a folder you choose.

The report, history and JSON Lines benchmarks all measure the same million sign-ins, so
they are built here, from one seeded `../shared/bench/gen_trail.py` tree (run as a tool,
not copied in): 50 accounts of an organization trail, two regions, 365 days, 1.46 M records
of which about 1,020,000 are sign-in events (gen_trail mixes in other events even at
`--signin-rate 1`; the tree's manifest.json has the exact counts). The JSON Lines file holds
the tree's first million records (about 700,000 sign-ins).

    python -m benchmarks.fixtures /work/bench-data      # tree, frame and JSONL (~10 min)

Each `ensure_*` returns the cached file when it exists, so benchmarks can call them freely.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

GENERATOR_ENV = "SIGNIN_GEN_TRAIL"


@dataclass(frozen=True)
class TreeSpec:
    """gen_trail.py parameters; `end` is the last day of the tree."""

    accounts: int = 50
    regions: str = "us-east-1,eu-west-1"
    days: int = 365
    end: date = date(2026, 11, 8)
    files_per_region_day: int = 1
    records_per_file: int = 40
    signin_rate: float = 1.0
    decoy_rate: float = 0.0  # every record a sign-in (the default adds decoys at rate/4)
    org_id: str | None = "o-a1b2c3d4e5"

    @property
    def since(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    @property
    def until(self) -> date:
        """Exclusive end of the tree's window (the day after its last day)."""
        return self.end + timedelta(days=1)

    def argv(self, out: Path) -> list[str]:
        args = [
            "--out", str(out), "--accounts", str(self.accounts), "--regions", self.regions,
            "--days", str(self.days), "--end-date", self.end.isoformat(),
            "--files-per-region-day", str(self.files_per_region_day),
            "--records-per-file", str(self.records_per_file),
            "--signin-rate", str(self.signin_rate), "--decoy-rate", str(self.decoy_rate),
            "--jobs", str(os.cpu_count() or 1),
        ]  # fmt: skip
        return args + (["--org-id", self.org_id] if self.org_id else [])


MILLION = TreeSpec()


def generator() -> Path:
    """gen_trail.py from ../shared beside the checkout, or where SIGNIN_GEN_TRAIL points."""
    configured = os.environ.get(GENERATOR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_trail.py"


def ensure_tree(root: Path, spec: TreeSpec = MILLION) -> Path:
    tree = root / "million-tree"
    if not (tree / "manifest.json").exists():
        subprocess.run([sys.executable, str(generator()), *spec.argv(tree)], check=True)
    return tree


def manifest(tree: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((tree / "manifest.json").read_text())
    return loaded


def ensure_frame(root: Path, spec: TreeSpec = MILLION) -> Path:
    """The tree's normalized sign-in frame as an `--events` Parquet file."""
    path = root / "million.parquet"
    if not path.exists():
        from analyzer import read_logs
        from analyzer.render.events import write_events

        logs = ensure_tree(root, spec) / "AWSLogs"  # not manifest.json beside it
        frame = read_logs(logs, since=spec.since, until=spec.until)
        partial = path.with_suffix(".partial.parquet")
        write_events(frame, partial)
        partial.replace(path)
    return path


def load_frame(
    path: Path, columns: list[str] | None = None, encoded: list[str] | None = None
) -> pd.DataFrame:
    """An `--events` Parquet file back as the documented frame (Arrow dtypes); `columns`:
    only those (e.g. `analyzer.REPORT_COLUMNS`, what the rules and the report read);
    `encoded`: these text columns as Parquet stores them, dictionary-encoded (a compact
    frame, `analyzer.frame.compact`)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=columns, read_dictionary=encoded or None)
    frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return frame


JSONL_RECORDS = 1_000_000


def ensure_jsonl(root: Path, spec: TreeSpec = MILLION) -> Path:
    """The tree's first JSONL_RECORDS records (in path order) in one JSON Lines file, one
    compact record a line: the shape an export from a SIEM or `jq -c '.Records[]'` gives."""
    path = root / "million.jsonl"
    if not path.exists():
        tree = ensure_tree(root, spec)
        partial = path.with_suffix(".partial")
        left = JSONL_RECORDS
        with partial.open("w", encoding="utf-8") as out:
            for log in sorted(tree.glob("AWSLogs/**/CloudTrail/**/*.json.gz")):
                with gzip.open(log, "rt", encoding="utf-8") as handle:
                    for record in json.load(handle)["Records"][:left]:
                        out.write(json.dumps(record, separators=(",", ":")) + "\n")
                        left -= 1
                if not left:
                    break
        partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="cache folder (outside the repository)")
    root = parser.parse_args().root
    root.mkdir(parents=True, exist_ok=True)
    tree = ensure_tree(root)
    print(f"tree   {tree}: {manifest(tree)['signin_records']} sign-in records")
    print(f"frame  {ensure_frame(root)}")
    print(f"jsonl  {ensure_jsonl(root)}")


if __name__ == "__main__":
    main()
