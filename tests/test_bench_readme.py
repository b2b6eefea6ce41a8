"""README's Performance tables come from results.json: replaced between the markers, the rest
of the README untouched, never appended twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import readme


def document(records: int) -> dict[str, object]:
    return {
        "scale": "full",
        "measured_at": "2026-11-30T12:00:00+00:00",
        "machine": {"cpus": 2, "loadavg_before": 3.5, "loadavg_after": 4.25, "bench_seconds": 9.0},
        "scenarios": {"backfill": {"records": records, "seconds": 2.0, "records_per_s": 5.0}},
        "ratios": {"fetch_vs_backfill": 1.5},
        "targets": [{"target": "fetch-only >= 2 x backfill", "met": False, "figure": "1.5"}],
    }


def test_tables_replace_what_was_between_the_markers(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(f"# before\n{readme.START}\nold figures\n{readme.END}\n## after\n")
    readme.update(path, document(1234))
    readme.update(path, document(5678))
    text = path.read_text()
    assert text.startswith("# before\n") and text.endswith(f"{readme.END}\n## after\n")
    assert "old figures" not in text and "1,234" not in text
    assert "| full backfill, empty database | 5,678 | 2.0 | 5 |" in text
    assert "load average 3.5 before and 4.25 after" in text
    assert "| fetch-only >= 2 x backfill | **missed** | 1.5 |" in text
    assert text.count(readme.START) == 1


def test_without_markers_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text("# no markers\n")
    with pytest.raises(SystemExit):
        readme.update(path, document(1))
    assert path.read_text() == "# no markers\n"
