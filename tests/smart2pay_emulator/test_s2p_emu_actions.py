"""Create, capture, cancel, refunds and lifecycle over clock advances; error envelopes."""

from __future__ import annotations

from typing import Any

from tests.smart2pay_emulator.conftest import Client, launch

REDIRECT = {
    "Payment": {
        "MerchantTransactionID": "s2ptest_g2",
        "Amount": 11,
        "Currency": "CNY",
        "MethodID": 1066,
        "ReturnURL": "http://demo.smart2pay.com/redirect.php",
        "TokenLifetime": 10,
        "Customer": {"Email": "youremail@email.com"},
    }
}


def card(mtid: str, capture: bool, number: str = "4111111111111111") -> dict[str, Any]:
    return {
        "Payment": {
            "MerchantTransactionID": mtid,
            "Amount": 2000,
            "Currency": "EUR",
            "Card": {
                "HolderName": "John Doe",
                "Number": number,
                "ExpirationMonth": "02",
                "ExpirationYear": "2030",
                "SecurityCode": "312",
            },
            "Capture": capture,
        }
    }


def test_create_redirect_then_duplicate(fresh: Client) -> None:
    status, _, body = fresh.call("POST", "/v1/payments", REDIRECT)
    assert status == 201
    p = body["Payment"]
    assert p["Status"] == {"ID": 1, "Info": "Open", "Reasons": None}
    assert p["RedirectURL"].endswith(f".{p['ID']}") and p["Customer"]["Email"]
    assert fresh.get(f"/v1/payments/{p['ID']}")["Payment"]["Amount"] == 11
    status, _, body = fresh.call("POST", "/v1/payments", REDIRECT)
    assert status == 400
    assert body["Payment"]["ID"] is None
    assert body["Payment"]["Status"] == {
        "ID": None,
        "Info": None,
        "Reasons": [{"Code": "20", "Info": "MerchantTransactionID is duplicated - s2ptest_g2"}],
    }


def test_card_payments_never_show_the_number(fresh: Client) -> None:
    status, _, body = fresh.call("POST", "/v1/payments", card("h2", True))
    assert status == 201 and body["Payment"]["Status"]["ID"] == 11
    assert body["Payment"]["Card"]["Number"] == "VISA-1111"
    status, _, bad = fresh.call("POST", "/v1/payments", card("h3", True, "41111"))
    assert status == 400 and bad["Payment"]["InvalidRequestID"].startswith("i")
    assert bad["Payment"]["Card"]["Number"] == "Ends with 1111"
    for raw in (
        str(body),
        str(bad),
        str(fresh.emu.truth("payments")),
        fresh.emu.log_path.read_text(),
    ):
        assert "4111111111111111" not in raw and "SecurityCode" not in raw


def test_capture_full_partial_and_refused(fresh: Client) -> None:
    a = fresh.call("POST", "/v1/payments", card("auth1", False))[2]["Payment"]
    assert a["Status"]["ID"] == 9
    status, _, part = fresh.call("POST", f"/v1/payments/{a['ID']}/capture", amount=1000)
    assert status == 200 and part["Payment"]["Status"]["ID"] == 35
    assert part["Payment"]["CapturedAmount"] == 1000
    status, _, again = fresh.call("POST", f"/v1/payments/{a['ID']}/capture")
    assert status == 400
    assert again["Payment"]["Status"] == {
        "ID": 35,
        "Info": "PartiallyCaptured",
        "Reasons": [{"Code": 17, "Info": f"Payment is invalid - {a['ID']}"}],
    }
    b = fresh.call("POST", "/v1/payments", card("auth2", False))[2]["Payment"]
    full = fresh.call("POST", f"/v1/payments/{b['ID']}/capture")[2]["Payment"]
    assert full["Status"]["ID"] == 11 and full["CapturedAmount"] == 2000


def test_cancel_rules(fresh: Client) -> None:
    a = fresh.call("POST", "/v1/payments", card("auth3", False))[2]["Payment"]
    status, _, body = fresh.call("POST", f"/v1/payments/{a['ID']}/cancel")
    assert status == 200 and body["Payment"]["Status"]["ID"] == 3
    status, _, body = fresh.call("POST", f"/v1/payments/{a['ID']}/cancel")
    assert status == 400 and body["Payment"]["Status"]["ID"] == 3
    assert body["Payment"]["Status"]["Reasons"][0]["Code"] == 17
    fresh_open = {"Payment": {**REDIRECT["Payment"], "MerchantTransactionID": "open1"}}
    o = fresh.call("POST", "/v1/payments", fresh_open)[2]["Payment"]
    assert fresh.call("POST", f"/v1/payments/{o['ID']}/cancel")[0] == 200
    o2 = fresh.call(
        "POST",
        "/v1/payments",
        {"Payment": {**REDIRECT["Payment"], "MerchantTransactionID": "open2"}},
    )
    pid = o2[2]["Payment"]["ID"]
    fresh.emu.clock_advance(20)  # customer has not opened RedirectURL yet (>= 30 s)
    assert fresh.get(f"/v1/payments/{pid}")["Payment"]["Status"]["ID"] == 1
    fresh.emu.clock_advance(1000)  # visited by now: refused while still Open or final
    status, _, body = fresh.call("POST", f"/v1/payments/{pid}/cancel")
    assert status == 400 and body["Payment"]["Status"]["Reasons"][0]["Code"] == 17


def test_refunds_create_list_get(fresh: Client) -> None:
    p = fresh.call("POST", "/v1/payments", card("paid1", True))[2]["Payment"]
    status, _, r = fresh.call(
        "POST",
        f"/v1/payments/{p['ID']}/refunds",
        {"Refund": {"Amount": 500, "Description": "part"}},
    )
    assert status == 201 and r["Refund"]["Status"]["ID"] == 1
    status, _, too_much = fresh.call(
        "POST", f"/v1/payments/{p['ID']}/refunds", {"Refund": {"Amount": 1600}}
    )
    assert status == 400 and too_much["Refund"]["Status"]["Reasons"][0]["Code"] == "2206"
    fresh.emu.clock_advance(120)
    listed = fresh.get(f"/v1/payments/{p['ID']}/refunds")["Refunds"]
    assert [x["ID"] for x in listed] == [r["Refund"]["ID"]] and listed[0]["Status"]["ID"] == 2
    got = fresh.get(f"/v1/payments/{p['ID']}/refunds/{listed[0]['ID']}")["Refund"]
    assert got["Amount"] == 500 and got["InitialPaymentID"] == p["ID"]
    assert fresh.get(f"/v1/payments/{p['ID']}")["Payment"]["Status"]["ID"] == 21


def test_bad_create_input(fresh: Client) -> None:
    cases = [
        (b"{not json", 2),
        ({"Payment": {"Amount": 11}}, 1),
        (
            {"Payment": {**REDIRECT["Payment"], "Currency": "XXX", "MerchantTransactionID": "c1"}},
            100,
        ),
        (
            {
                "Payment": {
                    **REDIRECT["Payment"],
                    "MerchantTransactionID": "c2",
                    "BillingAddress": {"Country": "ZZ"},
                }
            },
            19,
        ),
        ({"Payment": {**REDIRECT["Payment"], "MerchantTransactionID": "c3", "Amount": -5}}, 118),
        ([1, 2], 1),
    ]
    for body, code in cases:
        status, _, answer = fresh.call("POST", "/v1/payments", body)
        assert status == 400, body
        codes = [int(r["Code"]) for r in answer["Payment"]["Status"]["Reasons"]]
        assert code in codes, (body, codes)


def test_lifecycle_moves_with_the_clock_and_truth_follows(fresh: Client) -> None:
    before = {p["ID"]: p["Status"]["ID"] for p in fresh.emu.truth("payments")}
    fresh.emu.clock_advance(60 * 86400)
    after = {p["ID"]: p["Status"]["ID"] for p in fresh.emu.truth("payments")}
    moved = [i for i in before if before[i] != after[i]]
    assert moved and not any(after[i] in (1,) for i in moved)
    listed = fresh.get("/v1/payments", limit=500)["Payments"]
    assert {p["ID"]: p["Status"]["ID"] for p in listed} == after


def test_string_amounts_option() -> None:
    with launch(records=50, string_amounts=True) as emu:
        client = Client(emu)
        items = client.get("/v1/payments", limit=5)["Payments"]
        assert all(isinstance(p["Amount"], str) and p["Amount"].isdigit() for p in items)
