"""Smart2Pay emulator subprocesses over real HTTPS, and a small client for them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from connectors.emulator_kit.testing import RunningEmulator, start_emulator

SITE_ID, API_KEY = 30201, "test+Key/9KeGzKF7W8S"


class Client:
    def __init__(self, emu: RunningEmulator, site_id: int = SITE_ID, api_key: str = API_KEY):
        self.emu = emu
        token = base64.b64encode(f"{site_id}:{api_key}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def call(
        self, method: str, path: str, body: Any = None, **params: Any
    ) -> tuple[int, dict[str, str], Any]:
        url = path + (f"?{urlencode(params)}" if params else "")
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        headers = {**self.headers, "Content-Type": "application/json"}
        status, hdrs, raw = self.emu.request(method, url, data, headers)
        return status, hdrs, json.loads(raw) if raw else None

    def get(self, path: str, **params: Any) -> Any:
        status, _, body = self.call("GET", path, **params)
        assert status == 200, body
        return body


def launch(**options: Any) -> Any:
    options = {"records": 300, "seed": 4, "site_id": SITE_ID, "api_key": API_KEY, **options}
    return start_emulator("smart2pay", **options)


@pytest.fixture(scope="session")
def emu() -> Iterator[RunningEmulator]:
    with launch() as running:
        yield running


@pytest.fixture(scope="session")
def client(emu: RunningEmulator) -> Client:
    return Client(emu)


@pytest.fixture()
def fresh() -> Iterator[Client]:
    """A private emulator for tests that create records, move the clock or set faults."""
    with launch(records=200, seed=9) as running:
        yield Client(running)
