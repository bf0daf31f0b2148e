"""Release SQLAlchemy's references to DuckDB before the interpreter tears itself down.

duckdb 2 is built with nanobind, which prints a page of "nanobind: leaked N instances! ...
leaked type _duckdb.DuckDBPyConnection ..." when any of its objects is still alive after
Python's last garbage collection. Nothing of ours is alive by then (the suite disposes of its
engines and closes its connections); what keeps DuckDB alive is two links from SQLAlchemy's
own classes to duckdb-engine (the SQLAlchemy dialect GX reaches DuckDB through):

- ``@compiles(TryCast, "duckdb")`` in duckdb-engine stores ``visit_try_cast`` in SQLAlchemy's
  ``TryCast`` class (``_compiler_dispatcher.specs``); the function's globals are
  duckdb-engine's module, which holds ``duckdb``;
- SQLAlchemy's PostgreSQL dialect (duckdb-engine's base class) memoises reflection queries
  with ``functools.lru_cache`` on methods: the caches' keys hold every duckdb-engine
  ``Dialect`` instance used, and through it the same module.

Once great_expectations is imported, SQLAlchemy's classes are never freed at interpreter exit
(measured with weak references: ``TryCast`` is freed without GX, not with it; the chain found
runs from typing's module state, e.g. its overload registry, into SQLAlchemy's modules), so
whatever they hold outlives nanobind. :func:`release_at_exit` registers, once, an ``atexit``
hook that cuts both links when the program ends. Only then: afterwards ``TRY_CAST`` no longer
compiles for DuckDB through SQLAlchemy.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

DIALECT_MODULE = "duckdb_engine"
_lock = threading.Lock()
_registered = False


def release_at_exit() -> None:
    """Have :func:`release` run when the interpreter exits (registered once per process)."""
    global _registered
    with _lock:
        if not _registered:
            atexit.register(release)
            _registered = True


def release() -> int:
    """Drop what SQLAlchemy's classes hold of duckdb-engine; the number of links cut.

    Idempotent, and a no-op when duckdb-engine was never imported.
    """
    import sys

    dialect_module = sys.modules.get(DIALECT_MODULE)
    if dialect_module is None:
        return 0
    from sqlalchemy.sql.visitors import Visitable

    return _drop_compile_hooks(Visitable) + _clear_method_caches(dialect_module.Dialect)


def _ours(function: Any) -> bool:
    return str(getattr(function, "__module__", "")).startswith(DIALECT_MODULE)


def _subclasses(root: type) -> list[type]:
    found: list[type] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        cls = stack.pop()
        if id(cls) in seen:
            continue
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


def _clear_method_caches(dialect: type) -> int:
    """Empty the ``lru_cache`` of every method along the dialect's classes (keys hold ``self``)."""
    cleared = 0
    for cls in dialect.__mro__:
        for value in vars(cls).values():
            info = getattr(value, "cache_info", None)  # functools.lru_cache / cache
            if callable(info) and callable(getattr(value, "cache_clear", None)) and info().currsize:
                value.cache_clear()
                cleared += 1
    return cleared
