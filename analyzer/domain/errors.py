"""Exceptions of the AWS-facing parts, importable without importing boto3 (the CLI and the
package import them at start-up; boto3 itself is loaded only when AWS is actually used)."""

from __future__ import annotations


class AwsSetupError(RuntimeError):
    """Credentials, profile or region problems that stop collection before it starts."""


class LiveSetupError(RuntimeError):
    """The live collection cannot start; the message says what to do instead."""
