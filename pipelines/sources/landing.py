"""The immutable landing area: every received file, kept as it came, with its provenance.

Layout: ``data/raw/<family>/<agency>/<sha256>.<ext>`` and ``<sha256>.<ext>.json`` (source,
fetched_at, sha256, size, etag, last_modified). A file is named by its content, so the same
bytes received twice are stored once, and nothing is ever overwritten or deleted.
``latest.json`` lists the files of the most recent pull: an index, not received data.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from pipelines.hashing import BLOCK
from pipelines.layout import raw_dir

LATEST_FILE = "latest.json"


@dataclass(frozen=True)
class Provenance:
    source: str
    fetched_at: str
    sha256: str
    size: int
    ext: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class LandedFile:
    path: Path
    provenance: Provenance
    new: bool  # False when these bytes had already been received

    @property
    def sha256(self) -> str:
        return self.provenance.sha256


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _chunks(data: bytes | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(data, bytes):
        yield data
    else:
        yield from data


class NotRegularFileError(OSError):
    """A link, FIFO or device where a received file was expected."""


def file_chunks(path: Path) -> Iterator[bytes]:
    """The bytes of a regular file. A symbolic link is not followed and a FIFO or device is
    refused, checked on the opened file itself (no window between check and read)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotRegularFileError(f"{path}: a symbolic link: refused") from None
        raise
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotRegularFileError(f"{path}: not a regular file: refused")
        yield from iter(lambda: handle.read(BLOCK), b"")


class LandingArea:
    """The landing folder of one family x agency (``agency=None`` for unpartitioned families)."""

    def __init__(self, data_dir: Path, family: str, agency: str | None) -> None:
        self.root = raw_dir(Path(data_dir), family, agency)

    def store(
        self,
        data: bytes | Iterable[bytes],
        *,
        source: str,
        ext: str,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> LandedFile:
        """Keep the bytes (streamed, hashed on the way) unless the same content is already here."""
        self.root.mkdir(parents=True, exist_ok=True)
        ext = ext.lstrip(".").lower() or "bin"
        digest = hashlib.sha256()
        size = 0
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in _chunks(data):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            sha256 = digest.hexdigest()
            target = self.root / f"{sha256}.{ext}"
            if target.exists():
                return LandedFile(target, self._provenance_of(target), new=False)
            os.link(temporary, target)  # link, not rename: never replaces an existing file
        finally:
            Path(temporary).unlink(missing_ok=True)
        provenance = Provenance(source, _now(), sha256, size, ext, etag, last_modified)
        meta = target.with_name(target.name + ".json")
        meta.write_text(json.dumps(asdict(provenance), ensure_ascii=False, indent=1), "utf-8")
        return LandedFile(target, provenance, new=True)

    def _provenance_of(self, target: Path) -> Provenance:
        meta = target.with_name(target.name + ".json")
        return Provenance(**json.loads(meta.read_text(encoding="utf-8")))

    def received(self) -> list[LandedFile]:
        """Everything ever landed here, oldest first."""
        if not self.root.is_dir():
            return []
        files = [
            LandedFile(meta.with_suffix(""), self._provenance_of(meta.with_suffix("")), new=False)
            for meta in self.root.glob("*.*.json")
        ]
        return sorted(files, key=lambda landed: landed.provenance.fetched_at)

    def last_from(self, source: str) -> LandedFile | None:
        """The most recent file received from this source (for conditional requests)."""
        matching = [landed for landed in self.received() if landed.provenance.source == source]
        return matching[-1] if matching else None

    def record_latest(self, files: list[LandedFile]) -> None:
        """Remember which files the latest pull produced (the clean stage reads these)."""
        self.root.mkdir(parents=True, exist_ok=True)
        index = [{"path": landed.path.name, "source": landed.provenance.source} for landed in files]
        temporary = self.root / f".{LATEST_FILE}.tmp"
        temporary.write_text(json.dumps(index, ensure_ascii=False, indent=1), "utf-8")
        temporary.replace(self.root / LATEST_FILE)

    def latest(self) -> list[LandedFile]:
        index_path = self.root / LATEST_FILE
        if not index_path.is_file():
            return []
        index = json.loads(index_path.read_text(encoding="utf-8"))
        return [
            LandedFile(
                self.root / item["path"], self._provenance_of(self.root / item["path"]), False
            )
            for item in index
        ]
