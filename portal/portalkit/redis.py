"""The portal's private Redis (CKAN keeps sessions/caches and its job queue there)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from .procs import read_pid, run, stop_pid, wait_for
from .settings import Settings


@dataclass(frozen=True)
class Redis:
    settings: Settings
    server: str

    @property
    def pid_file(self) -> Path:
        return self.settings.run_dir / "redis.pid"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.settings.redis_port}/0"

    def pid(self) -> int | None:
        return read_pid(self.pid_file, must_contain=f":{self.settings.redis_port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.settings.redis_port), 1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, log: Path) -> None:
        s = self.settings
        run(
            [
                self.server,
                "--port",
                str(s.redis_port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pid_file),
                "--dir",
                str(s.redis_dir),
                "--logfile",
                str(s.log_dir / "redis.log"),
                # a cache for a development portal: no persistence, no surprise dump files
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            what="redis-server start",
            log=log,
        )
        wait_for(self.ping, timeout=20, what="Redis")

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            stop_pid(pid, name="Redis")
        self.pid_file.unlink(missing_ok=True)
