"""A SmarterPay emulator subprocess per test session (small history, fixed seed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.emulator_kit.testing import RunningEmulator, start_emulator
from tests.smarterpay_emulator.sp_client import TOKEN, Client


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
