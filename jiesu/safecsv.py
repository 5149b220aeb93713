"""CSV that spreadsheets and terminals read safely: cells that start like a formula are
neutralised, control characters shown as symbols (see jiesu.safetext)."""

from __future__ import annotations

import csv
import io

from jiesu.safetext import terminal

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (a leading ' disarms it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    if isinstance(value, float):
        value = f"{value:.6g}" if abs(value) < 1e15 else str(value)
        return value
    text = terminal(str(value))
    if text.startswith(DANGEROUS):
        return "'" + text
    return text


def csv_text(rows: list[dict], columns: list[str]) -> str:
    """Rows as CSV with a header line, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return out.getvalue()
