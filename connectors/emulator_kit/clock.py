"""The emulator's clock: real time plus an offset, settable, optionally frozen.

Record states are pure functions of the clock, so tests move the clock instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


def to_utc(dt: datetime) -> datetime:
    """Naive datetimes are taken as UTC (the providers' filter values carry no zone)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class EmulatorClock:
    """`now()` = real time + offset, or a fixed instant while frozen."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None
        if start is not None:
            self._offset = to_utc(start).timestamp() - time.time()
        if frozen:
            self.freeze()

    def timestamp(self) -> float:
        """Seconds since the epoch on the emulator's clock."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def set(self, dt: datetime) -> None:
        target = to_utc(dt).timestamp()
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset = target - time.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def freeze(self) -> None:
        now = self.timestamp()
        with self._lock:
            self._frozen_at = now

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None
