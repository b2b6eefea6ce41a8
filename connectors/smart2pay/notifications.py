"""Smart2Pay notifications: pure functions the receiver calls.

Reference: docs/providers/smart2pay.md, "Notifications".

A notification is ``POST``ed with ``Authorization: Basic base64(SiteID:ApiKey)`` and carries the
whole object under its envelope (``{"Payment": {...}}``, ``{"Refund": {...}}``,
``{"Payout": {...}}``, ``{"Preapproval": {...}}``), the same shape as the detail GET, so it is
merged as is. There is no idempotency key: one is derived from the kind, id, status,
notification time and a digest of the body, so a resent or duplicated notification has the
same key and a changed one a new key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.smart2pay.streams import PAYMENT_OPEN
from connectors.streams import Notification, WebhookParser, WebhookRecord

# Envelope -> stream. Disputes have no stream: they are acknowledged and stored, not applied.
KINDS = {"Payment": "payments", "Refund": "refunds", "Payout": "payouts",
         "Preapproval": "preapprovals", "Dispute": None}  # fmt: skip
SUCCESS = 2


def verify(source: Any, headers: Mapping[str, str]) -> bool:
    """The site's own credentials, compared in constant time (never logged)."""
    secret = source.require_secret()  # the receiver checked it at startup
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = f"{source.site_id}:{secret.get_secret_value()}".encode()
    return hmac.compare_digest(given, expected)


def parse(body: Any) -> Notification:
    if not isinstance(body, Mapping):
        raise ValueError("the body is not a JSON object")
    kinds = [k for k in KINDS if k in body]
    if len(kinds) != 1:
        raise ValueError(
            f"expected one of {', '.join(KINDS)} at the top level, got {sorted(body)[:5]}"
        )
    kind = kinds[0]
    record = body[kind]
    if not isinstance(record, Mapping) or not _is_id(record.get("ID")):
        raise ValueError(f"{kind}.ID is missing or not an integer id")
    status = record.get("Status")
    status_id = status.get("ID") if isinstance(status, Mapping) else None
    digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    key = f"{kind}:{record['ID']}:{status_id}:{record.get('NotificationDateTime') or ''}:{digest}"
    stream = KINDS[kind]
    records = (WebhookRecord(stream, str(record["ID"]), record),) if stream else ()
    return Notification(key, records)


def is_stale(incoming: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """Ordering rule: the later ``NotificationDateTime`` wins; when the times are equal or one
    is missing, a final status is not replaced by a non-final one and Success is not replaced
    by anything else ("a later Success notification overrides earlier ones")."""
    new_at, old_at = _time(incoming), _time(stored)
    if new_at and old_at and new_at != old_at:
        return new_at < old_at
    new_status, old_status = _status(incoming), _status(stored)
    if old_status == SUCCESS and new_status != SUCCESS:
        return True
    return _final(old_status) and not _final(new_status)


def _time(record: Mapping[str, Any]) -> str | None:
    value = record.get("NotificationDateTime")
    # YYYYMMDDHHMMSS (UTC, fixed width): compares as text.
    return value if isinstance(value, str) and len(value) == 14 and value.isdigit() else None


def _status(record: Mapping[str, Any]) -> int | None:
    status = record.get("Status")
    value = status.get("ID") if isinstance(status, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _final(status: int | None) -> bool:
    return status is not None and str(status) not in PAYMENT_OPEN


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


WEBHOOK = WebhookParser(verify=verify, parse=parse, is_stale=is_stale)
