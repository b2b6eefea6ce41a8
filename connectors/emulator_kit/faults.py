"""Fault plans (what to break, how often) and a seeded decider (which request breaks).

Decisions are a pure function of (seed, request number, fault kind), so a test that sends the
same requests in the same order sees the same faults. Grammar: see README.md.
"""

from __future__ import annotations

import hashlib
import math
import struct
import threading
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from connectors.emulator_kit.clock import to_utc

ERROR_STATUSES = (429, 500, 502, 503, 504)
LATENCY_DISTS = ("fixed", "uniform", "exponential")
_RATE_KEYS = (
    "truncate",
    "reset",
    "malformed",
    "insert_while_paging",
    "change_while_paging",
    "late_arrivals",
)


class FaultSpecError(ValueError):
    """A fault SPEC string or dict that cannot be understood; the message says which part."""


@dataclass(frozen=True)
class FaultPlan:
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    latency_dist: str = "uniform"
    error_rates: tuple[tuple[int, float], ...] = ()
    retry_after: float = 1.0
    truncate: float = 0.0
    reset: float = 0.0
    malformed: float = 0.0
    maintenance: bool = False
    maintenance_windows: tuple[tuple[datetime, datetime], ...] = ()
    token_expiry_after: int = 0
    insert_while_paging: float = 0.0
    change_while_paging: float = 0.0
    late_arrivals: float = 0.0
    seed: int = 1

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        """Parse `key=value,key=value`; an empty or None spec is the no-fault plan."""
        values: dict[str, Any] = {}
        windows: list[str] = []
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep:
                raise FaultSpecError(f"fault spec part {part!r} is not key=value")
            key, value = key.strip().lower(), value.strip()
            if key == "maintenance_window":
                windows.append(value)
            else:
                values[key] = value
        if windows:
            values["maintenance_windows"] = windows
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        kwargs: dict[str, Any] = {}
        rates: dict[int, float] = {}
        for key, value in data.items():
            key = str(key)
            try:
                _assign(key, value, kwargs, rates)
            except (TypeError, ValueError) as exc:
                raise FaultSpecError(f"fault {key}={value!r}: {exc}") from None
        if "error_rates" not in kwargs:
            kwargs["error_rates"] = tuple(sorted(rates.items()))
        plan = cls(**kwargs)
        if sum(r for _, r in plan.error_rates) > 1:
            raise FaultSpecError("error rates add up to more than 1")
        return plan

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("error_rates")
        for status, rate in self.error_rates:
            out[str(status)] = rate
        out["maintenance_windows"] = [
            f"{a.isoformat()}/{b.isoformat()}" for a, b in self.maintenance_windows
        ]
        return out

    def to_spec(self) -> str:
        parts = []
        for key, value in self.to_dict().items():
            if key == "maintenance_windows":
                parts += [f"maintenance_window={w}" for w in value]
            else:
                parts.append(f"{key}={int(value) if isinstance(value, bool) else value}")
        return ",".join(parts)

    def error_rate(self, status: int) -> float:
        return dict(self.error_rates).get(status, 0.0)

    def in_maintenance(self, now: datetime) -> bool:
        return self.maintenance or any(a <= now < b for a, b in self.maintenance_windows)

    def with_latency(self, latency_ms: float) -> FaultPlan:
        return replace(self, latency_ms=latency_ms)


_ALIASES = {"latency": "latency_ms", "latency_jitter": "latency_jitter_ms"}


def _assign(key: str, value: Any, kwargs: dict[str, Any], rates: dict[int, float]) -> None:
    key = _ALIASES.get(key, key)
    if key.isdigit():
        if int(key) not in ERROR_STATUSES:
            raise ValueError(f"error status must be one of {ERROR_STATUSES}")
        rates[int(key)] = _rate(value)
    elif key in _RATE_KEYS:
        kwargs[key] = _rate(value)
    elif key in ("latency_ms", "latency_jitter_ms", "retry_after"):
        number = float(value)
        if number < 0 or math.isnan(number):
            raise ValueError("must be >= 0")
        kwargs[key] = number
    elif key == "latency_dist":
        if value not in LATENCY_DISTS:
            raise ValueError(f"must be one of {LATENCY_DISTS}")
        kwargs[key] = value
    elif key in ("token_expiry_after", "seed"):
        kwargs[key] = int(value)
    elif key == "maintenance":
        kwargs[key] = str(value).lower() in ("1", "true", "yes", "on")
    elif key == "maintenance_windows":
        kwargs[key] = tuple(_window(w) for w in value)
    elif key == "error_rates" and isinstance(value, dict):
        for status, rate in value.items():
            _assign(str(status), rate, kwargs, rates)
    else:
        raise ValueError("unknown fault key")


def _rate(value: Any) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise ValueError("rate must be between 0 and 1")
    return rate


def _window(text: str) -> tuple[datetime, datetime]:
    start, sep, end = str(text).partition("/")
    if not sep:
        raise ValueError("maintenance window must be START/END (ISO 8601)")
    a = to_utc(datetime.fromisoformat(start.replace("Z", "+00:00")))
    b = to_utc(datetime.fromisoformat(end.replace("Z", "+00:00")))
    return a, b


def unit(seed: int, *parts: object) -> float:
    """A uniform float in [0, 1) that depends only on its arguments."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return (struct.unpack("<Q", digest)[0] >> 11) / float(1 << 53)


def _drawn(seed: int, kind: str, n: int, rate: float) -> bool:
    """unit(seed, kind, n) < rate, without hashing when the rate is 0 (never true then): a
    plan with no faults, the usual one, costs no hash per request."""
    return rate > 0 and unit(seed, kind, n) < rate


@dataclass(frozen=True)
class RequestFaults:
    """What happens to one request. `status` None = answer normally."""

    number: int
    latency_s: float = 0.0
    status: int | None = None
    retry_after: float = 1.0
    truncate: bool = False
    reset: bool = False
    token_expired: bool = False
    insert_while_paging: bool = False
    change_while_paging: bool = False
    late_arrival: bool = False


class FaultDecider:
    """Counts provider requests and decides their faults from the plan's seed."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._count = 0
        self._lock = threading.Lock()

    def next_request(self) -> RequestFaults:
        with self._lock:
            self._count += 1
            n = self._count
        plan, seed = self.plan, self.plan.seed
        return RequestFaults(
            number=n,
            latency_s=self._latency(n),
            status=self._status(n),
            retry_after=plan.retry_after,
            truncate=_drawn(seed, "truncate", n, plan.truncate),
            reset=_drawn(seed, "reset", n, plan.reset),
            token_expired=0 < plan.token_expiry_after < n,
            insert_while_paging=_drawn(seed, "insert", n, plan.insert_while_paging),
            change_while_paging=_drawn(seed, "change", n, plan.change_while_paging),
            late_arrival=_drawn(seed, "late", n, plan.late_arrivals),
        )

    def chance(self, rate: float, *key: object) -> bool:
        """Keyed decision (e.g. per record), independent of request order."""
        return rate > 0 and unit(self.plan.seed, *key) < rate

    def _latency(self, n: int) -> float:
        plan = self.plan
        base, jitter = plan.latency_ms, plan.latency_jitter_ms
        if plan.latency_dist == "fixed" or (jitter == 0 and plan.latency_dist == "uniform"):
            return base / 1000
        u = unit(plan.seed, "latency", n)
        if plan.latency_dist == "exponential":
            # mean = base + jitter, never below base: a long tail like real networks.
            return (base - jitter * math.log(1 - u)) / 1000
        return max(0.0, base + jitter * (2 * u - 1)) / 1000

    def _status(self, n: int) -> int | None:
        if not any(rate > 0 for _, rate in self.plan.error_rates):
            return None  # as below: no u in [0, 1) is below a total rate of 0
        u = unit(self.plan.seed, "status", n)
        acc = 0.0
        for status, rate in self.plan.error_rates:
            acc += rate
            if u < acc:
                return status
        return None


class FaultController:
    """The current plan plus its decider; replacing the plan restarts the request count."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.decider = FaultDecider(plan or FaultPlan())

    @property
    def plan(self) -> FaultPlan:
        return self.decider.plan

    def set(self, plan: FaultPlan) -> None:
        self.decider = FaultDecider(plan)
