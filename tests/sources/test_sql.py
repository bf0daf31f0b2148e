"""The sql connector against a real SQLite database."""

import csv
import io
import sqlite3

import pytest

from pipelines.contracts import SqlSource
from pipelines.sources import sql
from pipelines.sources.errors import SourceError
from pipelines.sources.landing import LandingArea


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "egp.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "create table projects (project_id text, name text, budget real, announced date)"
        )
        connection.executemany(
            "insert into projects values (?, ?, ?, ?)",
            [
                ("06700000001", "จ้างก่อสร้างถนน", 1234567.5, "2024-01-05"),
                ("06700000002", "ซื้อวัสดุ", 5000.0, None),
            ],
        )
    return path


def test_query_lands_utf8_csv_keeping_leading_zeros(database, tmp_path):
    landing = LandingArea(tmp_path / "data", "procurement", "cgd")
    source = SqlSource(
        url=f"sqlite:///{database}", query="select * from projects order by project_id"
    )
    (landed,) = sql.pull(source, landing)
    rows = list(csv.reader(io.StringIO(landed.path.read_text(encoding="utf-8"))))
    assert rows[0] == ["project_id", "name", "budget", "announced"]
    assert rows[1] == ["06700000001", "จ้างก่อสร้างถนน", "1234567.5", "2024-01-05"]
    assert rows[2][3] == ""
    assert landed.path.suffix == ".csv"
    assert landed.provenance.source.startswith("sql:sqlite:///")


def test_url_from_environment_and_password_hidden(database, tmp_path, monkeypatch):
    monkeypatch.setenv("EGP_DB", f"sqlite:///{database}")
    source = SqlSource(url_env="EGP_DB", query="select project_id from projects")
    (landed,) = sql.pull(source, LandingArea(tmp_path, "procurement", "cgd"))
    assert landed.path.read_text().splitlines() == ["project_id", "06700000001", "06700000002"]
    shown = SqlSource(url="postgresql+psycopg2://steward:s3cret@127.0.0.1:1/egp", query="select 1")
    with pytest.raises(SourceError) as caught:
        sql.pull(shown, LandingArea(tmp_path, "procurement", "cgd"))
    assert "s3cret" not in str(caught.value)


def test_bad_query_names_the_database(database, tmp_path):
    source = SqlSource(url=f"sqlite:///{database}", query="select * from nowhere")
    with pytest.raises(SourceError, match="query failed"):
        sql.pull(source, LandingArea(tmp_path, "procurement", "cgd"))
