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
    if b"\x00" in sample:
        raise NormalizeError(path, "binary content (NUL bytes): not a text file")
    # A sample may end mid-character: only the whole file is final.
    whole = len(sample) < SAMPLE_BYTES
    for encoding in ("utf-8", "cp874"):
        if _decodes(sample, encoding, final=whole):
            return encoding
    raise NormalizeError(path, "undecodable: neither UTF-8 nor cp874/TIS-620")
