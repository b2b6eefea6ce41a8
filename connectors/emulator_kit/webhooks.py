"""Outgoing webhook delivery: a queue with retries at increasing intervals, seeded duplicates
and a delivery log.

Retry times are on the emulator clock, so a test advances the clock instead of waiting hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.faults import unit

# 10 retries after the first attempt (SmarterPay: "up to 10 times at increasing intervals").
DEFAULT_SCHEDULE = (60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0)


@dataclass(frozen=True)
class DeliveryPolicy:
    schedule_s: tuple[float, ...] = DEFAULT_SCHEDULE  # wait before retry k (emulator seconds)
    duplicate_rate: float = 0.0  # chance a delivered call is sent once more
    timeout_s: float = 10.0
    seed: int = 1
    ok_statuses: tuple[int, ...] = tuple(range(200, 300))

    @property
    def max_attempts(self) -> int:
        return 1 + len(self.schedule_s)


@dataclass
class Delivery:
    id: str
    url: str
    headers: dict[str, str]
    body: bytes
    next_at: float
    attempts: int = 0
    state: str = "pending"  # pending | delivered | failed
    duplicate_sent: bool = False
    log: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "state": self.state,
            "attempts": self.attempts,
            "duplicate_sent": self.duplicate_sent,
            "log": self.log,
        }


class WebhookSender:
    """Call `start()` inside the running loop; `enqueue()` from handlers; `close()` at the end."""

    def __init__(
        self,
        clock: EmulatorClock,
        policy: DeliveryPolicy | None = None,
        ssl_context: ssl.SSLContext | bool | None = None,
        poll_s: float = 0.1,
    ) -> None:
        self.clock = clock
        self.policy = policy or DeliveryPolicy()
        # aiohttp treats ssl=None as its default, True (verify), with a DeprecationWarning
        self._ssl: ssl.SSLContext | bool = True if ssl_context is None else ssl_context
        self._poll = poll_s
        self._deliveries: dict[str, Delivery] = {}
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()

    def enqueue(
        self, delivery_id: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Delivery:
        delivery = Delivery(delivery_id, url, dict(headers), body, next_at=self.clock.timestamp())
        self._deliveries[delivery_id] = delivery
        self._wake.set()
        return delivery

    def wake(self, *_: object) -> None:
        """Re-check due deliveries now (e.g. after a clock advance)."""
        self._wake.set()

    def deliveries(self) -> list[Delivery]:
        return list(self._deliveries.values())

    def get(self, delivery_id: str) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_s)
        self._session = aiohttp.ClientSession(timeout=timeout)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()
            now = self.clock.timestamp()
            due = [
                d for d in self._deliveries.values() if d.state == "pending" and d.next_at <= now
            ]
            for delivery in due:
                await self._attempt(delivery)

    async def _attempt(self, delivery: Delivery) -> None:
        assert self._session is not None
        delivery.attempts += 1
        at = self.clock.now().isoformat()
        outcome: int | str
        try:
            async with self._session.post(
                delivery.url, data=delivery.body, headers=delivery.headers, ssl=self._ssl
            ) as resp:
                outcome = resp.status
                await resp.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            outcome = type(exc).__name__
        delivery.log.append({"attempt": delivery.attempts, "at": at, "result": outcome})
        if outcome in self.policy.ok_statuses:
            delivery.state = "delivered"
            await self._maybe_duplicate(delivery)
        elif delivery.attempts >= self.policy.max_attempts:
            delivery.state = "failed"
        else:
            delivery.next_at = (
                self.clock.timestamp() + self.policy.schedule_s[delivery.attempts - 1]
            )

    async def _maybe_duplicate(self, delivery: Delivery) -> None:
        if unit(self.policy.seed, "dup", delivery.id) >= self.policy.duplicate_rate:
            return
        delivery.duplicate_sent = True
        assert self._session is not None
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, OSError):
            async with self._session.post(
                delivery.url, data=delivery.body, headers=delivery.headers, ssl=self._ssl
            ) as resp:
                await resp.read()
                delivery.log.append({"attempt": "duplicate", "result": resp.status})
