"""Archive stores as the store layer sees them: where they are and how their cases are found.

`jiesu archive` moves final cases of past years out of the store into `archive/<year>/`, a git
repository of its own (ignored by the store's git) holding `cases/YYYY/MM/<ID>.yaml` as they were.
Reads still find them: `case_file` looks there when a case is not in `cases/`, and
`jiesu.index.archives` adds their rows to the read index under the path `archive/<year>/cases/…`,
following each archive's HEAD by `git diff-tree` like the store's own rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from jiesu.store.gitrepo import GitReader

FOLDER = "archive"
YEAR = re.compile(r"^\d{4}$")


def repos(root: Path) -> list[tuple[str, Path]]:
    """(year, folder) of every archive repository of the store at `root`."""
    base = Path(root) / FOLDER
    if not base.is_dir():
        return []
    return sorted((p.name, p) for p in base.iterdir() if YEAR.match(p.name) and (p / ".git").exists() and not p.is_symlink())


def case_file(root: Path, relpath: str) -> tuple[str, Path] | None:
    """(year, file) of an archived case whose store path is `relpath` (`cases/YYYY/MM/ID.yaml`)."""
    year = relpath.split("/")[1] if relpath.count("/") >= 3 else ""
    folder = Path(root) / FOLDER / year
    path = folder / relpath
    if YEAR.match(year) and path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(folder.resolve()):
        return year, path
    return None


def names_in(root: Path, year: int, month: int) -> list[str]:
    """Ids of the archived cases of one month (so a new case never takes an archived id)."""
    folder = Path(root) / FOLDER / f"{year:04d}" / "cases" / f"{year:04d}" / f"{month:02d}"
    return [p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")] if folder.is_dir() else []


def head_before(store, year: str) -> str:
    """The commit of an archive before this run (its parent), or "" for a new archive."""
    git = GitReader(Path(store.root) / FOLDER / year)
    proc = git.run("rev-parse", "-q", "--verify", "HEAD~1", check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""
