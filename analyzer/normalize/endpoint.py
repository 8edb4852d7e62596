"""Which sign-in endpoint was used (DOMAIN.md §1.2): the TLS host header when the record has
one (eventVersion >= 1.08), else a best guess from the console URL in `LoginTo`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_SIGNIN_HOST = re.compile(
    r"^(?:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)\.)?"
    r"signin\.(?:aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$"
)
_CONSOLE_HOST = re.compile(
    r"^(?:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d+)\.)?"
    r"console\.(?P<domain>aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$"
)


@dataclass(frozen=True)
class Endpoint:
    host: str | None
    scope: str | None
    inferred: bool


def scope_of(host: str | None) -> str | None:
    if host is None:
        return None
    match = _SIGNIN_HOST.match(host.lower())
    if match is None:
        return None
    return "regional" if match.group("region") else "global"


def _host_from_login_to(login_to: str | None) -> str | None:
    if not login_to:
        return None
    try:
        host = (urlsplit(login_to).hostname or "").lower()
    except ValueError:
        return None
    console = _CONSOLE_HOST.match(host)
    if console:
        region = console.group("region")
        prefix = f"{region}." if region else ""
        return f"{prefix}signin.{console.group('domain')}"
    if host.endswith(".awsapps.com"):
        return host
    return None


def endpoint_of(host_header: str | None, login_to: str | None, *, root: bool) -> Endpoint:
    """The root user always signs in through the global endpoint, whatever console page
    `LoginTo` names (AWS's own root example pairs a regional `LoginTo` with the global host),
    so root sign-ins are never inferred to be regional."""
    if host_header:
        host = host_header.strip().lower()
        return Endpoint(host, scope_of(host), inferred=False)
    guessed = _host_from_login_to(login_to)
    if root and guessed is not None and scope_of(guessed) == "regional":
        guessed = guessed.split(".", 1)[1]
    return Endpoint(guessed, scope_of(guessed), inferred=guessed is not None)
