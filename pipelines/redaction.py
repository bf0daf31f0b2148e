"""One redaction of secrets for everything the pipeline writes: logs, exceptions, receipts.

``redact(text)`` removes

* every secret registered with :func:`register_secret` (the CKAN API token), whole or in part:
  any run of token characters sharing 12+ consecutive characters with a registered secret (a
  server that echoes the token and truncates its reply leaves such a piece), also encoded: its
  base64 (standard and URL-safe, at each of the three byte alignments, so whatever precedes it
  in the encoded blob — ``Bearer ``, ``Authorization: `` — it is found) and hex forms;
* the value of an ``Authorization`` / ``X-CKAN-API-Key`` / ``api_key`` / ``token`` header,
  field or query parameter, whatever the quoting (HTTP, JSON — escaped quotes ``\\"`` included
  — Python repr, URL query);
* anything shaped like a CKAN API token (a JWT: ``eyJ...``), even when not registered.

:func:`install_log_redaction` puts the same function in front of Python logging: a
:class:`RedactingFilter` on the root logger, Dagster's loggers and their handlers, and a log
record factory so that records of every logger (including handlers added later, such as a test's
capture or Dagster's run log) are redacted when they are created, before any handler or Dagster's
event log sees them. The publisher resource calls it.

Redaction is for text on its way to an error, a log or a file: it is idempotent (redacting
twice changes nothing more) and never applied to a reply body that is then parsed (that would
corrupt valid JSON); structured values are redacted value by value (:func:`redact_value`), never
as their JSON text.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import traceback
from collections.abc import Callable
from typing import Any

MASK = "[REDACTED]"
MIN_PIECE = 12  # shorter runs of token characters are too common to mean anything

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_pieces: frozenset[str] = frozenset()  # every MIN_PIECE-long substring of every secret

_TOKEN_RUN = re.compile(r"[A-Za-z0-9._~+/=-]{" + str(MIN_PIECE) + ",}")
# A JWT (CKAN 2.9+ API tokens): base64url JSON header "{"..." then payload and signature;
# a truncated one (header only, or cut in the middle) is still caught.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}")
# key, separator (quotes, ':' or '='), an optional auth scheme, then the value.
_HEADER = re.compile(
    r"(?P<key>\b(?:authorization|x-ckan-api-key|api[_-]?key|api[_-]?token|access[_-]?token|token)\b)"
    r"(?P<sep>(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?)"
    r"(?!(?:(?:bearer|token|basic)\s+)?\[REDACTED\])"  # already masked: left as it is
    r"(?P<scheme>(?:bearer|token|basic)\s+)?"
    # Never the mask itself (idempotent) nor a backslash (the escape of a JSON quote).
    r"(?P<value>(?!\[REDACTED\])[^\s\"'\\,;&}\]\)<>]+)",
    re.IGNORECASE,
)


def encoded_forms(secret: str) -> set[str]:
    """What ``secret`` looks like inside a base64 blob (standard and URL-safe alphabets, at each
    of the three byte offsets it can start at, so any prefix such as ``Bearer `` is covered: only
    the characters that depend on the secret's bytes alone are kept) and in hex."""
    raw = secret.encode("utf-8")
    forms = {raw.hex(), raw.hex().upper()}
    for offset in range(3):
        start = (3 - offset) % 3  # first byte of the secret that starts a base64 group
        body = raw[start:]
        body = body[: len(body) - len(body) % 3]  # whole groups only: no padding, no neighbour
        core = base64.b64encode(body).decode("ascii")
        forms |= {core, core.replace("+", "-").replace("/", "_")}
    return {form for form in forms if len(form) >= MIN_PIECE}


def register_secret(secret: str | None) -> None:
    """Redact ``secret`` (and its base64 and hex forms) from now on, in this process. Short values
    are ignored: masking them would mangle ordinary text."""
    global _secrets, _pieces
    if not secret or len(secret) < MIN_PIECE or secret in _secrets:
        return
    forms = {secret} | encoded_forms(secret)
    grams = {form[i : i + MIN_PIECE] for form in forms for i in range(len(form) - MIN_PIECE + 1)}
    with _lock:
        _secrets = _secrets | forms
        _pieces = _pieces | grams


def registered_secrets() -> frozenset[str]:
    return _secrets


def _mask_pieces(match: re.Match[str]) -> str:
    """A run of token characters sharing MIN_PIECE+ characters with a secret is masked whole."""
    run = match.group(0)
    pieces = _pieces
    for start in range(len(run) - MIN_PIECE + 1):
        if run[start : start + MIN_PIECE] in pieces:
            return MASK
    return run


def _mask_header(match: re.Match[str]) -> str:
    if match.group("value") == MASK:
        return match.group(0)
    return f"{match.group('key')}{match.group('sep')}{match.group('scheme') or ''}{MASK}"


def redact(text: str) -> str:
    """``text`` without secrets (see the module's docstring for what counts as one)."""
    if not text:
        return text
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    if _secrets:
        text = _TOKEN_RUN.sub(_mask_pieces, text)
    text = _JWT.sub(MASK, text)
    return _HEADER.sub(_mask_header, text)


def might_hold_secret(data: bytes) -> bool:
    """A cheap pre-check for reply bodies: is a full :func:`redact` worth running?"""
    if any(secret.encode() in data for secret in _secrets):
        return True
    lowered = data.lower()
    return (
        b"eyj" in lowered
        or b"authorization" in lowered
        or b"api-key" in lowered
        or b"api_key" in lowered
        or b"token" in lowered
        or any(secret[:MIN_PIECE].encode() in data for secret in _secrets)
        or any(secret[-MIN_PIECE:].encode() in data for secret in _secrets)
    )


def redact_bytes(data: bytes) -> bytes:
    if not data or not might_hold_secret(data):
        return data
    return redact(data.decode("utf-8", errors="surrogateescape")).encode(
        "utf-8", errors="surrogateescape"
    )


def redact_value(value: Any) -> Any:
    """Strings inside JSON-like values (dicts, lists, tuples) redacted; other values as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_value(key): redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item) for item in value)
    return value


# --- logging ------------------------------------------------------------------------------------


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it at emit time
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text, record.exc_info = redact(text), None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack without secrets; never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_FILTER = RedactingFilter()
_factory_installed = False


def _attach(target: logging.Logger | logging.Handler) -> None:
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(_FILTER)


def install_log_redaction(extra_loggers: tuple[str, ...] = ("dagster",)) -> None:
    """Redact every log record of this process (idempotent, cheap to call again)."""
    global _factory_installed
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in extra_loggers)]
    for logger in loggers:
        _attach(logger)
        for handler in logger.handlers:
            _attach(handler)
    with _lock:
        if _factory_installed:
            return
        previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


# --- exceptions ---------------------------------------------------------------------------------

_DROPPED_ATTRIBUTES = frozenset({"request", "response"})  # requests' objects carry the headers
SUMMARY_CHARS = 600  # a server's words kept in an error: enough to say what went wrong


def summarise(text: str, limit: int = SUMMARY_CHARS) -> str:
    """``text`` redacted, on one line, cut to ``limit`` characters (a server's whole error page
    has no place in an exception, a receipt or a log)."""
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def _summarise_value(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return summarise(value, limit)
    if isinstance(value, dict):
        return {_summarise_value(k, limit): _summarise_value(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_summarise_value(item, limit) for item in value)
    return value


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # a broken __str__
        return repr(error.args)


def clean_exception(error: BaseException, limit: int = SUMMARY_CHARS) -> BaseException:
    """A copy of ``error`` (same class, same message minus secrets, long texts summarised),
    without the HTTP request and response objects and without a cause, context or traceback.
    An error that cannot be copied becomes a RuntimeError naming its class. Raise it outside the
    ``except`` block that caught ``error`` (or ``from None``)."""
    cls = type(error)
    try:
        clean = cls.__new__(cls)
        clean.args = tuple(
            _summarise_value(arg, limit)
            if isinstance(arg, str | dict | list | tuple)
            else summarise(str(arg), limit)
            for arg in error.args
        )
        for key, value in vars(error).items():
            if key in _DROPPED_ATTRIBUTES:
                setattr(clean, key, None)
            elif isinstance(value, str | dict | list | tuple):
                setattr(clean, key, _summarise_value(value, limit))
            elif isinstance(value, BaseException):
                setattr(clean, key, None)
            else:
                setattr(clean, key, value)
        str(clean)  # it must still render
    except Exception:
        clean = RuntimeError(f"{cls.__name__}: {summarise(_safe_str(error), limit)}")
    clean.__cause__ = None
    clean.__context__ = None
    clean.__suppress_context__ = True
    clean.__traceback__ = None
    return clean
