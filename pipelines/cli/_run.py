"""Run a command's coroutine and turn paysync errors into one line and an exit code."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import asyncpg
import typer

from connectors.errors import ProviderError
from pipelines.errors import PaysyncError
from pipelines.store.db import lost_database
from pipelines.store.settings import Settings, load_settings

T = TypeVar("T")


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"paysync: {message}", err=True)
    return typer.Exit(code)


# A missing privilege is a deployment setting to fix (exit 2, like any configuration error),
# never exit 1, which means the work finished and found drift or rejects.
PRIVILEGE_EXIT = 2


def privilege_message(exc: BaseException) -> str:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (
        f"the database refused: {first}; this role lacks a privilege: the schema owner runs "
        "`paysync db grant-writer ROLE` for the role in DATABASE_URL (or `paysync db migrate` "
        "must run as the owner)"
    )


def _first_known(group: BaseExceptionGroup) -> BaseException | None:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            found = _first_known(exc)
            if found is not None:
                return found
        elif isinstance(exc, PaysyncError | ProviderError | asyncpg.InsufficientPrivilegeError):
            return exc
    return None


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
    except asyncpg.InsufficientPrivilegeError as exc:
        raise fail(privilege_message(exc), PRIVILEGE_EXIT) from None
    except BaseExceptionGroup as group:  # a TaskGroup's worker failed: report its first cause
        leaf = _first_known(group)
        if leaf is None:
            raise
        if isinstance(leaf, asyncpg.InsufficientPrivilegeError):
            raise fail(privilege_message(leaf), PRIVILEGE_EXIT) from None
        raise fail(str(leaf), leaf.exit_code) from None  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        typer.echo("paysync: interrupted; finished windows are kept, rerun to continue", err=True)
        sys.exit(130)
