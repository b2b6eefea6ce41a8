"""Outbound messages (the webhook log): one message per record state change at or before the
clock, computed lazily from the record lifecycles and merged in time order.

A message's created_at is its event's time. Each lifecycle event is found by scanning the
records created within the event's maximum lag before the window; events long after creation
only happen to every n-th record (gen_dd strides), so those scans stay sparse.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from connectors.emulator_kit.lazy import B36, from_b36, record_rng, to_b36
from connectors.smarterpay.emulator import gen_dd as dd
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_dd import Event
from connectors.smarterpay.emulator.ids import make_id, make_uuid
from connectors.smarterpay.emulator.resources import RESOURCES, Resource
from connectors.smarterpay.emulator.timefmt import DAY, iso_z

CODES = {
    "payments": "P",
    "mandates": "M",
    "credits": "C",
    "recurrenceschedules": "R",
    "paymentlinks": "L",
    "bankaccounts": "B",
    "customeraccounts": "A",
}
RESOURCE_OF = {code: name for name, code in CODES.items()}
ADHOC = "X"  # messages recorded by API writes and admin mutations
OUTBOUND_NAME = "outboundmessages"


class Message(NamedTuple):
    ts: int
    id: str
    resource: str
    record_id: str
    record_created: int
    event: Event


@dataclass(frozen=True)
class Source:
    resource: str
    lag_lo: int  # this source owns events with lag_lo <= ts - created <= lag_hi
    lag_hi: int
    stride: int = 1
    residue: int = 0


def sources(ds: Dataset) -> list[Source]:
    r = dd.end_residue(ds)
    claim = dd.resource_key(ds.seed, "claims") % dd.CLAIM_STRIDE
    return [
        Source("bankaccounts", 0, 0),
        Source("customeraccounts", 0, 0),
        Source("payments", 0, 16 * DAY),
        Source("payments", 16 * DAY + 1, 430 * DAY, dd.CLAIM_STRIDE, claim),
        Source("mandates", 0, 38 * DAY),
        Source("mandates", 38 * DAY + 1, 610 * DAY, dd.END_STRIDE, r),
        Source("credits", 0, 12 * DAY),
        Source("paymentlinks", 0, DAY),
        Source("recurrenceschedules", 0, 0),
        Source("recurrenceschedules", 1, 610 * DAY, dd.END_STRIDE // 2, r // 2),
    ]


def events_of(ds: Dataset, res: Resource, i: int, created: int) -> list[Event]:
    if res.events is None:
        return [Event(created, f"{res.detail_key.lower()}.create", "")]
    return res.events(ds, i, created)


def message_id(ds: Dataset, resource: str, slot: int, i: int) -> str:
    tail = record_rng(ds.seed, "om#" + resource, i * 8 + slot).token(7)
    return f"OM01{CODES[resource]}{B36[slot]}{to_b36(i, 7)}{tail}"


def record_id(ds: Dataset, res: Resource, i: int) -> str:
    return make_id(ds.seed, res.prefix or "", res.name, i)


def _scan(
    ds: Dataset, src: Source, start: float, end: float, spawned_min: int
) -> Iterator[Message]:
    """Messages of one source with start <= ts < end, in (ts, id) order."""
    res = RESOURCES[src.resource]
    timeline = ds.timelines[src.resource]
    lo = timeline.first_at_or_after(start - src.lag_hi)
    hi = min(timeline.first_at_or_after(end - src.lag_lo), spawned_min)
    lo += (src.residue - lo) % src.stride
    heap: list[Message] = []
    for i in range(lo, hi, src.stride):
        created = timeline[i]
        while heap and heap[0].ts < created + src.lag_lo:
            yield heapq.heappop(heap)
        for slot, event in enumerate(events_of(ds, res, i, created)):
            if start <= event.ts < end and src.lag_lo <= event.ts - created <= src.lag_hi:
                rid = record_id(ds, res, i)
                msg = Message(
                    event.ts, message_id(ds, src.resource, slot, i), res.name, rid, created, event
                )
                heapq.heappush(heap, msg)
    while heap:
        yield heapq.heappop(heap)


class Outbound:
    """Generated messages plus ad-hoc ones (API writes, admin mutations, spawned records)."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self._sources = sources(ds)
        self._adhoc: list[Message] = []
        self._by_id: tuple[tuple[Any, ...], list[Message]] | None = None

    def by_id(self, start: float | None, end: float | None, t: float) -> list[Message]:
        """``stream`` in id order, kept for the next page (a census pages it by ``sort_field=id``:
        sorting the feed again for every page made it quadratic)."""
        key = (start, end, t, len(self._adhoc))
        if self._by_id is None or self._by_id[0] != key:
            self._by_id = key, sorted(self.stream(start, end, t), key=lambda m: m.id)
        return self._by_id[1]

    def add(self, ts: int, res: Resource, rid: str, created: int, event: Event) -> Message:
        n = len(self._adhoc)
        mid = f"OM01{ADHOC}0{to_b36(n, 7)}{record_rng(self.ds.seed, 'om#adhoc', n).token(7)}"
        msg = Message(int(ts), mid, res.name, rid, created, event)
        bisect.insort(self._adhoc, msg)
        return msg

    def add_spawned(self, res: Resource, rid: str, index: int, created: int) -> None:
        """A spawned record's whole lifecycle, as ad-hoc messages (few, kept in memory)."""
        for event in events_of(self.ds, res, index, created):
            self.add(event.ts, res, rid, created, event)

    def stream(self, start: float | None, end: float | None, t: float) -> Iterator[Message]:
        lo = self.ds.start - 400 * DAY if start is None else start
        hi = t + 1 if end is None else min(end, t + 1)
        generated = [_scan(self.ds, s, lo, hi, self.ds.count(s.resource)) for s in self._sources]
        # Ad-hoc messages (late arrivals, say) may predate the generated history: no lower bound.
        adhoc = [m for m in self._adhoc if (start is None or start <= m.ts) and m.ts < hi]
        return heapq.merge(*generated, adhoc)

    def find(self, message_id: str, t: float) -> Message | None:
        if len(message_id) != 20 or not message_id.startswith("OM01"):
            return None
        if message_id[4] == ADHOC:
            found = [m for m in self._adhoc if m.id == message_id and m.ts <= t]
            return found[0] if found else None
        resource = RESOURCE_OF.get(message_id[4])
        if resource is None or message_id[5] not in B36:
            return None
        slot, i = B36.index(message_id[5]), from_b36(message_id[6:13])
        res = RESOURCES[resource]
        if i >= self.ds.count(resource):
            return None
        created = self.ds.created(resource, i)
        events = events_of(self.ds, res, i, created)
        if slot >= len(events) or events[slot].ts > t:
            return None
        if message_id != message_id_check(self.ds, resource, slot, i):
            return None
        return Message(
            events[slot].ts, message_id, resource, record_id(self.ds, res, i), created, events[slot]
        )


message_id_check = message_id


def render(ds: Dataset, msg: Message) -> dict[str, Any]:
    n = from_b36(msg.id[6:13]) * 8 + B36.index(msg.id[5]) if msg.id[5] in B36 else 0
    key = make_uuid(ds.seed, "om#" + msg.id[4], n)
    event = msg.event
    body = {
        "id": msg.id,
        "idempotency_key": key,
        "sent_at": iso_z(msg.ts),
        "client": {"id": "CL01PAYSYNCEMULATOR0"},
        "events": [
            {
                "id": msg.record_id,
                "event_id": "HI01" + msg.id[4:],
                "event_type": event.type,
                "event_source": "API" if event.type.endswith(".create") else "DDMS Service",
                "created_at": iso_z(msg.record_created),
                "edited_at": iso_z(msg.ts),
                "status": event.status,
                "bacs_reason_code": event.bacs_code,
                "bacs_description": event.bacs_description,
            }
        ],
    }
    return {
        "id": msg.id,
        "created_at": iso_z(msg.ts),
        "idempotency_key": key,
        "record_type": "webhook",
        "sent_at": iso_z(msg.ts),
        "status": "successful",
        "subscription_id": "SU01PAYSYNCEMULATOR0",
        "webhook": {"response_code": "200 OK", "webhook_body": orjson.dumps(body).decode()},
    }
