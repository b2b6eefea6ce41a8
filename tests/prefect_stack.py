"""A local Prefect stack for tests: a server, the paysync work pool, deployments from a
``prefect.yaml``, and workers, each a process in its own group that the caller stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))
BASE_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
    "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_LOGGING_LEVEL": "INFO",
    "PAYSYNC_HOME": str(REPO),
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Processes:
    """Background processes in their own process groups, so a worker's flow runs die too."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.started = logs, []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        self.started.append((proc, log))
        return proc

    def stop(self) -> None:
        for proc, log in reversed(self.started):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=15)
            log.close()

    def tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def serve_and_deploy(
    procs: Processes, api: str, env: dict[str, str], prefect_file: Path | None = None
) -> None:
    """Start the server on ``api``'s port, create the process pool, deploy every deployment."""
    port = api.rsplit(":", 1)[1].split("/")[0]
    server = procs.start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", port], env)  # fmt: skip
    wait_until(lambda: healthy(api) or server.poll() is not None, 120, "the Prefect server")
    assert server.poll() is None, procs.tail("server")
    deploy = ["--no-prompt", "deploy", "--all"]
    if prefect_file is not None:
        deploy += ["--prefect-file", str(prefect_file)]
    for args in (["work-pool", "create", "paysync", "--type", "process"], deploy):
        done = subprocess.run([PREFECT, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=180)  # fmt: skip
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
