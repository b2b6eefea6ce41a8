"""``paysync emulator smarterpay|smart2pay``: the provider sandboxes (docs/architecture.md)."""

from __future__ import annotations

import typer

from connectors.smart2pay.emulator.cli import serve as serve_smart2pay
from connectors.smarterpay.emulator.cli import serve as serve_smarterpay

app = typer.Typer(help="Run a provider emulator (sandbox) on this machine.", no_args_is_help=True)
app.command("smarterpay", help="SmarterPay Cloud emulator (Bacs Direct Debit).")(serve_smarterpay)
app.command("smart2pay", help="Smart2Pay / GlobalPay emulator (cards and methods).")(
    serve_smart2pay
)
