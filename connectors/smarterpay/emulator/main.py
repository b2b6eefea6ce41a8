"""Wire the SmarterPay emulator together and serve it (the kit does TLS and the banner)."""

from __future__ import annotations

from connectors.emulator_kit.faults import FaultPlan
from connectors.emulator_kit.quirks import QuirkPlan
from connectors.emulator_kit.quirks import install as install_quirks
from connectors.emulator_kit.server import serve_forever
from connectors.smarterpay.emulator.app import build_app
from connectors.smarterpay.emulator.errors import tls_required
from connectors.smarterpay.emulator.state import Emulator, Options
from connectors.smarterpay.emulator.webhook_out import attach_webhooks


def run(
    host: str,
    port: int,
    records: int,
    seed: int,
    plan: FaultPlan,
    tls: bool,
    token: str,
    webhook_url: str | None,
    quirks: QuirkPlan | None = None,
) -> None:
    ties = quirks.ties if quirks else 0  # the one quirk the provider itself must implement
    options = Options(records=records, seed=seed, token=token, webhook_url=webhook_url, ties=ties)
    emu = Emulator(options, plan)
    app = build_app(emu)
    install_quirks(app, quirks or QuirkPlan())
    if webhook_url:
        attach_webhooks(app, emu, webhook_url)
    serve_forever(
        app,
        host=host,
        port=port,
        tls=tls,
        credentials=[("token", token)],
        plain_http_handler=tls_required,
    )
