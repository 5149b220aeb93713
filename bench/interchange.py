#!/usr/bin/env python3
"""Time import and export on the real 311 files, and export's memory on the generated stores.

    python bench/interchange.py [--repeat N] [--files la311,sf311,baltimore311] [--skip-generated]
                                [--data ../shared/data] [--stores /work/benchstores] [--json OUT]

For each real 10,000-row file: a fresh store (`jiesu init` in a temporary folder) takes the import
(`--batch 2000`), then the first read after it (`list --limit 1`: the index is brought up to date
incrementally, not rebuilt), then every export format into a folder. On the generated stores
(bench/generate.py, 1,000 and 100,000 cases), `export --format csv` and `--format jsonl` are
timed with the peak resident memory of the whole process tree (the exporter and its readers), to
show that memory stays flat in the number of cases. Medians of N runs of the wall time and of the
user + system CPU seconds (the machine may be shared: CPU time says more than wall time then), with
the load average around each run; the machine is named.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import jiesu_cmd, machine, run_timed  # noqa: E402

FILES = [
    ("la311", "la311/la311_2018-12-27_to_31_last10k.csv", "America/Los_Angeles"),
    ("sf311", "sf311/sf311_2008-2018_10k.csv", "America/Los_Angeles"),
    ("baltimore311", "baltimore311/baltimore311_2014-2019_sample10k.csv", "America/New_York"),
]
NOW = "2026-01-01T00:00:00+00:00"
FORMATS = ("csv", "jsonl", "open311", "open311-xml")


def env_for(root: Path, now: str = NOW) -> dict:
    env = dict(os.environ, JIESU_STORE=str(root), JIESU_ACTOR="bench-importer", JIESU_NOW=now)
    env.pop("JIESU_INTERACTIVE", None)
    return env


def real_files(args, jiesu) -> dict:
    results = {}
    for mapping, rel, tz in FILES:
        if args.files and mapping not in args.files.split(","):
            continue
        path = Path(args.data) / rel
        if not path.is_file():
            print(f"skipped {mapping}: {path} is absent", file=sys.stderr)
            continue
        runs = {"import": [], "first_read": [], **{f"export {f}": [] for f in FORMATS}}
        for i in range(args.repeat):
            print(f"[{mapping}] run {i + 1}", file=sys.stderr, flush=True)
            work = Path(tempfile.mkdtemp(prefix="jiesu-bench-"))
            try:
                root = work / "store"
                run_timed(jiesu + ["init", str(root), "--office", "HL", "--tz", tz], env_for(root))
                env = env_for(root)
                runs["import"].append(run_timed(jiesu + ["import", str(path), "--mapping", mapping, "--batch", "2000"], env, capture=True))
                runs["first_read"].append(run_timed(jiesu + ["list", "--limit", "1"], env))
                for fmt in FORMATS:
                    runs[f"export {fmt}"].append(run_timed(jiesu + ["export", "--format", fmt, "--out", f"{work}/out-{fmt}/"], env,
                                                           sample_tree=True))
            finally:
                shutil.rmtree(work, ignore_errors=True)
        results[mapping] = runs
    return results


def generated(args, jiesu) -> dict:
    results = {}
    for size in (1000, 100_000):
        root = Path(args.stores) / f"bench-{size}-full"
        if not (root / ".jiesu" / "bench.json").is_file():
            print(f"skipped the {size:,}-case store: {root} is absent (bench/generate.py makes it)", file=sys.stderr)
            continue
        now = json.loads((root / ".jiesu" / "bench.json").read_text())["now"]
        run_timed(jiesu + ["list", "--limit", "1"], env_for(root, now))  # a warm index
        out = Path(tempfile.mkdtemp(prefix="jiesu-bench-export-"))
        try:
            for fmt in ("csv", "jsonl"):
                print(f"[{size:,}] export {fmt}", file=sys.stderr, flush=True)
                results[f"{size} {fmt}"] = [run_timed(jiesu + ["export", "--format", fmt, "--out", f"{out}/"], env_for(root, now),
                                                      sample_tree=True) for _ in range(args.repeat)]
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return results


def median(runs, key="seconds"):
    return statistics.median(r[key] for r in runs)


def loads(runs) -> str:
    values = [v for r in runs for v in r.get("load", ())]
    return f"{min(values):.1f}–{max(values):.1f}" if values else "?"


def table(real: dict, gen: dict) -> str:
    """Per file and command: median wall seconds, rows/s, median user + system CPU seconds, the
    load average seen around the runs."""
    lines = ["| file (10,000 rows) | command | wall (median) | rows/s | CPU user+sys (median) | load average |",
             "|---|---|---|---|---|---|"]
    for mapping, runs in real.items():
        for key in ("import", "first_read", *(f"export {f}" for f in FORMATS)):
            wall = median(runs[key])
            rate = "" if key == "first_read" else f"{10000 / wall:,.0f}"
            name = "first `list --limit 1` after the import" if key == "first_read" else key
            lines.append(f"| {mapping} | {name} | {wall:.2f} s | {rate} | {median(runs[key], 'cpu_s'):.2f} s | {loads(runs[key])} |")
    if gen:
        lines += ["", "| generated store | export | seconds | rows/s | peak memory (process tree) |", "|---|---|---|---|---|"]
        for key, runs in gen.items():
            size, fmt = key.split()
            seconds = median(runs)
            lines.append(f"| {int(size):,} cases | {fmt} | {seconds:.1f} s | {int(size) / seconds:,.0f} | "
                         f"{max(r.get('tree_rss_mb', r['rss_mb']) for r in runs):.0f} MB |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (the median is shown)")
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"), help="the real 311 files")
    ap.add_argument("--stores", default="/work/benchstores", help="where bench/generate.py keeps its stores")
    ap.add_argument("--skip-generated", action="store_true", help="only the real files")
    ap.add_argument("--files", help="comma-separated: only these of " + ", ".join(m for m, _, _ in FILES))
    ap.add_argument("--json", help="also write every run here")
    args = ap.parse_args(argv)
    jiesu = jiesu_cmd()
    real = real_files(args, jiesu)
    gen = {} if args.skip_generated else generated(args, jiesu)
    print(json.dumps(machine()))
    print(table(real, gen))
    if args.json:
        Path(args.json).write_text(json.dumps({"real": real, "generated": gen}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
