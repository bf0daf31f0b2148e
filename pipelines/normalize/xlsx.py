"""What an XLSX must be before it is parsed: a zip of bounded size, XML without a DTD.

An XLSX is a zip of XML parts. A few megabytes can unpack to gigabytes (a zip bomb) and an XML
DTD can expand entities without end (billion laughs), so before openpyxl reads anything:

- the declared uncompressed size of all parts must stay within ``OGP_XLSX_MAX_XML_BYTES``
  (default 200 MB) and no large part may compress better than ``OGP_XLSX_MAX_RATIO`` (default
  250:1) -- Python's zip reader never unpacks more than a member declares, so checking the
  declarations bounds the work;
- no XML part may declare a DTD (``<!DOCTYPE``): spreadsheet programs never write one, so a
  DTD is refused, not expanded (openpyxl also parses through defusedxml, a second guard);
- after reading, a formula cell saved without its value (a file written by a program that
  never calculated it) is named, since reading it as empty would lose data silently.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.normalize.errors import NormalizeError

MAX_XML_BYTES = 200 << 20
MAX_RATIO = 250
# Small parts (styles, relations) may compress very well and cannot hurt.
RATIO_MIN_BYTES = 1 << 20
MAX_MEMBERS = 10_000
PROLOG_BYTES = 64 << 10
_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Budget:
    max_xml_bytes: int = MAX_XML_BYTES
    max_ratio: float = MAX_RATIO

    @classmethod
    def from_settings(cls) -> Budget:
        from pipelines.settings import get_settings

        settings = get_settings()
        return cls(
            int(getattr(settings, "xlsx_max_xml_bytes", MAX_XML_BYTES)),
            float(getattr(settings, "xlsx_max_ratio", MAX_RATIO)),
        )


def _megabytes(size: float) -> str:
    return f"{size / (1 << 20):,.0f} MB"


def check_workbook(path: Path, budget: Budget | None = None) -> None:
    """Refuse an XLSX that would take unbounded time or memory to parse (before parsing)."""
    budget = budget or Budget.from_settings()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise NormalizeError(path, f"{len(members)} parts in the workbook: refused")
            total = sum(member.file_size for member in members)
            if total > budget.max_xml_bytes:
                raise NormalizeError(
                    path,
                    f"workbook unpacks to {_megabytes(total)} of XML, over the limit of "
                    f"{_megabytes(budget.max_xml_bytes)} (OGP_XLSX_MAX_XML_BYTES): refused "
                    "before parsing; split it or send CSV",
                )
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size >= RATIO_MIN_BYTES and ratio > budget.max_ratio:
                    raise NormalizeError(
                        path,
                        f"part {member.filename!r} compresses {ratio:,.0f}:1 (limit "
                        f"{budget.max_ratio:,.0f}:1, OGP_XLSX_MAX_RATIO): a zip bomb? refused",
                    )
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    _refuse_dtd(path, archive, member.filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as error:
        raise NormalizeError(path, f"not a valid XLSX workbook ({type(error).__name__})") from None
    except (OSError, EOFError, RuntimeError, ValueError) as error:  # corrupt or encrypted parts
        raise NormalizeError(path, f"unreadable XLSX workbook ({type(error).__name__})") from None


def _refuse_dtd(path: Path, archive: zipfile.ZipFile, name: str) -> None:
    """A DTD can only come before the root element: read the prolog, never the whole part."""
    with archive.open(name) as handle:
        head = handle.read(PROLOG_BYTES)
    position = 0
    while match := _PROLOG_ITEM.match(head, position):
        position = match.end()
    rest = head[position:].lstrip()
    if rest.startswith(b"<!--") or (not rest.startswith(b"<") and len(head) == PROLOG_BYTES):
        raise NormalizeError(path, f"part {name!r} has an XML prolog over 64 KB: refused")
    if rest.startswith(b"<!"):
        raise NormalizeError(
            path, f"part {name!r} declares a DTD or entities (XML entity bomb?): refused"
        )


def uncached_formula(path: Path, sheet_part: str) -> str | None:
    """The reference (``B7``) of the first formula cell saved without a value, if any.

    Only sheets that hold formulas at all (a byte search) are parsed a second time.
    """
    with zipfile.ZipFile(path) as archive:
        part = sheet_part.lstrip("/")
        if part not in archive.namelist() or not _contains(
            archive, part, (b"<f>", b"<f ", b":f>", b":f ")
        ):
            return None
        from defusedxml.ElementTree import iterparse

        with archive.open(part) as handle:
            for _event, element in iterparse(handle, events=("end",)):
                if not element.tag.endswith("}c") and element.tag != "c":
                    continue
                children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                formula, value = children.get("f"), children.get("v")
                cached = value is not None and (bool(value.text) or element.get("t") == "str")
                if formula is not None and not cached:
                    return str(element.get("r") or "?")
                element.clear()
    return None


def _contains(archive: zipfile.ZipFile, part: str, needles: tuple[bytes, ...]) -> bool:
    overlap = b""
    with archive.open(part) as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            window = overlap + chunk
            if any(needle in window for needle in needles):
                return True
            overlap = window[-8:]
    return False
