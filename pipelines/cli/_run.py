"""Run a command's coroutine and turn paysync errors into one line and an exit code."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer

from connectors.errors import ProviderError
from pipelines.errors import PaysyncError
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


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(main())
    except (PaysyncError, ProviderError) as exc:
        raise fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("paysync: interrupted; finished windows are kept, rerun to continue", err=True)
        sys.exit(130)
