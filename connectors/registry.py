"""Providers by name, so the engine can find a connector without importing provider packages."""

from __future__ import annotations

import importlib

from connectors.streams import Connector

PROVIDERS = {"smarterpay": "connectors.smarterpay", "smart2pay": "connectors.smart2pay"}


def connector(provider: str) -> Connector:
    module = importlib.import_module(PROVIDERS[provider])
    return module.CONNECTOR  # type: ignore[no-any-return]
