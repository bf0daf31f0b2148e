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

Secrets: every exception leaving :meth:`CKANClient.call` is rebuilt from redacted, summarised
text without its cause or context, so a portal echoing the ``Authorization`` header (plainly,
base64 or hex) cannot put the token in an error, a receipt or a log.

The one CKAN client: the publisher, the ``ckan`` source, the readiness readers and the report
publisher use it, for files too (:meth:`~CKANClient.download`, :meth:`~CKANClient.reachable`).
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from ckanapi import CKANAPIError, RemoteCKAN
from pydantic import SecretStr
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from pipelines.publish.http import (
    RETRY_AFTER_CAP_S,
    RETRYABLE_STATUS,
    DisallowedHostError,
    PortalDeadlineError,
    ReplyTooLargeError,
    ReplyTooSlowError,
    RetryableHTTPError,
    Traffic,
    TrafficRecorder,
    WaitRetryAfterOrBackoff,
    check_host,
    describe_failure,
    log_retry,
    parse_retry_after,
    raise_retryable,
    read_reply,
    redirect_guard,
)
from pipelines.redaction import clean_exception, register_secret, summarise
from pipelines.settings import Settings, get_settings

_WaitRetryAfterOrBackoff = WaitRetryAfterOrBackoff  # the name its tests import

__all__ = [
    "RETRYABLE_ERRORS",
    "RETRYABLE_STATUS",
    "RETRY_AFTER_CAP_S",
    "CKANClient",
    "DisallowedHostError",
    "PortalDeadlineError",
    "ReplyTooLargeError",
    "ReplyTooSlowError",
    "RetryableHTTPError",
    "Traffic",
    "client_from_settings",
    "describe_failure",
    "parse_retry_after",
]

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 512 * 1024 * 1024  # a reply larger than this is refused (settings override)
USER_AGENT = "ogp-pipeline publisher (+ckanapi)"


RETRYABLE_ERRORS = (requests.ConnectionError, requests.Timeout, RetryableHTTPError)


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
        user_agent: str = USER_AGENT,
    ) -> None:
        register_secret(token)
        self.max_reply_bytes = max_reply_bytes
        self.url = url.rstrip("/")
        self.user_agent = user_agent
        self._token = SecretStr(token) if token else None  # vars(client) never shows it
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.deadline_s = deadline_s
        self._started = time.monotonic()
        self._failing_since: float | None = None
        self._last_failure = ""
        self.deadline_error: PortalDeadlineError | None = None
        self._wait = WaitRetryAfterOrBackoff(backoff_initial_s, backoff_max_s)
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
            session.headers["User-Agent"] = self.user_agent
            session.hooks["response"] = [self._read_reply, self.traffic.record, raise_retryable]
            with self._sessions_lock:
                self._sessions.append(session)
            remote = RemoteCKAN(
                self.url,
                apikey=self._token.get_secret_value() if self._token else None,
                user_agent=self.user_agent,
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
        retrying = self._retrying(attempts)
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

    def _retrying(self, attempts: int) -> Retrying:
        return Retrying(
            retry=retry_if_exception_type(RETRYABLE_ERRORS),
            stop=self._stop(attempts),
            wait=self._wait_within_deadline,
            before_sleep=log_retry,
            reraise=True,
        )

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
        timeout = self._start_reply_clock(remaining)
        return self._remote().call_action(
            action, data, files=files, requests_kwargs={"timeout": timeout, "stream": True}
        )

    def _start_reply_clock(self, remaining: float | None) -> float:
        timeout = self.timeout_s if remaining is None else max(0.1, min(self.timeout_s, remaining))
        self._local.read_until = time.monotonic() + timeout  # the whole reply, not one read
        return timeout

    # --- files ------------------------------------------------------------------------------

    def download(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        allow_status: Collection[int] = (),
        allowed_hosts: Iterable[str] | None = None,
    ) -> requests.Response:
        """GET a file (a resource, a published validation report) through this client's
        session, with its timeouts, retries, deadline and reply-size limit; the body is read.

        The token goes only to the portal's own origin (requests drops it on a redirect to
        another host). ``allowed_hosts``: the URL and every redirect must stay on these hosts
        (:class:`DisallowedHostError`). A status of 400 or more not in ``allow_status`` raises
        ``requests.HTTPError`` carrying the server's words (redacted, summarised)."""
        hosts = None if allowed_hosts is None else frozenset(allowed_hosts)
        response: requests.Response | None = None
        failure: BaseException
        try:
            for attempt in self._retrying(self.max_attempts):
                with attempt:
                    response = self._get_once(url, headers or {}, hosts)
                    self._failing_since = None
        except PortalDeadlineError:
            failure = PortalDeadlineError(str(self._deadline_exceeded()))
        except Exception as error:  # rebuilt from redacted, summarised text, like call()
            failure = clean_exception(error)
        else:
            assert response is not None
            if response.status_code < 400 or response.status_code in allow_status:
                return response
            words = summarise(response.text[:2000], 200)
            name = urlsplit(url).path.rsplit("/", 1)[-1]
            failure = requests.HTTPError(f"GET {name}: HTTP {response.status_code} {words}")
        raise failure

    def _get_once(
        self, url: str, headers: Mapping[str, str], hosts: frozenset[str] | None
    ) -> requests.Response:
        remaining = self.remaining_s()
        if remaining is not None and remaining <= 0:
            raise self._deadline_exceeded()
        if hosts is not None:
            check_host(url, hosts)
        if self._on_request is not None:
            self._on_request("download")
        sent = dict(headers)
        if self._token is not None and _origin(url) == _origin(self.url):
            sent["Authorization"] = self._token.get_secret_value()
        session: requests.Session = self._remote().session
        hooks = list(session.hooks["response"])
        if hosts is not None:
            hooks.append(redirect_guard(hosts))
        timeout = self._start_reply_clock(remaining)
        return session.get(
            url, headers=sent, timeout=timeout, stream=True, hooks={"response": hooks}
        )

    def reachable(self, url: str) -> bool:
        """Whether ``url`` answers HEAD below 400 as the public sees it (no token, no retry)."""
        timeout = self._start_reply_clock(self.remaining_s())
        try:  # a connection failure or a timeout is not reachable
            reply = self._remote().session.head(url, timeout=timeout, allow_redirects=True)
        except requests.RequestException:
            return False
        return bool(reply.status_code < 400)

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port


def client_from_settings(
    settings: Settings | None = None,
    *,
    url: str | None = None,
    token: str | None = None,
    **options: Any,
) -> CKANClient:
    """A client with the settings' timeout, deadline and reply cap (``options`` override them);
    ``token`` is explicit: readers counting what the public sees pass none."""
    settings = settings or get_settings()
    limits: dict[str, Any] = {
        "timeout_s": settings.ckan_timeout_s,
        "deadline_s": settings.ckan_deadline_s,
        "max_reply_bytes": settings.ckan_max_reply_bytes,
    }
    return CKANClient(url or settings.ckan_url, token, **(limits | options))
