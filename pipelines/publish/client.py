"""A careful CKAN API client: ckanapi's RemoteCKAN over a requests.Session, plus
timeouts, retries with exponential backoff and jitter, and request/byte accounting.

Retried: connection errors, timeouts, HTTP 5xx and 429 (``Retry-After`` is honoured). Not
retried: CKAN's own answers (validation, not found, not authorised), raised as ckanapi's
exceptions with the server's message. Writes that are not idempotent pass ``already_done``: after
a failed or lost reply it asks the portal whether the write went through before sending it again.

One overall deadline (``deadline_s``) bounds all the retries of one client (one publish): past
it, :class:`PortalDeadlineError` says in one line what the portal kept doing.

Secrets: every reply body is redacted (:mod:`pipelines.redaction`) before ckanapi parses it, and
every exception leaving :meth:`CKANClient.call` is rebuilt from redacted text without its cause,
so a portal that echoes the ``Authorization`` header cannot put the token in an error or a log.
"""

from __future__ import annotations

import email.utils
import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from ckanapi import CKANAPIError, RemoteCKAN
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from pipelines.redaction import clean_exception, redact_bytes, register_secret

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_CAP_S = 300.0  # a server asking for longer than this is treated as down
USER_AGENT = "ogp-pipeline publisher (+ckanapi)"


class RetryableHTTPError(Exception):
    """The portal answered with a status worth retrying (overload, outage, throttling)."""

    def __init__(
        self, action: str, status: int, retry_after_s: float | None, detail: str = ""
    ) -> None:
        self.action = action
        self.status = status
        self.retry_after_s = retry_after_s
        super().__init__(f"CKAN {action}: HTTP {status} {detail}".rstrip())


RETRYABLE_ERRORS = (requests.ConnectionError, requests.Timeout, RetryableHTTPError)


class PortalDeadlineError(RuntimeError):
    """The portal kept failing (or was too slow) until the publish's overall deadline."""


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


class _TrafficRecorder:
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


def _redact_reply(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Before anything reads the body (ckanapi, error messages): the body without secrets."""
    response._content = redact_bytes(response.content)


def _raise_retryable(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    if response.status_code in RETRYABLE_STATUS:
        action = response.request.path_url.rsplit("/", 1)[-1]
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        detail = " ".join(response.text[:200].split())  # the server's words, briefly
        raise RetryableHTTPError(action, response.status_code, retry_after, detail)


class _WaitRetryAfterOrBackoff:
    """Wait as long as the server asked (capped), else exponential backoff with jitter."""

    def __init__(self, initial_s: float, max_s: float) -> None:
        self.backoff = wait_exponential_jitter(initial=initial_s, max=max_s, jitter=initial_s)

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, RetryableHTTPError) and error.retry_after_s is not None:
            return min(error.retry_after_s, RETRY_AFTER_CAP_S)
        return float(self.backoff(state))


def _log_retry(state: RetryCallState) -> None:
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


Upload = tuple[str, bytes, str]  # (file name, content, MIME type)


class CKANClient:
    """Thread-safe: each thread gets its own RemoteCKAN and session (requests sessions are not
    meant to be shared across threads)."""

    def __init__(
        self,
        url: str,
        token: str | None,
        timeout_s: float,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        on_request: Callable[[str], None] | None = None,
        deadline_s: float | None = None,
    ) -> None:
        register_secret(token)
        self.url = url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.deadline_s = deadline_s
        self._started = time.monotonic()
        self._failing_since: float | None = None
        self._last_failure = ""
        self.deadline_error: PortalDeadlineError | None = None
        self._wait = _WaitRetryAfterOrBackoff(backoff_initial_s, backoff_max_s)
        self.traffic = _TrafficRecorder()
        self._on_request = on_request
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:  # never show the token
        return f"CKANClient(url={self.url!r})"

    def _remote(self) -> RemoteCKAN:
        remote: RemoteCKAN | None = getattr(self._local, "remote", None)
        if remote is None:
            session = requests.Session()
            session.hooks["response"] = [_redact_reply, self.traffic.record, _raise_retryable]
            with self._sessions_lock:
                self._sessions.append(session)
            remote = RemoteCKAN(
                self.url, apikey=self._token, user_agent=USER_AGENT, session=session
            )
            self._local.remote = remote
        return remote

    def start_thread_tally(self) -> Traffic:
        """Count this thread's requests from now on (one dataset is published by one thread)."""
        return self.traffic.start_thread_tally()

    # --- the overall deadline -----------------------------------------------------------------

    def remaining_s(self) -> float | None:
        if self.deadline_s is None:
            return None
        return self.deadline_s - (time.monotonic() - self._started)

    def _deadline_exceeded(self) -> PortalDeadlineError:
        if self.deadline_error is None:
            if self._failing_since is not None:
                seconds = time.monotonic() - self._failing_since
                what = f"portal kept {self._last_failure} for {seconds:.0f} s"
            else:
                what = f"portal too slow: publish not finished within {self.deadline_s:g} s"
            self.deadline_error = PortalDeadlineError(
                f"{what}; nothing more was published; re-run later"
            )
            log.error("%s", self.deadline_error)
        return self.deadline_error

    def _failed(self, error: BaseException) -> None:
        if self._failing_since is None:
            self._failing_since = time.monotonic()
        self._last_failure = describe_failure(error)

    def _stop(self, max_attempts: int) -> Callable[[RetryCallState], bool]:
        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome is not None else None
            if error is not None:
                self._failed(error)
            remaining = self.remaining_s()
            if remaining is not None:
                asked = 0.0
                if isinstance(error, RetryableHTTPError) and error.retry_after_s is not None:
                    asked = min(error.retry_after_s, RETRY_AFTER_CAP_S)
                if remaining <= 0 or asked >= remaining:  # waiting would outlast the deadline
                    raise self._deadline_exceeded()
            return state.attempt_number >= max_attempts

        return stop

    def _wait_within_deadline(self, state: RetryCallState) -> float:
        wait = self._wait(state)
        remaining = self.remaining_s()
        return wait if remaining is None else max(0.0, min(wait, remaining))

    # --- calls ------------------------------------------------------------------------------

    def call(
        self,
        action: str,
        data: dict[str, Any] | None = None,
        upload: Upload | None = None,
        *,
        already_done: Callable[[], Any] | None = None,
        retry_data: dict[str, Any] | None = None,
    ) -> Any:
        """Call one action, retrying transient failures; the upload is re-read on each attempt.

        For a write that must not happen twice, ``already_done()`` is asked before every attempt
        after a failed one, and after a refusal ("already exists") that follows a failed one: it
        returns what the portal already holds when that write went through (then that is the
        result), else None. ``retry_data`` replaces ``data`` on the attempts after a failed one
        (e.g. an insert becomes an upsert).
        """
        # A look-up runs inside an attempt of the write it checks: that write's retries cover it.
        attempts = 1 if getattr(self._local, "in_lookup", False) else self.max_attempts
        retrying = Retrying(
            retry=retry_if_exception_type(RETRYABLE_ERRORS),
            stop=self._stop(attempts),
            wait=self._wait_within_deadline,
            before_sleep=_log_retry,
            reraise=True,
        )
        sent = False  # an attempt went out and its outcome is unknown
        try:
            for attempt in retrying:
                with attempt:
                    if sent and already_done is not None:
                        found = self._look_up(already_done)
                        if found is not None:
                            log.info("CKAN %s: already done by a previous attempt", action)
                            return found
                    payload = retry_data if sent and retry_data is not None else data or {}
                    retried, sent = sent, True
                    try:
                        result = self._call_once(action, payload, upload)
                    except CKANAPIError:  # e.g. "already exists" after a lost reply
                        found = self._look_up(already_done) if retried and already_done else None
                        if found is None:
                            raise
                        result = found
                    self._failing_since = None
                    return result
        except PortalDeadlineError:
            raise PortalDeadlineError(str(self._deadline_exceeded())) from None
        except (*RETRYABLE_ERRORS, CKANAPIError) as error:
            raise clean_exception(error) from None
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _look_up(self, already_done: Callable[[], Any]) -> Any:
        self._local.in_lookup = True
        try:
            return already_done()
        finally:
            self._local.in_lookup = False

    def _call_once(self, action: str, data: dict[str, Any], upload: Upload | None) -> Any:
        remaining = self.remaining_s()
        if remaining is not None and remaining <= 0:
            raise self._deadline_exceeded()
        if self._on_request is not None:
            self._on_request(action)
        files = None
        if upload is not None:
            file_name, content, mimetype = upload
            files = {"upload": (file_name, io.BytesIO(content), mimetype)}
        log.debug("CKAN %s", action)
        timeout = self.timeout_s if remaining is None else max(0.1, min(self.timeout_s, remaining))
        return self._remote().call_action(
            action, data, files=files, requests_kwargs={"timeout": timeout}
        )

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()
