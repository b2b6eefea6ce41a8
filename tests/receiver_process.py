"""The webhook receiver as its own process (``paysync webhooks serve``), as it is deployed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.test_webhooks import API_KEY, ROOT, until


class ReceiverProcess:
    def __init__(
        self, config: Path, port: int, log: Path | None = None, options: tuple[str, ...] = (),
        log_level: str = "WARNING",
    ) -> None:  # fmt: skip
        self.config, self.port, self.log = config, port, log
        self.options, self.log_level = options, log_level
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "pipelines.cli.webhooks", "serve", "--port", str(self.port),
                "--log-level", self.log_level, *self.options]  # fmt: skip

    def env(self) -> dict[str, str]:
        return {**os.environ, "PAYSYNC_CONFIG": str(self.config), "S2P_KEY": API_KEY}

    def start(self) -> None:
        if self.log is None:
            self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=self.env())
            return
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.env(), stdout=out, stderr=out
            )

    async def ready(self) -> None:
        async def up() -> bool:
            try:
                async with aiohttp.ClientSession() as s, s.get(self.url + "/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientError:
                exited = self.proc is None or self.proc.poll() is not None
                assert not exited, self.log.read_text() if self.log else "receiver exited"
                return False

        await until(up, 60, "the receiver to answer /healthz")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
