"""The SmarterPay test client and its token, importable by name from any test module (a bare
`from conftest import ...` resolves to whichever conftest pytest collected first)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from connectors.emulator_kit.testing import RunningEmulator

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
