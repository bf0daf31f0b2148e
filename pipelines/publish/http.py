"""The HTTP side of the CKAN client: errors worth retrying, ``Retry-After`` and the wait
between attempts, reading a reply against the wall clock and a size limit, the hosts a download
may reach, and request/byte accounting (requests' response hooks).
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from tenacity import RetryCallState, wait_exponential_jitter

from pipelines.redaction import summarise

log = logging.getLogger("pipelines.publish.client")

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
READ_CHUNK = 64 * 1024
# A Retry-After above this is waited only this long before asking again (the overall deadline
# bounds the total); below the client's own backoff, the backoff is waited.
RETRY_AFTER_CAP_S = 300.0


class RetryableHTTPError(Exception):
    """The portal answered with a status worth retrying (overload, outage, throttling)."""

    def __init__(
        self, action: str, status: int, retry_after_s: float | None, detail: str = ""
    ) -> None:
        self.action = action
        self.status = status
        self.retry_after_s = retry_after_s
        super().__init__(f"CKAN {action}: HTTP {status} {detail}".rstrip())


class PortalDeadlineError(RuntimeError):
    """The portal kept failing (or was too slow) until the publish's overall deadline."""


class ReplyTooSlowError(requests.Timeout):
    """A reply not complete within its wall-clock limit (a dripping portal): retried."""


class ReplyTooLargeError(requests.RequestException):
    """A reply larger than the client accepts: not retried."""


class DisallowedHostError(requests.RequestException):
    """A download (or one of its redirects) leading to a host it may not reach: not retried."""


def check_host(url: str, allowed: Iterable[str]) -> None:
    host = urlsplit(url).hostname or ""
    if host not in allowed:
        raise DisallowedHostError(f"host {host!r} is not in the allowed hosts {sorted(allowed)}")


def redirect_guard(allowed: Iterable[str]) -> Any:
    """A response hook refusing a redirect to a host not in ``allowed`` before it is followed."""
    hosts = frozenset(allowed)

    def guard(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.is_redirect:
            check_host(urljoin(response.url, response.headers["Location"]), hosts)

    return guard


class WaitRetryAfterOrBackoff:
    """Exponential backoff with jitter, or longer when the server asked (``Retry-After``, at
    most RETRY_AFTER_CAP_S): ``Retry-After: 0`` does not make a client hammer the portal."""

    def __init__(self, initial_s: float, max_s: float) -> None:
        self.backoff = wait_exponential_jitter(initial=initial_s, max=max_s, jitter=initial_s)

    def __call__(self, state: RetryCallState) -> float:
        backoff = float(self.backoff(state))
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, RetryableHTTPError) and error.retry_after_s is not None:
            return min(max(error.retry_after_s, backoff), RETRY_AFTER_CAP_S)
        return backoff


def log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    # The exception's class and text carry the URL and status only, never the headers.
    log.warning(
        "CKAN request failed (%s: %s); attempt %d, retrying in %.1f s",
        type(error).__name__,
        error,
        state.attempt_number,
        wait,
    )


def describe_failure(error: BaseException) -> str:
    """What the portal was doing, for the one-line deadline message."""
    if isinstance(error, RetryableHTTPError):
        return (
            f"answering {error.status}" if error.status == 429 else f"answering HTTP {error.status}"
        )
    if isinstance(error, requests.Timeout):
        return "not answering (timeouts)"
    if isinstance(error, requests.ConnectionError):
        return "refusing connections"
    return f"failing ({type(error).__name__})"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class Traffic:
    """Requests made and request-body bytes sent (uploads dominate)."""

    requests: int = 0
    bytes_sent: int = 0
    by_action: dict[str, int] = field(default_factory=dict)

    def add(self, action: str, body_bytes: int) -> None:
        self.requests += 1
        self.bytes_sent += body_bytes
        self.by_action[action] = self.by_action.get(action, 0) + 1


class TrafficRecorder:
    """Counts every HTTP request into the global tally and the calling thread's own tally."""

    def __init__(self) -> None:
        self.total = Traffic()
        self._lock = threading.Lock()
        self._local = threading.local()

    def start_thread_tally(self) -> Traffic:
        self._local.tally = Traffic()
        return self._local.tally

    def current_tally(self) -> Traffic | None:
        tally: Traffic | None = getattr(self._local, "tally", None)
        return tally

    def adopt_tally(self, tally: Traffic | None) -> None:
        """Count this thread's requests into another thread's tally (helper threads)."""
        self._local.tally = tally

    def record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        action = response.request.path_url.rsplit("/", 1)[-1].split("?", 1)[0]
        body = response.request.body
        size = len(body) if isinstance(body, bytes | str) else 0
        with self._lock:
            self.total.add(action, size)
        tally = self.current_tally()
        if tally is not None:
            with self._lock:
                tally.add(action, size)


def action_of(response: requests.Response) -> str:
    return response.request.path_url.rsplit("/", 1)[-1].split("?", 1)[0]


def raise_retryable(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    if response.status_code in RETRYABLE_STATUS:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        detail = summarise(response.text[:2000], 200)  # the server's words, briefly, redacted
        raise RetryableHTTPError(action_of(response), response.status_code, retry_after, detail)


def read_reply(response: requests.Response, read_until: float, max_bytes: int) -> None:
    """Read the (streamed) body in chunks against a wall-clock limit (``time.monotonic()``) and
    a size limit, before anything else looks at it; the connection is released when done."""
    if response._content_consumed:  # type: ignore[attr-defined]
        return
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > read_until:
                raise ReplyTooSlowError(
                    f"CKAN {action_of(response)}: reply not complete within its time limit"
                )
            chunk = response.raw.read1(READ_CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise ReplyTooLargeError(
                    f"CKAN {action_of(response)}: reply larger than {max_bytes:,} bytes "
                    "(OGP_CKAN_MAX_REPLY_BYTES)"
                )
            chunks.append(chunk)
    except (ReplyTooSlowError, ReplyTooLargeError):
        response.close()
        raise
    except (TimeoutError, urllib3.exceptions.ReadTimeoutError):
        response.close()
        raise ReplyTooSlowError(f"CKAN {action_of(response)}: reply timed out") from None
    except (OSError, urllib3.exceptions.HTTPError) as error:
        response.close()
        raise requests.ConnectionError(
            f"CKAN {action_of(response)}: reply cut ({type(error).__name__})"
        ) from None
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]
    response.raw.release_conn()  # read to the end: the connection can be reused
