"""`python -m connectors.smarterpay.emulator --port 0 ...` (what the test helpers start)."""

from __future__ import annotations

import typer

from connectors.smarterpay.emulator.cli import serve


def main() -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve)
    app()


if __name__ == "__main__":
    main()
