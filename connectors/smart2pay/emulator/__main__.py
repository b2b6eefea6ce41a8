"""`python -m connectors.smart2pay.emulator [options]` (the test helper's entry point)."""

from __future__ import annotations

import typer

from connectors.smart2pay.emulator.cli import serve


def main() -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve)
    app()


if __name__ == "__main__":
    main()
