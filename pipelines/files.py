"""Writing files so that a crash never leaves half a file where the last good one was."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path


def replace_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Let ``write`` fill a hidden sibling of ``path``, then rename it over ``path``.

    The sibling's name is unique to this call, so two processes writing the same file never
    write into one partial file; a failed write leaves nothing behind."""
    partial = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    try:
        write(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
