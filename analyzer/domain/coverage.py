"""What a collection looked at, and what it could not use, with the reason.

A report that says "0 failures" must be able to prove where it looked: every source adds to
one Coverage, and every skipped file or record is kept here with the culprit named, so the
CLI can print one line per problem and the report can show the totals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from analyzer.domain.text import safe


@dataclass(frozen=True)
class Problem:
    """`culprit` names the file (and record) or region; `skipped` is False for data kept with
    a flag, True for input that was not used (what `--strict` turns into an error)."""

    culprit: str
    message: str
    skipped: bool

    def line(self) -> str:
        return f"{self.culprit}: {self.message}"


@dataclass
class RegionCoverage:
    """What one (source, region) pair did: a LookupEvents region (pages, attempts, throttles,
    retries), or an account/region of a trail bucket (objects, bytes, objects failed; pages
    counts its list calls). `events` are the sign-in candidates it delivered."""

    region: str
    source: str
    status: str = "pending"  # ok | failed
    pages: int = 0
    events: int = 0
    attempts: int = 0
    throttles: int = 0
    retries: int = 0
    objects: int = 0
    bytes: int = 0
    objects_failed: int = 0
    seconds: float = 0.0
    reason: str | None = None
    account: str | None = None  # the member account of an organization run (--org-role)

    def as_dict(self) -> dict[str, object]:
        """Field order is the documented JSON order (`coverage.regions[]`); `account` appears
        only in an organization run, so single-account output keeps its shape."""
        fields = {**asdict(self), "seconds": round(self.seconds, 3)}
        if self.account is None:
            del fields["account"]
        return fields

    @property
    def culprit(self) -> str:
        where = f"region {self.region} ({self.source})"
        return f"account {self.account} {where}" if self.account else where


# What became of one account of an organization run. Only `read` is complete; `suspended`
# accounts cannot be read by anyone and are listed, not counted as a gap.
ACCOUNT_STATUSES = (
    "read",
    "regions_failed",
    "access_denied",
    "role_not_assumed",
    "suspended",
    "not_in_organization",
)
GAP_STATUSES = frozenset(ACCOUNT_STATUSES) - {"read", "suspended"}


@dataclass
class AccountCoverage:
    """One account of an organization run: its status (ACCOUNT_STATUSES), the reason when it
    is not `read` (with the AWS error code), and what its regions delivered."""

    account: str
    name: str | None = None
    status: str = "pending"
    reason: str | None = None
    regions_read: int = 0
    regions_failed: int = 0
    pages: int = 0
    events: int = 0
    throttles: int = 0
    management: bool = False  # the organization's management account

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


PRICE_PER_TB = 5.0  # Athena SQL, US dollars per TB (10^12 bytes) scanned
_MB = 1 << 20
_MINIMUM_BILLED = 10 * _MB


@dataclass
class QueryCoverage:
    """One Athena query: what it was, how it ended, what it scanned. The price is an estimate
    from Athena's rules (bytes rounded up to the MB, 10 MB minimum per query, $5 per TB;
    failed queries are not charged, cancelled ones are for what they scanned)."""

    query_id: str | None
    table: str
    state: str = "PENDING"
    seconds: float = 0.0
    bytes_scanned: int = 0
    rows: int = 0
    attempts: int = 0
    projected_bytes: int = 0
    reason: str | None = None

    @property
    def price_usd(self) -> float:
        if self.state == "FAILED" or (self.state != "SUCCEEDED" and not self.bytes_scanned):
            return 0.0
        billed = max(-(-self.bytes_scanned // _MB) * _MB, _MINIMUM_BILLED)
        return billed / 1e12 * PRICE_PER_TB

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "seconds": round(self.seconds, 3),
            "price_usd": round(self.price_usd, 6),
        }


@dataclass
class Coverage:
    inputs: list[str] = field(default_factory=list)
    files_read: int = 0
    files_skipped: Counter[str] = field(default_factory=Counter)
    day_folders_pruned: int = 0
    records_scanned: int = 0
    signin_records: int = 0
    records_rejected: int = 0
    outside_window: int = 0
    duplicates_dropped: int = 0
    kept: int = 0
    history_added: int | None = None
    history_duplicates: int | None = None  # collected rows history already held
    problems: list[Problem] = field(default_factory=list)
    regions: list[RegionCoverage] = field(default_factory=list)
    accounts: list[AccountCoverage] = field(default_factory=list)
    queries: list[QueryCoverage] = field(default_factory=list)

    def skip_file(self, path: str, reason: str, *, warn: bool = True) -> None:
        """Digests and hidden files are expected in a synced trail bucket: counted, not warned."""
        self.files_skipped[reason] += 1
        if warn:
            self.problems.append(Problem(path, reason, skipped=True))

    def cut_file(self, path: str, reason: str) -> None:
        """A file read up to a break (a gzip or JSON cut short): counted read, not skipped,
        so that `files_read` and `files_skipped` add up to the files looked at; its problem
        is skipped input all the same (the rest of it was not read: `--strict` exits 3)."""
        self.files_read += 1
        self.problems.append(Problem(path, reason, skipped=True))

    def reject_record(self, where: str, reason: str) -> None:
        self.records_rejected += 1
        self.problems.append(Problem(where, reason, skipped=True))

    def fail_region(self, region: RegionCoverage) -> None:
        self.problems.append(Problem(region.culprit, str(region.reason), skipped=True))

    def add_account(self, account: AccountCoverage) -> None:
        """A gap in an organization run is skipped input (`--strict` exits 3); a suspended
        account is stated but is no gap: nobody can read it."""
        self.accounts.append(account)
        if account.status != "read":
            self.problems.append(
                Problem(
                    f"account {account.account}",
                    f"{account.status.replace('_', ' ')}: {account.reason}",
                    skipped=account.status in GAP_STATUSES,
                )
            )

    @property
    def management_account(self) -> str | None:
        return next((a.account for a in self.accounts if a.management), None)

    @property
    def accounts_covered(self) -> int:
        return sum(1 for a in self.accounts if a.status == "read")

    def flag_record(self, where: str, reason: str) -> None:
        self.problems.append(Problem(where, reason, skipped=False))

    def merge(self, other: Coverage) -> None:
        """Add what a worker process (or another source) counted for its part of the input."""
        self.files_read += other.files_read
        self.files_skipped.update(other.files_skipped)
        self.records_scanned += other.records_scanned
        self.records_rejected += other.records_rejected
        self.day_folders_pruned += other.day_folders_pruned
        self.problems.extend(other.problems)

    def _organization(self) -> dict[str, object]:
        """Only an organization run has accounts; other reports keep their keys."""
        if not self.accounts:
            return {}
        return {
            "accounts_covered": self.accounts_covered,
            "accounts_total": len(self.accounts),
            "accounts": [a.as_dict() for a in self.accounts],
        }

    @property
    def skipped_input(self) -> bool:
        return any(p.skipped for p in self.problems)

    def as_dict(self) -> dict[str, object]:
        """`history_duplicates` appears only when a run recorded into a history, `queries`
        only when a query engine ran (--engine athena)."""
        shown: dict[str, object] = {
            "inputs": [safe(name) for name in self.inputs],
            "files_read": self.files_read,
            "files_skipped": dict(sorted(self.files_skipped.items())),
            "day_folders_pruned": self.day_folders_pruned,
            "records_scanned": self.records_scanned,
            "signin_records": self.signin_records,
            "records_rejected": self.records_rejected,
            "outside_window": self.outside_window,
            "duplicates_dropped": self.duplicates_dropped,
            "signins_kept": self.kept,
            "history_added": self.history_added,
        }
        if self.history_duplicates is not None:
            shown["history_duplicates"] = self.history_duplicates
        shown["regions"] = [r.as_dict() for r in self.regions]
        shown.update(self._organization())
        if self.queries:
            shown["queries"] = [q.as_dict() for q in self.queries]
        shown["problems"] = [
            # (a file name with bytes that are not UTF-8 holds surrogate escapes)
            {"culprit": safe(p.culprit), "message": safe(p.message), "skipped": p.skipped}
            for p in self.problems
        ]
        return shown
