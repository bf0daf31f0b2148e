"""``sql`` connector: a query against a database (any SQLAlchemy URL), landed as UTF-8 CSV.

The URL may come from an environment variable (``url_env``) so credentials stay out of the
contract; provenance records the URL with its password hidden.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from pipelines.contracts import SqlSource
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandedFile, LandingArea

BATCH_ROWS = 10_000


def _url(source: SqlSource) -> str:
    url = os.environ.get(source.url_env) if source.url_env else source.url
    if not url:
        raise SourceError("sql", f"no database URL (url or environment variable {source.url_env})")
    return url


def _cell(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _csv_chunks(columns: Sequence[str], batches: Iterator[Sequence[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for batch in batches:
        writer.writerows([_cell(value) for value in row] for row in batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def pull(source: SqlSource, landing: LandingArea) -> list[LandedFile]:
    url = sa.make_url(_url(source))
    shown = url.render_as_string(hide_password=True)
    try:
        engine = sa.create_engine(url)
    except ImportError as error:
        raise SourceError(f"sql:{shown}", f"database driver not installed ({error.name})") from None
    try:
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True).execute(
                sa.text(source.query)
            )
            batches = iter(lambda: result.fetchmany(BATCH_ROWS), [])
            landed = landing.store(
                _csv_chunks(list(result.keys()), batches),
                source=f"sql:{shown}#{source.query}",
                ext="csv",
            )
    except sa.exc.SQLAlchemyError as error:
        raise SourceError(f"sql:{shown}", f"query failed ({type(error).__name__})") from None
    finally:
        engine.dispose()
    return [landed]
