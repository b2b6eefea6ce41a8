"""The one HTTP layer: classify a response, wait, act; one retry loop, here.

Transient failures (connection errors, timeouts, truncated or unparsable bodies, 429, 5xx)
are retried with exponential backoff and full jitter, honouring ``Retry-After``, until the
attempt limit or the time budget runs out. Authentication and request errors fail at once.

Two answers are neither a transfer fault nor an answer (docs/inferred.md #160, #161): a 200
carrying an ASP.NET error object (``{"Message": ..., "ExceptionMessage": ...}``) instead of
the list, and a 200 HTML page (a maintenance or proxy page). Read as a list they would be an
empty page or a changed contract; each is retried ``STRANGE_ANSWER_ATTEMPTS`` times, then the
call stops naming what the provider sent. Redirects are followed only within the configured
origin (#163): the credentials never go to another scheme, host or port.
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from yarl import URL

from connectors.answers import error_text, html_title, is_error_object
from connectors.errors import (
    ContractChangedError,
    ProviderAuthError,
    ProviderRedirectError,
    ProviderRequestError,
    ProviderTlsRequiredError,
    ProviderUnavailableError,
)


class Action(Enum):
    OK = "ok"
    RETRY = "retry"
    AUTH = "auth"
    FAIL = "fail"


STATUS_ACTIONS: Mapping[int, Action] = {
    200: Action.OK, 201: Action.OK, 204: Action.OK,
    401: Action.AUTH, 403: Action.AUTH, 498: Action.AUTH,
    408: Action.RETRY, 429: Action.RETRY,
    500: Action.RETRY, 502: Action.RETRY, 503: Action.RETRY, 504: Action.RETRY,
}  # fmt: skip


# INFERRED (#160): a .NET service's error object or a proxy's HTML page answered with 200 is
# retried this many times (transient, as a timeout behind it usually is), then the call stops.
STRANGE_ANSWER_ATTEMPTS = 4
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


def classify(status: int) -> Action:
    return STATUS_ACTIONS.get(status, Action.FAIL)


@dataclass(frozen=True)
class RetryPolicy:
    # No attempt cap by default: the time budget decides (a fixed cap of 8 silently ended runs
    # at ~21 s of a 60 s budget). A cap, when given, still applies.
    max_attempts: int | None = None
    base_s: float = 0.25
    cap_s: float = 30.0
    budget_s: float = 600.0  # total time one call may spend retrying (503 maintenance included)

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        backoff = rng.uniform(0, min(self.cap_s, self.base_s * 2**attempt))  # full jitter
        return max(backoff, retry_after or 0.0)


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.requests += 1
        self.by_status[outcome] = self.by_status.get(outcome, 0) + 1


class RateLimiter:
    """Spaces request starts at least 1/rps apart (optional per-source cap)."""

    def __init__(self, rps: float | None) -> None:
        self._interval = 1.0 / rps if rps else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        await asyncio.sleep(start - now)


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_bundle is not None:
        context.load_verify_locations(cafile=str(ca_bundle))
    return context


def _retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait: ``Retry-After`` in seconds or as an HTTP date (RFC 9110 allows both;
    the date form was ignored, so a provider asking for a minute got retried at once)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: our own backoff
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _Transient(Exception):
    """A failure worth another attempt; ``kind`` set: at most STRANGE_ANSWER_ATTEMPTS of it."""

    def __init__(
        self, reason: str, retry_after: float | None = None, kind: str | None = None
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.kind = kind


class HttpClient:
    """GETs JSON from one source with bounded concurrency, an optional rate cap and retries."""

    def __init__(
        self,
        source: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        concurrency: int = 4,
        requests_per_second: float | None = None,
        ca_bundle: Path | None = None,
        policy: RetryPolicy | None = None,
        secret_setting: str = "the source's credentials",
        seed: int | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/") + "/"
        self.policy = policy or RetryPolicy()
        self.stats = CallStats()
        self._headers = dict(headers)
        self._secret_setting = secret_setting
        self._semaphore = asyncio.Semaphore(concurrency)
        self._limiter = RateLimiter(requests_per_second)
        self._rng = random.Random(seed)
        self._ssl = ssl_context(ca_bundle)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpClient:
        connector = aiohttp.TCPConnector(ssl=self._ssl, limit=0)
        timeout = aiohttp.ClientTimeout(total=120, sock_connect=15, sock_read=60)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers=self._headers, raise_for_status=False
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The decoded JSON object at ``path``; raises a typed ProviderError when it cannot."""
        started = time.monotonic()
        strikes: dict[str | None, int] = {}
        for attempt in itertools.count():
            try:
                return await self._attempt(path, params)
            except _Transient as failure:
                elapsed = time.monotonic() - started
                wait = self.policy.delay(attempt, failure.retry_after, self._rng)
                strikes = {failure.kind: strikes.get(failure.kind, 0) + 1}  # in a row
                if failure.kind is not None and strikes[failure.kind] >= STRANGE_ANSWER_ATTEMPTS:
                    raise ProviderUnavailableError(
                        f"source {self.source!r}: GET {_request(path, params)} {failure} "
                        f"{strikes[failure.kind]} times in a row; nothing of it is loaded, the "
                        "finished windows are kept. Rerun later; if it persists, check base_url "
                        "and report the provider's message to the provider"
                    ) from None
                last = attempt + 1 == self.policy.max_attempts
                if last or elapsed + wait > self.policy.budget_s:
                    raise ProviderUnavailableError(
                        f"source {self.source!r}: GET {_request(path, params)} still failing "
                        f"after {attempt + 1} attempts over {elapsed:.0f}s ({failure}); the "
                        "finished windows are kept, rerun later"
                    ) from None
                self.stats.retries += 1
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, path: str, params: Mapping[str, str] | None) -> dict[str, Any]:
        assert self._session is not None, "use HttpClient as an async context manager"
        await self._limiter.wait()
        async with self._semaphore:
            url: URL | str = self.base_url + path
            query = params
            for _hop in range(MAX_REDIRECTS + 1):
                try:
                    async with self._session.get(
                        url, params=query, allow_redirects=False
                    ) as response:
                        body = await response.read()
                        status, headers = response.status, response.headers
                        here = response.url
                except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
                    self.stats.count(type(exc).__name__)
                    raise _Transient(type(exc).__name__) from None
                except asyncio.CancelledError:
                    self.stats.count("cancelled")  # sent, then no longer wanted (a page ahead)
                    raise
                self.stats.count(str(status))
                if status not in REDIRECTS or "Location" not in headers:
                    return self._decide(path, status, headers, body)
                url, query = self._redirected(path, here, headers["Location"]), None
        raise ProviderRequestError(
            f"source {self.source!r}: GET {path} was redirected more than {MAX_REDIRECTS} times; "
            f"check base_url (now {self.base_url!r})",
            status,
        )

    def _redirected(self, path: str, here: URL, location: str) -> URL:
        """Where a redirect points, when it stays on the configured origin. aiohttp would
        follow it anywhere (dropping only the Authorization header off the origin): paysync
        refuses to leave the scheme, host and port it was given (#163)."""
        target = here.join(URL(location))
        if target.origin() != URL(self.base_url).origin():
            raise ProviderRedirectError(
                f"source {self.source!r}: GET {path} was redirected to another origin "
                f"({target.origin()}); paysync sends the credentials only to base_url's "
                f"({URL(self.base_url).origin()}), so nothing was read there. If the provider "
                "moved, set base_url to the new https:// address"
            )
        return target

    def _decide(
        self, path: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> dict[str, Any]:
        action = classify(status)
        html = html_title(headers, body)
        if action is Action.RETRY:
            shown = f"HTTP {status}" if html is None else f"HTTP {status}, an HTML page {html}"
            raise _Transient(shown, _retry_after(headers))
        if status == 200 and html is not None:
            raise _Transient(
                f"answered HTTP 200 with an HTML page {html} where JSON was expected (a "
                "maintenance or proxy page, or base_url pointing at a web site)",
                _retry_after(headers), kind="html",
            )  # fmt: skip
        if action is Action.AUTH and status == 403 and b"TLS_Required" in body:
            # SmarterPay answers plain HTTP with 403 TLS_Required: the credentials are fine.
            raise ProviderTlsRequiredError(
                f"source {self.source!r}: GET {path} was refused with TLS_Required: the provider "
                f"accepts HTTPS only; use https:// in base_url (now {self.base_url!r})"
            )
        if action is Action.AUTH:
            raise ProviderAuthError(
                f"source {self.source!r}: the provider refused the credentials (HTTP {status}) "
                f"on GET {path}; check {self._secret_setting}"
            )
        if action is Action.FAIL:
            raise ProviderRequestError(
                f"source {self.source!r}: GET {path} answered HTTP {status}: {_snippet(body)}",
                status,
            )
        if status == 204 or (not body and headers.get("Content-Length") == "0"):
            return {}  # an empty answer: for a list, an empty page (never a truncated one)
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _Transient("truncated or malformed JSON body") from None
        if isinstance(decoded, dict) and is_error_object(decoded):
            raise _Transient(
                "answered HTTP 200 with an error object instead of the answer; the provider "
                f"said: {error_text(decoded)}",
                kind="error object",
            )
        if not isinstance(decoded, dict):
            # Well-formed JSON of another kind (a bare list, a string) is an answer, not a
            # transfer fault: retrying it spent the whole budget, then said "rerun later".
            raise ContractChangedError(
                f"source {self.source!r}: GET {path} answered a JSON {type(decoded).__name__} "
                "where the documents promise an object; the provider's answer format changed "
                "(or base_url points at something else), so nothing of it is loaded. Check "
                "base_url and report it"
            )
        return decoded


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace").replace("\n", " ")
    return text + ("…" if len(body) > limit else "")


def _request(path: str, params: Mapping[str, str] | None) -> str:
    """The request as a message shows it: the query names the window (never a secret: those
    travel in headers)."""
    shown = {k: v for k, v in (params or {}).items() if not k.startswith("_")}
    return str(URL(path).with_query(shown)) if shown else path
