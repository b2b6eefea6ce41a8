"""What a reconciliation covers (its horizon) and found: the summary the CLI prints and a
Prefect flow publishes.

Counts are exact; ``diffs`` keeps the first ``MAX_DIFFS`` (every diff is in
``paysync.reconciliation_diffs`` under ``recon_id``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipelines.errors import ConfigError
from pipelines.sync.plan import day_start

DEFAULT_DAYS = 30
DAY = timedelta(days=1)
MAX_DIFFS = 1000
# Shown masked wherever a diff is printed or published (the tables keep the values).
SENSITIVE = ("account_number", "card_number", "sort_code", "iban", "social_security")
KINDS = ("missing", "extra", "differs", "aggregate", "consistency")
# Records per hydrated stream whose detail is fetched and compared column by column in each
# reconciliation (``--detail-sample``). INFERRED: 50 detail GETs per stream keep a daily
# reconciliation cheap, and the sample rotates with every run.
DETAIL_SAMPLE = 50


def horizon(
    range_from: date | datetime | None, range_to: date | datetime | None, as_of: datetime,
    lag_seconds: float,
) -> tuple[datetime, datetime]:  # fmt: skip
    """``[start, end)`` in UTC: whole days from ``range_from`` to ``range_to`` inclusive, never
    later than ``as_of - lag`` (the provider's recent records are not loaded yet by design)."""
    today = as_of.astimezone(UTC).date()
    for name, value in (("--from", range_from), ("--to", range_to)):
        if value is not None and _day(value) > today:
            raise ConfigError(
                f"reconcile: {name} {_day(value)} is in the future (today is {today} UTC); "
                "pick a date up to today"
            )
    if range_from is not None and range_to is not None and _day(range_from) > _day(range_to):
        raise ConfigError(
            f"reconcile: --from {_day(range_from)} is after --to {_day(range_to)}; swap them"
        )
    cap = as_of - timedelta(seconds=lag_seconds)
    end = cap if range_to is None else min(_end(range_to), cap)
    start = (
        _start(range_from) if range_from is not None else day_start(end.date() - DEFAULT_DAYS * DAY)
    )
    if start >= end:
        raise ConfigError(
            f"reconcile: the horizon {start.isoformat()} .. {end.isoformat()} is empty "
            f"(records younger than sync.lag_seconds={lag_seconds:g} are not compared)"
        )
    return start, end


def _day(value: date | datetime) -> date:
    return value.astimezone(UTC).date() if isinstance(value, datetime) else value


def _start(value: date | datetime) -> datetime:
    return day_start(value) if not isinstance(value, datetime) else value.astimezone(UTC)


def _end(value: date | datetime) -> datetime:
    return day_start(value) + DAY if not isinstance(value, datetime) else value.astimezone(UTC)


@dataclass
class StreamResult:
    source: str
    stream: str
    scope: str  # window | whole | children | ids (see pipelines.reconcile_sql.Scope)
    provider_records: int = 0
    db_records: int = 0
    provider_amount: int | None = None  # sum of `amount` (minor units, all currencies)
    db_amount: int | None = None
    missing: int = 0
    extra: int = 0
    differing: int = 0
    aggregate: int = 0  # (day, status, currency) groups whose count or amount differ
    repaired: int = 0
    rejected: int = 0  # provider records that failed validation (not compared)
    detail_checked: int = 0  # hydrated streams: records whose detail was compared in full
    note: str = ""
    error: str | None = None  # the provider failed this stream; the others still ran


@dataclass(frozen=True)
class CheckResult:
    source: str
    stream: str
    name: str
    inconsistent: int


@dataclass(frozen=True)
class Diff:
    source: str
    stream: str
    kind: str  # missing | extra | differs | aggregate | consistency
    record_id: str | None
    day: date | None
    detail: dict[str, Any]
    repaired: bool


@dataclass
class ReconcileReport:
    recon_id: int
    range_from: datetime
    range_to: datetime
    sources: list[str]
    repair: bool
    outcome: str = "running"  # clean | drift | repaired | failed
    missing: int = 0
    extra: int = 0
    differing: int = 0
    aggregate: int = 0
    inconsistent: int = 0
    repaired: int = 0
    streams: list[StreamResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    diffs: list[Diff] = field(default_factory=list)
    diffs_truncated: bool = False
    error: str | None = None

    @property
    def found(self) -> int:
        return self.missing + self.extra + self.differing + self.aggregate + self.inconsistent

    failed_exit: int = 0  # the exit code of the worst stream error (0: none)

    @property
    def exit_code(self) -> int:
        """0 clean, or everything found was repaired; 1 drift left; a stream the provider
        failed: its error's code (3 unreachable, 2 credentials, 1 contract changed)."""
        if self.outcome == "failed":
            return self.failed_exit or 3
        return 0 if self.outcome in ("clean", "repaired") else 1

    def fail(self, message: str, exit_code: int) -> None:
        """A stream could not be reconciled: the run's outcome will be 'failed'."""
        self.error = message if self.error is None else f"{self.error}; {message}"
        self.failed_exit = max(self.failed_exit, exit_code)

    def add(self, diffs: list[Diff]) -> None:
        for d in diffs:
            attr = {"differs": "differing", "consistency": "inconsistent"}.get(d.kind, d.kind)
            setattr(self, attr, getattr(self, attr) + 1)
            self.repaired += d.repaired
        room = MAX_DIFFS - len(self.diffs)
        self.diffs.extend(diffs[: max(room, 0)])
        self.diffs_truncated |= len(diffs) > room

    def final_outcome(self) -> str:
        if self.error is not None:
            return "failed"
        if self.found == 0:
            return "clean"
        return "repaired" if self.repair and self.repaired == self.found else "drift"

    def summary(self) -> dict[str, Any]:
        """Stored in ``reconciliation_runs.summary``: what has no column of its own."""
        return {
            "aggregate": self.aggregate, "repaired": self.repaired,
            "streams": [asdict(s) for s in self.streams],
            "checks": [asdict(c) for c in self.checks],
        }  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "found": self.found}


def report_markdown(report: ReconcileReport) -> str:
    """Tables of streams, checks and differences (a Prefect artifact)."""
    lines = [
        f"# Reconciliation {report.recon_id}: **{report.outcome}**",
        "",
        f"Horizon `{report.range_from.isoformat()}` .. `{report.range_to.isoformat()}` (UTC, "
        f"end excluded); sources: {', '.join(report.sources)}; repair: {report.repair}.",
        "",
        f"missing {report.missing} · extra {report.extra} · differing {report.differing} · "
        f"aggregate {report.aggregate} · inconsistent {report.inconsistent} · "
        f"repaired {report.repaired}",
        "",
        "| source | stream | scope | provider | database | missing | extra | differing "
        "| aggregate | repaired | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in report.streams:
        lines.append(
            f"| {s.source} | {s.stream} | {s.scope} | {s.provider_records} | {s.db_records} "
            f"| {s.missing} | {s.extra} | {s.differing} | {s.aggregate} | {s.repaired} "
            f"| {_cell(s.note)} |"
        )
    if report.checks:
        lines += ["", "| source | check | inconsistent |", "|---|---|---:|"]
        lines += [f"| {c.source} | {c.name} | {c.inconsistent} |" for c in report.checks]
    if report.diffs:
        lines += ["", "| source | stream | kind | record | day | detail | repaired |"]
        lines.append("|---|---|---|---|---|---|---|")
        for d in report.diffs[:100]:
            lines.append(
                f"| {d.source} | {d.stream} | {d.kind} | {d.record_id or ''} | {d.day or ''} "
                f"| {_cell(_brief(d.detail))} | {d.repaired} |"
            )
        if report.found > 100:
            lines.append(f"\n{report.found - 100} more in `paysync.reconciliation_diffs` "
                         f"(recon_id {report.recon_id}).")  # fmt: skip
    if report.error:
        lines += ["", f"**error**: {_cell(report.error)}"]
    return "\n".join(lines) + "\n"


def redacted(value: Any) -> Any:
    """A diff's detail with bank and card numbers masked."""
    if isinstance(value, dict):
        return {
            k: "***" if any(s in k for s in SENSITIVE) and v is not None else redacted(v)
            for k, v in value.items()
        }
    return value


def _brief(detail: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in redacted(detail).items())
    return text if len(text) <= 160 else text[:157] + "..."


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
