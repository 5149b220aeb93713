#!/usr/bin/env python3
"""The index rows from one walk over the events vs the former two walks, side by side in one process.

    .venv/bin/python bench/one_walk.py STORE [--rounds 20] [--month 2026-10]

STORE is a demo store (`jiesu demo DIR`). Each round, in alternating order, builds the index of a
copy of STORE with the former summary (the oracle kept in `tests/test_read_facts.py`) and of another
copy with `summary.summarize`, then times 5 × `jiesu list --status accepted` and 5 × `jiesu rank
--month M` on each, in process. It checks that every case's row, both indexes and both outputs are
identical, and that a warm list or rank replays no case; prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from click.testing import CliRunner  # noqa: E402
from test_read_facts import old_summarize  # noqa: E402

import jiesu.index as jindex  # noqa: E402
import jiesu.model as jmodel  # noqa: E402
import jiesu.summary as jsummary  # noqa: E402
from jiesu.cli import cli  # noqa: E402
from jiesu.store import Store  # noqa: E402


def index_digest(root: Path) -> str:
    con = sqlite3.connect(root / ".jiesu" / "index.sqlite")
    digest = hashlib.sha256()
    for (table,) in con.execute("select name from sqlite_master where type='table' order by name"):
        for row in con.execute(f"select * from {table} order by 1"):
            digest.update(repr(row).encode())
    con.close()
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--month", default="2026-10")
    args = parser.parse_args()

    store = Store(args.store)
    cases = [store.load_case(p.stem) for p in sorted((store.root / "cases").glob("*/*/*.yaml"))]
    differ = [c.get("id") for c in cases
              if jsummary.summarize(c, store.catalog, store.tz) != old_summarize(c, store.catalog, store.tz)]
    print(f"{len(cases)} cases, {len(differ)} rows differ {differ[:5]}")

    impl = {"before": old_summarize, "after": jsummary.summarize}
    work = Path(tempfile.mkdtemp(prefix="one-walk-"))
    copies = {name: work / name for name in impl}
    for copy in copies.values():
        shutil.copytree(args.store, copy, symlinks=True)
    replays = [0]
    replay = jmodel.replay

    def counting(*a, **k):
        replays[0] += 1
        return replay(*a, **k)

    jmodel.replay = counting
    runner = CliRunner()
    times = {(n, k): [] for n in impl for k in ("cold index build", "list --status accepted", f"rank --month {args.month}")}
    outputs, digests = {}, {}

    def run(name, key, argv):
        started = time.perf_counter()
        result = runner.invoke(cli, ["--store", str(copies[name]), *argv])
        times[(name, key)].append(time.perf_counter() - started)
        assert result.exit_code == 0, result.output
        outputs[(name, key)] = result.output

    for round_ in range(args.rounds):
        for name in (("before", "after") if round_ % 2 == 0 else ("after", "before")):
            jindex.summarize = jsummary.summarize = impl[name]  # the index build forks its workers after this
            (copies[name] / ".jiesu" / "index.sqlite").unlink(missing_ok=True)
            run(name, "cold index build", ["list", "--limit", "1"])
            digests[name] = index_digest(copies[name])
            replays[0] = 0
            for _ in range(5):
                run(name, "list --status accepted", ["list", "--status", "accepted"])
                run(name, f"rank --month {args.month}", ["rank", "--month", args.month])
            assert replays[0] == 0, f"a warm list or rank replayed {replays[0]} cases"
    shutil.rmtree(work)
    print("indexes identical:", digests["before"] == digests["after"],
          "| outputs identical:", all(outputs[("before", k)] == outputs[("after", k)] for _, k in times if _ == "after"))
    for name, key in times:
        if name == "after":
            before, after = (statistics.median(times[(n, key)]) for n in ("before", "after"))
            print(f"{key}: before {before * 1e3:.1f} ms, after {after * 1e3:.1f} ms, "
                  f"ratio {after / before:.3f} (n={len(times[(name, key)])})")


if __name__ == "__main__":
    main()
