"""Release what keeps DuckDB alive past the interpreter's teardown, when the program ends.

duckdb 2 is built with nanobind, which prints a page of "nanobind: leaked N instances! ...
leaked type _duckdb.DuckDBPyConnection ..." when any of its objects is still alive after
Python's last garbage collection. Our own DuckDB objects are gone by then (the suite disposes
of its engines and closes its connections). What is not: once great_expectations is imported,
SQLAlchemy's classes and typing's module state are never freed at interpreter exit (measured
with weak references: SQLAlchemy's ``TryCast`` is freed without GX, not with it; the chain
found runs from typing's module state, e.g. its overload registry, into SQLAlchemy's modules),
and they reach duckdb-engine (the SQLAlchemy dialect GX reaches DuckDB through), whose module
holds ``duckdb``:

- ``@compiles(TryCast, "duckdb")`` in duckdb-engine stores ``visit_try_cast`` in SQLAlchemy's
  ``TryCast`` class (``_compiler_dispatcher.specs``); the function's globals are
  duckdb-engine's module;
- SQLAlchemy's PostgreSQL dialect (duckdb-engine's base class) memoises reflection queries
  with ``functools.lru_cache`` on methods: the caches' keys hold the duckdb-engine ``Dialect``
  instances used;
- typing's caches of subscripted generics hold duckdb-engine's classes (its annotations, e.g.
  ``Type[DBAPI]``, are evaluated at import);
- GX's module-level ``project_manager`` holds the last data context, and through its
  datasource the SQLAlchemy engine and dialect.

The first link alone is enough to print the report (tests/commands/test_validate_exit.py has
the control); the others are paths found from the same surviving modules to duckdb. Cutting
them is only right at the end: afterwards ``TRY_CAST`` no longer compiles for DuckDB through
SQLAlchemy. :func:`release_at_exit` registers :func:`release` with ``atexit``, once.
"""

from __future__ import annotations

import atexit
import sys
import threading
from typing import Any

DIALECT_MODULE = "duckdb_engine"
GX_CONTEXT_FACTORY = "great_expectations.data_context.data_context.context_factory"
_lock = threading.Lock()
_registered = False


def release_at_exit() -> None:
    """Have :func:`release` run when the interpreter exits (registered once per process)."""
    global _registered
    with _lock:
        if not _registered:
            atexit.register(_release_at_exit)
            _registered = True


def _release_at_exit() -> None:
    """:func:`release`, with one line instead of a traceback should a library change break it."""
    try:
        release()
    except Exception as error:  # best effort at exit; the tests call release() itself
        sys.stderr.write(f"ogp: DuckDB references not released at exit ({error!r})\n")


def release() -> int:
    """Cut the links listed above; the number of hooks and non-empty caches dropped.

    A no-op without duckdb-engine; a second call finds nothing left to cut.
    """
    dialect_module = sys.modules.get(DIALECT_MODULE)
    if dialect_module is None:
        return 0
    from sqlalchemy.sql.visitors import Visitable

    factory = sys.modules.get(GX_CONTEXT_FACTORY)
    if factory is not None:
        factory.project_manager.set_project(None)
    return (
        _drop_compile_hooks(Visitable)
        + _clear_caches(vars(cls).values() for cls in dialect_module.Dialect.__mro__)
        + _clear_caches([_typing_caches()])
    )


def _ours(thing: Any) -> bool:
    return str(getattr(thing, "__module__", "")).startswith(DIALECT_MODULE)


def _subclasses(root: type) -> list[type]:
    found: list[type] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        cls = stack.pop()
        if id(cls) not in seen:
            seen.add(id(cls))
            found.append(cls)
            stack.extend(type.__subclasses__(cls))
    return found


def _drop_compile_hooks(root: type) -> int:
    """Remove duckdb-engine's ``@compiles`` functions from classes that are not its own."""
    dropped = 0
    for cls in _subclasses(root):
        dispatcher = cls.__dict__.get("_compiler_dispatcher")
        if dispatcher is None or _ours(cls):
            continue  # duckdb-engine's own classes go away with its module
        specs = getattr(dispatcher, "specs", {})
        for name in [name for name, function in specs.items() if _ours(function)]:
            del specs[name]
            dropped += 1
    return dropped


def _clear_caches(groups: Any) -> int:
    """``cache_clear()`` every non-empty ``functools.lru_cache``/``cache`` among the values."""
    cleared = 0
    for group in groups:
        for value in group:
            info = getattr(value, "cache_info", None)
            if callable(info) and callable(getattr(value, "cache_clear", None)) and info().currsize:
                value.cache_clear()
                cleared += 1
    return cleared


def _typing_caches() -> list[Any]:
    """typing's caches of subscripted generics, from ``typing._cleanups`` (its own list of
    their ``cache_clear`` methods, present since Python 3.7; absent, nothing is done)."""
    import typing

    return [getattr(cleanup, "__self__", None) for cleanup in getattr(typing, "_cleanups", ())]
