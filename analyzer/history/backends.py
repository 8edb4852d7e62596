"""Where the history's bytes live: a local folder or an S3 prefix, and how one writer at a time
is ensured on each.

Local folder: writers take an exclusive `flock` on `.history.lock` for the whole append and
metadata update; the kernel drops it when the process dies (even by `kill -9`), so a crashed
run never leaves a lock behind. A writer waits a bounded time, then gives up with one line.

S3: event parts are safe without a lock (a writer only deletes parts whose rows are already in
the part it wrote), so only `history.json` needs care: it is updated read-modify-write with a
conditional PUT (`If-Match` on the ETag read, `If-None-Match: *` when creating it); on a 412 or
409 the update is read and applied again, a bounded number of times.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

from analyzer.history.meta import HistoryError

LOCK_FILE = ".history.lock"
TEMPORARY_MARK = ".tmp-"
DEFAULT_WAIT = 300.0  # seconds a writer waits for another one (SIGNIN_HISTORY_WAIT)
CONFLICT_ATTEMPTS = 20
CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


class StoreReadError(HistoryError):
    """An object or file that exists (or should) but cannot be read; names it."""


class HistoryBusy(HistoryError):
    """Another run holds the history longer than this run may wait."""


def wait_seconds() -> float:
    raw = os.environ.get("SIGNIN_HISTORY_WAIT")
    if not raw:
        return DEFAULT_WAIT
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise HistoryError(
            f"SIGNIN_HISTORY_WAIT must be a number of seconds, not {raw!r}"
        ) from None


class Store(Protocol):
    def read(self, name: str) -> bytes | None: ...
    def write(self, name: str, data: bytes) -> None: ...
    def delete(self, name: str) -> None: ...
    def names(self, prefix: str) -> list[str]: ...
    def writer(self, wait: float) -> Any: ...
    def update(self, name: str, change: Callable[[bytes | None], bytes]) -> None: ...
    def leftovers(self) -> list[str]: ...
    def clean(self) -> list[str]: ...
    def __str__(self) -> str: ...


def _try_lock(handle: IO[bytes]) -> bool:
    import fcntl  # POSIX; the audit job runs on Linux and macOS

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, name: str) -> bytes | None:
        path = self.root / name
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreReadError(f"cannot read {path}: {err.strerror or err}") from None

    def write(self, name: str, data: bytes) -> None:
        """Write to a temporary name and rename: readers never see half a file."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}{TEMPORARY_MARK}{os.getpid()}")
        try:
            temporary.write_bytes(data)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        """Also the folder, once empty: a compacted month leaves no day folders behind."""
        path = self.root / name
        path.unlink(missing_ok=True)
        if path.parent != self.root:
            with contextlib.suppress(OSError):  # not empty (other parts, a leftover), or gone
                path.parent.rmdir()

    def names(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*.parquet")
            if p.is_file() and not p.name.startswith(".")
        )

    def leftovers(self) -> list[str]:
        """Temporary files of writes that were interrupted (ignored by readers)."""
        if not self.root.exists():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob(f".*{TEMPORARY_MARK}*")
            if p.is_file()
        )

    def clean(self) -> list[str]:
        """Remove the leftovers; only called by the writer holding the lock, so none of them
        belongs to a write in progress."""
        found = self.leftovers()
        for name in found:
            (self.root / name).unlink(missing_ok=True)
        return found

    @contextmanager
    def writer(self, wait: float) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / LOCK_FILE
        with path.open("a+b") as handle:
            deadline = time.monotonic() + wait
            while not _try_lock(handle):
                if time.monotonic() >= deadline:
                    raise HistoryBusy(
                        f"history {self.root} is being written by another run ({path} is "
                        f"locked); gave up after {wait:g} s (SIGNIN_HISTORY_WAIT)"
                    )
                time.sleep(0.05 + random.random() * 0.1)  # noqa: S311 - jitter, not secrets
            yield  # the lock goes with the file handle, or with the process

    def update(self, name: str, change: Callable[[bytes | None], bytes]) -> None:
        """Called inside `writer()`: nobody else writes meanwhile."""
        self.write(name, change(self.read(name)))

    def __str__(self) -> str:
        return str(self.root)


class S3Store:
    """S3 PUTs are atomic per object, so no temporary names are needed."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _name(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def _get(self, name: str) -> tuple[bytes | None, str | None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
            data: bytes = answer["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None, None
        except ClientError as err:
            error = err.response.get("Error", {})
            text = f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
            raise StoreReadError(f"cannot read {self._name(name)}: {text}") from None
        except BotoCoreError as err:
            raise StoreReadError(f"cannot read {self._name(name)}: {err}") from None
        return data, str(answer.get("ETag", "")) or None

    def read(self, name: str) -> bytes | None:
        return self._get(name)[0]

    def write(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def names(self, prefix: str) -> list[str]:
        names: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        ):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if key.endswith(".parquet"):
                    names.append(key[len(self.prefix) :])
        return sorted(names)

    def leftovers(self) -> list[str]:
        return []  # one PUT per object: nothing temporary

    def clean(self) -> list[str]:
        return []

    @contextmanager
    def writer(self, wait: float) -> Iterator[None]:
        yield  # concurrency is handled by the conditional update of the metadata

    def update(self, name: str, change: Callable[[bytes | None], bytes]) -> None:
        """Read-modify-write with a conditional PUT; on a conflict, read and apply again."""
        from botocore.exceptions import ClientError

        for attempt in range(CONFLICT_ATTEMPTS):
            data, etag = self._get(name)
            body = change(data)
            condition = {"IfMatch": etag} if data is not None and etag else {"IfNoneMatch": "*"}
            try:
                self.client.put_object(
                    Bucket=self.bucket, Key=self.prefix + name, Body=body, **condition
                )
                return
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") not in CONFLICT_CODES:
                    raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))  # noqa: S311
        raise HistoryBusy(
            f"{self._name(name)} kept changing under this run ({CONFLICT_ATTEMPTS} conditional "
            "writes conflicted); another run is writing the history"
        )

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"
