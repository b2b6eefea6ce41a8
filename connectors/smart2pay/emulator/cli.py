"""`paysync emulator smart2pay`: start the emulator and serve until interrupted."""

from __future__ import annotations

import logging
import secrets
import sys
from urllib.parse import urlparse

import typer

from connectors.emulator_kit.faults import FaultPlan, FaultSpecError
from connectors.emulator_kit.quirks import QuirkPlan, QuirkSpecError
from connectors.emulator_kit.quirks import install as install_quirks
from connectors.emulator_kit.server import serve_forever
from connectors.smart2pay.emulator.app import build_app, plain_http
from connectors.smart2pay.emulator.provider import Settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(0, help="Port; 0 picks a free one (printed as base_url)."),
    records: int = typer.Option(10000, help="Number of generated payments (lazy: 1M is fine)."),
    seed: int = typer.Option(1, help="Seed of the generated history."),
    latency_ms: float = typer.Option(0, help="Added latency per provider request, in ms."),
    faults: str | None = typer.Option(None, help="Fault SPEC, e.g. '429=0.05,truncate=0.01'."),
    tls: bool = typer.Option(True, help="HTTPS with a throwaway test CA (path printed as ca)."),
    site_id: int | None = typer.Option(None, help="SiteID to accept (generated if omitted)."),
    api_key: str | None = typer.Option(None, help="ApiKey to accept (generated if omitted)."),
    webhook_url: str | None = typer.Option(None, help="Notification URL for payment events."),
    string_amounts: bool = typer.Option(
        False, help="Serve amounts as numeric strings, as the newer docs show."
    ),
    quirks: str | None = typer.Option(
        None, help="Undocumented provider behaviours, e.g. 'paging=legacy,page_max=100'."
    ),
    notify_duplicates: float = typer.Option(
        0.03, help="Chance (0..1) a delivered notification is sent once more (at least once)."
    ),
) -> None:
    """Serve a Smart2Pay / GlobalPay sandbox; prints base_url, site_id, api_key, ca, ready."""
    try:
        settings, plan = _check(
            host,
            port,
            records,
            seed,
            latency_ms,
            faults,
            site_id,
            api_key,
            webhook_url,
            string_amounts,
            notify_duplicates,
        )
        quirk_plan = QuirkPlan.parse(quirks)
    except QuirkSpecError as exc:
        typer.echo(f"error: --quirks: {exc}", err=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    app = build_app(settings, plan)
    install_quirks(app, quirk_plan)
    credentials = [("site_id", str(settings.site_id)), ("api_key", settings.api_key)]
    serve_forever(
        app, host=host, port=port, tls=tls, credentials=credentials, plain_http_handler=plain_http
    )


def _check(
    host: str,
    port: int,
    records: int,
    seed: int,
    latency_ms: float,
    faults: str | None,
    site_id: int | None,
    api_key: str | None,
    webhook_url: str | None,
    string_amounts: bool,
    notify_duplicates: float = 0.03,
) -> tuple[Settings, FaultPlan]:
    if not 0 <= port <= 65535:
        raise ValueError(f"--port {port} must be between 0 and 65535")
    if not 1 <= records <= 100_000_000:
        raise ValueError(f"--records {records} must be between 1 and 100000000")
    if latency_ms < 0:
        raise ValueError("--latency-ms must be >= 0")
    if site_id is not None and not 0 < site_id < 10**9:
        raise ValueError("--site-id must be a positive integer")
    if api_key is not None and (not api_key or ":" in api_key):
        raise ValueError("--api-key must be non-empty and must not contain ':'")
    if webhook_url is not None and urlparse(webhook_url).scheme not in ("http", "https"):
        raise ValueError(f"--webhook-url {webhook_url!r} is not an http(s) URL")
    if not 0 <= notify_duplicates <= 1:
        raise ValueError(f"--notify-duplicates {notify_duplicates} must be between 0 and 1")
    try:
        plan = FaultPlan.parse(faults)
    except FaultSpecError as exc:
        raise ValueError(f"--faults: {exc}") from None
    if latency_ms:
        plan = plan.with_latency(latency_ms)
    settings = Settings(
        seed=seed,
        records=records,
        site_id=site_id if site_id is not None else 30000 + secrets.randbelow(70000),
        api_key=api_key or secrets.token_urlsafe(30),
        string_amounts=string_amounts,
        webhook_url=webhook_url,
        notify_duplicates=notify_duplicates,
    )
    return settings, plan
