"""Auth, TLS, writes, idempotency, and the shapes of the documented response samples."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

# Response samples of the provider's Bank Account and Payment Link pages, verbatim.
FIXTURES = Path(__file__).parent.parent / "fixtures" / "smarterpay"


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _shape(record: dict) -> dict[str, str]:
    def kind(value):
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", value):
            return "iso-ms"
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
            return "iso"
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", value):
            return "spaced"
        return type(value).__name__

    return {k: kind(v) for k, v in record.items()}


def test_bank_account_list_sample_has_the_emulator_shape(client):
    samples = _fixture("bank_account_list.json")["bank_accounts"]
    assert samples, "the list sample holds no bank account"
    ours = client.get("bankaccounts", limit=1)["bank_accounts"]
    assert ours, "the emulator listed no bank account"
    for sample in samples:
        assert _shape(ours[0]) == _shape(sample)


def test_bank_account_detail_sample_has_the_emulator_shape(client):
    sample = _fixture("bank_account_detail.json")["bank_account"]
    assert "id" in sample and "credits_allowed" in sample
    listed = client.get("bankaccounts", limit=1)["bank_accounts"][0]
    ours = client.get(f"bankaccount/{listed['Id']}")["bank_account"]
    assert _shape(ours) == _shape(sample)


def test_payment_link_list_sample_has_the_emulator_shape(client):
    samples = _fixture("payment_link_list.json")["payment_links"]
    assert samples, "the list sample holds no payment link"
    ours_links = client.get("paymentlinks", limit=500)["payment_links"]
    assert ours_links, "the emulator listed no payment link"
    for sample in samples:
        assert set(ours_links[0]) == set(sample)
        for key, value in sample.items():  # same types where the sample has a value
            if value is not None and key != "expiry":
                assert any(type(o[key]) is type(value) for o in ours_links), key
    assert any(o["expiry"] == "never" for o in ours_links)
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", o["expiry"]) for o in ours_links)


def test_auth_498(emu):
    status, _, body = emu.request("GET", "/service.svc/payments")
    assert status == 498 and json.loads(body)["error"]["code"] == 498
    status, _, _ = emu.request(
        "GET", "/service.svc/payments", None, {"Authorization": "Bearer wrong"}
    )
    assert status == 498


def test_plain_http_gets_tls_required(emu):
    url = emu.base_url.replace("https://", "http://") + "/service.svc/payments"
    try:
        urllib.request.urlopen(url, timeout=10)
        raise AssertionError("plain HTTP must not succeed")
    except urllib.error.HTTPError as exc:
        assert json.loads(exc.read())["error"]["message"] == "TLS_Required"


def test_create_update_disable_and_idempotency(client):
    body = {
        "bank_account": {
            "account_number": "12345678",
            "sort_code": "123456",
            "account_name": "Test Name",
            "custom_reference": "XYZ",
        }
    }
    key = {"Idempotency-Key": "abc-1"}
    status, headers, first = client.call("POST", "bankaccount", body, key)
    assert status == 200 and first["bank_account"]["account_name"] == "Test Name"
    status, headers, again = client.call("POST", "bankaccount", body, key)
    assert again == first and headers.get("idempotency-replay") == "true"
    status, _, other = client.call("POST", "bankaccount", body, {"Idempotency-Key": "ABC-1"})
    assert other["bank_account"]["id"] != first["bank_account"]["id"]  # keys are case-sensitive
    rid = first["bank_account"]["id"]
    status, _, disabled = client.call("DELETE", f"bankaccount/{rid}")
    assert status == 200 and disabled["bank_account"]["enabled"] is False
    assert "credits_allowed" not in disabled["bank_account"]
    assert client.get(f"bankaccount/{rid}")["bank_account"]["enabled"] is False
    status, _, _ = client.call("PUT", f"bankaccount/{rid}", {"bank_account": {"enabled": True}})
    assert status == 200 and client.get(f"bankaccount/{rid}")["bank_account"]["enabled"] is True


@pytest.mark.parametrize(
    "path,body,headers",
    [
        ("bankaccount", b"{not json", {}),
        ("bankaccount", {"bank_account": {"account_name": "x"}}, {}),
        ("paymentlink", {"payment_link": {"ecommerce_page": "EP02X", "metadata": "m" * 1001}}, {}),
        ("bankaccount", {"bank_account": {}}, {"Content-Type": "text/plain"}),
        ("bankaccount", {"bank_account": {}}, {"Idempotency-Key": "k" * 256}),
    ],
    ids=["bad-json", "missing-fields", "long-metadata", "content-type", "long-key"],
)
def test_bad_writes_answer_400(client, path, body, headers):
    status, _, answer = client.call("POST", path, body, headers)
    assert status == 400 and answer["error"]["code"] == 400


def test_modulus_check_and_represent(client):
    status, _, body = client.call(
        "POST",
        "moduluscheck",
        {"Modulus_Check": {"account_number": "12345678", "sort_code": "123456"}},
    )
    assert status == 200 and body["Modulus_Check"]["AccountCodeOK"] is True
    failed = client.get("payments", status="failed", limit=1)["payments"][0]
    new = {
        "payment": {"amount": 100, "collection_date": "2099-08-25", "description": "metered bill"}
    }
    status, _, body = client.call("POST", f"payment/{failed['id']}/represent", new)
    assert status == 200, body
    assert body["payment"]["payment_type"] == "represent"
    assert body["payment"]["related_payment"] == failed["id"]
