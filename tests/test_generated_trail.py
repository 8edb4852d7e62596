"""A whole trail tree from the shared generator (`../shared/bench/gen_trail.py`), read from
disk and from S3, must give exactly the sign-ins its manifest counts: every record scanned,
decoys that only mention signin.amazonaws.com left out, breakdowns equal."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from analyzer.api import collect_trails
from tests.conftest import fake_aws_credentials, hermetic_env

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_trail.py"
ORG = "o-a1b2c3d4e5"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GENERATOR.exists():
        pytest.skip(f"the shared trail generator is not beside this checkout ({GENERATOR})")
    root = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "--out",
            str(root),
            "--accounts",
            "2",
            "--regions",
            "us-east-1,eu-west-1,ap-southeast-2",
            "--days",
            "2",
            "--end-date",
            "2026-11-04",
            "--files-per-region-day",
            "4",
            "--records-per-file",
            "120",
            "--signin-rate",
            "0.03",
            "--decoy-rate",
            "0.01",
            "--org-id",
            ORG,
            "--seed",
            "11",
            "--jobs",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    return root


def manifest(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "manifest.json").read_text())
    return data


def breakdowns(events: pd.DataFrame) -> dict[str, Counter[str]]:
    names = events["event_name"].astype(str)
    outcomes = events["outcome"].astype(str).str.capitalize()
    return {
        "signin_by_event_name": Counter(names),
        "signin_by_event_outcome": Counter(names + "|" + outcomes),
        "signin_by_identity_type": Counter(events["identity_type"].astype(str)),
    }


def test_the_manifest_counts_from_disk(tree: Path, tmp_path: Path) -> None:
    expected = manifest(tree)
    assert expected["log_files"] >= 32  # enough files for the worker processes
    events = tmp_path / "events.parquet"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "--logs",
            str(tree / "AWSLogs"),
            "--since",
            "2026-11-03",
            "--until",
            "2026-11-05",
            "--format",
            "json",
            "--events",
            str(events),
        ],
        env=hermetic_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["signin_events"] == expected["signin_records"]
    assert report["coverage"]["records_scanned"] == expected["records"]
    assert report["coverage"]["files_read"] == expected["log_files"]
    assert report["summary"]["accounts"] == len(expected["account_ids"])
    frame = pd.read_parquet(events)
    for key, counts in breakdowns(frame).items():
        assert counts == Counter(expected[key]), key


@pytest.fixture
def bucket(tree: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    fake_aws_credentials(monkeypatch)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="generated-trail")
        for path in sorted((tree / "AWSLogs").rglob("*.json.gz")):
            key = f"org/{path.relative_to(tree)}"
            client.put_object(Bucket="generated-trail", Key=key, Body=path.read_bytes())
        yield "s3://generated-trail/org"


def test_the_manifest_counts_from_s3(tree: Path, bucket: str) -> None:
    expected = manifest(tree)
    collection = collect_trails(locations=[bucket], since="2026-11-03", until="2026-11-05")
    assert len(collection.frame) == expected["signin_records"]
    assert collection.coverage.records_scanned == expected["records"]
    assert collection.coverage.files_read == expected["log_files"]
    for key, counts in breakdowns(collection.frame).items():
        assert counts == Counter(expected[key]), key
