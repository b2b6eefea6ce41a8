"""Notifications posted with another or no Content-Type (issue 14): a body that parses as the
provider's notification is applied; only a body that does not parse is refused (400, kept in
paysync.rejects)."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

from connectors.emulator_kit.testing import start_emulator
from tests.test_webhooks import (
    API_KEY,
    SITE_ID,
    basic,
    fetchval,
    free_port,
    receiver,
    s2p_source,
    settings_for,
    until,
)


async def post_raw(url: str, body: bytes, headers: dict[str, str]) -> int:
    # skip_auto_headers: aiohttp would otherwise add a Content-Type of its own
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers, skip_auto_headers=["Content-Type"]) as resp,
    ):
        await resp.read()
        return resp.status


async def test_notification_with_other_or_no_content_type_is_applied(db_url: str) -> None:
    with start_emulator("smart2pay", records=40, seed=61, site_id=SITE_ID, api_key=API_KEY) as emu:
        emu.clock_freeze(True)
        settings = settings_for(db_url, s2p_source(emu, "ctype"))
        port = free_port()
        url = f"http://127.0.0.1:{port}/webhooks/smart2pay/ctype"
        payments: list[dict[str, Any]] = emu.truth("payments")[:2]
        auth = {"Authorization": basic(SITE_ID, API_KEY)}
        rejects = "SELECT count(*) FROM paysync.rejects WHERE source = 'ctype'"
        async with receiver(settings, port):
            text = {**auth, "Content-Type": "text/plain; charset=utf-8"}
            assert await post_raw(url, orjson.dumps({"Payment": payments[0]}), text) == 204
            assert await post_raw(url, orjson.dumps({"Payment": payments[1]}), auth) == 204
            assert await post_raw(url, b"status=paid&id=1", text) == 400
            assert await post_raw(url, b"not json at all", auth) == 400
            ids = [str(p["ID"]) for p in payments]

            async def applied() -> bool:
                found = await fetchval(
                    db_url,
                    "SELECT count(*) FROM smart2pay.payments WHERE source = 'ctype' AND id = ANY($1)",
                    ids,
                )
                return bool(found == 2)

            await until(applied, what="both notifications applied")
        assert await fetchval(db_url, rejects) == 2  # only the two bodies that do not parse
