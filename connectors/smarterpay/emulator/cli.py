"""`paysync emulator smarterpay`: serve the SmarterPay emulator until interrupted."""

from __future__ import annotations

import secrets
import sys

import typer

from connectors.emulator_kit.faults import FaultPlan, FaultSpecError
from connectors.emulator_kit.quirks import QuirkPlan, QuirkSpecError


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(0, help="Port; 0 picks a free one (printed in base_url)."),
    records: int = typer.Option(
        10000, help="Payments in the generated history (other resources scale)."
    ),
    seed: int = typer.Option(1, help="Seed of the generated history."),
    latency_ms: float = typer.Option(0, help="Added latency per request, in ms."),
    faults: str | None = typer.Option(
        None, help="Fault SPEC, e.g. '429=0.05,retry_after=1,seed=3'."
    ),
    quirks: str | None = typer.Option(
        None, help="Undocumented provider behaviours, e.g. 'page_max=100,empty=204'."
    ),
    tls: bool = typer.Option(True, help="Serve HTTPS with a throwaway CA (path printed)."),
    token: str | None = typer.Option(None, help="Bearer token to accept; generated when absent."),
    webhook_url: str | None = typer.Option(None, help="Send webhooks for state changes here."),
) -> None:
    """Run the SmarterPay Cloud emulator; prints base_url, token and CA path, then `ready`."""
    if not 0 <= port <= 65535:
        _fail(f"--port must be 0..65535, got {port}")
    if records < 1 or records > 100_000_000:
        _fail(f"--records must be 1..100000000, got {records}")
    if latency_ms < 0:
        _fail("--latency-ms must be >= 0")
    try:
        plan = FaultPlan.parse(faults)
    except FaultSpecError as exc:
        _fail(f"--faults: {exc}")
        return
    if latency_ms:
        plan = plan.with_latency(latency_ms)
    try:
        quirk_plan = QuirkPlan.parse(quirks)
    except QuirkSpecError as exc:
        _fail(f"--quirks: {exc}")
        return
    if webhook_url and not webhook_url.startswith(("http://", "https://")):
        _fail("--webhook-url must start with http:// or https://")
    from connectors.smarterpay.emulator.main import run  # heavy imports only when serving

    try:
        run(
            host,
            port,
            records,
            seed,
            plan,
            tls,
            token or "sp_" + secrets.token_urlsafe(24),
            webhook_url,
            quirk_plan,
        )
    except OSError as exc:
        typer.echo(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(3)
