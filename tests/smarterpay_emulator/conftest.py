"""A SmarterPay emulator subprocess per test session (small history, fixed seed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from connectors.emulator_kit.testing import RunningEmulator, start_emulator

TOKEN = "test-token"


class Client:
    """Tiny provider client over real HTTPS (urllib + the emulator's CA)."""

    def __init__(self, emu: RunningEmulator) -> None:
        self.emu = emu

    def call(
        self, method: str, path: str, body: Any = None, headers: dict | None = None, **params: Any
    ) -> tuple[int, dict[str, str], Any]:
        url = f"/service.svc/{path}" + (f"?{urlencode(params)}" if params else "")
        hdrs = {"Authorization": f"Bearer {TOKEN}", **(headers or {})}
        status, resp_headers, raw = self.emu.request(method, url, body, hdrs)
        return status, resp_headers, json.loads(raw) if raw else None

    def get(self, path: str, **params: Any) -> Any:
        status, _, body = self.call("GET", path, **params)
        assert status == 200, body
        return body


@pytest.fixture(scope="session")
def emu() -> Iterator[RunningEmulator]:
    with start_emulator("smarterpay", records=400, seed=5, token=TOKEN) as running:
        yield running


@pytest.fixture(scope="session")
def client(emu: RunningEmulator) -> Client:
    return Client(emu)


@pytest.fixture()
def fresh_emu() -> Iterator[RunningEmulator]:
    """A private emulator for tests that move the clock or set faults."""
    with start_emulator("smarterpay", records=200, seed=9, token=TOKEN) as running:
        yield running
