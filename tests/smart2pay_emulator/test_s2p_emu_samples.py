"""Every JSON sample of the payments documentation has the keys, nesting and types the emulator
serves: successful responses and notifications against the emulator's own records, error
responses against the same error provoked live."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.smart2pay_emulator.conftest import Client

# The response and notification bodies of the payments documentation (create, capture, cancel,
# notification, get, list, status), verbatim and in document order; requests are left out.
FIXTURES = Path(__file__).parent.parent / "fixtures" / "smart2pay"
SAMPLES: list[dict[str, Any]] = json.loads((FIXTURES / "payments_samples.json").read_text())


def _payment(sample: dict[str, Any]) -> dict[str, Any]:
    return sample.get("Payment") or sample["Payments"][0]


def _is_card(payment: dict[str, Any]) -> bool:
    return payment.get("MethodID") == 6 or "Card" in payment


def _kind(sample: dict[str, Any]) -> str:
    payment = _payment(sample)
    if "Payments" in sample:
        return "list"
    if payment["ID"] is None:
        return "refused-create"
    if payment["Status"]["Reasons"]:
        # the documented refusals: capturing a Success payment, cancelling a Cancelled one
        return "refused-cancel" if payment["Status"]["Info"] == "Cancelled" else "refused-capture"
    if set(payment) == {"ID", "MerchantTransactionID", "Status"}:
        return "status"
    if "ClientIP" in payment and not _is_card(payment):
        return "create"
    return "payment"


def test_fixture_has_the_documented_samples() -> None:
    assert Counter(_kind(s) for s in SAMPLES) == {
        "create": 1,
        "refused-create": 2,  # a duplicate MerchantTransactionID, with and without a card
        "refused-capture": 1,
        "refused-cancel": 1,
        "list": 3,
        "status": 1,
        "payment": 7,  # card create, capture, partial capture, cancels, notification, get
    }


def _value_kind(v: Any) -> str:
    return {bool: "bool", int: "num", float: "num", str: "str", list: "list", dict: "dict"}.get(
        type(v), "null"
    )


def _compatible(sample: Any, ours: Any, path: str) -> None:
    if sample is None or ours is None:
        return
    assert _value_kind(sample) == _value_kind(ours), f"{path}: {sample!r} vs {ours!r}"
    if isinstance(sample, dict):
        assert set(sample) <= set(ours), f"{path}: missing {set(sample) - set(ours)}"
        for key in sample:
            _compatible(sample[key], ours[key], f"{path}.{key}")
    elif isinstance(sample, list) and sample and ours:
        _compatible(sample[0], ours[0], f"{path}[0]")


def _create_body(mtid: str, card: bool) -> dict[str, Any]:
    if card:
        payment: dict[str, Any] = {
            "Amount": 2000,
            "Currency": "EUR",
            "Card": {
                "HolderName": "John Doe",
                "Number": "4111111111111111",
                "ExpirationMonth": "02",
                "ExpirationYear": "2030",
                "SecurityCode": "312",
            },
            "Capture": True,
        }
    else:
        payment = {
            "Amount": 11,
            "Currency": "CNY",
            "MethodID": 1066,
            "ReturnURL": "http://x.example/r",
            "Customer": {"Email": "a@example.com"},
        }
    return {"Payment": {"MerchantTransactionID": mtid, **payment}}


def _refused(client: Client, kind: str, payment: dict[str, Any], truth: list[dict]) -> dict:
    """The same error, provoked live on a record of the same kind (card or not)."""
    card = _is_card(payment)
    if kind == "refused-create":  # repeat the MerchantTransactionID of an existing payment
        taken = next(p for p in truth if _is_card(p) == card)["MerchantTransactionID"]
        status, _, answer = client.call("POST", "/v1/payments", _create_body(taken, card))
    else:
        action = kind.removeprefix("refused-")
        target = next(
            p for p in truth if _is_card(p) == card and p["Status"]["ID"] == payment["Status"]["ID"]
        )
        status, _, answer = client.call("POST", f"/v1/payments/{target['ID']}/{action}")
    assert status == 400, answer
    assert answer["Payment"]["Status"]["Reasons"], answer
    return answer["Payment"]


def _ours(client: Client, sample: dict[str, Any], truth: list[dict[str, Any]]) -> dict:
    kind = _kind(sample)
    payment = _payment(sample)
    if kind.startswith("refused-"):
        return _refused(client, kind, payment, truth)
    card = _is_card(payment)
    wanted = [p for p in truth if (p["MethodID"] == 6) == card]
    assert wanted, f"the emulator has no {'card' if card else 'non-card'} payment"
    richest = max(wanted, key=lambda p: sum(v is not None for v in p.values()))
    if kind == "list":
        listed = client.get("/v1/payments", limit=1, methodID=richest["MethodID"])["Payments"]
        assert listed, "the emulator listed no payment"
        return listed[0]
    if kind == "create":
        body = _create_body(f"sample{len(truth)}", card=False)
        status, _, created = client.call("POST", "/v1/payments", body)
        assert status == 201, created
        return created["Payment"]
    if kind == "status":
        return client.get(f"/v1/payments/{richest['ID']}/status")["Payment"]
    return richest


@pytest.mark.parametrize(
    "sample", SAMPLES, ids=[f"sample{i}-{_kind(s)}" for i, s in enumerate(SAMPLES)]
)
def test_sample_parses_like_emulator_output(client: Client, sample: dict[str, Any]) -> None:
    truth = client.emu.truth("payments")
    ours = _ours(client, sample, truth)
    payment = _payment(sample)
    _compatible(payment, ours, "Payment")
    assert set(ours) - set(payment) <= {
        "ClientIP",
        "OriginatorTransactionID",
        "PreapprovalID",
        "DateOfBirth",
    }
