"""Records as the provider holds them: the lazy history plus an overlay of records created or
changed later. An overlay entry keeps the generator index (so spawned records still follow
their lifecycle) plus field overrides (which pin what the API or admin set)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.lazy import Overlay
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.ids import index_of
from connectors.smarterpay.emulator.pages import RENDERERS
from connectors.smarterpay.emulator.resources import RESOURCES, Resource

Record = dict[str, Any]
Item = int | str  # a generated index, or the id of a spawned record


@dataclass
class Entry:
    index: int
    created: int
    overrides: dict[str, Any] = field(default_factory=dict)
    spawned: bool = False


class Store:
    def __init__(self, ds: Dataset, clock: EmulatorClock) -> None:
        self.ds = ds
        self.clock = clock
        self.overlays: dict[str, Overlay] = {name: Overlay() for name in RESOURCES}
        self._spawned: dict[str, int] = dict.fromkeys(RESOURCES, 0)
        # counts every spawn and change: part of a cached page's key (reads.py), so a body
        # cached before a change is never served after it
        self.version = 0

    # --- single records ---------------------------------------------------------------
    def render_index(self, res: Resource, i: int, t: float, detail: bool) -> Record:
        record = res.render(self.ds, i, self.ds.created(res.name, i), t, detail)
        overlay = self.overlays[res.name]
        if len(overlay):
            record_id = record.get(res.item_id_key if not detail else res.id_key)
            entry = None if record_id is None else overlay.get(record_id)
            if entry is not None and entry.overrides:
                record.update(entry.overrides)
        return record

    def render_items(
        self, res: Resource, items: list[Item], t: float, detail: bool
    ) -> list[Record]:
        """A list page: generated records of a resource with a page renderer come from it
        (pages.py: the same records, computed together); the rest one by one."""
        page = RENDERERS.get(res.name)
        count = self.ds.count(res.name)
        overlay = self.overlays[res.name]
        if page is not None and not len(overlay) and items and isinstance(items[0], int):
            # nothing created or changed: every item is a generated index (spawned ones are
            # overlay ids), rendered as it is
            indices = [i for i in items if type(i) is int and i < count]
            if len(indices) == len(items):
                return page(self.ds, indices, t, detail)
        generated = [i for i in items if isinstance(i, int) and i < count]
        if page is None or not generated:
            return [self.render_item(res, item, t, detail) for item in items]
        batch = iter(page(self.ds, generated, t, detail))
        out: list[Record] = []
        for item in items:
            if not (isinstance(item, int) and item < count):
                out.append(self.render_item(res, item, t, detail))
                continue
            record = next(batch)
            if len(overlay):  # as render_index: pinned fields override the generated ones
                record_id = record.get(res.item_id_key if not detail else res.id_key)
                entry = None if record_id is None else overlay.get(record_id)
                if entry is not None and entry.overrides:
                    record.update(entry.overrides)
            out.append(record)
        return out

    def render_entry(self, res: Resource, entry: Entry, t: float, detail: bool) -> Record:
        record = res.render(self.ds, entry.index, entry.created, t, detail)
        record.update(entry.overrides)
        return record

    def render_item(self, res: Resource, item: Item, t: float, detail: bool) -> Record:
        if isinstance(item, int):
            return self.render_index(res, item, t, detail)
        return self.render_entry(res, self.overlays[res.name].get(item), t, detail)

    def find(self, res: Resource, record_id: str, t: float) -> Item | None:
        """The item with this id that exists at t, or None (unknown id -> 404)."""
        entry = self.overlays[res.name].get(record_id)
        if entry is not None and entry.spawned:
            return record_id if entry.created <= t else None
        i = self._index_from_id(res, record_id)
        if i is None or not 0 <= i < self.ds.count(res.name):
            return None
        if self.ds.created(res.name, i) > t:
            return None
        rendered = res.render(self.ds, i, self.ds.created(res.name, i), t, True)
        return i if str(rendered.get(res.id_key)) == record_id else None

    def _index_from_id(self, res: Resource, record_id: str) -> int | None:
        if res.prefix:
            return index_of(record_id, res.prefix)
        if res.name == "clientbankaccount" and record_id.startswith("CBA-"):
            return int(record_id[4:]) - 1 if record_id[4:].isdigit() else None
        if res.name == "serviceusernumber":
            for k in range(self.ds.count(res.name)):
                if res.render(self.ds, k, 0, 0, True)["SUN"] == record_id:
                    return k
        return None

    def created_of(self, res: Resource, item: Item) -> int:
        if isinstance(item, int):
            return self.ds.created(res.name, item)
        return self.overlays[res.name].get(item).created

    # --- windows ----------------------------------------------------------------------
    def window(
        self, res: Resource, start: float | None, end: float | None, t: float
    ) -> tuple[range, list[str]]:
        """Generated indices and spawned ids created in [start, end) and not after t."""
        timeline = self.ds.timelines[res.name]
        hi_t = t if end is None else min(t, end - 0.5)  # created times are whole seconds
        generated = timeline.index_range(start, hi_t)
        overlay = self.overlays[res.name]
        spawned = [rid for rid in overlay.created_between(start, hi_t) if overlay.get(rid).spawned]
        return generated, spawned

    # --- changes ----------------------------------------------------------------------
    def spawn(self, res: Resource, created: int, overrides: dict[str, Any] | None = None) -> str:
        """A new record (API create, insert or late-arrival fault) following its lifecycle."""
        self.version += 1
        index = self.ds.count(res.name) + self._spawned[res.name]
        self._spawned[res.name] += 1
        entry = Entry(index, int(created), dict(overrides or {}), spawned=True)
        record_id = str(res.render(self.ds, index, entry.created, created, True)[res.id_key])
        entry.overrides.pop(res.id_key, None)
        self.overlays[res.name].put_created(record_id, entry.created, entry)
        return record_id

    def change(self, res: Resource, item: Item, overrides: dict[str, Any]) -> str:
        """Pin fields of an existing record from now on; returns its id."""
        self.version += 1
        overlay = self.overlays[res.name]
        if isinstance(item, str):
            entry = overlay.get(item)
            entry.overrides.update(overrides)
            return item
        record = res.render(self.ds, item, self.ds.created(res.name, item), 0, True)
        record_id = str(record[res.id_key])
        entry = overlay.get(record_id) or Entry(item, self.ds.created(res.name, item))
        entry.overrides.update(overrides)
        overlay.put(record_id, entry)
        return record_id
