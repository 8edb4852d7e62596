"""Where a scheduled run's report goes: an S3 object and a short SNS message."""

from __future__ import annotations

from typing import Any

from analyzer.findings.engine import Finding, worst_severity


def summary_message(
    summary: dict[str, Any], findings: list[Finding], report_location: str | None
) -> tuple[str, str]:
    """(subject, body). SNS subjects are at most 100 characters, plain ASCII, one line."""
    worst = worst_severity(findings) or "none"
    subject = f"signin-report: {len(findings)} findings (worst {worst})"[:100]
    lines = [
        f"Sign-ins: {summary['sign_ins']} ({summary['successes']} ok, {summary['failures']} "
        f"failed), users: {summary['distinct_users']}, without MFA: "
        f"{summary['successes_without_mfa']}.",
        f"Findings: {len(findings)}.",
        *(f"- [{f.severity}] {f.title}" for f in findings[:10]),
    ]
    if len(findings) > 10:
        lines.append(f"- ... and {len(findings) - 10} more")
    if report_location:
        lines.append(f"Report: {report_location}")
    return subject, "\n".join(lines)


def publish(sns: Any, topic_arn: str, subject: str, body: str) -> None:
    sns.publish(
        TopicArn=topic_arn, Subject=subject.encode("ascii", "replace").decode(), Message=body
    )


def upload(s3: Any, url: str, body: bytes, content_type: str) -> str:
    """`url` is s3://bucket/key; returns it."""
    bucket, _, key = url[5:].partition("/")
    if not url.startswith("s3://") or not bucket or not key:
        raise ValueError(f"{url!r} is not s3://bucket/key")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    return url
