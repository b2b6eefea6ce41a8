"""Compare a stream table with the provider's truth, record for record, through the
independent oracle (``tests/oracle``): the expected rows are derived from the documents'
field names and value formats, never from the stream specs or the SQL conversions, so a
misspelt key, a wrong type or a dropped column in a spec makes the comparison fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from connectors.streams import StreamSpec
from tests.oracle.compare import compare


async def differences(
    conn: asyncpg.Connection, schema: str, source: str, spec: StreamSpec,
    truth: Iterable[dict[str, Any]], ignore_ids: Iterable[str] = (),
    skip_columns: Iterable[str] = (),
) -> dict[str, list[Any]]:  # fmt: skip
    """Rows only in the database, rows only in the truth (empty lists: equal). ``spec`` only
    names the table; ``skip_columns`` leaves typed columns out on purpose."""
    return await compare(conn, schema, spec.name, source, truth, ignore_ids, skip_columns)


def resource_of(spec: StreamSpec) -> str:
    """The emulator's resource name for a stream: its list path's last segment."""
    return spec.path.rsplit("/", 1)[-1]
