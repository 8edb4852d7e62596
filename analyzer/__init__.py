"""CloudTrail console sign-in analyzer: who signed in, from where, through which endpoint,
with or without MFA, and which sign-ins failed."""

from analyzer.api import (
    SkippedInputError,
    SkippedInputWarning,
    collect_live,
    collect_logs,
    read_logs,
)
from analyzer.aws.session import AwsSetupError
from analyzer.collect import Collection, collect
from analyzer.coverage import Coverage, Problem, RegionCoverage
from analyzer.live import LiveSetupError
from analyzer.normalize import normalize_record
from analyzer.reports import (
    SigninReport,
    build_report,
    by_endpoint,
    by_user,
    failures_by_kind,
    failures_by_source_ip,
    failures_by_user,
    first_seen_ips,
    mfa_by_identity,
    signins_per_day,
    summary,
    user_timeline,
    without_mfa,
)
from analyzer.schema import COLUMNS, SCHEMA, SCHEMA_VERSION, schema_frame
from analyzer.window import Window

__all__ = [
    "COLUMNS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "AwsSetupError",
    "Collection",
    "Coverage",
    "LiveSetupError",
    "Problem",
    "RegionCoverage",
    "SigninReport",
    "SkippedInputError",
    "SkippedInputWarning",
    "Window",
    "build_report",
    "by_endpoint",
    "by_user",
    "collect",
    "collect_live",
    "collect_logs",
    "failures_by_kind",
    "failures_by_source_ip",
    "failures_by_user",
    "first_seen_ips",
    "mfa_by_identity",
    "normalize_record",
    "read_logs",
    "schema_frame",
    "signins_per_day",
    "summary",
    "user_timeline",
    "without_mfa",
]
