"""Publish receipts: what a run did to the portal, with links, as JSON and as Dagster metadata."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipelines.redaction import redact, redact_value


class ResourceReceipt(BaseModel):
    name: str
    action: str  # create | update | unchanged | removed-duplicate
    steps: list[str] = Field(default_factory=list)  # upload, metadata, datastore
    id: str | None = None
    url: str | None = None
    bytes_uploaded: int = 0
    datastore_rows: int | None = None


class DatasetReceipt(BaseModel):
    model_config = ConfigDict(validate_assignment=True)  # errors are redacted when set

    name: str
    organization: str
    action: str  # create | update | unchanged | conflict | withheld | failed
    url: str | None = None
    metadata_updated: bool = False
    resources: list[ResourceReceipt] = Field(default_factory=list)
    stray_resources: list[str] = Field(default_factory=list)
    requests: int = 0
    bytes_uploaded: int = 0
    error: str | None = None

    @field_validator("error")
    @classmethod
    def _no_secrets(cls, value: str | None) -> str | None:
        return None if value is None else redact(value)


class OrganizationReceipt(BaseModel):
    name: str
    action: str
    url: str | None = None


class PublishReceipt(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    run_id: str
    portal: str
    dry_run: bool = False
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    organizations: list[OrganizationReceipt] = Field(default_factory=list)
    datasets: list[DatasetReceipt] = Field(default_factory=list)
    orphans: list[str] = Field(
        default_factory=list,
        description="our datasets whose source disappeared: flagged, never deleted",
    )
    requests: int = 0
    bytes_uploaded: int = 0
    error: str | None = Field(default=None, description="what stopped the whole run, if anything")

    @field_validator("error")
    @classmethod
    def _no_secrets(cls, value: str | None) -> str | None:
        return None if value is None else redact(value)

    @property
    def failures(self) -> list[DatasetReceipt]:
        return [dataset for dataset in self.datasets if dataset.error is not None]

    def write(self, folder: Path) -> Path:
        """Save as ``<folder>/<run_id>.json`` (UTF-8, Thai kept readable). Every string value is
        redacted, not the JSON text (that could break its escapes)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.run_id}.json"
        data = redact_value(self.model_dump(mode="json"))
        text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
        path.write_text(text + "\n", encoding="utf-8")
        return path


class PublishError(RuntimeError):
    """Some datasets could not be published; the receipt says which and the server's message."""

    def __init__(self, receipt: PublishReceipt) -> None:
        self.receipt = receipt
        lines = [f"{dataset.name}: {dataset.error}" for dataset in receipt.failures]
        super().__init__(f"{len(lines)} dataset(s) not published:\n" + "\n".join(lines))
