"""aiohttp application keys shared by the route modules."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from connectors.emulator_kit.admin import EmulatorCore
from connectors.smart2pay.emulator.provider import Smart2PayData
from connectors.smart2pay.emulator.state import PaymentNow

DATA_KEY = web.AppKey("s2p_data", Smart2PayData)
CORE_KEY = web.AppKey("s2p_core", EmulatorCore)
# Called with a payment's new state after an API change (create, capture, cancel, refund).
# A Callable is not a class, so it goes in the subscript (aiohttp reads it from there).
NOTIFY_KEY = web.AppKey[Callable[[PaymentNow], None]]("s2p_notify")
