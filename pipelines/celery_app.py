"""Dagster's Celery executor (dagster-celery) on this project's broker.

The broker and the result backend are Redis: by default the local portal's (its port setting),
in a database of its own (``celery_redis_db``; CKAN and its jobs use database 0). The run
process (the executor, ``pipelines/defs/locking.py``) and the workers (``ogp workers``, which
start ``celery -A pipelines.celery_app worker``) build the same Celery app from the same
settings, so both sides agree without a config file holding the broker URL: a URL with a
password comes only from the environment (``OGP_CELERY_BROKER_URL``) and is never written to a
run config, a tag or a log (:func:`broker_address` is what messages show).

Importing this module is cheap; the Celery app is made on first use of :data:`app` (what
``celery -A`` loads in a worker), with dagster-celery's step task registered on it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pipelines.settings import Settings, get_settings

if TYPE_CHECKING:
    from celery import Celery
    from dagster._core.execution.retries import RetryMode
    from dagster_celery.executor import CeleryExecutor

APP_MODULE = "pipelines.celery_app"  # `celery -A` target of the workers


def broker_url(settings: Settings) -> str:
    if settings.celery_broker_url is not None:
        return settings.celery_broker_url.get_secret_value()
    return f"redis://127.0.0.1:{settings.redis_port}/{settings.celery_redis_db}"


def backend_url(settings: Settings) -> str:
    if settings.celery_backend_url is not None:
        return settings.celery_backend_url.get_secret_value()
    return broker_url(settings)


def broker_address(settings: Settings) -> str:
    """The broker as messages may show it: scheme, host, port and database, no credentials."""
    parts = urlsplit(broker_url(settings))
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def celery_options(settings: Settings) -> dict[str, Any]:
    """The Celery app's arguments, the same for the executor and the workers."""
    return {
        "broker": broker_url(settings),
        "backend": backend_url(settings),
        "config_source": {
            # the queue the steps are sent to and the workers listen on (`celery_queue`)
            "task_default_queue": settings.celery_queue,
            # a worker takes one step at a time and no more: the others stay for idle workers
            "worker_prefetch_multiplier": 1,
            # the broker may be restarted under a running worker: reconnect, do not exit
            "broker_connection_retry_on_startup": True,
            # a step is acknowledged when it is done, not when it is taken: a worker killed
            # mid-step (even -9) leaves it unacknowledged and another worker executes it again
            # (steps are idempotent); a warm shutdown finishes the step first
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "broker_transport_options": redelivery_options(settings.celery_visibility_timeout),
        },
    }


def redelivery_options(visibility_timeout: int) -> dict[str, int]:
    """Redis holds a taken step as unacknowledged; a worker puts it back on the queue once it
    has been taken ``visibility_timeout`` seconds ago (at its start, then on a sweep every
    sixtieth of that, between 1 s and 60 s). It must exceed the longest step: 6 h by default."""
    return {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": max(1, min(60, visibility_timeout // 60)),
        "unacked_restore_throttle": 1,  # each sweep scans (kombu scans every 10th by default)
    }


def celery_executor(retries: RetryMode, settings: Settings | None = None) -> CeleryExecutor:
    """dagster-celery's executor on this project's broker."""
    from dagster_celery.executor import CeleryExecutor

    return CeleryExecutor(retries=retries, **celery_options(settings or get_settings()))


def make_worker_app(settings: Settings | None = None) -> Celery:
    """The workers' Celery app: dagster-celery's, with its step task registered."""
    from dagster._core.execution.retries import RetryMode
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task
    from kombu import Queue

    settings = settings or get_settings()
    executor = celery_executor(RetryMode.DISABLED, settings)
    worker_app = make_app(executor.app_args())
    # dagster-celery declares its `dagster` queue; the same for a queue of another name
    queue = settings.celery_queue
    worker_app.conf.task_queues = [
        Queue(queue, routing_key=f"{queue}.#", queue_arguments={"x-max-priority": 10})
    ]
    create_task(worker_app)
    return worker_app


# A worker says it takes steps from its queue with a key of the broker's Redis that lives
# HEARTBEAT_TTL seconds and that a thread of the worker renews every HEARTBEAT_EVERY seconds, also
# while a step runs (a solo worker answers no remote-control ping until its step is done).
HEARTBEAT_EVERY = 5.0
HEARTBEAT_TTL = 20


class NoWorkerError(Exception):
    """No Celery worker takes steps from the run's queue."""


def _heartbeat_key(queue: str, node: str = "*") -> str:
    return f"ogp:celery-worker:{queue}:{node}"


def _redis(settings: Settings) -> Any:
    from redis import Redis

    return Redis.from_url(broker_url(settings), socket_timeout=5, socket_connect_timeout=5)


def _beat(settings: Settings, node: str, stop: threading.Event) -> None:
    client, key = _redis(settings), _heartbeat_key(settings.celery_queue, node)
    while True:
        with contextlib.suppress(Exception):  # the broker may be restarting: next beat
            client.set(key, "1", ex=HEARTBEAT_TTL)
        if stop.wait(HEARTBEAT_EVERY):
            with contextlib.suppress(Exception):
                client.delete(key)
            return


def _start_heartbeat(settings: Settings) -> None:
    from celery import signals

    stop = threading.Event()

    def ready(sender: Any = None, **_: Any) -> None:
        node = str(getattr(sender, "hostname", None) or os.getpid())
        threading.Thread(target=_beat, args=(settings, node, stop), daemon=True).start()

    def shutdown(**_: Any) -> None:
        stop.set()

    signals.worker_ready.connect(ready, weak=False)
    signals.worker_shutdown.connect(shutdown, weak=False)


def require_worker(settings: Settings) -> None:
    """Raise :class:`NoWorkerError` (one line) when no worker takes steps from the queue."""
    queue = settings.celery_queue
    if urlsplit(broker_url(settings)).scheme in {"redis", "rediss"}:
        try:
            found = next(_redis(settings).scan_iter(match=_heartbeat_key(queue), count=1000), None)
        except Exception:  # the broker does not answer: the same advice
            found = None
    else:  # another broker: idle workers answer a ping, busy solo ones do not
        replies = make_worker_app(settings).control.inspect(timeout=3).active_queues() or {}
        found = any(q.get("name") == queue for qs in replies.values() for q in qs)
    if not found:
        raise NoWorkerError(
            f"no Celery worker takes steps from queue {queue} on {broker_address(settings)}: "
            "start `ogp workers`"
        )


_made: dict[str, Celery] = {}


def __getattr__(name: str) -> Any:
    if name == "app":  # made on first use: `celery -A pipelines.celery_app` reads it
        if "app" not in _made:
            _made["app"] = make_worker_app()
            _start_heartbeat(get_settings())  # in a worker: it renews its heartbeat key
        return _made["app"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
