"""Run a command's coroutine and turn paysync errors into one line and an exit code."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer

from connectors.errors import ProviderError
from pipelines.errors import PaysyncError
from pipelines.store.db import lost_database
from pipelines.store.settings import Settings, load_settings

T = TypeVar("T")


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"paysync: {message}", err=True)
    return typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except PaysyncError as exc:
        raise fail(str(exc), exc.exit_code) from None


def _quiet_lost_database(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A lost database surfaces in many internal futures at once; the command reports it
    once, as one line (exit 3), instead of a traceback per future."""
    exc = context.get("exception")
    if exc is not None and lost_database(exc) is not None:
        return
    if str(context.get("message", "")).startswith("Resetting connection with an active"):
        # asyncpg, releasing a connection whose operation the lost server cut short: the
        # command's own error says what happened.
        logging.getLogger("paysync").debug("%s", context["message"])
        return
    loop.default_exception_handler(context)


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        with asyncio.Runner() as runner:
            runner.get_loop().set_exception_handler(_quiet_lost_database)
            return runner.run(main())
    except (PaysyncError, ProviderError) as exc:
        raise fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("paysync: interrupted; finished windows are kept, rerun to continue", err=True)
        sys.exit(130)
