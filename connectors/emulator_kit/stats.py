"""Request log counts: requests by endpoint and outcome, since start or the last reset."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

ADMIN_PREFIX = "/_emulator/"
ENDPOINT_KEY = "emulator_endpoint"  # handlers set request[ENDPOINT_KEY] = "GET payments"
OUTCOME_KEY = "emulator_outcome"  # set to "reset" / "truncated" when a transport fault fired


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._since = datetime.now(UTC)

    def record(self, endpoint: str, outcome: int | str) -> None:
        with self._lock:
            self._counts[(endpoint, str(outcome))] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._since = datetime.now(UTC)

    def count(self, endpoint: str | None = None, outcome: int | str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (ep, oc), n in self._counts.items()
                if (endpoint is None or ep == endpoint) and (outcome is None or oc == str(outcome))
            )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_endpoint: dict[str, dict[str, int]] = {}
            for (ep, oc), n in sorted(self._counts.items()):
                by_endpoint.setdefault(ep, {})[oc] = n
            by_status: Counter[str] = Counter()
            for (_, oc), n in self._counts.items():
                by_status[oc] += n
            return {
                "since": self._since.isoformat(),
                "total": sum(self._counts.values()),
                "by_status": dict(sorted(by_status.items())),
                "by_endpoint": by_endpoint,
            }


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def stats_middleware(stats: RequestStats) -> Any:
    """Counts every provider request (admin requests are not counted)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        status: int | str = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            endpoint = request.get(ENDPOINT_KEY) or f"{request.method} {request.path.lower()}"
            stats.record(endpoint, request.get(OUTCOME_KEY) or status)

    return middleware
