"""``paysync webhooks serve``: the webhook receiver, a plain long-running process (no Prefect).

Run it under systemd or as a container command; it stops cleanly on SIGTERM.
"""

from __future__ import annotations

import logging

import typer

from pipelines.cli._run import run, settings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def webhooks() -> None:
    """Receive provider webhooks and apply them at once."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 in a container)."),
    port: int = typer.Option(8080, min=0, max=65535, help="TCP port to listen on."),
    log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING or ERROR."),
    header_timeout: float = typer.Option(
        10.0, min=0.1, help="Close a connection that sends no complete headers in this many s."
    ),
    body_timeout: float = typer.Option(
        20.0, min=0.1, help="Answer 408 to a call whose body takes longer than this many s."
    ),
) -> None:
    """Serve POST /webhooks/{smarterpay|smart2pay}/{source}, GET /healthz and GET /metrics
    until stopped."""
    from pipelines.webhooks.app import serve as serve_forever
    from pipelines.webhooks.limits import Limits

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("paysync").setLevel(log_level.upper())  # over `paysync --log-level`
    config = settings()
    limits = Limits(header_s=header_timeout, body_s=body_timeout)
    run(lambda: serve_forever(config, host, port, limits))


if __name__ == "__main__":
    app()
