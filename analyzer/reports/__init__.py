"""Reports: pure functions of the sign-in frame."""

from analyzer.reports.activity import first_seen_ips, signins_per_day, user_timeline
from analyzer.reports.endpoints import by_endpoint
from analyzer.reports.failures import failures_by_kind, failures_by_source_ip, failures_by_user
from analyzer.reports.mfa import mfa_by_identity, without_mfa
from analyzer.reports.report import SECTION_NAMES, SigninReport, build_report
from analyzer.reports.summary import summary
from analyzer.reports.users import by_user

__all__ = [
    "SECTION_NAMES",
    "SigninReport",
    "build_report",
    "by_endpoint",
    "by_user",
    "failures_by_kind",
    "failures_by_source_ip",
    "failures_by_user",
    "first_seen_ips",
    "mfa_by_identity",
    "signins_per_day",
    "summary",
    "user_timeline",
    "without_mfa",
]
