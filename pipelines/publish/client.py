"""A careful CKAN API client: ckanapi's RemoteCKAN over a requests.Session, plus
timeouts, retries with exponential backoff and jitter, and request/byte accounting.

Retried: connection errors, timeouts, HTTP 5xx and 429 (``Retry-After`` is honoured). Not
retried: CKAN's own answers (validation, not found, not authorised), raised as ckanapi's
exceptions with the server's message. Writes that are not idempotent pass ``already_done``: after
a failed or lost reply it asks the portal whether the write went through before sending it again.

One overall deadline (``deadline_s``) bounds all the retries of one client (one publish): past
it, :class:`PortalDeadlineError` says in one line what the portal kept doing. Replies are
streamed and read against the wall clock (``min(timeout, time left before the deadline)``) and a
size limit, so a portal dripping its reply byte by byte cannot outlast the deadline (requests'
own timeout is per socket read).

Secrets: reply bodies are parsed as they came (redacting JSON text would corrupt it); every
exception leaving :meth:`CKANClient.call` — whatever its class — is rebuilt from redacted,
summarised text without its cause or context, so a portal that echoes the ``Authorization``
header (plainly, base64 or hex) cannot put the token in an error, a receipt or a log.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from ckanapi import CKANAPIError, RemoteCKAN
from pydantic import SecretStr
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from pipelines.publish.http import (
    RETRYABLE_STATUS,
    PortalDeadlineError,
    ReplyTooLargeError,
    ReplyTooSlowError,
    RetryableHTTPError,
    Traffic,
    TrafficRecorder,
    describe_failure,
    parse_retry_after,
    raise_retryable,
    read_reply,
)
from pipelines.redaction import clean_exception, register_secret

__all__ = [
    "RETRYABLE_ERRORS",
    "RETRYABLE_STATUS",
    "CKANClient",
    "PortalDeadlineError",
    "ReplyTooLargeError",
    "ReplyTooSlowError",
    "RetryableHTTPError",
    "Traffic",
    "describe_failure",
    "parse_retry_after",
]

log = logging.getLogger(__name__)

# A Retry-After above this is waited only this long before asking again (the overall deadline
# bounds the total); below the client's own backoff, the backoff is waited.
RETRY_AFTER_CAP_S = 300.0
MAX_REPLY_BYTES = 512 * 1024 * 1024  # a reply larger than this is refused (settings override)
USER_AGENT = "ogp-pipeline publisher (+ckanapi)"


RETRYABLE_ERRORS = (requests.ConnectionError, requests.Timeout, RetryableHTTPError)


class _WaitRetryAfterOrBackoff:
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


def _named(error: Exception, action: str) -> Exception:
    """The error a call of ``action`` ends with, named after ``action`` (not after the look-up
    that ran inside its retry)."""
    if isinstance(error, RetryableHTTPError) and error.action != action:
        named = RetryableHTTPError(action, error.status, error.retry_after_s)
        named.args = (f"CKAN {action}: checking it with {error.args[0]}",)
        return named
    return error


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
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        register_secret(token)
        self.max_reply_bytes = max_reply_bytes
        self.url = url.rstrip("/")
        self._token = SecretStr(token) if token else None  # vars(client) never shows it
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.deadline_s = deadline_s
        self._started = time.monotonic()
        self._failing_since: float | None = None
        self._last_failure = ""
        self.deadline_error: PortalDeadlineError | None = None
        self._wait = _WaitRetryAfterOrBackoff(backoff_initial_s, backoff_max_s)
        self.traffic = TrafficRecorder()
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
            session.hooks["response"] = [self._read_reply, self.traffic.record, raise_retryable]
            with self._sessions_lock:
                self._sessions.append(session)
            remote = RemoteCKAN(
                self.url,
                apikey=self._token.get_secret_value() if self._token else None,
                user_agent=USER_AGENT,
                session=session,
            )
            self._local.remote = remote
        return remote

    def _read_reply(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Read the streamed reply within the call's wall-clock limit and the size limit."""
        read_until = getattr(self._local, "read_until", None)
        limit = read_until if read_until is not None else time.monotonic() + self.timeout_s
        read_reply(response, limit, self.max_reply_bytes)

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
            # True whatever was in flight: requests not yet sent were not sent, and the receipt
            # names what was done (and a DataStore table left part-loaded, if any).
            self.deadline_error = PortalDeadlineError(
                f"{what}; publishing stopped there (see the receipt); re-run later"
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
        failure: BaseException
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
            failure = PortalDeadlineError(str(self._deadline_exceeded()))
        except Exception as error:  # every error leaves rebuilt from redacted, summarised text
            failure = clean_exception(_named(error, action))
        else:  # pragma: no cover
            raise AssertionError("unreachable: tenacity re-raises the last error")
        # Raised outside the handler: no __context__ carries the original error.
        raise failure

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
        self._local.read_until = time.monotonic() + timeout  # the whole reply, not one read
        return self._remote().call_action(
            action, data, files=files, requests_kwargs={"timeout": timeout, "stream": True}
        )

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()
