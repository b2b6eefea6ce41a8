"""Lifecycle over clock advances, outbound messages as a change feed, seeded faults."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.smarterpay_emulator.sp_client import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _get(emu, path):
    status, headers, raw = emu.request("GET", f"/service.svc/{path}", None, AUTH)
    return status, headers, (json.loads(raw) if status == 200 else raw)


def test_lifecycle_follows_the_clock(fresh_emu):
    emu = fresh_emu
    body = {
        "payment": {
            "amount": 2532,
            "collection_date": "2099-01-05",
            "description": "x",
            "mandate": emu.truth("mandates")[0]["id"],
        }
    }
    status, _, raw = emu.request("POST", "/service.svc/payment", body, AUTH)
    created = json.loads(raw)["payment"]
    assert status == 200 and created["status"] in ("pending_submission", "cancelled")
    seen = [created["status"]]
    for _ in range(4):
        emu.clock_advance(4 * 86400)
        seen.append(_get(emu, f"payment/{created['id']}")[2]["payment"]["status"])
    if created["status"] == "pending_submission":
        assert "submitted" in seen and seen[-1] in ("successful", "failed")
    truth = {r["id"]: r for r in emu.truth("payments")}
    assert truth[created["id"]] == _get(emu, f"payment/{created['id']}")[2]["payment"]


def test_state_is_a_pure_function_of_the_clock(fresh_emu):
    emu = fresh_emu
    before = emu.truth("mandates")
    emu.clock_advance(400 * 86400)
    later = emu.truth("mandates")
    assert [r["dd_status"] for r in later] != [r["dd_status"] for r in before]
    emu.clock_advance(-400 * 86400)
    assert emu.truth("mandates") == before


def test_mutations_appear_in_outbound_messages(fresh_emu):
    emu = fresh_emu
    ids = emu.mutate("payments", 3)
    assert len(ids) == 3
    since = (emu.clock_now() - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    _, _, body = _get(emu, f"outboundmessages?created_from={since.replace(' ', '%20')}&limit=500")
    named = {
        json.loads(m["webhook"]["webhook_body"])["events"][0]["id"]
        for m in body["OutboundMessages"]
    }
    assert set(ids) <= named
    for rid in ids:
        assert _get(emu, f"payment/{rid}")[2]["payment"]["status"] == "cancelled"
    message = body["OutboundMessages"][0]
    assert _get(emu, f"outboundmessage/{message['id']}")[2]["OutboundMessage"] == message


def test_outbound_messages_cover_status_changes(fresh_emu):
    emu = fresh_emu
    now = emu.clock_now()
    window = {
        "created_from": (now - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S"),
        "created_to": now.strftime("%Y-%m-%d %H:%M:%S"),
    }
    query = "&".join(f"{k}={v.replace(' ', '%20')}" for k, v in window.items())
    messages, page = [], 1
    while True:
        _, _, body = _get(emu, f"outboundmessages?{query}&limit=50&page_no={page}")
        messages += body["OutboundMessages"]
        if len(body["OutboundMessages"]) < 50:
            break
        page += 1
    times = [m["created_at"] for m in messages]
    assert times == sorted(times) and len({m["id"] for m in messages}) == len(messages)
    events = [json.loads(m["webhook"]["webhook_body"])["events"][0] for m in messages]
    assert any(e["event_type"] == "payment.update" and e["status"] == "successful" for e in events)


def test_faults_are_seeded_and_counted(fresh_emu):
    emu = fresh_emu
    emu.set_faults("500=0.2,429=0.1,retry_after=2,seed=4")
    emu.reset_stats()
    statuses = [_get(emu, "customeraccounts?limit=1") for _ in range(60)]
    codes = [s for s, _, _ in statuses]
    assert 3 <= codes.count(500) <= 25 and 1 <= codes.count(429) <= 15
    assert all(h.get("Retry-After") == "2" for s, h, _ in statuses if s == 429)
    emu.set_faults("500=0.2,429=0.1,retry_after=2,seed=4")
    again = [_get(emu, "customeraccounts?limit=1")[0] for _ in range(60)]
    assert again == codes  # same seed, same order: same faults
    stats = emu.stats()["by_endpoint"]["GET customeraccounts"]
    assert stats["500"] == 2 * codes.count(500)


def test_maintenance_token_expiry_and_malformed(fresh_emu):
    emu = fresh_emu
    emu.set_faults("maintenance=1")
    assert _get(emu, "payments")[0] == 503
    emu.set_faults("token_expiry_after=2")
    assert [_get(emu, "payments")[0] for _ in range(3)] == [200, 200, 498]
    emu.set_faults("malformed=0.5,seed=2")
    rows = _get(emu, "payments?limit=100")[2]["payments"]
    clean = emu.truth("payments")
    assert 20 < sum(r not in clean for r in rows) < 80  # truth stays clean
    emu.set_faults("")


def test_late_arrivals_land_inside_the_window(fresh_emu):
    emu = fresh_emu
    start = datetime(2000, 1, 1, tzinfo=UTC)
    window = "created_from=2000-01-01%2000:00:00&created_to=2099-01-01%2000:00:00"
    before = len(emu.truth("payments"))
    emu.set_faults("late_arrivals=1,insert_while_paging=1,seed=3")
    _get(emu, f"payments?{window}&limit=5")
    emu.set_faults("")
    assert len(emu.truth("payments")) == before + 2
    assert start < emu.clock_now()
