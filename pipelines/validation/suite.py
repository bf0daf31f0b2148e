"""Business rules run: a suite (:mod:`pipelines.validation.suite_model`) through Great
Expectations 1.x, and the keys of the rows that failed its row-level rules.

Running goes through ``ValidationDefinition.run`` once per suite and inspects every result's
``exception_info``: a broken expectation raises :class:`SuiteError`, it is never counted as bad
data nor as a pass.

The fast route is GX's SQL datasource on DuckDB (duckdb-engine). GX returns the connection to
its pool before fetching the rows (GX issues #10738, #11579: every metric comes back empty), so
:func:`_buffer_results` makes the engine fetch while the connection is still held. DuckDB has
no GX regex support: suites use SQL (``unexpected_rows_query``) or LIKE patterns instead.

``great_expectations`` is imported inside functions only (it costs several seconds).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.validation.duckdb_exit import release_at_exit
from pipelines.validation.suite_model import (
    Engine,
    ExpectationOutcome,
    ExpectationSpec,
    Suite,
    SuiteError,
    SuiteReport,
    load_suite,
    suite_path,
)

INDEX_KEY = "ogp_index"
UNEXPECTED_ROWS = "unexpected_rows_expectation"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# The suite's model, importable from here as before (its owner is suite_model).
__all__ = [
    "Engine",
    "ExpectationOutcome",
    "ExpectationSpec",
    "Suite",
    "SuiteError",
    "SuiteReport",
    "failed_row_keys",
    "is_row_level",
    "load_suite",
    "run_suite",
    "suite_path",
]


# --- running ---------------------------------------------------------------------------------


def _substitute(value: Any, parameters: Mapping[str, Any], suite: Suite) -> Any:
    """``${name}`` in strings and ``{"$PARAMETER": name}`` objects, from the parameters."""
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return _parameter(value["$PARAMETER"], parameters, suite)
        return {key: _substitute(item, parameters, suite) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, parameters, suite) for item in value]
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: str(_parameter(m.group(1), parameters, suite)), value)
    return value


def _parameter(name: str, parameters: Mapping[str, Any], suite: Suite) -> Any:
    if name not in parameters:
        raise SuiteError(f"{suite.path}: parameter {name!r} has no value")
    return parameters[name]


def _gx_suite(suite: Suite, parameters: Mapping[str, Any], indices: Sequence[int]) -> Any:
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    expectations = []
    for index in indices:
        spec = suite.expectations[index]
        kwargs = _substitute(spec.kwargs, parameters, suite)
        meta = {**spec.meta, INDEX_KEY: index}  # GX reorders results: find ours back
        try:
            expectations.append(get_expectation_impl(spec.type)(**kwargs, meta=meta))
        except Exception as error:  # pydantic/GX validation of the kwargs
            raise SuiteError(f"{suite.path}: {spec.type}: invalid arguments: {error}") from error
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)


def _buffer_results(datasource: Any) -> None:
    """Fetch rows while GX still holds the connection (GX #10738/#11579 on duckdb-engine)."""
    engine = datasource.get_execution_engine()

    def execute_query(query: Any) -> Any:
        with engine.engine.connect() as connection:
            return connection.execute(query).freeze()()

    engine.execute_query = execute_query


def _dispose_engines(context: Any) -> None:
    """Close the SQL engines GX opened: GX never does, and DuckDB connections alive at
    interpreter exit make duckdb's bindings print pages of leak warnings."""
    for datasource in context.data_sources.all().values():
        if not hasattr(datasource, "get_engine"):
            continue  # pandas: nothing to close
        # the datasource and its execution engine each hold a SQLAlchemy engine
        datasource.get_engine().dispose()
        datasource.get_execution_engine().engine.dispose()


def _duckdb_file(table: pa.Table | Path, directory: Path) -> Path:
    """A file-backed DuckDB database whose ``data`` is a view over Parquet.

    A file, because GX opens a new connection per query (an in-memory database would be
    empty each time); a view over Parquet, because loading rows into a DuckDB file costs
    several times more than writing Parquet (measured: 10 s vs 1.3 s for 1M rows).
    """
    import duckdb
    import pyarrow.parquet as pq

    if isinstance(table, pa.Table):
        parquet = directory / "data.parquet"
        pq.write_table(table, parquet, compression="zstd")
        table = parquet
    path = directory / "suite.duckdb"
    literal = str(table.resolve()).replace("'", "''")
    con = duckdb.connect(str(path))
    try:
        con.execute(f"CREATE VIEW data AS SELECT * FROM read_parquet('{literal}')")  # noqa: S608
    finally:
        con.close()
    return path


def _batch_definition(context: Any, table: pa.Table | Path, engine: Engine, workdir: Path) -> Any:
    if engine == "duckdb":
        release_at_exit()  # SQLAlchemy would keep duckdb alive past exit: "nanobind: leaked"
        database = _duckdb_file(table, workdir)
        datasource = context.data_sources.add_sql("data", connection_string=f"duckdb:///{database}")
        _buffer_results(datasource)
        asset = datasource.add_table_asset("data", table_name="data")
        return asset.add_batch_definition_whole_table("all"), None
    import pyarrow.parquet as pq

    frame = (pq.read_table(table) if isinstance(table, Path) else table).to_pandas()
    asset = context.data_sources.add_pandas("data").add_dataframe_asset("data")
    return asset.add_batch_definition_whole_dataframe("all"), {"dataframe": frame}


def run_suite(
    suite: Suite,
    table: pa.Table | Path,
    *,
    engine: Engine = "duckdb",
    parameters: Mapping[str, Any] | None = None,
) -> SuiteReport:
    """Validate a typed table (Arrow, or a Parquet path) against the suite, once."""
    indices = range(len(suite.expectations))
    results = _validate(
        suite, table, indices, {"result_format": "BASIC"}, engine=engine, parameters=parameters
    )
    return SuiteReport(
        suite=suite.name,
        engine=engine,
        outcomes=[
            _outcome(suite, suite.expectations[index], item) for index, item in results.items()
        ],
    )


def _validate(
    suite: Suite,
    table: pa.Table | Path,
    indices: Sequence[int],
    result_format: dict[str, Any],
    *,
    engine: Engine,
    parameters: Mapping[str, Any] | None,
) -> dict[int, Any]:
    """GX's result for each of the suite's expectations ``indices``, in suite order."""
    import great_expectations as gx

    values = {**suite.parameters, **(parameters or {})}
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # no "Calculating Metrics" bars in stewards' terminals and Dagster logs
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    with tempfile.TemporaryDirectory(prefix="ogp-suite-") as workdir:
        batch_definition, batch_parameters = _batch_definition(
            context, table, engine, Path(workdir)
        )
        gx_suite = context.suites.add(_gx_suite(suite, values, indices))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite)
        )
        try:
            result = definition.run(batch_parameters=batch_parameters, result_format=result_format)
        finally:
            _dispose_engines(context)
    ordered = dict(sorted((_index_of(item), item) for item in result.results))
    if list(ordered) != sorted(indices):
        raise SuiteError(f"{suite.path}: GX did not return one result per expectation")
    return ordered


# --- the rows that failed --------------------------------------------------------------------


def is_row_level(spec: ExpectationSpec) -> bool:
    """Whether the expectation judges each row on its own — a GX map expectation (column,
    column pair, multicolumn) or a query returning the bad rows — so that its failures are rows
    a quarantine can leave out. Anything else (row count, min/max, column list) is about the
    table as a whole."""
    from great_expectations.expectations import UnexpectedRowsExpectation
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    row_level = (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
        UnexpectedRowsExpectation,
    )
    return issubclass(get_expectation_impl(spec.type), row_level)


def failed_row_keys(
    suite: Suite,
    table: pa.Table | Path,
    failures: Mapping[int, int],
    key_columns: Sequence[str],
    *,
    engine: Engine = "duckdb",
    parameters: Mapping[str, Any] | None = None,
) -> dict[int, list[dict[str, Any]] | None]:
    """The key values (``key_columns``) of the rows that failed each row-level expectation.

    ``failures``: suite index -> the number of rows the first pass found failing. A second GX
    pass, over these expectations only, asks for every failing row's key (``COMPLETE`` with
    ``unexpected_index_column_names``; ``partial_unexpected_count`` lifts GX's cap of 20 to
    what the first pass counted). SQL queries are run here: GX returns at most 200 of their
    rows. ``None`` for an expectation whose failing rows cannot
    all be named (GX gives no keys, e.g. compound uniqueness on SQL, or a query that does not
    select the key columns).
    """
    queries = {i for i in failures if suite.expectations[i].type == UNEXPECTED_ROWS}
    found: dict[int, list[dict[str, Any]] | None] = {
        index: _query_keys(suite, table, index, key_columns, parameters) for index in queries
    }
    mapped = sorted(set(failures) - queries)
    if mapped:
        result_format = {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": list(key_columns),
            "partial_unexpected_count": max(failures[index] for index in mapped),
            "return_unexpected_index_query": False,
        }
        results = _validate(
            suite, table, mapped, result_format, engine=engine, parameters=parameters
        )
        for index, item in results.items():
            _outcome(suite, suite.expectations[index], item)  # raises if the check broke
            # One dict per row: key and checked cells (``exclude_unexpected_values`` would give
            # a differently shaped list); only the key is kept, cells are never reported.
            keys = (item.result or {}).get("unexpected_index_list")
            found[index] = None if keys is None else [_only(key, key_columns) for key in keys]
    return {
        index: keys if keys is not None and len(keys) == failures[index] else None
        for index, keys in found.items()
    }


def _only(key: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    return {column: key[column] for column in columns}


def _query_keys(
    suite: Suite,
    table: pa.Table | Path,
    index: int,
    key_columns: Sequence[str],
    parameters: Mapping[str, Any] | None,
) -> list[dict[str, Any]] | None:
    """The keys of the rows an ``unexpected_rows_query`` returns, run by DuckDB on the table."""
    import duckdb

    values = {**suite.parameters, **(parameters or {})}
    query = _substitute(suite.expectations[index].kwargs["unexpected_rows_query"], values, suite)
    con = duckdb.connect()
    try:
        if isinstance(table, Path):
            literal = str(table.resolve()).replace("'", "''")
            con.execute(f"CREATE VIEW data AS SELECT * FROM read_parquet('{literal}')")  # noqa: S608
        else:
            con.register("data", table)
        rows = con.sql(query.replace("{batch}", "data")).to_arrow_table()
    finally:
        con.close()
    if not set(key_columns) <= set(rows.column_names):
        return None
    return rows.select(list(key_columns)).to_pylist()


def _index_of(item: Any) -> int:
    config = item.expectation_config
    if config is None or INDEX_KEY not in (config.meta or {}):
        raise SuiteError("GX returned a result without its expectation")
    return int(config.meta[INDEX_KEY])


def _outcome(suite: Suite, spec: ExpectationSpec, item: Any) -> ExpectationOutcome:
    info = item.exception_info or {}
    raised = _raised(info)
    if raised:
        raise SuiteError(f"{suite.path}: {spec.label}: the check broke: {raised}")
    details = item.result or {}
    unexpected = details.get("unexpected_count")
    if unexpected is None and spec.type == UNEXPECTED_ROWS:
        unexpected = details.get("observed_value")  # the number of rows the query returned
    return ExpectationOutcome(
        type=spec.type,
        label=spec.label,
        severity=spec.severity,
        success=bool(item.success),
        kwargs=spec.kwargs,
        unexpected_count=unexpected,
        element_count=details.get("element_count"),
        observed_value=details.get("observed_value"),
    )


def _raised(info: Mapping[str, Any]) -> str | None:
    """GX's exception_info is either flat or keyed by metric; find any raised exception."""
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "exception raised")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            message = str(value.get("exception_message") or "exception raised")
            return message.strip().splitlines()[-1] if message.strip() else message
    return None
