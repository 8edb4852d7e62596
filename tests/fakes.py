"""A CloudTrail LookupEvents service that sits under botocore (a `before-send` handler), so the
real request serialization, response parsing, pagination and retry handling all run.

moto has no LookupEvents; `install_in_moto` adds one to moto's CloudTrail responses for the
server-mode end-to-end test, backed by the same event store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse, HTTPHeaders


class _Body:
    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_: Any) -> Any:
        yield self._payload


def _response(url: str, status: int, body: dict[str, Any]) -> AWSResponse:
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/x-amz-json-1.1"
    headers["x-amzn-RequestId"] = "fake"
    return AWSResponse(url, status, headers, _Body(json.dumps(body).encode()))


def event_time(record: dict[str, Any]) -> float:
    stamp = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return stamp.timestamp()


def page_of(
    records: list[dict[str, Any]], params: dict[str, Any], page_size: int = 50
) -> dict[str, Any]:
    """One LookupEvents answer: filtered by the EventSource attribute and time, newest first,
    paged with an offset token, each record wrapped the way the API wraps it."""
    [attribute] = params.get("LookupAttributes") or [{"AttributeValue": None}]
    wanted = attribute.get("AttributeValue")
    start = float(params.get("StartTime", 0))
    end = float(params.get("EndTime", 1e12))
    matching = [
        r for r in records
        if (wanted is None or r.get("eventSource") == wanted) and start <= event_time(r) <= end
    ]  # fmt: skip
    matching.sort(key=event_time, reverse=True)
    size = min(int(params.get("MaxResults", page_size)), page_size)
    offset = int(params.get("NextToken") or 0)
    chunk = matching[offset : offset + size]
    answer: dict[str, Any] = {
        "Events": [
            {
                "EventId": r.get("eventID"),
                "EventName": r.get("eventName"),
                "EventTime": event_time(r),
                "EventSource": r.get("eventSource"),
                "Username": (r.get("userIdentity") or {}).get("userName"),
                "CloudTrailEvent": r["_raw"] if "_raw" in r else json.dumps(r),
            }
            for r in chunk
        ]
    }
    if offset + size < len(matching):
        answer["NextToken"] = str(offset + size)
    return answer


def _arrival(
    last: dict[Any, float], throttle: dict[Any, int], place: Any, now: float, interval: float
) -> bool:
    """Note a request's arrival at `place`; True when it is to be throttled: one of the
    injected throttles is left, or it came sooner than `interval` after the previous one."""
    too_soon = interval > 0 and place in last and now - last[place] < interval
    last[place] = now
    injected = throttle.get(place, 0) > 0
    if injected:
        throttle[place] -= 1
    return too_soon or injected


@dataclass
class FakeLookupEvents:
    """Per-region events; `throttle[region]` = how many of that region's requests to answer
    with ThrottlingException first; `not_enabled` regions answer UnrecognizedClientException;
    `delay` seconds of latency per request; `min_interval` throttles any request that comes
    sooner than that after the previous one in its region (the documented 2 per second)."""

    events: dict[str, list[dict[str, Any]]]
    throttle: dict[str, int] = field(default_factory=dict)
    not_enabled: set[str] = field(default_factory=set)
    delay: float = 0.0
    min_interval: float = 0.0
    clock: Callable[[], float] = time.monotonic
    requests: list[tuple[str, float, str | None]] = field(default_factory=list)
    throttled: int = 0
    # Concurrency as the service sees it: requests in flight now and at most. With
    # `rendezvous`, each region's first request waits there until as many regions have
    # arrived as the barrier's parties, so a test knows they were in flight together.
    rendezvous: threading.Barrier | None = None
    in_flight: int = 0
    peak: int = 0
    missed_rendezvous: int = 0
    _last: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _wait(self, params: dict[str, Any]) -> None:
        if self.rendezvous is not None and params.get("NextToken") is None:
            try:
                self.rendezvous.wait()
            except threading.BrokenBarrierError:
                with self._lock:
                    self.missed_rendezvous += 1
        if self.delay:
            time.sleep(self.delay)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        if isinstance(target, bytes):
            target = target.decode()
        if not target.endswith(".LookupEvents"):
            return None
        region = (urlsplit(request.url).hostname or "").split(".")[1]
        params = json.loads(request.body or b"{}")
        now = self.clock()
        with self._lock:
            self.requests.append((region, now, params.get("NextToken")))
            throttled = _arrival(self._last, self.throttle, region, now, self.min_interval)
            self.throttled += throttled
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            self._wait(params)
        finally:
            with self._lock:
                self.in_flight -= 1
        if region in self.not_enabled:
            return _response(request.url, 400, {
                "__type": "UnrecognizedClientException",
                "message": "The security token included in the request is invalid.",
            })  # fmt: skip
        if throttled:
            return _response(request.url, 400, {
                "__type": "ThrottlingException", "message": "Rate exceeded",
            })  # fmt: skip
        return _response(request.url, 200, page_of(self.events.get(region, []), params))


@dataclass
class MotoLookupEvents:
    """LookupEvents for moto's CloudTrail (in-process under `mock_aws`, or a moto server),
    answered from `store[(account, region)]`, where the account is the one moto routes the
    request's credentials to (an assumed role's credentials: the member account).

    `throttle[(account, region)]` = requests to answer with ThrottlingException first;
    `denied` accounts answer AccessDeniedException; `min_interval` throttles a request that
    comes sooner than that after the previous one of its (account, region), the documented
    2 per second; `delay` seconds of latency per request; `on_request(account, region)` runs
    before each answer (tests move a clock)."""

    store: dict[tuple[str, str], list[dict[str, Any]]]
    throttle: dict[tuple[str, str], int] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    min_interval: float = 0.0
    delay: float = 0.0
    on_request: Callable[[str, str], None] | None = None
    clock: Callable[[], float] = time.monotonic
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    arrivals: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    throttled: int = 0
    _last: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, account: str, region: str, key: str, params: dict[str, Any]) -> str:
        from moto.core.exceptions import JsonRESTError

        place = (account, region)
        now = self.clock()
        with self._lock:
            self.requests.append((account, region, key))
            self.arrivals.setdefault(place, []).append(now)
            throttled = _arrival(self._last, self.throttle, place, now, self.min_interval)
            self.throttled += throttled
        if self.delay:
            time.sleep(self.delay)
        if self.on_request is not None:
            self.on_request(account, region)
        if account in self.denied:
            raise JsonRESTError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{account}:assumed-role/audit/s is not authorized to "
                "perform: cloudtrail:LookupEvents",
            )
        if throttled:
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        return json.dumps(page_of(self.store.get(place, []), params))

    def install(self) -> Callable[[], None]:
        """Give moto's CloudTrail this LookupEvents; returns the function that removes it."""
        from moto.cloudtrail.responses import CloudTrailResponse

        fake = self

        def lookup_events(self: Any) -> str:
            params = {
                "LookupAttributes": self._get_param("LookupAttributes"),
                "StartTime": self._get_param("StartTime") or 0,
                "EndTime": self._get_param("EndTime") or 1e12,
                "MaxResults": self._get_param("MaxResults") or 50,
                "NextToken": self._get_param("NextToken"),
            }
            return fake.answer(self.current_account, self.region, self.get_access_key(), params)

        CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]

        def remove() -> None:
            del CloudTrailResponse.lookup_events  # type: ignore[attr-defined]

        return remove


def install_in_moto(store: dict[tuple[str, str], list[dict[str, Any]]]) -> Callable[[], None]:
    """Give moto's CloudTrail a LookupEvents backed by `store[(account, region)]`; returns the
    function that removes it again."""
    return MotoLookupEvents(store).install()


def attach(target: Any, event: str, handler: Callable[..., Any]) -> None:
    """Register a botocore event handler on a client (`target.meta.events`) or a session
    (`target.events`). Handlers that answer requests return a response, which the typed
    stubs' `Callable[..., None]` does not allow for."""
    hooks = target.meta.events if hasattr(target, "meta") else target.events
    hooks.register(event, handler)


def lookup_jobs(fake: FakeLookupEvents, regions: list[str], attempts: int = 5) -> list[Any]:
    """One LookupJob per region, each with a real botocore client whose LookupEvents calls the
    fake answers."""
    import boto3

    from analyzer.aws.session import client_config
    from analyzer.sources.lookup import LookupJob

    session = boto3.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    jobs = []
    for region in regions:
        client = session.client("cloudtrail", region_name=region, config=client_config(attempts, 4))
        attach(client, "before-send.cloudtrail.LookupEvents", fake)
        jobs.append(LookupJob(region, "signin.amazonaws.com", client))
    return jobs
