"""Smart2Pay / GlobalPay (Nuvei APM): connector (stream table, auth) and sandbox emulator.

Base URLs: ``https://paytest.smart2pay.com`` (test), ``https://globalpay.smart2pay.com`` (live);
the stream paths carry the ``v1/`` prefix. Auth: HTTP Basic ``SiteID:ApiKey`` (401 when wrong).
There is no pull change feed: notifications are pushed to the webhook receiver instead.
"""

from __future__ import annotations

import base64
from typing import Any

from connectors.smart2pay.notifications import WEBHOOK
from connectors.smart2pay.streams import STREAMS
from connectors.streams import Connector


def auth_headers(source: Any) -> dict[str, str]:
    key = source.require_secret().get_secret_value()
    token = base64.b64encode(f"{source.site_id}:{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


CONNECTOR = Connector(
    provider="smart2pay", streams=STREAMS, auth_headers=auth_headers, webhook=WEBHOOK
)
