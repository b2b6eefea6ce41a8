"""Every JSON sample in the seed page has the keys, nesting and types the emulator serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.smart2pay_emulator.conftest import Client

SEED = Path("/work/shared/seeds/smart2pay-globalpay-payments.txt")


def _samples() -> list[dict[str, Any]]:
    text = SEED.read_text() if SEED.exists() else ""
    decoder, out, pos = json.JSONDecoder(), [], 0
    while (pos := text.find("\n{", pos)) >= 0:
        try:
            obj, end = decoder.raw_decode(text, pos + 1)
        except json.JSONDecodeError:
            pos += 2
            continue
        pos = end
        inner = obj.get("Payment") or {}
        if "Payments" in obj or "ID" in inner:  # responses and notifications, not requests
            out.append(obj)
    return out


SAMPLES = _samples()


def _kind(v: Any) -> str:
    return {bool: "bool", int: "num", float: "num", str: "str", list: "list", dict: "dict"}.get(
        type(v), "null"
    )


def _compatible(sample: Any, ours: Any, path: str) -> None:
    if sample is None or ours is None:
        return
    assert _kind(sample) == _kind(ours), f"{path}: {sample!r} vs {ours!r}"
    if isinstance(sample, dict):
        assert set(sample) <= set(ours), f"{path}: missing {set(sample) - set(ours)}"
        for key in sample:
            _compatible(sample[key], ours[key], f"{path}.{key}")
    elif isinstance(sample, list) and sample and ours:
        _compatible(sample[0], ours[0], f"{path}[0]")


def _ours(client: Client, sample: dict[str, Any], truth: list[dict[str, Any]]) -> dict:
    payment = sample.get("Payment") or sample["Payments"][0]
    card = payment.get("MethodID") == 6 or "Card" in payment
    wanted = [p for p in truth if (p["MethodID"] == 6) == card]
    richest = max(wanted, key=lambda p: sum(v is not None for v in p.values()))
    if "Payments" in sample:
        return client.get("/v1/payments", limit=1, methodID=richest["MethodID"])["Payments"][0]
    if "ClientIP" in payment and not card:  # the create-response sample
        body = {
            "Payment": {
                "MerchantTransactionID": f"sample{len(truth)}",
                "Amount": 11,
                "Currency": "CNY",
                "MethodID": 1066,
                "ReturnURL": "http://x.example/r",
                "Customer": {"Email": "a@example.com"},
            }
        }
        status, _, created = client.call("POST", "/v1/payments", body)
        assert status == 201, created
        return created["Payment"]
    if set(payment) == {"ID", "MerchantTransactionID", "Status"}:
        return client.get(f"/v1/payments/{richest['ID']}/status")["Payment"]
    return richest


def test_seed_has_samples() -> None:
    assert len(SAMPLES) >= 10


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"sample{i}" for i in range(len(SAMPLES))])
def test_sample_parses_like_emulator_output(client: Client, sample: dict[str, Any]) -> None:
    truth = client.emu.truth("payments")
    ours = _ours(client, sample, truth)
    payment = sample.get("Payment") or sample["Payments"][0]
    if payment.get("ID") is None or payment["Status"]["Reasons"]:
        return  # error samples: checked in test_s2p_emu_actions against live errors
    _compatible(payment, ours, "Payment")
    assert set(ours) - set(payment) <= {
        "ClientIP",
        "OriginatorTransactionID",
        "PreapprovalID",
        "DateOfBirth",
    }
