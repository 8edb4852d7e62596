"""What collection makes of hostile records: every output and the history can encode the rows,
and a record that reuses another's eventID with different content is kept and reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import collect_logs
from analyzer.findings.config import load_config, parse_config
from analyzer.findings.engine import run_rules
from tests.conftest import console_login, hermetic_env, write_trail


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "signin-report"
    return subprocess.run(
        [str(script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=hermetic_env(),
    )


def test_a_lone_surrogate_reaches_every_output_and_the_history(tmp_path: Path) -> None:
    text = json.dumps({"Records": [console_login(), console_login(eventID="2")]})
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "t.json").write_text(
        text.replace("Mozilla/5.0", "Mozilla\\ud800/5.0", 1), encoding="utf-8"
    )
    window = ["--since", "2026-11-01", "--until", "2026-11-10"]
    for fmt in ("json", "csv", "markdown", "table", "html"):
        rows = tmp_path / f"rows-{fmt}.parquet"
        history: list[str | Path] = ["--history", tmp_path / "history", "--events", rows]
        done = _cli("--logs", tmp_path / "logs", *window, "--format", fmt, *history)
        assert done.returncode == 0, (fmt, done.stderr)
        assert "internal error" not in done.stderr
    report = json.loads(_cli("--history", tmp_path / "history", *window, "--format", "json").stdout)
    assert report["summary"]["signin_events"] == 2


@pytest.mark.parametrize("order", ["forged first", "forged last"])
def test_a_different_record_under_a_known_event_id_is_kept_and_raised(
    tmp_path: Path, order: str
) -> None:
    real = console_login(eventID="e1", userIdentity={"type": "Root", "arn": "arn:aws:iam::9:root",
                                                     "accountId": "9"})  # fmt: skip
    forged = console_login(eventID="e1")  # an IAM user sign-in, same id
    first, last = (forged, real) if order == "forged first" else (real, forged)
    write_trail(tmp_path / "a.json.gz", [first])
    write_trail(tmp_path / "b.json.gz", [last, real])  # and an identical copy
    collection = collect_logs(tmp_path)
    frame = collection.frame
    assert sorted(frame["identity_type"]) == ["IAMUser", "Root"]
    assert collection.coverage.duplicates_dropped == 1
    [problem] = collection.coverage.problems
    assert problem.culprit == f"{tmp_path / 'b.json.gz'}#0"
    assert problem.message.startswith("eventID e1 also names a different record")
    assert not problem.skipped
    findings = run_rules(frame, None, load_config(None))
    [conflict] = [f for f in findings if f.rule_id == "event_id_conflict"]
    assert conflict.severity == "high"
    assert "e1" in conflict.title


def test_a_blanket_allow_entry_does_not_hide_an_event_id_conflict(tmp_path: Path) -> None:
    """Both records name an allow-listed user: the conflict is still a tampering signal."""
    write_trail(tmp_path / "a.json.gz", [console_login(eventID="e1")])
    write_trail(tmp_path / "b.json.gz", [console_login(eventID="e1", sourceIPAddress="192.0.2.9")])
    frame = collect_logs(tmp_path).frame
    blanket = parse_config({"allow": {"users": ["Anaya"]}})
    assert "event_id_conflict" in {f.rule_id for f in run_rules(frame, None, blanket)}
