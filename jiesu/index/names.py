"""Names kept as numbers in the read index.

A case's type, channel, category, places, units, complainant kind, time-limit class, tags and flags
are each one of a few hundred texts that a million cases repeat (`cases.co_units`, the most varied,
takes a few thousand). The table `case_rows` keeps the number of each (1 or 2 bytes, where the text
took 150 bytes a case), the table `names` the texts, and the view `cases` gives the texts back, so
that every query reads the columns as before. Nothing filters on an index of these columns: a query
that compares one reads the rows of a time span anyway, and the view looks each number up in
`names` by its integer key (4,973 names, 0.3 MB, at 1,000,000 cases). A reader of many rows and
many of these columns can look the numbers up itself (`Index.select_named`).

Rows are written to `case_rows` through `Names.encode`, which adds the texts it has not seen. A name
is never removed: a text no row uses any more costs its few bytes until the index is rebuilt.
"""

from __future__ import annotations

import sqlite3

NAMED = ("type", "channel", "category", "district", "street", "lead", "co_units", "community", "kind", "limit_class",
         "tags", "flags")
TABLE = "CREATE TABLE names (n INTEGER PRIMARY KEY, name TEXT UNIQUE)"


def view(columns: tuple) -> str:
    """The view `cases`: the columns of `case_rows`, the numbered ones as their names."""
    select = ", ".join(f"(SELECT name FROM names WHERE n = r.{c}) AS {c}" if c in NAMED else f"r.{c} AS {c}"
                       for c in columns)
    return f"CREATE VIEW cases AS SELECT {select} FROM case_rows AS r"


class Names:
    """The numbers of the names of one index connection, read once and added to as rows are written."""

    def __init__(self, db: sqlite3.Connection, columns: tuple):
        self.db = db
        self.places = [columns.index(c) for c in NAMED]
        self.known: dict[str, int] | None = None

    def _load(self, rows: list[tuple]) -> dict[str, int]:
        if len(rows) > 200:  # many rows: all names at once (a few thousand at most)
            return dict(self.db.execute("SELECT name, n FROM names"))
        wanted = sorted({row[i] for row in rows for i in self.places if isinstance(row[i], str)})
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            found.update(self.db.execute(f"SELECT name, n FROM names WHERE name IN ({','.join('?' * len(part))})", part))
        return found

    def _add(self, name: str) -> int:
        """The number of a name not read before: another process may have added it since."""
        self.db.execute("INSERT OR IGNORE INTO names (name) VALUES (?)", (name,))
        return self.db.execute("SELECT n FROM names WHERE name = ?", (name,)).fetchone()[0]

    def encode(self, rows: list[tuple]) -> list[list]:
        """`rows` (as `jiesu.index.record` makes them) with their names as numbers; adds new names."""
        if not rows:
            return []
        known = self.known
        if known is None or len(rows) <= 200:
            known = self.known = {**(known or {}), **self._load(rows)}
        places, get = self.places, known.get
        out = []
        for row in rows:
            row = list(row)  # (a list serves as the parameters of a row as well as a tuple)
            for i in places:
                name = row[i]
                if name is not None:
                    number = get(name)
                    if number is None:
                        number = known[name] = self._add(name)
                    row[i] = number
            out.append(row)
        return out


def decode(db: sqlite3.Connection, columns: tuple, rows: list[tuple]) -> list[tuple]:
    """Rows of `columns` read from `case_rows`, their numbered names as the texts."""
    places = [i for i, c in enumerate(columns) if c in NAMED]
    if not rows or not places:
        return rows
    get = dict(db.execute("SELECT n, name FROM names")).get
    out = []
    for row in rows:
        row = list(row)
        for i in places:
            row[i] = get(row[i])
        out.append(tuple(row))
    return out
