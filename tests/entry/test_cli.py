"""The real `signin-report` command, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import console_login, hermetic_env, write_trail

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_logs"


def command() -> list[str]:
    script = Path(sys.executable).parent / "signin-report"
    return [str(script)] if script.exists() else [sys.executable, "-m", "analyzer"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=hermetic_env(),
    )


def promised_numbers() -> dict[str, str]:
    text = (SAMPLE / "README.md").read_text()
    return dict(re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", text, flags=re.M)[1:])


def test_sample_logs_report_matches_its_readme() -> None:
    readme = (SAMPLE / "README.md").read_text()
    window = re.search(r"--since (\S+) --until (\S+)`", readme)
    assert window is not None
    result = run("--logs", SAMPLE, "--since", window[1], "--until", window[2], "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report: dict[str, Any] = json.loads(result.stdout)
    summary = report["summary"]
    kinds = {k["failure_kind"]: k["failures"] for k in report["failures"]["by_kind"]}
    global_outside = sum(
        e["sign_ins"] for e in report["endpoints"]
        if e["endpoint"] == "signin.aws.amazon.com" and e["region"] != "us-east-1"
    )  # fmt: skip
    actual = {
        "sign-in events (all kinds)": summary["signin_events"],
        "sign-ins": summary["sign_ins"],
        "successes": summary["successes"],
        "failures": summary["failures"],
        "distinct users": summary["distinct_users"],
        "unknown-user attempts": summary["unknown_user_attempts"],
        "successes with MFA": summary["successes_with_mfa"],
        "successes without MFA (IAM user / root)": len(report["mfa"]["without_mfa"]),
        "successes federated (idp)": summary["successes_federated_idp"],
        "MFA share": summary["mfa_share"],
        "failures bad_password": kinds.get("bad_password", 0),
        "failures unknown_user": kinds.get("unknown_user", 0),
        "failures mfa": kinds.get("mfa", 0),
        "failures policy_denied": kinds.get("policy_denied", 0),
        "failures other": kinds.get("other", 0),
        "global-endpoint sign-ins logged outside us-east-1": global_outside,
        "sign-in events outside the window": report["coverage"]["outside_window"],
        "duplicates dropped": report["coverage"]["duplicates_dropped"],
    }
    assert {k: str(v) for k, v in actual.items()} == promised_numbers()
    assert summary["successes_without_mfa"] == len(report["mfa"]["without_mfa"])


def test_default_table_output_on_sample_logs() -> None:
    result = run("--logs", SAMPLE, "--since", "2026-11-02", "--until", "2026-11-09")
    assert result.returncode == 0, result.stderr
    for title in ["Summary", "Sign-ins by user", "Sign-ins by endpoint", "Coverage"]:
        assert title in result.stdout


def bad_inputs(folder: Path) -> Path:
    """One good trail file beside every kind of bad input the foundation issue lists."""
    write_trail(folder / "good.json.gz", [console_login(eventID="good")])
    (folder / "corrupt.json.gz").write_bytes(b"\x1f\x8bnot gzip at all")
    (folder / "truncated.json").write_text(
        '{"Records": [' + json.dumps(console_login(eventID="t")) + ', {"eventSource": "signin.am'
    )
    (folder / "other.json").write_text('{"configurationItems": []}')
    no_identity = console_login(eventID="noid")
    del no_identity["userIdentity"]
    write_trail(
        folder / "quirks.json.gz",
        [
            no_identity,
            console_login(eventID="ip", sourceIPAddress="AWS Internal"),
            console_login(eventID="time", eventTime="yesterday-ish"),
            {"eventSource": "signin.amazonaws.com"},
        ],
    )
    (folder / "empty").mkdir()
    return folder


def test_bad_input_one_line_each_rest_processed(tmp_path: Path) -> None:
    folder = bad_inputs(tmp_path / "logs")
    result = run(
        "--logs",
        folder,
        "--logs",
        tmp_path / "missing",
        "--since",
        "2026-01-01",
        "--until",
        "2027-01-01",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    expected = {
        "corrupt.json.gz: corrupt gzip": 1,
        "truncated.json: truncated or invalid JSON in record 1": 1,
        "other.json: JSON that is not CloudTrail": 1,
        "quirks.json.gz#0: kept with no userIdentity": 1,
        "quirks.json.gz#1: kept with sourceIPAddress is not an IP address": 1,
        "quirks.json.gz#2: no parseable eventTime": 1,
        "quirks.json.gz#3: signin.amazonaws.com record has no eventName": 1,
        "missing: no such file or folder": 1,
    }
    for fragment, count in expected.items():
        assert sum(fragment in line for line in lines) == count, (fragment, lines)
    assert all(line.startswith("signin-report: warning: ") for line in lines)
    assert len(lines) == len(expected)
    report = json.loads(result.stdout)
    assert report["summary"]["sign_ins"] == 4  # good, t (salvaged), noid, ip
    kept = sorted(row["event_id"] for row in report["mfa"]["without_mfa"])
    assert kept == ["good", "ip", "t"]  # no userIdentity: not known to be an IAM user
    assert report["coverage"]["records_rejected"] == 2


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_a_report_missing_skipped_input_says_so_first(tmp_path: Path, fmt: str) -> None:
    """The headline counts only what was read and the Problems table comes last: a mailed
    report of a run that skipped input said nothing of it at the top (a fresh-eyes run)."""
    window = ("--since", "2026-01-01", "--until", "2027-01-01", "--format", fmt, "-q")
    broken = run("--logs", bad_inputs(tmp_path / "logs"), *window)
    intact = run("--logs", tmp_path / "logs" / "good.json.gz", *window)
    assert broken.returncode == intact.returncode == 0, broken.stderr + intact.stderr
    # 5 inputs skipped whole or in part: corrupt, truncated, other, two quirks records
    head = broken.stdout[: broken.stdout.index("Summary")]
    assert "Incomplete: 5 inputs could not be read in full, so sign-ins may be missing" in (
        " ".join(head.replace("\\", "").split())  # (Markdown escapes its punctuation)
    )
    assert "Incomplete" not in intact.stdout


def test_strict_turns_skipped_input_into_exit_3(tmp_path: Path) -> None:
    folder = bad_inputs(tmp_path / "logs")
    result = run("--logs", folder, "--since", "2026-01-01", "--strict")
    assert result.returncode == 3
    assert "--strict" in result.stderr.splitlines()[-1]
    assert "Sign-ins by user" in result.stdout  # the report is still written


def test_strict_passes_on_clean_input(tmp_path: Path) -> None:
    write_trail(tmp_path / "good.json.gz", [console_login()])
    assert run("--logs", tmp_path, "--since", "2026-01-01", "--strict").returncode == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--max-attempts", "0"], 2, "Invalid value for '--max-attempts'"),
        (["--logs", "missing-dir"], 4, "no CloudTrail log file could be read"),
        (["--logs", "sample_logs", "--since", "last tuesday"], 2, "is not a date"),
        (
            ["--logs", "sample_logs", "--since", "2026-02-01", "--until", "2026-01-01"],
            2,
            "the window is empty",
        ),
        (["--logs", "sample_logs", "--days", "0"], 2, "--days must be a positive"),
        (["--sample", "--days", "100000000"], 2, "--days 100000000 reaches back before"),
        (["--sample", "--since", "0001-01-01T00:00+05:00"], 2, "outside the years 1 to 9999"),
        (["--sample", "--until", "9999-12-31T12:00"], 2, "is past 9999-12-30"),
        (["--sample", "--days", "7", "--accounts", "111122223333"], 2, "--accounts: chooses"),
        (["--days", "7", "--accounts", "111122223333"], 2, "--accounts: chooses the accounts"),
        (["--org-role", "R", "--accounts", "1111-2222"], 2, "'1111-2222' is not a 12-digit"),
        (["--regions", "us-east-1,eu_west!1"], 2, "--regions: 'eu_west!1' is not an AWS region"),
        (["--logs", "sample_logs", "--days", "7", "--regions", "eu-west-1"], 2, "--regions:"),
        (["--logs", "sample_logs", "--section", "nope"], 2, "'nope' is not one of"),
        (["--logs", "sample_logs", "--events", "x.xlsx"], 2, "unknown extension .xlsx"),
        (["--logs", "sample_logs", "--output", "json"], 2, "use --format json"),
        (["--logs", "sample_logs", "--output", "r.xlsx"], 2, "no report is written as .xlsx"),
        (["--logs", "sample_logs", "--output", "r.jsonl"], 2, "--events FILE.parquet, .csv or"),
        (["--logs", "sample_logs", "--section", "regions"], 2, "only applies to collection"),
        (["--history", "h", "--section", "regions"], 2, "only applies to collection from AWS"),
        (["--logs", "sample_logs", "--section", "accounts"], 2, "organization run (--org-role)"),
        (["--history", "h", "--regions", "eu-west-1"], 2, "--regions: chooses what is read"),
        # event history without credentials: past the section check (not a usage error)
        (["--days", "1", "--section", "regions"], 4, "no AWS credentials found"),
        (["--section", "users", "--format", "json"], 2, "does not apply to --format json"),
        (["--logs", "sample_logs", "--report-s3", "s3://bucket"], 2, "is not s3://bucket/key"),
        (["--logs", "sample_logs", "--sns-topic", "alerts"], 2, "is not an SNS topic ARN"),
        (["--logs", "sample_logs", "--sns-topic", "arn:aws:sns:…:t"], 2, "not an SNS topic ARN"),
        (["--logs", "sample_logs", "--sns-topic", "arn:aws:sns:us-east-1:12:t"], 2, "12-digit"),
        (["--logs", "sample_logs", "--fail-on", "urgent"], 2, "'urgent' is not one of"),
        # the forms of AWS locations, before credentials are looked for (there are none)
        (["--s3", "notaurl", "--days", "7"], 2, "--s3: 'notaurl' is not an S3 URL"),
        (["--s3", "s3://b/AWSLogs/111122223333/", "--days", "7"], 2, "points inside a trail"),
        (
            ["--s3", "s3://b/", "--engine", "athena", "--athena-table", "notdotted", "--days", "7"],
            2,
            "(expected database.table)",
        ),
        (
            [
                "--s3",
                "s3://b/",
                "--engine",
                "athena",
                "--athena-database",
                "No-Such",
                "--days",
                "7",
            ],
            2,
            "--athena-database 'No-Such' is not a Glue name",
        ),
        (
            ["--s3", "s3://b/", "--engine", "athena", "--athena-output", "out", "--days", "7"],
            2,
            "--athena-output 'out' is not an s3://bucket/prefix/ URL",
        ),
        (["--s3", "s3://b/", "--days", "7"], 4, "no AWS credentials found"),
        # options that would change nothing are refused rather than ignored
        (["--sample", "--days", "7", "--overlap", "30"], 2, "--overlap applies only with"),
        (
            ["--sample", "--days", "7", "--identity-center-region", "auto"],
            2,
            "--identity-center-region: collects portal events from event history",
        ),
        (["--history", "h", "--identity-center-region", "eu-west-1"], 2, "a history report"),
        (["--source", "nosuch"], 2, "'nosuch' is not one of"),
        (
            ["--logs", "sample_logs", "--output", "/nonexistent/dir/r.txt"],
            4,
            "cannot write --output /nonexistent/dir/r.txt: /nonexistent/dir does not exist",
        ),
        (
            ["--logs", "sample_logs", "--events", "README.md/e.parquet"],
            4,
            "cannot write --events README.md/e.parquet: README.md is not a folder",
        ),
    ],
)
def test_errors_are_one_line_with_documented_codes(
    args: list[str], code: int, message: str
) -> None:
    result = subprocess.run(
        [*command(), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        env=hermetic_env(),
    )
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("signin-report: error: ")


def test_output_and_events_files(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    events = tmp_path / "events.jsonl"
    result = run(
        "--logs",
        SAMPLE,
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-09",
        "--format",
        "markdown",
        "--output",
        out,
        "--events",
        events,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text().startswith("# AWS console sign-in report")
    assert "&lt;script&gt;" in out.read_text()
    assert len(events.read_text().splitlines()) == 53


@pytest.mark.parametrize(
    ("name", "asked", "starts"),
    [
        ("report.csv", None, "section,summary\nmetric,value"),
        ("report.JSON", None, '{\n  "report_version"'),
        ("report.md", None, "# AWS console sign-in report"),
        ("report.html", None, "<!DOCTYPE html>"),
        ("report.txt", None, "Summary"),
        ("report.csv", "json", '{\n  "report_version"'),  # --format wins
    ],
)
def test_output_extension_chooses_the_format_unless_format_is_given(
    tmp_path: Path, name: str, asked: str | None, starts: str
) -> None:
    """`--output report.csv` alone wrote the terminal table into a .csv file."""
    out = tmp_path / name
    chosen = ["--format", asked] if asked else []
    result = run(
        "--logs", SAMPLE, "--since", "2026-11-02", "--until", "2026-11-09", *chosen, "--output", out
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith(starts)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_pipe_closed_early_is_one_line_and_the_output_error_code(fmt: str) -> None:
    """`signin-report ... | head -1` exited 1 (findings) without a word; and what was still
    buffered for stdout failed again at exit, a second, traceback-like note."""
    window = ["--since", "2026-11-02", "--until", "2026-11-09"]
    process = subprocess.Popen(
        [*command(), "--logs", str(SAMPLE), *window, "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=hermetic_env(),
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before anything is written
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 4
    assert stderr.decode().splitlines() == [
        "signin-report: error: cannot write the report to stdout: Broken pipe"
    ]


def test_single_section_csv_is_one_table() -> None:
    result = run(
        "--logs",
        SAMPLE,
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-09",
        "--format",
        "csv",
        "--section",
        "without_mfa",
    )
    assert result.returncode == 0
    header, *rows = result.stdout.splitlines()
    assert header.startswith("event_time,account_id,user_name")
    assert len(rows) == 4


def test_warning_lines_are_inert_and_save_raw_stays_inside(tmp_path: Path) -> None:
    """A file name with terminal escapes and a newline is one visible warning line; records
    whose account or region would lead `--save-raw` out of its folder are saved inside it
    and named."""
    folder = tmp_path / "logs"
    folder.mkdir()
    evil = "x\x1b]0;pwned\x07\x1b[2J\nsignin-report: warning: forged.json.gz"
    (folder / evil).write_bytes(b"\x1f\x8bnot gzip at all")
    write_trail(
        folder / "trail.json.gz",
        [console_login(eventID="h", recipientAccountId="../../../escape", awsRegion="us-east-1")],
    )
    out = tmp_path / "raw"
    result = run(
        "--logs", folder, "--save-raw", out, "--since", "2026-11-01", "--until", "2026-12-01",
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "\x1b" not in result.stderr
    assert "\x07" not in result.stderr
    assert all(line.startswith("signin-report: warning: ") for line in lines), lines
    shown = str(folder / "x\\x1b]0;pwned\\x07\\x1b[2J\\x0asignin-report: warning: forged.json.gz")
    corrupt = [line for line in lines if "corrupt gzip" in line]
    assert len(corrupt) == 1
    assert corrupt[0].startswith(f"signin-report: warning: {shown}: ")
    assert sum("'../../../escape' is not a 12-digit account id" in line for line in lines) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs", "raw"]
    assert [p.name for p in (out / "AWSLogs").iterdir()] == ["unknown-account"]


def documented_options() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Options", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `-")]
    return {o for row in rows for o in re.findall(r"`(--?[a-z0-9-]+)", row.split("|")[1])}


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_renders_every_documented_option(flag: str) -> None:
    result = subprocess.run(
        [*command(), flag],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=hermetic_env(COLUMNS="200", TERM="dumb"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    shown = set(re.findall(r"(?<![\w-])(--[a-z0-9-]+|-[a-z])\b", result.stdout))
    documented = documented_options()
    assert documented - shown == set()
    options = {o for o in shown if re.search(rf"^\W*{re.escape(o)}\b", result.stdout, re.M)}
    assert options - documented == set()
    assert "s3://bucket[/prefix]" in result.stdout  # plain text, not a markup tag
    for panel in ("Sources", "Window", "Output", "Audit job", "AWS"):
        assert f"─ {panel} ─" in result.stdout, panel
    assert re.search(r"--region\b.*WHERE CALLS GO", result.stdout)
    assert re.search(r"--regions\b.*WHAT IS READ", result.stdout)
    for line in result.stdout.splitlines():  # on/off flags take no value: none says <bool>
        assert "<bool>" not in line, line  # --help's own included


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"signin-report \d+\.\d+\.\d+\S*\n", result.stdout)


@pytest.mark.parametrize(
    "name", ["r.ods", "r.pdf", "r.parquet", "r.xls", "r.xlsm", "r.docx", "R.XLSX"]
)
def test_every_foreign_output_extension_is_refused(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [*command(), "--logs", str(ROOT / "sample_logs"), "--output", str(tmp_path / name)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False, env=hermetic_env(),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "no report is written as" in result.stderr
    assert not (tmp_path / name).exists()


def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path) -> None:
    """Typer turned Ctrl-C in the command into a silent exit 130."""
    import signal
    import time

    folder = tmp_path / "logs"
    for n in range(400):
        write_trail(folder / f"f{n}.json.gz", [console_login(eventID=f"e{n}")] * 50)
    process = subprocess.Popen(
        [*command(), "--logs", str(folder), "--days", "3650", "--format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=hermetic_env(),
    )
    time.sleep(0.8)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the run ended before the signal")
    assert process.returncode == 130, stderr
    assert stderr == "signin-report: error: interrupted\n"


def test_ctrl_c_while_loading_is_the_same_line() -> None:
    """Interrupted in its imports (pandas, typer), the command printed a traceback."""
    interrupted = (
        "import analyzer.entry.prestart as early\n"
        "def begin(argv):\n"
        "    raise KeyboardInterrupt\n"
        "early.begin = begin\n"
        "from analyzer.entry.launch import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", interrupted, "--logs", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=hermetic_env(),
    )
    assert (result.returncode, result.stderr) == (130, "signin-report: error: interrupted\n")


def _piped(file: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The command with `--logs -`, the file on its standard input."""
    return subprocess.run(
        [*command(), "--logs", "-", *args],
        input=file.read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
        env=hermetic_env(),
    )


def test_logs_dash_reads_standard_input(tmp_path: Path) -> None:
    write_trail(tmp_path / "a.json.gz", [console_login(eventID="piped")])
    result = _piped(tmp_path / "a.json.gz", "--days", "3650", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["sign_ins"] == 1
    assert report["coverage"]["inputs"] == ["/dev/stdin"]


def test_text_on_standard_input_is_named_with_its_reason(tmp_path: Path) -> None:
    """A stream is only read because the user named it: text that is not JSON gets its
    line, as a file named like a log does (only the final "nothing could be read" came)."""
    (tmp_path / "notes").write_text("hello\n")
    result = _piped(tmp_path / "notes", "--days", "3")
    assert result.returncode == 4
    assert result.stderr.decode().splitlines() == [
        "signin-report: warning: /dev/stdin: not a JSON file (holds text that is not JSON); "
        "named or compressed like a log",
        "signin-report: error: no CloudTrail log file could be read from /dev/stdin",
    ]


def test_a_job_fed_through_a_pipe_keeps_one_history_scope(tmp_path: Path) -> None:
    """`--logs -` reads /dev/stdin, which resolves to the pipe of one process: each run made
    a scope of its own in history.json and was never widened by the run before it."""
    write_trail(tmp_path / "a.json.gz", [console_login(eventID="piped")])
    history = tmp_path / "history"
    for since, until in (("2026-11-01", "2026-11-08"), ("2026-11-08", "2026-11-15")):
        window = ["--since", since, "--until", until]
        result = _piped(tmp_path / "a.json.gz", "--history", str(history), *window)
        assert result.returncode == 0, result.stderr
    meta = json.loads((history / "history.json").read_text())
    assert list(meta["scopes"]) == ["logs:/dev/stdin"]
    assert meta["runs"][-1]["since"] < "2026-11-08"  # widened back by the run before's overlap


def test_delivery_without_credentials_stops_before_any_work(tmp_path: Path) -> None:
    """--sns-topic on a run that reads files needs AWS only to deliver: without credentials
    the run collected, stored its week and wrote its report before it failed, and its hint
    said to try the sample trail the run was reading."""
    history, output = tmp_path / "history", tmp_path / "report.json"
    topic = "arn:aws:sns:us-east-1:123456789012:signin-report"
    result = run(
        "--sample", "--since", "2026-11-02", "--until", "2026-11-09", "--history", history,
        "-o", output, "--sns-topic", topic,
    )  # fmt: skip
    assert result.returncode == 4
    assert result.stderr.startswith("signin-report: error: no AWS credentials found")
    assert "--report-s3 and --sns-topic deliver through AWS" in result.stderr
    assert "--sample" not in result.stderr
    assert not output.exists()
    assert not (history / "history.json").exists()


def test_a_file_name_not_utf8_reaches_the_json_report_as_encodable_text(tmp_path: Path) -> None:
    """A problem's culprit is the file's name; bytes that are not UTF-8 in it decode to lone
    surrogates, which the JSON report wrote as `\\udcff` escapes a strict reader refuses and
    no UTF-8 writer encodes (an adversarial review). They are shown as U+FFFD, as the
    `collected_from` column shows them."""
    import os

    write_trail(tmp_path / "good.json.gz", [console_login(eventID="good")])
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xff\xfe.json"), "wb") as bad:
        bad.write(b"not json")
    result = run("--logs", tmp_path, "--days", "3650", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [problem] = report["coverage"]["problems"]
    assert problem["culprit"] == str(tmp_path / "bad\ufffd\ufffd.json")
    json.dumps(report, ensure_ascii=False).encode("utf-8")  # strict: no lone surrogate left


def test_choices_are_taken_in_any_case() -> None:
    """`--format JSON` and `--fail-on HIGH` were refused as not one of the choices."""
    window = ["--sample", "--since", "2026-11-02", "--until", "2026-11-09"]
    shouted = run(*window, "--format", "JSON", "--fail-on", "HIGH", "--engine", "LOCAL")
    plain = run(*window, "--format", "json", "--fail-on", "high")
    assert (shouted.returncode, plain.returncode) == (1, 1), shouted.stderr
    assert json.loads(shouted.stdout)["summary"] == json.loads(plain.stdout)["summary"]
    sections = run(*window, "--section", "USERS", "--format", "Csv")
    assert sections.returncode == 0, sections.stderr
    assert sections.stdout.startswith("account_id,user_name,")  # one section: one table
