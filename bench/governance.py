#!/usr/bin/env python3
"""Time the governance work inside one process (no interpreter start-up, no git commit):

    python bench/governance.py /work/benchstores/bench-100000-full [--repeat 7]

- intake checks: what `jiesu intake` adds before it writes — the caller's earlier requests (and the
  frequent-caller rule) and the possible duplicates among the open requests of the last days;
- stats: `stats --by category --month M` (the month of the store's "now");
- hotspots: `hotspots` at the store's "now".

Medians in milliseconds on a warm index; the store's `.jiesu/bench.json` gives JIESU_NOW.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    meta = json.loads((args.store / ".jiesu" / "bench.json").read_text())
    os.environ["JIESU_NOW"] = meta["now"]
    from jiesu.governance import hotspots, stats
    from jiesu.governance.intake import look
    from jiesu.ops.new_cases import prepare
    from jiesu.store import Store

    root = str(args.store)
    request = {"type": "complaint", "category": "env.garbage.unregulated-collection", "street": "dragon-gate/eternal-town",
               "title": "Rubbish dumped at the wood factory gate (17)", "surname": "王", "phone": "13800138000"}
    prepared = prepare(Store(root), request, "bench-op")
    month = meta["now"][:7]
    work = {
        "intake checks": lambda: look(Store(root), dict(prepared, complainant=dict(prepared["complainant"])))("HL-0000-0000"),
        "stats --by category --month M": lambda: stats.stats(Store(root), ["category"], month=month),
        "hotspots": lambda: hotspots.hotspots(Store(root)),
    }
    work["hotspots"]()  # warm the index
    for label, run in work.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        print(f"{label}: {1000 * statistics.median(times):.1f} ms (median of {args.repeat})")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
