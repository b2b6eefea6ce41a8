"""Lists: paging covers every record once, envelopes, filters, sorts, bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from connectors.smarterpay.emulator.resources import RESOURCES

ID_KEYS = {name: r.item_id_key for name, r in RESOURCES.items()}


def all_pages(client, name: str, limit: int, **params) -> list[dict]:
    key = RESOURCES[name].list_key if name in RESOURCES else "OutboundMessages"
    out, page = [], 1
    while True:
        items = client.get(name, limit=limit, page_no=page, **params)[key]
        out += items
        if len(items) < limit:
            return out
        page += 1


@pytest.mark.parametrize("limit", [1, 7, 40, 500])
def test_paging_covers_every_record_once(client, emu, limit):
    names = ["customeraccounts", "credits"] if limit == 1 else list(RESOURCES)
    for name in names:
        listed = [r[ID_KEYS[name]] for r in all_pages(client, name, limit)]
        truth = emu.truth(name)
        truth_ids = [r[RESOURCES[name].id_key] for r in truth]
        assert len(listed) == len(set(listed)), name
        assert sorted(listed) == sorted(truth_ids), name


def test_window_and_desc_order(client, emu):
    rows = all_pages(client, "payments", 500)
    mid = rows[len(rows) // 2]["created_at"].replace("T", " ").rstrip("Z")
    before = all_pages(client, "payments", 40, created_to=mid)
    after = all_pages(client, "payments", 40, created_from=mid)
    assert len(before) + len(after) == len(rows)  # [from, to): no overlap, no gap
    desc = client.get("payments", limit=5, sort_order="desc")["payments"]
    assert [r["id"] for r in desc] == [r["id"] for r in rows[::-1][:5]]


def test_filters(client):
    paid = all_pages(client, "payments", 500, status="successful,failed")
    assert paid and {r["status"] for r in paid} <= {"successful", "failed"}
    one = client.get("bankaccounts", id=client.get("bankaccounts")["bank_accounts"][3]["Id"])
    assert len(one["bank_accounts"]) == 1
    sub = client.get("bankaccounts", account_name="a", limit=500)["bank_accounts"]
    assert all("a" in r["account_name"].lower() for r in sub)
    by_name = client.get("bankaccounts", sort_field="account_name", limit=50)["bank_accounts"]
    assert [r["account_name"] for r in by_name] == sorted(r["account_name"] for r in by_name)


def test_case_insensitive_and_singular_paths(emu, client):
    headers = {"Authorization": "Bearer test-token"}
    status, _, raw = emu.request(
        "GET", "/Service.svc/BankAccounts?limit=2&page_no=1", None, headers
    )
    assert status == 200 and len(json.loads(raw)["bank_accounts"]) == 2
    assert "Client_Bank_Accounts" in client.get("CLIENTBANKACCOUNT")
    assert "Service_User_Number" in client.get("serviceusernumber")


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"limit": "x"},
        {"page_no": 0},
        {"sort_field": "nope"},
        {"sort_order": "up"},
        {"created_from": "2024-01-01T00:00:00"},
        {"created_to": "yesterday"},
    ],
    ids=["limit0", "limit501", "limit-nan", "page0", "sort", "order", "iso-date", "word-date"],
)
def test_bad_list_params_answer_400(client, params):
    status, _, body = client.call("GET", "payments", **params)
    assert status == 400 and body["error"]["code"] == 400


def test_unknown_resource_and_id(client):
    status, _, body = client.call("GET", "widgets")
    assert status == 404 and "error" in body
    status, _, body = client.call("GET", "payment/P01NOTAREALID000000")
    assert status == 404 and "error" in body


def test_detail_matches_truth(client, emu):
    for name in ("payments", "mandates", "bankaccounts", "credits", "submissionlines"):
        res = RESOURCES[name]
        record = emu.truth(name)[5]
        detail = client.get(f"{res.detail}/{record[res.id_key]}")[res.detail_key]
        assert detail == record


def test_truth_since_is_the_whole_truth_from_that_second_on(emu):
    """Tests of large histories ask the truth from a date on: it must be exactly the part of
    the whole truth created then or later (the expected side filters the whole list here)."""
    whole = emu.truth("payments")
    cut = sorted(r["created_at"] for r in whole)[len(whole) // 2]
    since = datetime.fromisoformat(cut.replace("Z", "+00:00"))
    assert emu.truth("payments", since) == [r for r in whole if r["created_at"] >= cut]
    with pytest.raises(RuntimeError, match="since: not offered"):
        emu.truth("outboundmessages", since)


@pytest.mark.parametrize("sort_order", ["asc", "desc"])
def test_outbound_messages_paged_by_id_are_the_truth_in_id_order(client, emu, sort_order):
    """The census reads the change feed by ``sort_field=id`` (served from a sorted copy)."""
    expected = sorted((m["id"] for m in emu.truth("outboundmessages")),
                      reverse=sort_order == "desc")  # fmt: skip
    ids, page_no = [], 1
    while True:
        params = dict(sort_field="id", sort_order=sort_order, limit=37, page_no=page_no)
        items = client.get("outboundmessages", **params)["OutboundMessages"]
        ids += [m["id"] for m in items]
        if len(items) < 37:
            break
        page_no += 1
    assert ids == expected and len(ids) > 100
