"""Run a command's coroutine and turn paysync errors into one line and an exit code."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import asyncpg
import typer

from connectors.errors import ProviderError
from pipelines.errors import PaysyncError
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


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(main())
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
