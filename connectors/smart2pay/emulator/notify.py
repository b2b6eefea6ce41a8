"""Payment notifications: POST the GET body with the site's Basic header to the configured URL.

The receiver must answer 204; otherwise the kit's sender retries at growing intervals for up
to 7 days of emulator time (advance the clock to compress them). Changes made through the API
notify at once; the generated history notifies its lifecycle events that happen while the
emulator runs, found by a scan of recently created payments.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib

import orjson

from connectors.emulator_kit.webhooks import DeliveryPolicy, WebhookSender
from connectors.smart2pay.emulator.provider import Smart2PayData
from connectors.smart2pay.emulator.state import PaymentNow

# Frequent first, then rarer; the waits add up to exactly 7 days (SEED-S2P: "currently 7 days").
SCHEDULE = (
    60.0,
    120.0,
    300.0,
    600.0,
    1800.0,
    3600.0,
    7200.0,
    14400.0,
    28800.0,
    43200.0,
    86400.0,
    86400.0,
    86400.0,
    86400.0,
    86400.0,
    72720.0,
)
HORIZON = 8 * 3600  # generated events later than this after creation are not notified
SCAN_CAP = 100_000  # records per scan; a huge clock jump notifies only the newest part


class Notifier:
    def __init__(self, data: Smart2PayData, url: str, duplicate_rate: float | None = None) -> None:
        self.data, self.url = data, url
        policy = DeliveryPolicy(
            schedule_s=SCHEDULE,
            duplicate_rate=data.settings.notify_duplicates
            if duplicate_rate is None
            else duplicate_rate,
            timeout_s=30.0,
            seed=data.settings.seed,
            ok_statuses=(204,),
        )
        self.sender = WebhookSender(data.clock, policy)
        creds = f"{data.settings.site_id}:{data.settings.api_key}".encode()
        self.headers = {
            "Authorization": "Basic " + base64.b64encode(creds).decode(),
            "Content-Type": "application/json; charset=utf-8",
        }
        self._last = float(data.anchor)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def send(self, now: PaymentNow) -> None:
        """Queue the payment's notification as of its current state."""
        body = orjson.dumps({"Payment": self.data.payment_json(now)})
        key = f"payment-{now.core.id}-{now.status}-{now.notified_at or now.core.created}"
        if self.sender.get(key) is None:
            self.sender.enqueue(key, self.url, body, self.headers)

    def wake(self, *_: object) -> None:
        self.sender.wake()
        self._wake.set()

    async def start(self) -> None:
        await self.sender.start()
        self._task = asyncio.get_running_loop().create_task(self._scan_forever())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.sender.close()

    async def _scan_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.5)
            self._wake.clear()
            await self.scan()

    async def scan(self) -> None:
        t = self.data.now()
        last, self._last = self._last, t
        if t <= last:
            return
        history, store = self.data.history, self.data.store
        window = history.times.index_range(int(last) - HORIZON, int(t))
        window = window[-SCAN_CAP:]
        for n, i in enumerate(window):
            self._check(store.history.core(i), last, t)
            if n % 2000 == 1999:
                await asyncio.sleep(0)
        for pid in store.created_ids(int(last) - HORIZON, int(t)):
            core = store.core(pid)
            if core is not None:
                self._check(core, last, t)

    def _check(self, core: object, last: float, t: float) -> None:
        store = self.data.store
        events = store.events(core)  # type: ignore[arg-type]
        if any(last < e.at <= t for e in events[1:]):
            now = store.at(core, t)  # type: ignore[arg-type]
            if now is not None:
                self.send(now)
