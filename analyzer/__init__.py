"""CloudTrail console sign-in analyzer: who signed in, from where, through which endpoint,
with or without MFA, and which sign-ins failed.

Names are loaded on first use (PEP 562): `signin-report` imports this package and starts its
file-scanning worker processes before pandas is loaded, so the workers stay small and the
pandas import overlaps with the scan.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzer.api import (
        SkippedInputError,
        SkippedInputWarning,
        collect_live,
        collect_logs,
        collect_organization,
        collect_trails,
        load_history,
        read_logs,
        run_audit_job,
    )
    from analyzer.audit.request import (
        AuditRequest,
        AuditResult,
        Aws,
        Delivery,
        ExitCode,
        Rendering,
        Sources,
        Status,
    )
    from analyzer.audit.run import AuditRun, run_audit
    from analyzer.domain.coverage import Coverage, Problem, RegionCoverage
    from analyzer.domain.errors import (
        AwsSetupError,
        LiveSetupError,
        RequestError,
        RunError,
        SigninError,
    )
    from analyzer.domain.values import (
        Engine,
        EventKind,
        FailureKind,
        MfaStatus,
        Outcome,
        Severity,
    )
    from analyzer.domain.window import Window, WindowError
    from analyzer.findings.config import FindingsConfig, load_config
    from analyzer.findings.engine import Finding, RuleResults, evaluate_rules, run_rules
    from analyzer.frame.collect import Collection, collect
    from analyzer.frame.compact import COMPACT_COLUMNS, compacted, plain_frame
    from analyzer.frame.schema import (
        COLUMNS,
        REPORT_COLUMNS,
        SCHEMA,
        SCHEMA_VERSION,
        schema_frame,
    )
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
    from analyzer.sources.athena_table import AthenaOptions

_HOME: dict[str, str] = {
    "AuditRequest": "analyzer.audit.request",
    "AuditResult": "analyzer.audit.request",
    "AuditRun": "analyzer.audit.run",
    "Aws": "analyzer.audit.request",
    "Delivery": "analyzer.audit.request",
    "ExitCode": "analyzer.audit.request",
    "Rendering": "analyzer.audit.request",
    "Sources": "analyzer.audit.request",
    "Status": "analyzer.audit.request",
    "run_audit_job": "analyzer.api",
    "run_audit": "analyzer.audit.run",
    "Engine": "analyzer.domain.values",
    "EventKind": "analyzer.domain.values",
    "FailureKind": "analyzer.domain.values",
    "MfaStatus": "analyzer.domain.values",
    "Outcome": "analyzer.domain.values",
    "Severity": "analyzer.domain.values",
    "Finding": "analyzer.findings.engine",
    "RuleResults": "analyzer.findings.engine",
    "AthenaOptions": "analyzer.sources.athena_table",
    "FindingsConfig": "analyzer.findings.config",
    "load_config": "analyzer.findings.config",
    "load_history": "analyzer.api",
    "collect_trails": "analyzer.api",
    "run_rules": "analyzer.findings.engine",
    "evaluate_rules": "analyzer.findings.engine",
    "AwsSetupError": "analyzer.domain.errors",
    "RequestError": "analyzer.domain.errors",
    "RunError": "analyzer.domain.errors",
    "SigninError": "analyzer.domain.errors",
    "COLUMNS": "analyzer.frame.schema",
    "REPORT_COLUMNS": "analyzer.frame.schema",
    "Collection": "analyzer.frame.collect",
    "Coverage": "analyzer.domain.coverage",
    "LiveSetupError": "analyzer.domain.errors",
    "Problem": "analyzer.domain.coverage",
    "RegionCoverage": "analyzer.domain.coverage",
    "SCHEMA": "analyzer.frame.schema",
    "SCHEMA_VERSION": "analyzer.frame.schema",
    "SigninReport": "analyzer.reports",
    "SkippedInputError": "analyzer.api",
    "SkippedInputWarning": "analyzer.api",
    "Window": "analyzer.domain.window",
    "WindowError": "analyzer.domain.window",
    "build_report": "analyzer.reports",
    "by_endpoint": "analyzer.reports",
    "by_user": "analyzer.reports",
    "collect": "analyzer.frame.collect",
    "COMPACT_COLUMNS": "analyzer.frame.compact",
    "compacted": "analyzer.frame.compact",
    "plain_frame": "analyzer.frame.compact",
    "collect_live": "analyzer.api",
    "collect_organization": "analyzer.api",
    "collect_logs": "analyzer.api",
    "failures_by_kind": "analyzer.reports",
    "failures_by_source_ip": "analyzer.reports",
    "failures_by_user": "analyzer.reports",
    "first_seen_ips": "analyzer.reports",
    "mfa_by_identity": "analyzer.reports",
    "normalize_record": "analyzer.normalize",
    "read_logs": "analyzer.api",
    "schema_frame": "analyzer.frame.schema",
    "signins_per_day": "analyzer.reports",
    "summary": "analyzer.reports",
    "user_timeline": "analyzer.reports",
    "without_mfa": "analyzer.reports",
}

__all__ = [
    "COLUMNS",
    "COMPACT_COLUMNS",
    "REPORT_COLUMNS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "AthenaOptions",
    "AuditRequest",
    "AuditResult",
    "AuditRun",
    "Aws",
    "AwsSetupError",
    "Collection",
    "Coverage",
    "Delivery",
    "Engine",
    "EventKind",
    "ExitCode",
    "FailureKind",
    "Finding",
    "FindingsConfig",
    "LiveSetupError",
    "MfaStatus",
    "Outcome",
    "Problem",
    "RegionCoverage",
    "Rendering",
    "RequestError",
    "RuleResults",
    "RunError",
    "Severity",
    "SigninError",
    "SigninReport",
    "SkippedInputError",
    "SkippedInputWarning",
    "Sources",
    "Status",
    "Window",
    "WindowError",
    "build_report",
    "by_endpoint",
    "by_user",
    "collect",
    "collect_live",
    "collect_logs",
    "collect_organization",
    "collect_trails",
    "compacted",
    "evaluate_rules",
    "failures_by_kind",
    "failures_by_source_ip",
    "failures_by_user",
    "first_seen_ips",
    "load_config",
    "load_history",
    "mfa_by_identity",
    "normalize_record",
    "plain_frame",
    "read_logs",
    "run_audit",
    "run_audit_job",
    "run_rules",
    "schema_frame",
    "signins_per_day",
    "summary",
    "user_timeline",
    "without_mfa",
]


_SUBMODULES = {"plots": "analyzer.render.plots"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
