"""The CKAN API token: where it may come from (environment or the portal's token file, never
resource config), how a malformed one is refused (by source, never by value), and the client's
wait after a ``Retry-After``."""

from __future__ import annotations

import traceback
from pathlib import Path

import dagster as dg
import pytest
from tenacity import Future, RetryCallState, Retrying

from pipelines.defs.publish import RESOURCE_KEY
from pipelines.publish.ckan import CKANPublisher
from pipelines.publish.client import RETRY_AFTER_CAP_S, RetryableHTTPError, _WaitRetryAfterOrBackoff
from pipelines.settings import Settings, TokenError

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.tokenTestValue0123456789.signatureXYZ"


def test_a_trailing_newline_or_space_is_stripped(tmp_path: Path) -> None:
    assert Settings(ckan_token=TOKEN + "\n").ckan_api_token() == TOKEN
    assert Settings(ckan_token=f"  {TOKEN} \r\n").ckan_api_token() == TOKEN
    (tmp_path / "api_token").write_text(TOKEN + "\n\n", encoding="utf-8")
    assert Settings(portal_dir=tmp_path).ckan_api_token() == TOKEN


@pytest.mark.parametrize("inside", ["\n", "\r", "\x00", "\x1b", " ", "\t", "\u2028"])
def test_a_control_character_inside_is_refused_naming_the_variable_not_the_value(
    inside: str,
) -> None:
    bad = TOKEN[:30] + inside + TOKEN[30:]
    with pytest.raises(TokenError) as error:
        Settings(ckan_token=bad).ckan_api_token()
    message = str(error.value)
    assert message.startswith("OGP_CKAN_TOKEN: ")
    assert "\n" not in message
    assert TOKEN[:30] not in message
    assert TOKEN[30:] not in message


def test_a_bad_token_file_is_named_by_its_path(tmp_path: Path) -> None:
    (tmp_path / "api_token").write_text(TOKEN[:20] + "\x07" + TOKEN[20:], encoding="utf-8")
    with pytest.raises(TokenError, match=str(tmp_path / "api_token")) as error:
        Settings(portal_dir=tmp_path).ckan_api_token()
    assert TOKEN[20:] not in str(error.value)


def test_the_resource_takes_no_token() -> None:
    with pytest.raises(TypeError, match="takes no token") as error:
        CKANPublisher(url="http://127.0.0.1:5000", token=TOKEN)
    assert TOKEN not in "".join(traceback.format_exception(error.value))
    publisher = CKANPublisher(url="http://127.0.0.1:5000")
    assert "token" not in publisher.model_dump()
    assert "token" not in CKANPublisher.model_fields


def test_a_token_in_run_config_is_refused_and_stored_nowhere(tmp_path: Path) -> None:
    @dg.asset(required_resource_keys={RESOURCE_KEY})
    def token_probe(context) -> None:
        context.log.info("resource %r", getattr(context.resources, RESOURCE_KEY))

    job = dg.define_asset_job("token_probe_job", selection=[token_probe])
    defs = dg.Definitions(
        assets=[token_probe],
        jobs=[job],
        resources={RESOURCE_KEY: CKANPublisher.configure_at_launch()},
    )
    config = {"resources": {RESOURCE_KEY: {"config": {"url": "http://x", "token": TOKEN}}}}
    home = tmp_path / "dagster"
    home.mkdir()
    instance = dg.DagsterInstance.local_temp(str(home))
    try:
        with pytest.raises(dg.DagsterInvalidConfigError, match='unexpected config entry "token"'):
            defs.resolve_job_def("token_probe_job").execute_in_process(
                instance=instance, run_config=config
            )
        assert TOKEN not in str(instance.get_runs())
    finally:
        instance.dispose()
    assert [p for p in home.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()] == []


def test_the_client_does_not_show_its_token() -> None:
    from pipelines.publish.client import CKANClient

    client = CKANClient("http://127.0.0.1:9", TOKEN, timeout_s=1)
    assert TOKEN not in repr(client)
    assert TOKEN not in str(vars(client))


def _state_after(error: BaseException, attempt: int = 1) -> RetryCallState:
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = attempt
    outcome: Future = Future(attempt)
    outcome.set_exception(error)
    state.outcome = outcome
    return state


def test_retry_after_zero_still_waits_the_backoff_and_a_long_one_waits_the_cap() -> None:
    wait = _WaitRetryAfterOrBackoff(initial_s=2.0, max_s=30.0)
    assert wait(_state_after(RetryableHTTPError("x", 429, 0.0))) >= 2.0
    assert wait(_state_after(RetryableHTTPError("x", 429, 7.0))) >= 7.0
    assert wait(_state_after(RetryableHTTPError("x", 429, 10_000.0))) == RETRY_AFTER_CAP_S
    assert 2.0 <= wait(_state_after(RetryableHTTPError("x", 503, None))) <= 4.0
