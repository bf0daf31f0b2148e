"""bench/RESULTS.md: each benchmark owns one ``## `` section and rewrites only that one."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(section: str, text: str, results: Path = RESULTS) -> None:
    """Replace the section headed ``section`` with ``text`` (appended when absent)."""
    current = results.read_text(encoding="utf-8") if results.is_file() else "# Benchmarks\n"
    start = current.find(section)
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(section))
        rest = current[end + 1 :] if end != -1 else ""
        updated = current[:start] + text.rstrip("\n") + ("\n\n" + rest if rest else "")
    results.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")
