"""The event rows of the cases a Parquet partition holds, read from their case files in git.

The read index keeps no event rows (only the export reads them: 118 bytes a case in the index, a
tenth of it): each partition the export rewrites reads its cases' files by their blob ids, from
the store's repository or, for an archived case, from its archive's (the work tree's copy where it
is the committed one, see `jiesu.store.catfile.committed`), with the same reader as the index
(`jiesu.store.yamlio.load`). Many cases are read by worker processes, in parts, while the
export builds the partition's case rows.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor

from jiesu.event_rows import event_rows
from jiesu.store import yamlio
from jiesu.store.archives import FOLDER, repos
from jiesu.store.catfile import committed
from jiesu.store.gitrepo import GitReader

PART = 2000  # case files a worker reads at a time
PARALLEL_FROM = 500  # fewer are read in this process


def read_events(root: str, env: dict, files: list[tuple[str, str]]) -> list[list[tuple]]:
    """The event rows of each (path, blob id) of the repository at `root` (read as
    `jiesu.store.catfile.committed` reads them): [] for a file that is missing or cannot be read
    (the index lists it as a problem, and the export leaves it out)."""
    out = []
    for (path, _), data in zip(files, committed(root, env, files)):
        try:
            case = yamlio.load((data or b"").decode("utf-8"), path)
        except (UnicodeDecodeError, yamlio.YamlProblem):
            case = None
        out.append(event_rows(case) if isinstance(case, dict) else [])
    return out


class EventReader:
    """Reads the event rows of cases by (path, blob id); `close` stops its workers."""

    def __init__(self, store):
        self.home = (str(store.root), store.git.env)
        self.archives = [(f"{FOLDER}/{year}/", str(folder)) for year, folder in repos(store.root)]
        self.envs: dict[str, dict] = {}
        self.pool: ProcessPoolExecutor | None = None

    def _source(self, path: str) -> tuple[str, dict, str]:
        """(repository, its git environment, the path in it) of a case's path in the index."""
        for prefix, folder in self.archives:
            if path.startswith(prefix):
                if folder not in self.envs:
                    self.envs[folder] = GitReader(folder).env
                return folder, self.envs[folder], path[len(prefix):]
        return (*self.home, path)

    def start(self, cases: list[tuple[str, str]]):
        """Begin reading the event rows of `cases` [(path, blob id)]; the returned function gives
        them, one list per case in the same order."""
        groups: dict[str, tuple[dict, list[tuple[int, str]]]] = {}
        for at, (path, _) in enumerate(cases):
            root, env, inside = self._source(path)
            groups.setdefault(root, (env, []))[1].append((at, inside))
        parts: list[tuple[list[int], Future | list]] = []
        for root, (env, found) in groups.items():
            for start in range(0, len(found), PART):
                part = found[start:start + PART]
                chosen = [at for at, _ in part]
                files = [(inside, cases[at][1]) for at, inside in part]
                if len(cases) < PARALLEL_FROM:
                    parts.append((chosen, read_events(root, env, files)))
                else:
                    if self.pool is None:
                        self.pool = ProcessPoolExecutor(max_workers=min(os.cpu_count() or 2, 8))
                    parts.append((chosen, self.pool.submit(read_events, root, env, files)))

        def result() -> list[list[tuple]]:
            out: list = [[] for _ in cases]
            for chosen, part in parts:
                for i, rows in zip(chosen, part.result() if isinstance(part, Future) else part):
                    out[i] = rows
            return out

        return result

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
