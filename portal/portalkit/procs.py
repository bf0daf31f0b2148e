"""Process helpers: run commands, start daemons detached, check and stop them by PID."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from .settings import PortalError

IS_ROOT = os.geteuid() == 0


def _default_signals() -> None:
    # Processes started from some shells/CI here inherit SIGINT/SIGTERM as ignored; a daemon
    # that ignores SIGTERM cannot be stopped cleanly, so restore the defaults before exec.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)


def as_service_user(cmd: Sequence[str]) -> list[str]:
    """PostgreSQL refuses to run as root: when root, run its tools as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if IS_ROOT else list(cmd)


def chown_to_service_user(*paths: Path) -> None:
    if not IS_ROOT:
        return
    pw = pwd.getpwnam("postgres")
    for path in paths:
        os.chown(path, pw.pw_uid, pw.pw_gid)


def run(
    cmd: Sequence[str],
    *,
    what: str,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    timeout: float = 600,
) -> str:
    """Run a command to completion; on failure raise PortalError with its output's tail."""
    try:
        proc = subprocess.run(
            list(cmd),
            input=input_text,
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=timeout,
            preexec_fn=_default_signals,
        )
    except FileNotFoundError as exc:
        raise PortalError(f"{what}: command not found: {cmd[0]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise PortalError(f"{what}: timed out after {timeout:.0f}s") from exc
    if log is not None:
        with log.open("a") as fh:
            shown = ["password=***" if a.startswith("password=") else a for a in cmd]
            fh.write(f"$ {' '.join(shown)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise PortalError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def _private_files() -> None:
    _default_signals()
    os.umask(0o077)


def spawn(
    cmd: Sequence[str],
    *,
    log: IO[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    private: bool = False,
) -> subprocess.Popen[bytes]:
    """Start a long-running process detached from our session (own process group); with
    ``private``, every file it creates is readable by its user only (umask 077)."""
    return subprocess.Popen(
        list(cmd),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env=env,
        start_new_session=True,
        preexec_fn=_private_files if private else _default_signals,
    )


def group_members(pgid: int, must_contain: str) -> list[int]:
    """Live processes of process group ``pgid`` whose command line holds ``must_contain``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) == pgid and must_contain in cmdline(int(entry.name)):
            found.append(int(entry.name))
    return found


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped) is not alive for our purposes
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def read_pid(path: Path, must_contain: str) -> int | None:
    """The PID in a pid file, if that process is alive and really is ours (guards PID reuse)."""
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if pid_alive(pid) and must_contain in cmdline(pid):
        return pid
    return None


def stop_pid(pid: int, *, name: str, group: bool = False, timeout: float = 20) -> None:
    """SIGTERM, wait, then SIGKILL: afterwards the process is gone."""

    def send(sig: int) -> None:
        try:
            if group:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        _reap(pid)
        time.sleep(0.1)
    send(signal.SIGKILL)
    for _ in range(50):
        if not pid_alive(pid):
            return
        _reap(pid)
        time.sleep(0.1)
    raise PortalError(f"could not stop {name} (pid {pid})")


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child: its parent reaps it
        os.waitpid(pid, os.WNOHANG)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.25,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Poll ``check()`` until true; give up early when ``alive()`` says the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive():
            raise PortalError(f"{what}: the process exited during start-up")
        time.sleep(interval)
    raise PortalError(f"{what}: not ready after {timeout:.0f}s")


def start_service(
    cmd: Sequence[str],
    *,
    what: str,
    log_file: Path,
    pid_file: Path,
    cwd: Path,
    ready: Callable[[int], bool],
    timeout: float,
    private: bool = False,
) -> int:
    """Start a long-running service, record its pid and wait until ``ready(pid)``; a start that
    fails carries the last lines of its log. Returns the pid."""
    with log_file.open("a") as log:
        proc = spawn(cmd, log=log, cwd=cwd, private=private)
    pid_file.write_text(f"{proc.pid}\n")
    try:
        wait_for(
            lambda: ready(proc.pid),
            timeout=timeout,
            what=what,
            alive=lambda: proc.poll() is None,
            interval=0.5,
        )
    except PortalError as exc:
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-30:])
        raise PortalError(f"{exc}\n--- last lines of {log_file} ---\n{tail}") from exc
    return proc.pid
