"""CKAN's background job worker (`ckan jobs worker`): it runs ckanext-xloader's loads.

The worker is an RQ worker on the portal's private Redis. It is started, checked and stopped
by PID like the web process; it is healthy when its process is alive and RQ has it registered
in Redis under that PID (RQ writes the registration when the worker is ready to take jobs).
Like CKAN it reads ckan.ini only when it starts, so it is restarted when the configuration
changes (the same fingerprint as the web process).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from .procs import cmdline, group_members, read_pid, start_service, stop_pid
from .settings import Settings

WORKERS_KEY = b"rq:workers"  # RQ's set of the keys of every registered worker


def _encode(*args: bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class _Reply:
    """A minimal RESP reader: enough for SMEMBERS and HGET replies."""

    def __init__(self, sock: socket.socket) -> None:
        self.file = sock.makefile("rb")

    def read(self) -> object:
        line = self.file.readline()
        if not line:
            raise OSError("Redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind in (b"+", b":"):
            return rest
        if kind == b"-":
            raise OSError(rest.decode(errors="replace"))
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            return self.file.read(size + 2)[:-2]
        if kind in (b"*", b"~"):  # array, or RESP3 set
            return [self.read() for _ in range(int(rest))]
        raise OSError(f"unexpected Redis reply {line!r}")


def registered_pids(port: int) -> set[int]:
    """The PIDs of the RQ workers registered in the Redis on ``port`` (empty when unreachable)."""
    try:
        with socket.create_connection(("127.0.0.1", port), 2) as sock:
            reply = _Reply(sock)
            sock.sendall(_encode(b"SMEMBERS", WORKERS_KEY))
            keys = reply.read()
            pids: set[int] = set()
            for key in keys if isinstance(keys, list) else []:
                sock.sendall(_encode(b"HGET", bytes(key), b"pid"))
                pid = reply.read()
                if isinstance(pid, bytes) and pid.isdigit():
                    pids.add(int(pid))
            return pids
    except (OSError, ValueError):
        return set()


@dataclass(frozen=True)
class Worker:
    settings: Settings
    exe: str  # the portal venv's `ckan`

    @property
    def pid_file(self) -> Path:
        return self.settings.run_dir / "worker.pid"

    @property
    def config_stamp(self) -> Path:
        return self.settings.run_dir / "worker.config.sha256"

    @property
    def log_file(self) -> Path:
        return self.settings.log_dir / "worker.log"

    def pid(self) -> int | None:
        # the command line names our ckan.ini and the sub-command (never the web process)
        pid = read_pid(self.pid_file, must_contain=str(self.settings.ckan_ini))
        return pid if pid is not None and self._is_worker(pid) else None

    @staticmethod
    def _is_worker(pid: int) -> bool:
        return " jobs worker" in cmdline(pid)

    def registered(self) -> bool:
        pid = self.pid()
        return pid is not None and pid in registered_pids(self.settings.redis_port)

    def healthy(self) -> bool:
        return self.registered()

    def runs_config(self, fingerprint: str) -> bool:
        try:
            return self.config_stamp.read_text().strip() == fingerprint
        except OSError:
            return False

    def _stop_orphans(self) -> None:
        """A worker killed with -9 leaves its children (RQ's scheduler, a job's work-horse)
        running in its process group: stop them before a new worker starts beside them."""
        try:
            old = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        for pid in group_members(old, str(self.settings.ckan_ini)):
            stop_pid(pid, name="orphan of a CKAN job worker")

    def start(self, fingerprint: str) -> None:
        s = self.settings
        self.config_stamp.unlink(missing_ok=True)
        self._stop_orphans()
        # private: xloader leaves /tmp/output_<resource id>.csv behind when a COPY fails
        start_service(
            [self.exe, "-c", str(s.ckan_ini), "jobs", "worker"],
            what="CKAN job worker",
            log_file=self.log_file,
            pid_file=self.pid_file,
            cwd=s.home,
            ready=lambda pid: pid in registered_pids(s.redis_port),
            timeout=120,
            private=True,
        )
        self.config_stamp.write_text(f"{fingerprint}\n")

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            # its own session: the group includes the work-horse of a job in progress
            stop_pid(pid, name="CKAN job worker", group=True)
        self.pid_file.unlink(missing_ok=True)
        self.config_stamp.unlink(missing_ok=True)
