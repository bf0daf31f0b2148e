"""Public references: every methodology value and input names where anyone can check it.

A reference is a law (with its year), a publication, an official page, a data set or an index.
``verified: true`` anywhere in ``datasets/ogp/`` means someone read a *specific* document (not a
site's home page) on a recorded day; :func:`verification_problem` is that rule, and the models
of :mod:`pipelines.readiness.methodology` refuse a file that breaks it, naming the key.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

SourceKind = Literal["law", "publication", "official_page", "dataset", "index"]

# Path segments that still name a site's front page: a language code, a one-letter or site
# prefix (eiu.com/n/, oic.go.th/web2017/, /portal/), or an index, home, main or default page
# with any extension (index.php, home.html, default.aspx, main.php5).
_FRONT_SEGMENT = re.compile(
    r"^([a-z]{2}([-_][a-z]{2})?|[a-z]|(web|site|portal|www)\d*"
    r"|(index|home|main|default)(\.[a-z0-9]+)*)$",
    re.I,
)


class Source(BaseModel):
    """A public reference. ``checked_on`` is the day someone read this document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    kind: SourceKind | None = None
    year: int | None = Field(default=None, ge=1800, le=2200, description="law: year enacted (CE)")
    checked_on: date | None = None

    @model_validator(mode="after")
    def _law_has_year(self) -> Source:
        if self.kind == "law" and self.year is None:
            raise ValueError("a law is cited with its year (year: <CE year>)")
        return self

    @property
    def specific(self) -> bool:
        """Whether the URL names one document rather than a site's home page."""
        return not is_home_page(self.url)


class Scale(BaseModel):
    """The range an index publishes its values on (EIU civil liberties 0-10)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.min >= self.max:
            raise ValueError("scale: min must be below max")
        return self

    def problem(self, value: float) -> str | None:
        inside = self.min <= value <= self.max
        return None if inside else f"{value} is outside the index's scale {self.min:g}-{self.max:g}"


def is_home_page(url: str) -> bool:
    """A URL whose path is empty, "/", or only language codes and an index/home/main/default
    page, with or without a query string or fragment (``/?lang=th``, ``/index.php?p=1``)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    return all(_FRONT_SEGMENT.match(s) for s in segments)


def verification_problem(source: Source | None, flag: str = "verified: true") -> str | None:
    """Why ``source`` cannot back a value marked verified, or None when it can."""
    if source is None:
        return f"{flag} needs a source (title, url, checked_on)"
    if not source.specific:
        return f"{flag} needs a specific document URL, not a home page ({source.url})"
    if source.checked_on is None:
        return f"{flag} needs the date the document was checked (checked_on)"
    if source.checked_on > date.today():
        return f"{flag}: checked_on {source.checked_on} is after today"
    return None


def require_verifiable(verified: bool, source: Source | None, flag: str = "verified: true") -> None:
    """Raise (for a pydantic validator) when a value is marked verified without a document."""
    if verified:
        problem = verification_problem(source, flag)
        if problem:
            raise ValueError(problem)
