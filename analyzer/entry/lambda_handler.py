"""AWS Lambda entry point for the weekly audit (EventBridge Scheduler -> Lambda).

Configuration comes from environment variables, history and the report live in S3:

| variable | meaning | default |
|---|---|---|
| SIGNIN_HISTORY | s3://bucket/prefix for the Parquet history (required) | |
| SIGNIN_REPORT_S3 | s3://bucket/prefix/ for the HTML report; the run date names the file | none |
| SIGNIN_SNS_TOPIC | SNS topic ARN for the summary | none |
| SIGNIN_SOURCE | `lookup`, `trails`, or an s3://bucket/prefix trail location | lookup |
| SIGNIN_DAYS | report window in days | 7 |
| SIGNIN_REGIONS | comma-separated regions instead of every enabled one | all |
| SIGNIN_FAIL_ON | low / medium / high: the result's status says "findings" at or above | none |
| SIGNIN_CONFIG | path of a findings TOML file inside the deployment package | none |

Errors (no credentials, unreadable history, nothing readable) fail the invocation, so the
scheduler's retry and alarm see them; findings are a normal result with `status: findings`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzer.entry.cli import AuditOptions, CliError, ExitCode, LiveOptions, run
from analyzer.render.formats import OutputFormat

REPORT_FILE = Path("/tmp/signin-report.html")  # noqa: S108 - Lambda's only writable place


def handler(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    env = os.environ
    history = env.get("SIGNIN_HISTORY")
    if not history:
        raise RuntimeError("SIGNIN_HISTORY must be set to s3://bucket/prefix")
    source = env.get("SIGNIN_SOURCE", "lookup")
    report_prefix = env.get("SIGNIN_REPORT_S3")
    report_url = None
    if report_prefix:
        report_url = f"{report_prefix.rstrip('/')}/signin-report-{datetime.now(UTC):%Y-%m-%d}.html"
    regions = env.get("SIGNIN_REGIONS")
    config = env.get("SIGNIN_CONFIG")
    live = LiveOptions(
        regions=regions.split(",") if regions else None,
        s3=[source] if source.startswith("s3://") else None,
        discover_trails=source == "trails",
        explicit=True,
    )
    audit = AuditOptions(
        history=history,
        config=Path(config) if config else None,
        fail_on=env.get("SIGNIN_FAIL_ON") or None,
        sns_topic=env.get("SIGNIN_SNS_TOPIC") or None,
        report_s3=report_url,
    )
    try:
        code = run(
            logs=[], days=int(env.get("SIGNIN_DAYS", "7")), since=None, until=None,
            fmt=OutputFormat.html, output=REPORT_FILE, events=None, sections=None,
            strict=False, live=live, quiet=True, audit=audit,
        )  # fmt: skip
    except CliError as err:
        raise RuntimeError(f"signin-report failed (exit {int(err.code)}): {err}") from None
    status = {ExitCode.OK: "ok", ExitCode.FINDINGS: "findings"}.get(code, "incomplete")
    return {"status": status, "exit_code": int(code), "report": report_url}
