"""``make mutants``: plant each listed bug in a scratch copy and check a test kills it.

Each mutant is one exact text replacement (it must match exactly once, so a refactor that
moves the code makes the mutant fail loudly rather than silently test nothing). The scratch
copy is the checkout's tracked and new files; its tests run with ``PYTHONPATH`` pointing at
it, so subprocesses (``paysync``, the emulators) run the mutated code too. Only the tests
relevant to a mutant run, with ``-x``: the whole check stays within ~10 minutes on 2 cores.

A mutant is killed when pytest exits 1 (a test failed). Exit 0 means it survived; any other
exit (collection error, usage) is reported as an error, not as a kill.

    python tests/mutants/run.py [--only NAME ...] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "misspelt-key", "connectors/smarterpay/streams.py",
        'PAYMENT = (\n    col("created_at", "ts"), col("status"), col("amount", "int"),',
        'PAYMENT = (\n    col("created_at", "ts"), col("status"), col("amount", "int", "amuont"),',
        ("tests/test_oracle.py",),
    ),
    Mutant(
        "dropped-last-page", "pipelines/sync/pager.py",
        "                yield Page.of(split_page(self.spec, once(self.spec, items)), ahead.requested_at)",
        "                if params is None and received > len(items):\n"
        "                    break\n"
        "                yield Page.of(split_page(self.spec, once(self.spec, items)), ahead.requested_at)",
        ("tests/test_sync_smarterpay.py::test_full_sync_equals_truth", "tests/test_oracle.py"),
    ),
    Mutant(
        "ledger-before-data", "pipelines/sync/reading.py",
        "                if not await loader.lock_window(conn, target, start, end):\n"
        "                    result.skipped = True\n                    return result\n",
        "                if not await loader.lock_window(conn, target, start, end):\n"
        "                    result.skipped = True\n                    return result\n"
        "                if start is not None and end is not None:\n"
        "                    async with self.pool.acquire() as early:\n"
        "                        await loader.record_window(early, target, start, end, result)\n",
        ("tests/test_crash.py::test_sigkill_while_data_windows_commit",),
    ),
    Mutant(
        "delete-marking-off", "pipelines/load/loader.py",
        "    if any(r.record_id is None for r in rejects):\n        return 0",
        "    if True:\n        return 0",
        ("tests/test_sync_smarterpay.py::test_record_gone_from_a_fully_reread_window_is_marked_deleted",),
    ),
    Mutant(
        "change-rows-off", "pipelines/load/merge_sql.py",
        "WHERE NOT d.is_new AND NOT u.is_insert) x) c",
        "WHERE false) x) c",
        ("tests/test_losses.py::test_reported_counts_equal_the_database",),
    ),
    Mutant(
        "faulted-page-dropped", "connectors/http.py",
        "                return await self._attempt(path, params)",
        "                got = await self._attempt(path, params)\n"
        "                return {k: [] if attempt and isinstance(v, list) else v for k, v in got.items()}",
        ("tests/test_faults_judged.py",),
    ),
    Mutant(
        "webhook-refetch-dropped", "pipelines/load/loader.py",
        "SET reason = CASE WHEN q.reason = 'feed' THEN excluded.reason ELSE q.reason END,\n"
        "                   event_at = CASE WHEN q.reason = 'feed' AND excluded.reason = 'feed'\n"
        "                                   THEN GREATEST(q.event_at, excluded.event_at) END,",
        "SET event_at = GREATEST(q.event_at, excluded.event_at),",  # the code before issue 17
        ("tests/test_losses.py::test_webhook_while_a_feed_entry_waits_is_fetched",),
    ),
    Mutant(
        "webhook-never-queued", "pipelines/webhooks/receiver.py",
        '            await loader.enqueue(conn, source, stream, ids, "webhook")',
        "            pass",
        ("tests/test_losses.py::test_webhook_while_a_feed_entry_waits_is_fetched",),
    ),
    Mutant(
        "older-overwrites-newer", "pipelines/load/merge_sql.py",
        '    fetched = f"{new}._fetched_at >= coalesce({old}._fetched_at, \'-infinity\')"',
        '    return "true"\n    fetched = ""',
        ("tests/test_losses.py::test_older_read_committed_later_keeps_the_newer_version",
         "tests/test_losses.py::test_provider_change_time_orders_versions",
         "tests/test_losses.py::test_sync_does_not_overwrite_a_newer_webhook"),
    ),
    Mutant(
        "rejects-not-owed", "pipelines/sync/reading.py",
        "            owed = await loader.owed_rejects(conn, t, rejects)",
        "            owed = 0",
        ("tests/test_losses.py::test_rejected_records_load_when_served_correctly",),
    ),
    Mutant(
        "boundary-double-count", "pipelines/load/merge_sql.py",
        "    WHERE (t._hash <> excluded._hash OR t._deleted_at IS NOT NULL)\n",
        "    WHERE true\n",
        ("tests/test_losses.py::test_a_record_two_windows_load_at_once_is_counted_once",),
    ),
    Mutant(
        "dead-runs-stay-running", "pipelines/sync/runs.py",
        '    return int(await conn.fetchval("SELECT paysync.mark_abandoned()"))',
        "    return 0",
        ("tests/test_crash.py::test_sigkill_while_data_windows_commit",),
    ),
)  # fmt: skip


def scratch_copy(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
        capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def plant(copy: Path, mutant: Mutant) -> None:
    path = copy / mutant.file
    text = path.read_text()
    found = text.count(mutant.old)
    if found != 1:
        raise SystemExit(f"mutant {mutant.name}: expected 1 match in {mutant.file}, found {found}")
    path.write_text(text.replace(mutant.old, mutant.new))


def run(mutant: Mutant, workdir: Path, timeout_s: int) -> tuple[str, float, str]:
    copy = workdir / mutant.name
    scratch_copy(copy)
    plant(copy, mutant)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               f"--basetemp={workdir / ('pt-' + mutant.name)}", *mutant.tests]  # fmt: skip
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True,
                              timeout=timeout_s)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "error (timeout)", time.monotonic() - started, ""
    seconds = time.monotonic() - started
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    verdict = {0: "SURVIVED", 1: "killed"}.get(done.returncode, f"error (exit {done.returncode})")
    detail = failed[0][:150] if failed else done.stdout.strip().splitlines()[-1:][0][:150]
    return verdict, seconds, detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=None, help="run only these mutants")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per mutant")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if args.only is None or m.name in args.only]
    workdir = Path(tempfile.mkdtemp(prefix="paysync-mutants-"))
    results = []
    try:
        for mutant in chosen:
            verdict, seconds, detail = run(mutant, workdir, args.timeout)
            results.append((mutant.name, verdict))
            print(f"{mutant.name:26} {verdict:10} {seconds:6.1f}s  {detail}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    survived = [n for n, v in results if v != "killed"]
    print(f"\n{len(results) - len(survived)} of {len(results)} mutants killed"
          + (f"; not killed: {', '.join(survived)}" if survived else ""))  # fmt: skip
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
