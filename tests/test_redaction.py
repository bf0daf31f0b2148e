"""``pipelines.redaction``: one redaction of secrets for logs, exceptions and files."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets

import ckanapi
import pytest
import requests

from pipelines import redaction
from pipelines.redaction import (
    MASK,
    MIN_PIECE,
    SUMMARY_CHARS,
    clean_exception,
    install_log_redaction,
    redact,
    redact_bytes,
    redact_value,
    register_secret,
)


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def fake_jwt() -> str:
    """Shaped like a CKAN API token (HS256 JWT), random each time, never registered."""
    return ".".join(
        [
            _b64({"typ": "JWT", "alg": "HS256"}),
            _b64({"jti": secrets.token_urlsafe(30), "iat": 1700000000}),
            secrets.token_urlsafe(32),
        ]
    )


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees only the secrets it registers (other tests register theirs globally)."""
    monkeypatch.setattr(redaction, "_secrets", frozenset())
    monkeypatch.setattr(redaction, "_pieces", frozenset())


@pytest.fixture
def token() -> str:
    value = "tok-" + secrets.token_hex(24)
    register_secret(value)
    return value


def test_a_registered_token_is_masked_in_a_url_query(token: str) -> None:
    url = f"http://127.0.0.1:5000/api/3/action/package_show?id=abc&api_key={token}&x=1"
    clean = redact(url)
    assert token not in clean
    assert clean.startswith("http://127.0.0.1:5000/api/3/action/package_show?id=abc&api_key=")
    assert clean.endswith("&x=1")


@pytest.mark.parametrize(
    "template",
    [
        "Authorization: {v}",
        "authorization: Bearer {v}",
        "X-CKAN-API-Key: {v}\r\nHost: x",
        "{{'Authorization': '{v}', 'User-Agent': 'ua'}}",
        '{{"X-CKAN-API-Key": "{v}"}}',
    ],
)
def test_header_values_are_masked_registered_or_not(template: str) -> None:
    unregistered = "plain" + secrets.token_hex(10)
    clean = redact(template.format(v=unregistered))
    assert unregistered not in clean
    assert MASK in clean


def test_an_unregistered_jwt_is_masked_anywhere() -> None:
    jwt = fake_jwt()
    clean = redact(f"the server said: you are {jwt}, welcome")
    assert jwt not in clean
    assert clean == f"the server said: you are {MASK}, welcome"
    truncated = jwt[:40]  # a reply cut in the middle of the token
    assert truncated not in redact(f"echo {truncated}")


def test_a_json_body_stays_json_and_keeps_everything_else(token: str) -> None:
    body = json.dumps(
        {
            "success": False,
            "error": {"message": "bad", "echo": {"Authorization": token}},
            "help": f"http://127.0.0.1/api?token={token}",
            "content_hash": "a" * 64,
            "name": "procurement-fy2024.csv",
        },
        ensure_ascii=False,
    )
    parsed = json.loads(redact(body))
    assert token not in json.dumps(parsed)
    assert parsed["error"]["message"] == "bad"
    assert parsed["content_hash"] == "a" * 64
    assert parsed["name"] == "procurement-fy2024.csv"


def test_partial_matches_of_a_token_are_masked_but_ordinary_text_is_not(token: str) -> None:
    prefix, suffix, middle = token[:20], token[-15:], token[10:30]
    for piece in (prefix, suffix, middle):
        assert piece not in redact(f"reply was cut: ...{piece}... end")
    # A piece glued to other token characters is still found.
    assert token[:16] not in redact(f"x{token[:16]}.more")
    # Shorter than 12 characters, or sharing nothing: left alone.
    assert redact(f"id {token[:8]}") == f"id {token[:8]}"
    text = "CKAN Authorization Error: user not authorised; token file missing"
    assert redact(text) == text
    assert redact("sha256 " + "0123456789abcdef" * 4) == "sha256 " + "0123456789abcdef" * 4


def test_bytes_and_nested_values(token: str) -> None:
    raw = "สวัสดี ".encode() + token.encode() + b"\xff\xfe"
    clean = redact_bytes(raw)
    assert token.encode() not in clean
    assert clean.startswith("สวัสดี ".encode())
    assert clean.endswith(b"\xff\xfe")  # undecodable bytes survive
    assert redact_bytes(b"nothing here") == b"nothing here"
    value = redact_value({"a": [token, 1, {"b": (token,)}]})
    assert value == {"a": [MASK, 1, {"b": (MASK,)}]}


def test_clean_exception_keeps_the_class_and_message_minus_secrets(token: str) -> None:
    refused = ckanapi.ValidationError({"name": [f"already in use; you sent {token}"]})
    clean = clean_exception(refused)
    assert type(clean) is ckanapi.ValidationError
    assert "already in use" in str(clean)
    assert token not in str(clean)
    assert token not in repr(clean.args)

    prepared = requests.Request(
        "POST", "http://127.0.0.1:9/api", headers={"Authorization": token}
    ).prepare()
    lost = requests.ConnectionError(f"refused ({token})", request=prepared)
    clean_lost = clean_exception(lost)
    assert isinstance(clean_lost, requests.ConnectionError)
    assert token not in str(clean_lost)
    assert clean_lost.request is None  # its headers held the token


def test_installed_log_redaction_covers_messages_args_and_tracebacks(
    token: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent
    log = logging.getLogger("tests.redaction.somewhere.deep")
    caplog.set_level(logging.DEBUG)
    stream = logging.StreamHandler()  # a handler added after installation (to stderr)
    log.addHandler(stream)
    try:
        log.info("calling with %s", {"Authorization": token})
        try:
            raise RuntimeError(f"server echoed {token}")
        except RuntimeError:
            log.exception("it failed")
    finally:
        log.removeHandler(stream)
    err = capfd.readouterr().err
    assert "calling with" in caplog.text
    assert "server echoed" in caplog.text  # the traceback is kept, minus the token
    assert "server echoed" in err
    assert token not in caplog.text
    assert token not in err
    assert all(token not in record.getMessage() for record in caplog.records)


# --- encoded echoes, JSON escapes, idempotency, summarised errors --------------------------------


@pytest.mark.parametrize(
    "prefix", ["", "Bearer ", "Authorization: ", "x", "xy", "Authorization: Bearer "]
)
@pytest.mark.parametrize("urlsafe", [False, True])
def test_base64_of_the_token_behind_any_prefix_is_masked(
    token: str, prefix: str, urlsafe: bool
) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    blob = encode((prefix + token + " trailer").encode()).decode()
    clean = redact(f"<html>Request id {blob}</html>")
    assert MASK in clean
    for found in re.findall(r"[A-Za-z0-9+/=_-]{16,}", clean):
        decoded = base64.b64decode(found + "==", altchars=b"-_" if urlsafe else None)
        assert token[:MIN_PIECE].encode() not in decoded


def test_hex_of_the_token_is_masked_in_either_case(token: str) -> None:
    for blob in (token.encode().hex(), token.encode().hex().upper()):
        assert blob not in redact(f"trace {blob} end")
        assert blob[:40] not in redact(f"cut {blob[:40]}")


@pytest.mark.parametrize(
    "notes",
    [
        'API token: "ask the admin"',
        'Use the header token="abc" to call',
        'authorization="none"',
        "token: รหัส",
        'x-ckan-api-key: \\"quoted\\"',
    ],
)
def test_redacting_json_text_keeps_it_valid_json(notes: str) -> None:
    for ensure_ascii in (True, False):
        text = json.dumps({"notes": notes, "n": 1}, ensure_ascii=ensure_ascii)
        back = json.loads(redact(text))
        assert back["n"] == 1


@pytest.mark.parametrize(
    "text", ["token=abc", "Authorization: Bearer xyz123", '{"api_key": "k"}', "api_key=[x]"]
)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert MASK in once
    assert redact(once) == once
    assert redact(redact(once)) == once


def test_clean_exception_has_no_chain_and_summarises_long_text(token: str) -> None:
    try:
        try:
            raise ValueError(f"inner {token}")
        except ValueError as inner:
            raise requests.exceptions.InvalidHeader(
                f"bad header {token!r}" + " page" * 2000
            ) from inner
    except requests.exceptions.InvalidHeader as error:
        clean = clean_exception(error)
    assert isinstance(clean, requests.exceptions.InvalidHeader)
    assert clean.__cause__ is None
    assert clean.__context__ is None
    assert clean.__traceback__ is None
    assert token not in str(clean)
    assert len(str(clean)) < SUMMARY_CHARS + 100
    assert "more characters" in str(clean)


def test_an_exception_that_cannot_be_copied_becomes_a_runtime_error(token: str) -> None:
    class StubbornError(Exception):
        def __init__(self, code: int, text: str) -> None:
            super().__init__(code, text)
            self.code = code

        def __str__(self) -> str:
            return f"{self.code}: {self.args[1]}"

    error = StubbornError(7, f"token {token}")
    error.__dict__.pop("code")  # a copy without its attributes cannot render
    clean = clean_exception(error)
    assert isinstance(clean, RuntimeError | StubbornError)
    assert token not in str(clean)
