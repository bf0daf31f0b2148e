"""Dataset contracts: ``datasets/<family>/dataset.yaml`` + ``schema.json`` as typed specs."""

from pipelines.contracts.loader import (
    SpecError,
    load_agencies,
    load_spec,
    load_spec_file,
    load_specs,
)
from pipelines.contracts.models import (
    Agency,
    AnySource,
    CkanSource,
    DatasetSpec,
    FileSource,
    HttpSource,
    OcdsSource,
    SqlSource,
)

__all__ = [
    "Agency",
    "AnySource",
    "CkanSource",
    "DatasetSpec",
    "FileSource",
    "HttpSource",
    "OcdsSource",
    "SpecError",
    "SqlSource",
    "load_agencies",
    "load_spec",
    "load_spec_file",
    "load_specs",
]
