"""Exceptions of the library, importable without importing boto3 or pandas (the CLI and the
package import them at start-up).

Messages are neutral: they name the culprit (file, trail, bucket, setting) in the library's
words, never a command-line flag. Where the fix is "use another input", the error carries a
`Remedy`; the library words it for Python users (`REMEDY_TEXT`) and the CLI words it with its
own option names.
"""

from __future__ import annotations

from enum import StrEnum


class Remedy(StrEnum):
    """What the user can do instead; each entry point words it its own way."""

    read_trail_files = "read_trail_files"
    bounded_window = "bounded_window"
    name_a_source = "name_a_source"
    start_history = "start_history"
    identity_center_region = "identity_center_region"
    try_without_aws = "try_without_aws"
    name_org_role = "name_org_role"
    deliver_without_aws = "deliver_without_aws"


REMEDY_TEXT: dict[Remedy, str] = {
    Remedy.read_trail_files: "read older sign-ins from trail log files (e.g. after `aws s3 "
    "sync` of the trail bucket)",
    Remedy.bounded_window: "give the window a start",
    Remedy.name_a_source: "name a trail, or read a bucket as s3://bucket/prefix",
    Remedy.start_history: "run once with a source to start it",
    Remedy.identity_center_region: "name the Identity Center region to collect its portal events",
    Remedy.try_without_aws: "to try it without AWS, read the sample trail the package ships "
    "(analyzer.read_logs(analyzer.sources.sample.sample_path(), since='2026-11-02', "
    "until='2026-11-09'))",
    Remedy.name_org_role: "name the member role to assume (Sources.org_role)",
    Remedy.deliver_without_aws: "report_s3 and sns_topic deliver through AWS: give "
    "credentials, or leave them out",
}


class SigninError(RuntimeError):
    """Base of the library's errors: `reason` is the neutral problem, `remedy` what to do."""

    def __init__(
        self, reason: str, remedy: Remedy | None = None, *, subject: str | None = None
    ) -> None:
        self.reason = reason
        self.remedy = remedy
        self.subject = subject  # the request field at fault ("events", "history", ...)
        super().__init__(f"{reason}; {REMEDY_TEXT[remedy]}" if remedy else reason)


class AwsSetupError(SigninError):
    """Credentials, profile or region problems that stop collection before it starts."""


class LiveSetupError(SigninError):
    """The live collection cannot start as asked (a request problem, not an outage)."""


class RequestError(SigninError):
    """The audit request cannot run as given (the CLI's usage error)."""


class RunError(SigninError):
    """The run started and failed: nothing readable, history or output not writable."""
