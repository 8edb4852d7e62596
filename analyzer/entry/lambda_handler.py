"""AWS Lambda entry point for the weekly audit (EventBridge Scheduler -> Lambda). It builds
the same `AuditRequest` the CLI builds, from environment variables, and runs the library's
audit; it imports neither typer nor the CLI.

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
| SIGNIN_ORG_ROLE | every ACTIVE account of the organization, through this member role | none |
| SIGNIN_EXTERNAL_ID | external ID the SIGNIN_ORG_ROLE role requires | none |

SIGNIN_ORG_ROLE reads each account's event history, so SIGNIN_SOURCE stays `lookup`.

Errors (no credentials, unreadable history, nothing readable) fail the invocation, so the
scheduler's retry and alarm see them; findings are a normal result with `status: findings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzer.audit.request import AuditRequest, Aws, Delivery, Rendering, Sources
from analyzer.audit.run import run_audit
from analyzer.domain.errors import SigninError
from analyzer.domain.values import Severity
from analyzer.domain.window import resolve_window
from analyzer.findings.config import ConfigError, load_config
from analyzer.frame.memory import use_system_allocator
from analyzer.render.formats import OutputFormat

REPORT_FILE = Path("/tmp/signin-report.html")  # noqa: S108 - Lambda's only writable place


def request_from_environment(env: Mapping[str, str], now: datetime) -> AuditRequest:
    """The audit the environment describes; raises ValueError naming the variable at fault."""
    history = env.get("SIGNIN_HISTORY")
    if not history:
        raise ValueError("SIGNIN_HISTORY must be set to s3://bucket/prefix")
    source = env.get("SIGNIN_SOURCE", "lookup")
    if source not in ("lookup", "trails") and not source.startswith("s3://"):
        raise ValueError(f"SIGNIN_SOURCE must be lookup, trails or s3://..., not {source!r}")
    report_prefix = env.get("SIGNIN_REPORT_S3")
    report_url = None
    if report_prefix:
        report_url = f"{report_prefix.rstrip('/')}/signin-report-{now:%Y-%m-%d}.html"
    org_role, external_id = _organization(env, source)
    regions = env.get("SIGNIN_REGIONS")
    config = env.get("SIGNIN_CONFIG")
    fail_on = env.get("SIGNIN_FAIL_ON") or None
    if fail_on is not None and fail_on not in Severity.__members__:
        raise ValueError(f"SIGNIN_FAIL_ON must be low, medium or high, not {fail_on!r}")
    try:
        days = int(env.get("SIGNIN_DAYS", "7"))
        findings = load_config(Path(config) if config else None)
        window = resolve_window(days=days, since=None, until=None, now=now)
    except ConfigError as err:
        raise ValueError(f"SIGNIN_CONFIG: {err}") from None
    except ValueError as err:
        raise ValueError(f"SIGNIN_DAYS: {err}") from None
    return AuditRequest(
        window=window,
        sources=Sources(
            s3=(source,) if source.startswith("s3://") else (),
            discover_trails=source == "trails",
            lookup=source == "lookup",
            regions=tuple(regions.split(",")) if regions else None,
            org_role=org_role,
        ),
        history=history,
        findings=findings,
        delivery=Delivery(report_s3=report_url, sns_topic=env.get("SIGNIN_SNS_TOPIC") or None),
        fail_on=Severity(fail_on) if fail_on else None,
        rendering=Rendering(
            format=OutputFormat.html, output=REPORT_FILE, every_column=False, compact=True
        ),
        aws=Aws(external_id=external_id),
    )


def _organization(env: Mapping[str, str], source: str) -> tuple[str | None, str | None]:
    """(member role, external ID) of an organization run, checked against the source."""
    org_role = env.get("SIGNIN_ORG_ROLE") or None
    external_id = env.get("SIGNIN_EXTERNAL_ID") or None
    if external_id is not None and org_role is None:
        raise ValueError("SIGNIN_EXTERNAL_ID applies only with SIGNIN_ORG_ROLE")
    if org_role is not None and source != "lookup":
        raise ValueError(
            f"SIGNIN_ORG_ROLE reads each account's event history: SIGNIN_SOURCE must be "
            f"lookup, not {source!r}"
        )
    return org_role, external_id


def handler(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    use_system_allocator()  # a Lambda's memory is what it is billed for
    try:
        request = request_from_environment(os.environ, datetime.now(UTC))
    except ValueError as err:
        raise RuntimeError(f"signin-report: {err}") from None
    try:
        result = run_audit(request)
        REPORT_FILE.write_text(result.text, encoding="utf-8")
    except (SigninError, OSError) as err:
        raise RuntimeError(f"signin-report failed: {err}") from None
    return {
        "status": result.status.value,
        "exit_code": int(result.exit_code),
        "report": request.delivery.report_s3,
        "sign_ins": result.report.summary["sign_ins"],
        "findings": len(result.findings),
        "history_added": result.appended.added if result.appended else 0,
        "delivered": list(result.delivered),
    }
