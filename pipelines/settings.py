"""Run-time settings, from environment variables (prefix ``OGP_``) with local defaults.

Secrets (the CKAN API token) come only from the environment or the local portal's token file,
and are held as ``SecretStr`` so they never print.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OGP_", extra="ignore")

    datasets_dir: Path = REPO_ROOT / "datasets"
    expectations_dir: Path = REPO_ROOT / "expectations"
    data_dir: Path = REPO_ROOT / "data"
    build_dir: Path = REPO_ROOT / "build"
    portal_dir: Path = REPO_ROOT / ".portal"

    # The local portal's URL follows its port setting (portal/portalctl.py reads the same one).
    ckan_url: str = Field(
        default_factory=lambda: f"http://127.0.0.1:{os.environ.get('OGP_CKAN_PORT', '5000')}"
    )
    ckan_token: SecretStr | None = None
    ckan_timeout_s: float = 60.0
    ckan_max_workers: int = 4
    # Bounds one publish as a whole, retries included (a portal answering 429 or 5xx for ever,
    # or hanging): past it the publish stops with a one-line error and a re-run finishes it.
    ckan_deadline_s: float = 3600.0
    # A portal reply larger than this is refused (package_search pages are the largest).
    ckan_max_reply_bytes: int = 512 * 1024 * 1024

    # OCDS: where the 1.1.5 schema comes from (a local folder wins over the download cache).
    ocds_schema_dir: Path | None = None
    ocds_schema_url: str = "https://standard.open-contracting.org/schema/1__1__5/"
    ocid_prefix: str = "ocds-th0000"

    # Spreadsheets are refused before parsing when their XML would unpack beyond this.
    xlsx_max_xml_bytes: int = 200 * 1024 * 1024
    xlsx_max_ratio: float = 250.0

    # The executor of launched runs (daemon, UI, `dagster job execute`); a run config's
    # `execution: {config: {<name>: {}}}` wins. `ogp run` executes in process whatever this says.
    executor: Literal["multiprocess", "in_process", "celery"] = "multiprocess"
    # Celery (dagster-celery): broker and result backend, by default the local portal's Redis
    # (its port setting, as portal/portalctl.py reads it) in a database of its own; CKAN and
    # its jobs use database 0. A URL holding a password comes only from the environment.
    redis_port: int = 6380
    celery_redis_db: int = 3
    celery_broker_url: SecretStr | None = None
    celery_backend_url: SecretStr | None = None
    # the queue the steps are sent to and the workers listen on
    celery_queue: str = "dagster"
    # A step a worker took but never acknowledged (the worker was killed) goes back to the queue
    # this many seconds after it was taken; a step running longer than this is sent twice.
    celery_visibility_timeout: int = Field(default=6 * 3600, ge=1)

    @property
    def token_file(self) -> Path:
        return self.portal_dir / "api_token"

    def ckan_api_token(self) -> str | None:
        """The token from the environment, else the local portal's token file, else None.

        Surrounding whitespace (a secret file's trailing newline) is stripped; a token still
        holding a control character or a space is refused with :class:`TokenError`, a message
        naming where it came from and never the value (requests would quote it whole).
        """
        if self.ckan_token is not None:
            return _checked_token(self.ckan_token.get_secret_value(), "OGP_CKAN_TOKEN")
        if self.token_file.is_file():
            text = self.token_file.read_text(encoding="utf-8")
            return _checked_token(text, str(self.token_file))
        return None


class TokenError(ValueError):
    """The CKAN API token is unusable; the message names its source, never its value."""


def _checked_token(value: str, source: str) -> str | None:
    token = value.strip()
    if not token:
        return None
    bad = next((char for char in token if not char.isprintable() or char.isspace()), None)
    if bad is not None:
        raise TokenError(
            f"{source}: the CKAN API token holds a control or space character "
            f"(U+{ord(bad):04X}) inside it; it must be one line of printable characters"
        )
    return token


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def is_invalid_setting(error: BaseException) -> bool:
    """Whether ``error`` is pydantic's refusal of an ``OGP_*`` setting (of :class:`Settings`):
    the program reports it as one line naming the variable (pipelines/cli.py), exit 1."""
    return isinstance(error, ValidationError) and error.title == Settings.__name__
