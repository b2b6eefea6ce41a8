"""SmarterPay Cloud (UK Bacs Direct Debit): stream table, auth and change feed.

Base URLs: ``https://api.smarterpaycloud.com`` (live), ``https://uatapi.smarterpaycloud.com`` (UAT);
the stream paths carry the ``service.svc/`` prefix. Auth: ``Authorization: Bearer <token>``;
a bad token answers 498. Outbound messages are the account's webhook log: each names the
records whose state changed, which the engine re-fetches by id (docs/architecture.md, mutable records).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from connectors.smarterpay.streams import STREAMS
from connectors.smarterpay.webhooks import EVENT_STREAMS, WEBHOOK, body_events
from connectors.streams import Connector, FeedEvent

__all__ = ["CONNECTOR", "EVENT_STREAMS", "STREAMS", "auth_headers", "feed_events"]


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
    return body_events(decoded)


CONNECTOR = Connector(
    provider="smarterpay",
    streams=STREAMS,
    auth_headers=auth_headers,
    feed_stream="outbound_messages",
    feed_events=feed_events,
    webhook=WEBHOOK,
)
