"""SmarterPay Cloud webhooks: pure functions the receiver calls.

Reference: docs/providers/smarterpay.md, "Webhooks".

Bodies: v1 ``{"events": [{id: EV…, resource_type, reference: <record id>, …}]}`` (one event)
and v2 ``{"id": OM…, "idempotency_key", "sent_at", "client", "events": [{id: <record id>,
event_type: "payment.update", …}]}`` (a batch). Events carry only some of a record's fields,
so every record they name is fetched again by id. Delivery is at least once (up to 10
retries, unordered): the v2 ``idempotency_key`` (v1: the event ids) de-duplicates.

Authenticity: SmarterPay documents no signature; auth is configured per endpoint of a
subscription. paysync therefore requires a per-source shared secret (the env variable named by
``webhook_secret_env``) presented as ``Authorization: Bearer <secret>`` or as the password of
HTTP Basic (``https://user:<secret>@host/webhooks/smarterpay/<source>`` as the endpoint URL).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.streams import FeedEvent, Notification, WebhookParser, WebhookRecord

# Event type prefix (v2 `payment.update`, v1 `resource_type`) -> stream.
EVENT_STREAMS = {
    "bank_account": "bank_accounts", "bankaccount": "bank_accounts",
    "customer_account": "customer_accounts", "customeraccount": "customer_accounts",
    "mandate": "mandates", "payment": "payments", "credit": "credits",
    "recurrence_schedule": "recurrence_schedules", "schedule": "recurrence_schedules",
    "payment_link": "payment_links", "paymentlink": "payment_links",
}  # fmt: skip


def body_events(body: Any) -> list[FeedEvent]:
    """The records a webhook body (v1 or v2) says have changed; unknown kinds are skipped."""
    events = body.get("events") if isinstance(body, Mapping) else None
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


def verify(source: Any, headers: Mapping[str, str]) -> bool:
    """The source's shared secret, as Bearer token or Basic password, in constant time."""
    secret = getattr(source, "webhook_secret", None)
    if secret is None:
        return False
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    given = token.strip().encode()
    if scheme.lower() == "basic":
        try:
            given = base64.b64decode(given, validate=True).partition(b":")[2]
        except (binascii.Error, ValueError):
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given, secret.get_secret_value().encode())


def parse(body: Any) -> Notification:
    if not isinstance(body, Mapping) or not isinstance(body.get("events"), list):
        raise ValueError("expected a JSON object with an 'events' list (webhook v1 or v2)")
    if not all(isinstance(e, Mapping) for e in body["events"]):
        raise ValueError("every item of 'events' must be an object")
    key = body.get("idempotency_key")
    if not isinstance(key, str) or not key:
        ids = [str(e.get("id") or "") for e in body["events"]]
        if all(ids) and ids:
            key = "v1:" + ",".join(ids)
        else:
            digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
            key = "sha256:" + digest
    seen = dict.fromkeys((e.stream, e.record_id) for e in body_events(body))
    return Notification(key, tuple(WebhookRecord(s, i) for s, i in seen))


WEBHOOK = WebhookParser(verify=verify, parse=parse)
