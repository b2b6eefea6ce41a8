"""SmarterPay Cloud (UK Bacs Direct Debit): stream table, auth and change feed.

Base URLs: ``https://api.smarterpaycloud.com`` (live), ``https://uatapi.smarterpaycloud.com`` (UAT);
the stream paths carry the ``service.svc/`` prefix. Auth: ``Authorization: Bearer <token>``;
a bad token answers 498. Outbound messages are the account's webhook log: each names the
records whose state changed, which the engine re-fetches by id (DESIGN §3, layer 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from connectors.smarterpay.streams import STREAMS
from connectors.streams import Connector, FeedEvent

# Event type prefix (v2 `payment.update`, v1 `resource_type`) -> stream.
EVENT_STREAMS = {
    "bank_account": "bank_accounts", "bankaccount": "bank_accounts",
    "customer_account": "customer_accounts", "customeraccount": "customer_accounts",
    "mandate": "mandates", "payment": "payments", "credit": "credits",
    "recurrence_schedule": "recurrence_schedules", "schedule": "recurrence_schedules",
    "payment_link": "payment_links", "paymentlink": "payment_links",
}  # fmt: skip


def auth_headers(source: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {source.require_secret().get_secret_value()}"}


def feed_events(message: Mapping[str, Any]) -> list[FeedEvent]:
    """The records an outbound message (a webhook sent, v1 or v2 body) says have changed."""
    webhook = message.get("webhook") or {}
    body = webhook.get("webhook_body") if isinstance(webhook, Mapping) else None
    try:
        decoded = orjson.loads(body) if isinstance(body, str | bytes) else body
    except orjson.JSONDecodeError:
        return []
    events = decoded.get("events") if isinstance(decoded, Mapping) else None
    found = []
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, Mapping):
            continue
        kind = str(event.get("event_type") or event.get("resource_type") or "").split(".")[0]
        record_id = event.get("reference") if "resource_type" in event else event.get("id")
        stream = EVENT_STREAMS.get(kind.lower())
        if stream and record_id:
            found.append(FeedEvent(stream, str(record_id)))
    return found


CONNECTOR = Connector(
    provider="smarterpay",
    streams=STREAMS,
    auth_headers=auth_headers,
    feed_stream="outbound_messages",
    feed_events=feed_events,
)
