"""Start an emulator as a subprocess for tests and talk to its admin API synchronously.

with start_emulator("smarterpay", records=1000, seed=7) as emu:
    emu.base_url, emu.credentials["token"], emu.ca_path
    emu.clock_advance(86400); emu.truth("payments")
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0


class EmulatorStartError(RuntimeError):
    """The emulator process exited or did not print `ready` in time."""


def _flags(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None:
            continue
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + key.replace("_", "-"))
        else:
            args += [flag, str(value)]
    return args


class RunningEmulator:
    def __init__(self, process: subprocess.Popen[bytes], banner: dict[str, str], log: Path) -> None:
        self.process = process
        self.log_path = log
        self.base_url = banner.pop("base_url").rstrip("/")
        ca = banner.pop("ca", "-")
        self.ca_path: str | None = None if ca == "-" else ca
        self.credentials: dict[str, str] = banner
        self.admin_url = self.base_url + "/_emulator"
        self._ssl = ssl.create_default_context(cafile=self.ca_path) if self.ca_path else None

    # --- raw HTTP -------------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext | None:
        return self._ssl

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> tuple[int, dict[str, str], bytes]:
        """Any request (provider or admin); never raises on HTTP error statuses."""
        url = path if path.startswith("http") else self.base_url + path
        data = body if isinstance(body, bytes | None) else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        if data is not None and not req.has_header("Content-type"):
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self._ssl) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        status, _, raw = self.request(method, f"{self.admin_url}/{path}", body)
        if status != 200:
            raise RuntimeError(f"admin {method} {path} answered {status}: {raw[:300]!r}")
        return json.loads(raw)

    # --- admin helpers --------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._admin("GET", "health")

    def clock_now(self) -> datetime:
        return datetime.fromisoformat(self._admin("GET", "clock")["now"])

    def clock_set(self, when: datetime | str) -> datetime:
        text = when.isoformat() if isinstance(when, datetime) else when
        return datetime.fromisoformat(self._admin("POST", "clock", {"set": text})["now"])

    def clock_advance(self, seconds: float) -> datetime:
        body = {"advance_seconds": seconds}
        return datetime.fromisoformat(self._admin("POST", "clock", body)["now"])

    def clock_freeze(self, frozen: bool = True) -> datetime:
        return datetime.fromisoformat(self._admin("POST", "clock", {"freeze": frozen})["now"])

    def set_faults(self, spec: str | dict[str, Any] | None) -> dict[str, Any]:
        body = {"spec": spec or ""} if not isinstance(spec, dict) else spec
        return self._admin("POST", "faults", body)

    def faults(self) -> dict[str, Any]:
        return self._admin("GET", "faults")

    def mutate(self, resource: str, count: int = 1) -> list[str]:
        return self._admin("POST", "mutate", {"resource": resource, "count": count})["ids"]

    def stats(self) -> dict[str, Any]:
        return self._admin("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._admin("POST", "stats/reset")

    def truth(self, resource: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """What the provider holds (``since``: created then or later; SmarterPay only)."""
        query = f"resource={resource}" + (f"&since={since.timestamp()}" if since else "")
        status, _, raw = self.request("GET", f"{self.admin_url}/truth?{query}")
        if status != 200:
            raise RuntimeError(f"truth {resource} answered {status}: {raw[:300]!r}")
        return [json.loads(line) for line in raw.splitlines() if line.strip()]

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        with contextlib.suppress(OSError):
            self.log_path.unlink()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def launch(provider: str, **options: Any) -> RunningEmulator:
    """Start `python -m connectors.<provider>.emulator --port 0 ...`; caller must close()."""
    options.setdefault("port", 0)
    cmd = [sys.executable, "-m", f"connectors.{provider}.emulator", *_flags(options)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    log = Path(tempfile.mkstemp(prefix=f"emulator-{provider}-", suffix=".log")[1])
    with log.open("w") as stderr:
        process = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr
        )
    try:
        banner = _read_banner(process, log)
    except BaseException:
        process.kill()
        process.wait(5)
        raise
    return RunningEmulator(process, banner, log)


def _read_banner(process: subprocess.Popen[bytes], log: Path) -> dict[str, str]:
    """Read raw bytes (not readline on a buffered file: select() would miss buffered lines)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    banner: dict[str, str] = {}
    pending = b""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=0.5):
                if process.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode().strip()
                if line == "ready":
                    return banner
                key, sep, value = line.partition(": ")
                if sep:
                    banner[key] = value
    process.poll()
    raise EmulatorStartError(
        f"emulator did not start (exit code {process.returncode}): {log.read_text()[-2000:]}"
    )


@contextlib.contextmanager
def start_emulator(provider: str, **options: Any) -> Iterator[RunningEmulator]:
    emulator = launch(provider, **options)
    try:
        yield emulator
    finally:
        emulator.close()
