"""What a stream is, as data: the engine reads these specs and knows nothing provider-specific.

A provider package exposes a ``Connector``: its streams (one per list endpoint), how to
authenticate, and how to read its change feed. Adding a resource = one ``StreamSpec`` (whose
columns also define its pydantic model) + one migration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel

# How a typed column is derived from the raw value (sql/migrations/0002_functions.sql) and how
# the model validates it (connectors/models.py). "sortcode": text that must hold 6 digits;
# "json": a nested value kept as jsonb.
Kind = Literal["text", "int", "num", "bool", "ts", "date", "json", "sortcode"]


@dataclass(frozen=True)
class Column:
    name: str  # column in the stream table
    path: tuple[str, ...]  # where the value sits in the record as the API sends it
    kind: Kind = "text"


def col(name: str, kind: Kind = "text", key: str | None = None) -> Column:
    """A column read from ``key`` (dotted for nesting), by default the column's own name."""
    return Column(name, tuple((key or name).split(".")), kind)


@dataclass(frozen=True)
class Window:
    """How to ask for records created in ``[start, end)``.

    Where the docs do not say whether the bounds are inclusive, the request is widened by
    ``widen_s`` on both sides: re-reading a boundary record is absorbed by the upsert, while a
    narrowed window would lose it.
    """

    start_param: str
    end_param: str
    format: Callable[[datetime], str]
    widen_s: float = 0


class Paginator(Protocol):
    """A pure paging strategy: the first request's params, then the next or None.

    The pager does not take a short page as the end on faith (issue 14): it also asks how many
    records a request asked for, for params reading from any position (a confirming request),
    what totals and echoed page size a body carries, and which older parameter generation to
    fall back to when the server ignores these ones."""

    def first(self, page_size: int) -> dict[str, str]: ...

    def next(
        self, params: dict[str, str], items: int, body: Mapping[str, Any]
    ) -> dict[str, str] | None: ...

    def asked(self, params: Mapping[str, str]) -> int | None:
        """The page size these params ask for; None when the endpoint does not page."""
        ...

    def at(self, position: int, page_size: int) -> dict[str, str] | None:
        """Params reading ``page_size`` records from 0-based ``position``; None if impossible."""
        ...

    def totals(self, body: Mapping[str, Any]) -> PageTotals | None:
        """What the body says about the whole result; None when it carries no totals."""
        ...

    @property
    def fallback(self) -> Paginator | None:
        """The older documented generation to use when the server ignores this one."""
        ...

    @property
    def counter(self) -> str | None:
        """The parameter counting pages or records from the documented 1 (``page_no``,
        ``offset``); None when the endpoint does not page."""
        ...


@dataclass(frozen=True)
class FromZero:
    """``inner`` for a server that counts its pages or offsets from 0 where the documents
    count from 1 (issue 14, an unnamed behaviour): the same requests with ``counter`` one
    lower. The pager switches to it when a probe shows the server's first page at 0."""

    inner: Paginator

    @property
    def counter(self) -> str | None:
        return self.inner.counter

    @property
    def fallback(self) -> Paginator | None:
        return self.inner.fallback  # another generation: its origin is checked afresh

    def _shift(self, params: Mapping[str, str] | None, by: int) -> dict[str, str] | None:
        if params is None or self.counter is None or self.counter not in params:
            return dict(params) if params is not None else None
        return {**params, self.counter: str(int(params[self.counter]) + by)}

    def first(self, page_size: int) -> dict[str, str]:
        return self._shift(self.inner.first(page_size), -1) or {}

    def next(
        self, params: dict[str, str], items: int, body: Mapping[str, Any]
    ) -> dict[str, str] | None:
        return self._shift(self.inner.next(self._shift(params, 1) or {}, items, body), -1)

    def asked(self, params: Mapping[str, str]) -> int | None:
        return self.inner.asked(params)

    def at(self, position: int, page_size: int) -> dict[str, str] | None:
        return self._shift(self.inner.at(position, page_size), -1)

    def totals(self, body: Mapping[str, Any]) -> PageTotals | None:
        return self.inner.totals(body)


@dataclass(frozen=True)
class PageTotals:
    records: int | None  # records matching the query (TotalCount and the like)
    page_size: int | None  # the page size the server says it used (echoed PageSize)


@dataclass(frozen=True)
class StreamSpec:
    name: str  # table name in the provider's schema, plural snake_case
    path: str  # list path below the base URL
    envelope: str  # key holding the list in the response
    id_key: str  # key holding the record id in each list item
    model: type[BaseModel]
    columns: tuple[Column, ...]  # every documented field, in table order
    paginator: Paginator
    page_size: int
    window: Window | None = None  # None: the endpoint has no date filter; read it whole
    cursor_column: str | None = None  # typed column the window filters on
    status_column: str | None = None
    # A "ts" column holding the provider's own time of the record's last change: versions are
    # ordered by it first (then by fetch time), so an older read never replaces a newer one.
    changed_column: str | None = None
    open_statuses: frozenset[str] = frozenset()  # non-final: windows holding these are re-read
    detail_path: str | None = None  # "payment/{id}": fetch one record by id
    detail_envelope: str | None = None
    detail_id_key: str | None = None  # when the detail spells the id key differently
    hydrate: bool = False  # list items are partial: fetch the detail of new or changed records
    list_columns: tuple[str, ...] = ()  # hydrate: the columns a list item carries in full
    parent: str | None = None  # read per record of this stream (no list of its own)
    child_path: str | None = None  # "v1/payments/{id}/refunds"
    child_parent_column: str | None = None  # column holding the parent's id
    # the parent's column naming this child's own id: the child is fetched by that id at
    # ``child_path`` (a mandate's account_validation_id), not per parent id
    parent_ref: str | None = None
    extra_params: Mapping[str, str] = field(default_factory=dict)
    # the list is ordered by the cursor at one-second resolution, and the order among records
    # sharing a second may change between requests: the pager guards page boundaries (ties)
    cursor_order: bool = False
    # params asking the list for a unique, stable order (SmarterPay ``sort_field=id``), where
    # the API documents one: the reconciliation census pages by it, so ties cannot move records
    # across its page boundaries (issue 14, item 5)
    unique_order: Mapping[str, str] = field(default_factory=dict)

    def record_id(self, record: Mapping[str, Any]) -> Any:
        value = record.get(self.id_key)
        if value is None and self.detail_id_key:
            value = record.get(self.detail_id_key)
        return value

    @property
    def critical_keys(self) -> frozenset[str]:
        """Top-level keys a record cannot be loaded without reading: its time (cursor), status
        and money (``amount``, ``currency``). Any other unreadable value loads as NULL, stays in
        ``raw`` and is reported as schema drift (issue 14; which fields count is INFERRED)."""
        names = {self.cursor_column, self.status_column, "amount", "currency"}
        return frozenset(c.path[0] for c in self.columns if c.name in names)

    @property
    def known_keys(self) -> frozenset[str]:
        keys = {c.path[0] for c in self.columns} | {self.id_key}
        return frozenset(keys | ({self.detail_id_key} if self.detail_id_key else set()))


@dataclass(frozen=True)
class FeedEvent:
    """A change feed says: this record of this stream changed; fetch it again."""

    stream: str
    record_id: str


@dataclass(frozen=True)
class WebhookRecord:
    """One record a notification names: the full record to merge, or None to fetch it by id."""

    stream: str
    record_id: str
    record: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Notification:
    """A parsed webhook body: its idempotency key and the records it names."""

    key: str
    records: tuple[WebhookRecord, ...]


@dataclass(frozen=True)
class WebhookParser:
    """How to take a provider's webhooks (all pure): ``verify(source, headers)`` in constant
    time; ``parse(body)`` raises ValueError for a body that is not a notification;
    ``is_stale(incoming, stored)`` says a full record is older than the stored one."""

    verify: Callable[[Any, Mapping[str, str]], bool]
    parse: Callable[[Any], Notification]
    is_stale: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True)
class Connector:
    provider: str
    streams: Mapping[str, StreamSpec]
    auth_headers: Callable[[Any], dict[str, str]]  # (source settings) -> headers; never logged
    feed_stream: str | None = None  # a stream whose records name other records that changed
    feed_events: Callable[[Mapping[str, Any]], list[FeedEvent]] | None = None
    webhook: WebhookParser | None = None  # None: the provider sends no webhooks
