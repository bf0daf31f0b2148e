"""Which text encoding a received file uses: UTF-8 (with or without BOM), else cp874.

cp874 (Windows Thai) is a superset of TIS-620, the encoding of most Thai government exports.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from pipelines.normalize.errors import NormalizeError

SAMPLE_BYTES = 1 << 20


def read_sample(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


# What a file starting with these bytes really is (a steward may rename anything to .csv).
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an XLSX workbook?) named as text: send it as .xlsx"),
    (b"\x89PNG", "a PNG image, not a table"),
    (b"\xff\xd8\xff", "a JPEG image, not a table"),
    (b"%PDF", "a PDF document, not a table"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Office file: save it as .xlsx or UTF-8 CSV"),
    (b"\x1f\x8b", "a gzip archive, not a table"),
)
# UTF-32 first: its little-endian BOM starts with UTF-16's.
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _not_utf8_or_thai(sample: bytes) -> str | None:
    """Why the sample is not UTF-8 or cp874 text, for the kinds a steward can fix."""
    for magic, what in MAGIC:
        if sample.startswith(magic):
            return what
    for bom, name in BOMS:
        if sample.startswith(bom):
            return f"{name} text: save it as UTF-8 CSV"
    return None


def _first_nul_line(sample: bytes) -> int | None:
    position = sample.find(b"\x00")
    return None if position < 0 else sample.count(b"\n", 0, position) + 1


def _decodes(sample: bytes, encoding: str, *, final: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(sample, final=final)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path, sample: bytes | None = None) -> str:
    """``utf-8-sig`` / ``utf-8`` / ``cp874`` from the file's first megabyte.

    Raises :class:`NormalizeError` for binary content or text in neither encoding.
    """
    sample = read_sample(path) if sample is None else sample
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    refused = _not_utf8_or_thai(sample)
    if refused:
        raise NormalizeError(path, refused)
    nul_line = _first_nul_line(sample)
    if nul_line is not None:
        # UTF-16/32 without a BOM: every ASCII character comes with NUL bytes.
        raise NormalizeError(
            path,
            "binary content or UTF-16/UTF-32 text (NUL bytes): save it as UTF-8 CSV",
            row=nul_line,
        )
    # A sample may end mid-character: only the whole file is final.
    whole = len(sample) < SAMPLE_BYTES
    for encoding in ("utf-8", "cp874"):
        if _decodes(sample, encoding, final=whole):
            return encoding
    raise NormalizeError(path, "undecodable: neither UTF-8 nor cp874/TIS-620")
