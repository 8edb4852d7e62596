"""An organization run: the paced LookupEvents jobs of every account, then one status per
account, so a report over the organization can say which accounts it covered and why not the
others."""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.domain.coverage import AccountCoverage, Coverage, RegionCoverage
from analyzer.domain.scopes import ScopeOutcome
from analyzer.sources.interface import RawRecord, Source
from analyzer.sources.lookup import LOOKUP_SCOPE, LookupEventsSource

OPERATION = "LookupEvents"  # how sources/lookup.py names the call in a region's reason
ACCESS_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def _denied(reason: str | None) -> bool:
    """A region's reason (`LookupEvents: <code>: ...`) says the call was not allowed."""
    return str(reason).removeprefix(f"{OPERATION}: ").startswith(ACCESS_DENIED)


def account_status(account: AccountCoverage, regions: list[RegionCoverage]) -> None:
    """Fill the counts of an account set up for reading, and its status from its regions:
    all read, all refused for lack of permission (the role lacks cloudtrail:LookupEvents),
    or some regions failed."""
    for region in regions:
        account.pages += region.pages
        account.events += region.events
        account.throttles += region.throttles
    failed = [r for r in regions if r.status != "ok"]
    account.regions_failed = len(failed)
    account.regions_read = len(regions) - len(failed)
    if not failed:
        account.status = "read"
    elif len(failed) == len(regions) and all(_denied(r.reason) for r in failed):
        account.status = "access_denied"
        account.reason = (
            f"cloudtrail:LookupEvents refused in {len(failed)} region(s) ({failed[0].reason})"
        )
    else:
        account.status = "regions_failed"
        names = ", ".join(sorted({r.region for r in failed}))
        account.reason = f"{len(failed)} of {len(regions)} region(s) failed: {names}"


class OrganizationSource(Source):
    """`accounts` holds every account of the run: those set up for reading (status
    `pending`, with jobs in `lookup`) and those settled at set-up (role not assumed,
    suspended, not in the organization). Accounts set up during the collection are added to
    `accounts`, and what their set-up noticed to `notes`, as they come."""

    def __init__(
        self,
        lookup: LookupEventsSource,
        accounts: list[AccountCoverage],
        notes: list[str],
        management: str | None,
    ) -> None:
        self.lookup = lookup
        self.accounts = accounts
        self.notes = notes
        self.management = management

    def scope_families(self) -> list[str]:
        return self.lookup.scope_families()

    def outcomes(self, coverage: Coverage) -> list[ScopeOutcome]:
        """The lookup jobs' scopes, plus one incomplete scope per account whose role could
        not be assumed: it has no jobs, and its span must be read again next run."""
        unread = [
            ScopeOutcome(f"{LOOKUP_SCOPE}{a.account}/*:setup", complete=False)
            for a in self.accounts
            if a.status == "role_not_assumed"
        ]
        return self.lookup.outcomes(coverage) + unread

    def records(self, coverage: Coverage) -> Iterator[RawRecord]:
        yield from self.lookup.records(coverage)
        for note in self.notes:
            coverage.flag_record("setup", note)
        by_account: dict[str, list[RegionCoverage]] = {}
        for region in coverage.regions:
            if region.account is not None:
                by_account.setdefault(region.account, []).append(region)
        for account in sorted(self.accounts, key=lambda a: a.account):
            account.management = account.account == self.management
            if account.status == "pending":
                account_status(account, by_account.get(account.account, []))
            coverage.add_account(account)
