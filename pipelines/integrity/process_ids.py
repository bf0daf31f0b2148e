"""One project number, one agency: the cross-agency check behind nationally unique ocids.

The ocid is the registered prefix + the e-GP project number (:func:`ocid_for`), so a project
number sent by two agencies would make two buyers' releases one contracting process (``ocdskit
compile`` merged 824 releases into 156 processes that way). Before an agency's OCDS package is
built, :func:`find_conflicts` compares its published project numbers (the gate's publishable
table) with every other agency's on disk; a number found under two agencies withholds the
agency's whole package (nothing half-published), with one line in English and Thai naming the
project, both agencies and the files each received it in (the names the agencies sent, from the
landing area's provenance: never a content hash or a server path).

Which file holds a number is known without reading when an agency sent one file; otherwise each
of its latest files is normalised again (only then, only for the agencies in conflict).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pyarrow.parquet as pq

from pipelines.layout import PROCUREMENT, publishable_path, validation_reports
from pipelines.sources.landing import LandedFile, LandingArea


@dataclass(frozen=True)
class Conflict:
    """``project_id`` is published by ``agency`` and by ``other``, from these files."""

    project_id: str
    agency: str
    files: tuple[str, ...]
    other: str
    other_files: tuple[str, ...]


@dataclass(frozen=True)
class ConflictReport:
    conflicts: tuple[Conflict, ...]

    @property
    def reason(self) -> str:
        first, more = self.conflicts[0], len(self.conflicts) - 1
        extra = f" (and {more} more project number{'s' if more > 1 else ''})" if more else ""
        return (
            f"project {first.project_id} is under two agencies, {first.agency} "
            f"({_names(first.files)}) and {first.other} ({_names(first.other_files)}){extra}: "
            "an ocid names one contracting process, so the OCDS package is withheld until "
            "one of the files is corrected"
        )

    @property
    def reason_th(self) -> str:
        first, more = self.conflicts[0], len(self.conflicts) - 1
        extra = f" (และอีก {more} เลขที่โครงการ)" if more else ""
        return (
            f"เลขที่โครงการ {first.project_id} อยู่ภายใต้สองหน่วยงาน คือ {first.agency} "
            f"({_names(first.files, 'ไม่ทราบไฟล์')}) และ {first.other} "
            f"({_names(first.other_files, 'ไม่ทราบไฟล์')}){extra} "
            "ซึ่ง ocid ต้องระบุกระบวนการจัดซื้อจัดจ้างเดียว จึงงดเผยแพร่แพ็กเกจ OCDS "
            "จนกว่าจะแก้ไขไฟล์ใดไฟล์หนึ่ง"
        )


def _names(files: tuple[str, ...], unknown: str = "file unknown") -> str:
    return ", ".join(files) if files else unknown


def find_conflicts(agency_code: str, data_dir: Path) -> ConflictReport | None:
    """The project numbers ``agency_code`` publishes that another agency publishes too (sorted
    by project number, then agency), or None when there is none."""
    mine = _published_ids(publishable_path(data_dir, PROCUREMENT, agency_code))
    if not mine:
        return None
    shared: dict[str, set[str]] = {}  # other agency -> project numbers in common
    for family, other, _report in validation_reports(data_dir):
        if family != PROCUREMENT or other == agency_code:
            continue
        theirs = _published_ids(publishable_path(data_dir, PROCUREMENT, other))
        if not mine.isdisjoint(theirs):
            shared[other] = set(mine & theirs)
    if not shared:
        return None
    own_files = _files_holding(data_dir, agency_code, set().union(*shared.values()))
    conflicts: list[Conflict] = []
    for other, common in shared.items():
        other_files = _files_holding(data_dir, other, common)
        conflicts.extend(
            Conflict(
                project_id,
                agency_code,
                own_files.get(project_id, ()),
                other,
                other_files.get(project_id, ()),
            )
            for project_id in common
        )
    return ConflictReport(tuple(sorted(conflicts, key=lambda c: (c.project_id, c.other))))


# path -> ((mtime_ns, size), project numbers): each agency's table is read once per change in a
# process (`ogp run` checks every agency against every other: read N tables, not N² times).
_read: dict[Path, tuple[tuple[int, int], frozenset[str]]] = {}


def _published_ids(path: Path) -> frozenset[str]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return frozenset()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _read.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    column = pq.read_table(path, columns=["project_id"])["project_id"]
    ids = frozenset(str(value) for value in column.drop_null().to_pylist())
    _read[path] = (stamp, ids)
    return ids


def _files_holding(
    data_dir: Path, agency: str, project_ids: set[str]
) -> dict[str, tuple[str, ...]]:
    """The name (as sent) of each latest landed file of ``agency`` holding each project number."""
    landed = sorted(LandingArea(data_dir, PROCUREMENT, agency).latest(), key=_sent_name)
    if len(landed) == 1:
        return dict.fromkeys(project_ids, (_sent_name(landed[0]),))
    holding: dict[str, list[str]] = {}
    for file in landed:
        for project_id in _ids_in(file, agency) & project_ids:
            holding.setdefault(project_id, []).append(_sent_name(file))
    return {project_id: tuple(names) for project_id, names in holding.items()}


def _ids_in(file: LandedFile, agency: str) -> set[str]:
    """The project numbers of one received file, read as the clean stage reads it."""
    # Imported here: normalisation is heavy and runs only when there is a conflict to explain.
    from pipelines.contracts import FileSource, HttpSource, load_specs
    from pipelines.normalize.errors import NormalizeError
    from pipelines.normalize.table import normalize_file

    spec = load_specs()[PROCUREMENT]
    source = spec.source_for(agency)
    sheet = source.sheet if isinstance(source, FileSource | HttpSource) else None
    with contextlib.suppress(NormalizeError):
        result = normalize_file(file.path, spec, agency=agency, sheet=sheet, source=source)
        return {str(value) for value in result.table["project_id"].drop_null().to_pylist()}
    return set()


def _sent_name(file: LandedFile) -> str:
    """The file's name as the agency sent it (a URL's last path segment, no query)."""
    source = file.provenance.source
    path = urlsplit(source).path if "://" in source else source
    return PurePosixPath(path).name or source
