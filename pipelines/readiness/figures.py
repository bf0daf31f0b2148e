"""A figure: one number (or fact) in the report, always with the evidence behind it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

FigureValue = float | int | str | bool | None


class Figure(BaseModel):
    """A reported value and where anyone can check it.

    ``evidence`` holds URLs (CKAN dataset/resource pages, input sources) or repository paths of
    local pipeline outputs; it may never be empty, so a figure without evidence cannot exist.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    label_th: str
    label_en: str
    value: FigureValue
    unit: str = Field(description="share (0..1), count, points, stars, score, year, text or bool")
    evidence: list[str] = Field(min_length=1)
    verified: bool = True
    note: str | None = None

    @property
    def has_data(self) -> bool:
        return self.value is not None
