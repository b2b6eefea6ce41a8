"""Lists over real HTTPS: both paging generations, filters, list-vs-detail, bad input, auth."""

from __future__ import annotations

import ssl
import urllib.request

import pytest

from tests.smart2pay_emulator.conftest import Client


def _truth_ids(client: Client) -> list[int]:
    return sorted((p["ID"] for p in client.emu.truth("payments")), reverse=True)


@pytest.mark.parametrize("size", [1, 7, 50, 500], ids=lambda s: f"limit{s}")
def test_limit_offset_covers_every_payment_once(client: Client, size: int) -> None:
    seen: list[int] = []
    offset = 1
    while True:
        page = client.get("/v1/payments", limit=size, offset=offset)["Payments"]
        seen += [p["ID"] for p in page]
        if len(page) < size:
            break
        offset += size
    assert seen == _truth_ids(client)


@pytest.mark.parametrize("size", [1, 13, 50, 500], ids=lambda s: f"pageSize{s}")
def test_page_index_covers_every_payment_once(client: Client, size: int) -> None:
    expected = _truth_ids(client)
    seen: list[int] = []
    index = 1
    while True:
        body = client.get("/v1/payments", pageSize=size, pageIndex=index)
        assert body["TotalCount"] == len(expected) and body["PageIndex"] == index
        assert body["TotalPages"] == -(-len(expected) // size)
        assert body["Count"] == len(body["Payments"])
        seen += [p["ID"] for p in body["Payments"]]
        if index >= body["TotalPages"]:
            break
        index += 1
    assert seen == expected


def test_offset_is_one_based_as_the_sample(client: Client) -> None:
    everything = [p["ID"] for p in client.get("/v1/payments", limit=10)["Payments"]]
    page = [p["ID"] for p in client.get("/v1/payments", limit=2, offset=3)["Payments"]]
    assert page == everything[2:4]


def test_default_page_and_order(client: Client) -> None:
    body = client.get("/v1/payments")
    ids = [p["ID"] for p in body["Payments"]]
    assert len(ids) == 50 and ids == sorted(ids, reverse=True) and "TotalCount" not in body
    asc = client.get("/v1/payments", pageSize=5, pageIndex=1, sortDirection="asc")
    assert [p["ID"] for p in asc["Payments"]] == sorted(_truth_ids(client))[:5]


FILTERS = [
    ("methodID", 6, lambda p: p["MethodID"] == 6),
    ("currency", "EUR", lambda p: p["Currency"] == "EUR"),
    ("country", "NL", lambda p: p["BillingAddress"]["Country"] == "NL"),
    ("minimumAmount", 50000, lambda p: p["Amount"] >= 50000),
    ("maximumAmount", 1000, lambda p: p["Amount"] <= 1000),
    ("statusID", 2, lambda p: p["Status"]["ID"] == 2),
    ("typeID", 2, lambda p: p.get("PreapprovalID") is not None),
]


@pytest.mark.parametrize(("key", "value", "pred"), FILTERS, ids=[f[0] for f in FILTERS])
def test_filters_match_truth(client: Client, key: str, value: object, pred: object) -> None:
    truth = client.emu.truth("payments")
    expected = sorted((p["ID"] for p in truth if pred(p)), reverse=True)  # type: ignore[operator]
    body = client.get("/v1/payments", **{key: value, "pageSize": 500, "pageIndex": 1})
    assert [p["ID"] for p in body["Payments"]] == expected
    assert body["TotalCount"] == len(expected) and expected


def test_date_window_and_unique_keys(client: Client) -> None:
    truth = sorted(client.emu.truth("payments"), key=lambda p: p["ID"])
    start, end = truth[40]["Created"], truth[90]["Created"]
    got = client.get("/v1/payments", startDate=start, endDate=end, limit=500)["Payments"]
    assert [p["ID"] for p in got] == [
        p["ID"] for p in reversed(truth) if start <= p["Created"] <= end
    ]
    one = truth[7]
    by_mtid = client.get("/v1/payments", merchantTransactionID=one["MerchantTransactionID"])
    assert [p["ID"] for p in by_mtid["Payments"]] == [one["ID"]]
    with_tx = next(p for p in truth if p["MethodTransactionID"])
    by_tx = client.get("/v1/payments", methodTransactionID=with_tx["MethodTransactionID"])
    assert [p["ID"] for p in by_tx["Payments"]] == [with_tx["ID"]]


def test_list_items_are_limited_and_detail_is_full(client: Client) -> None:
    items = client.get("/v1/payments", limit=20)["Payments"]
    for item in items:
        assert item["Customer"] is None and item["BillingAddress"] is None
        assert item.get("ReferenceDetails") is None and item.get("RedirectURL") is None
        detail = client.get(f"/v1/payments/{item['ID']}")["Payment"]
        assert detail["Customer"] and detail["BillingAddress"]["Country"]
        assert set(detail) == set(item) - {"ClientIP"} | ({"ClientIP"} & set(detail))
        assert detail["Status"] == item["Status"]
        status = client.get(f"/v1/payments/{item['ID']}/status")["Payment"]
        assert status == {
            "ID": item["ID"],
            "MerchantTransactionID": item["MerchantTransactionID"],
            "Status": item["Status"],
        }


BAD = [
    {"offset": -1},
    {"limit": 0},
    {"limit": 501},
    {"pageIndex": 0},
    {"pageSize": "x"},
    {"limit": 5, "pageSize": 5},
    {"startDate": "2016-03-14"},
    {"endDate": "20161399000000"},
    {"merchantTransactionID": "bad id!"},
    {"methodTransactionID": "x" * 51},
    {"country": "XX"},
    {"currency": "EURO"},
    {"typeID": 3},
    {"sortBy": "nope"},
]


@pytest.mark.parametrize("params", BAD, ids=[next(iter(p)) + str(i) for i, p in enumerate(BAD)])
def test_bad_list_input_is_a_400_with_reasons(client: Client, params: dict) -> None:
    status, _, body = client.call("GET", "/v1/payments", **params)
    assert status == 400
    reasons = body["Payment"]["Status"]["Reasons"]
    assert reasons and {"Code", "Info"} <= set(reasons[0])


def test_wrong_credentials_get_401(client: Client) -> None:
    for bad in (Client(client.emu, api_key="wrong"), Client(client.emu, site_id=1)):
        status, _, body = bad.call("GET", "/v1/payments")
        assert status == 401 and body == {"Message": "No valid authorization header provided"}
    status, _, _ = client.emu.request("GET", "/v1/payments")
    assert status == 401


def test_plain_http_on_tls_port_is_refused(client: Client) -> None:
    url = client.emu.base_url.replace("https://", "http://") + "/v1/payments"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=10)
    assert err.value.code == 403 and b"TLS_Required" in err.value.read()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(
            client.emu.base_url + "/v1/payments", timeout=10, context=ssl.create_default_context()
        )


def test_other_lists(client: Client) -> None:
    pre = client.get("/v1/preapprovals", limit=500)["Preapprovals"]
    assert pre and [p["ID"] for p in pre] == sorted((p["ID"] for p in pre), reverse=True)
    assert len(client.get("/v1/preapprovals")["Preapprovals"]) == min(50, len(pre))
    detail = client.get(f"/v1/preapprovals/{pre[0]['ID']}")["Preapproval"]
    assert detail["MerchantPreapprovalID"] == pre[0]["MerchantPreapprovalID"]
    payouts = client.get("/v1/payouts", limit=500)["Payouts"]
    assert [p["ID"] for p in payouts] == sorted(
        (p["ID"] for p in client.emu.truth("payouts")), reverse=True
    )
    usd = client.get("/v1/payouts", currency="USD", limit=500)["Payouts"]
    assert usd and all(p["Currency"] == "USD" for p in usd)
    assert client.get(f"/v1/payouts/{payouts[0]['ID']}")["Payout"]["ID"] == payouts[0]["ID"]
    methods = client.get("/v1/methods", country="NL")["Methods"]
    assert methods and all("NL" in m["Countries"] for m in methods)
    assert client.get("/v1/methods/6")["Method"]["Options"] == []


def test_preapproval_payments_and_refunds_match_truth(client: Client) -> None:
    truth = client.emu.truth("payments")
    recurring = next(p for p in truth if p.get("PreapprovalID"))
    pid = recurring["PreapprovalID"]
    got = client.get(f"/v1/preapprovals/{pid}/payments", limit=500)["Payments"]
    assert sorted(p["ID"] for p in got) == sorted(
        p["ID"] for p in truth if p.get("PreapprovalID") == pid
    )
    refunds = client.emu.truth("refunds")
    assert refunds
    parent = refunds[0]["InitialPaymentID"]
    listed = client.get(f"/v1/payments/{parent}/refunds")["Refunds"]
    assert {r["ID"] for r in listed} == {
        r["ID"] for r in refunds if r["InitialPaymentID"] == parent
    }
    assert listed[0]["Customer"] is None
    one = client.get(f"/v1/payments/{parent}/refunds/{listed[0]['ID']}")["Refund"]
    assert one == next(r for r in refunds if r["ID"] == listed[0]["ID"])
