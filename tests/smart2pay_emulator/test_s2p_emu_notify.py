"""Notifications: POST of the GET body with the site's Basic header, retried until a 204."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.smart2pay_emulator.conftest import API_KEY, SITE_ID, Client, launch


class Receiver:
    """A merchant endpoint on loopback that answers the statuses it is told to, in order."""

    def __init__(self, answers: list[int]) -> None:
        self.answers, self.calls = answers, []  # type: ignore[var-annotated]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), json.loads(body)))
                status = outer.answers.pop(0) if outer.answers else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.calls) >= count, self.calls


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver([500, 503])
    yield r
    r.server.shutdown()


def _card_payment(client: Client) -> int:
    body = {
        "Payment": {
            "MerchantTransactionID": "n1",
            "Amount": 2000,
            "Currency": "EUR",
            "Card": {
                "HolderName": "Jo Doe",
                "Number": "4111111111111111",
                "ExpirationMonth": "02",
                "ExpirationYear": "2030",
            },
            "Capture": False,
        }
    }
    return int(client.call("POST", "/v1/payments", body)[2]["Payment"]["ID"])


def test_notification_retried_until_204(receiver: Receiver) -> None:
    # Duplicates off: a delivered notification is sent again with a 3% chance by default,
    # keyed by the payment's creation time (real time), so one run in ~17 saw 5 calls here.
    with launch(records=50, webhook_url=receiver.url, notify_duplicates=0.0) as emu:
        client = Client(emu)
        pid = _card_payment(client)
        receiver.wait(1)
        client.call("POST", f"/v1/payments/{pid}/capture")
        receiver.wait(2)  # both first attempts failed (500, 503): retried after 60 s
        time.sleep(0.5)
        assert len(receiver.calls) == 2
        emu.clock_advance(61)
        receiver.wait(4)
        time.sleep(0.5)
        assert len(receiver.calls) == 4  # answered 204: no more attempts
        headers, payload = next(
            c for c in receiver.calls[2:] if c[1]["Payment"]["Status"]["ID"] == 11
        )
        token = base64.b64encode(f"{SITE_ID}:{API_KEY}".encode()).decode()
        assert headers["Authorization"] == f"Basic {token}"
        assert payload["Payment"]["ID"] == pid and payload["Payment"]["Status"]["ID"] == 11
        assert payload == client.get(f"/v1/payments/{pid}")
        assert all("4111111111111111" not in json.dumps(p) for _, p in receiver.calls)
        statuses = sorted(p["Payment"]["Status"]["ID"] for _, p in receiver.calls)
        assert statuses == [9, 9, 11, 11]


def test_a_delivered_notification_may_come_twice() -> None:
    """At-least-once delivery: with --notify-duplicates 1 every delivered notification is
    posted once more, the same body (what a receiver must tolerate)."""
    receiver = Receiver([])
    try:
        with launch(records=50, webhook_url=receiver.url, notify_duplicates=1.0) as emu:
            _card_payment(Client(emu))
            receiver.wait(2)
            time.sleep(0.5)
        assert len(receiver.calls) == 2
        assert receiver.calls[0][1] == receiver.calls[1][1]
    finally:
        receiver.server.shutdown()
