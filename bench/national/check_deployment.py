"""Run every ``bash`` block of docs/DEPLOYMENT.md, in order, in one shell, on this machine.

The blocks are the guide's commands as written; only the environment is this check's own: a
generated registry of two agencies in a temporary folder (``world.py``, the readiness report
under names of its own), a throwaway PostgreSQL for the production instance, a Dagster home,
ports and a Celery queue of its own, the local portal (`python3 portal/portalctl.py up`). After
a block that launches runs, the check waits for every run of the instance to finish. At the
end it stops what the blocks left running (the shell's session, by its id; the Celery workers
by ``ogp workers --stop``) and purges from the portal what the runs published.

Blocks fenced as ``sh`` (the Kubernetes commands) are not run: there is no cluster here.
Exit status 0 when every block succeeded and every run ended in success.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]
from bench_national import free_port, instance_database, ocds_schema_dir, portal  # noqa: E402
from world import REPO, make_world, write_drops  # noqa: E402

GUIDE = REPO / "docs" / "DEPLOYMENT.md"
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.M | re.S)
DONE = "__ogp_block_done__"


def blocks(text: str) -> list[str]:
    return [match.group(1) for match in BLOCK.finditer(text)]


def drain(shell: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    """Read the shell's output as it comes (what the blocks left running keeps writing to it;
    an unread pipe would block them)."""
    assert shell.stdout is not None
    for line in shell.stdout:
        lines.put(line)
    lines.put(None)


def run_block(
    shell: subprocess.Popen[str], lines: queue.Queue[str | None], block: str, timeout: float
) -> tuple[int, str]:
    """Send one block to the shell; its exit status and the output seen meanwhile."""
    assert shell.stdin is not None
    # the status on a line of its own, whatever the block's last output ended with
    shell.stdin.write(f"{block}\nogp_status=$?; echo; echo {DONE} $ogp_status\n")
    shell.stdin.flush()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=5)
        except queue.Empty:
            continue
        if line is None:
            return 255, "".join(seen) + "(the shell ended)\n"
        if line.startswith(DONE):
            return int(line.split()[1]), "".join(seen).rstrip("\n") + "\n"
        seen.append(line)
    return 124, "".join(seen) + f"(timed out after {timeout:.0f} s)\n"


def wait_for_runs(timeout: float) -> dict[str, str]:
    """Every run of the instance finished: run id -> status."""
    import dagster as dg

    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.get() as instance:
        while True:
            runs = instance.get_runs()
            if runs and all(run.is_finished for run in runs):
                return {run.run_id: run.status.value for run in runs}
            if time.monotonic() > deadline:
                return {run.run_id: run.status.value for run in runs}
            time.sleep(3)


def purge(agencies: tuple[str, ...], report: tuple[str, str]) -> None:
    import ckanapi

    ckan = portal()
    with contextlib.suppress(ckanapi.NotFound):
        ckan.action.dataset_purge(id=report[0])
    for organization in [*agencies, report[1]]:
        with contextlib.suppress(ckanapi.NotFound):
            found = ckan.action.organization_show(id=organization)
            for package in ckan.action.package_search(
                fq=f"owner_org:{found['id']}", include_private=True, rows=1000
            )["results"]:
                ckan.action.dataset_purge(id=package["id"])
            ckan.action.organization_purge(id=organization)


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="ogp-deploy-check-"))
    root.chmod(0o755)  # the throwaway PostgreSQL runs as its service user
    suffix = uuid.uuid4().hex[:6]
    world = make_world(root, suffix, sample=2, total=2, ocds_schema_dir=ocds_schema_dir())
    os.environ.update(world.env)
    from pipelines.settings import get_settings

    get_settings.cache_clear()
    write_drops(world)
    report = (f"ogp-readiness-report-n{suffix}", f"ogp-coordination-n{suffix}")
    failures = 0
    with instance_database(root) as database:
        os.environ.update(database)
        env = world.child_env(
            **database,
            AGENCY=world.sample[0],
            OGP_DAGSTER_PORT=str(free_port()),
            DAGSTER_WEB_PORT=str(free_port()),
            OGP_CELERY_QUEUE=f"deploy-check-{suffix}",
        )
        shell = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=drain, args=(shell, lines), daemon=True).start()
        try:
            for number, block in enumerate(blocks(GUIDE.read_text(encoding="utf-8")), start=1):
                print(f"== block {number}\n{block}", flush=True)
                status, output = run_block(shell, lines, block, timeout=1200)
                print(output[-4000:], f"-> exit {status}", flush=True)
                failures += status != 0
                if "job launch" in block:
                    runs = wait_for_runs(timeout=1800)
                    print(f"-> runs: {runs}", flush=True)
                    failures += sum(status != "SUCCESS" for status in runs.values())
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGTERM)  # the shell and what it left running
            with contextlib.suppress(subprocess.TimeoutExpired):
                shell.wait(30)
            subprocess.run([str(REPO / ".venv/bin/ogp"), "workers", "--stop"], env=env, check=False)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGKILL)
            purge(world.sample, report)
    print(f"failures: {failures}; folder {root}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
