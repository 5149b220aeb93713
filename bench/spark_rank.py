#!/usr/bin/env python3
"""A month's street ranking on Apache Spark (local mode), from `jiesu export --format parquet`.

    python bench/spark_rank.py EXPORT_DIR --month 2025-05 [--store STORE] [--min-cases 5]

Spark reads `EXPORT_DIR/cases` as one Hive-partitioned table and runs the same query the README
gives for DuckDB. With `--store`, the script also runs `jiesu rank --month M --format json` on the
store the export came from and checks that every unit has the same rank, reached count and score
(to 1e-9). Needs pyspark and a Java runtime (17 or newer); jiesu does not depend on either:

    python3 -m venv /work/benchstores/spark-venv
    /work/benchstores/spark-venv/bin/pip install pyspark
    /work/benchstores/spark-venv/bin/python bench/spark_rank.py /work/benchstores/city/parquet-100000 \\
        --month 2025-05 --store /work/benchstores/city/single-100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

QUERY = """
SELECT unit, score, reached, rank() OVER (ORDER BY round(score, 9) DESC) AS rank
FROM (
  SELECT assess_street AS unit, 100 * avg(assess_value) AS score, count(*) AS reached
  FROM cases
  WHERE assess_month = '{month}' AND assess_street IS NOT NULL AND assess_reached
  GROUP BY assess_street
  HAVING count(*) >= {min_cases}
) ORDER BY rank, unit
"""


def jiesu_ranking(store: Path, month: str) -> list[dict]:
    jiesu = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "jiesu"
    meta = json.loads((store / ".jiesu" / "bench.json").read_text()) if (store / ".jiesu" / "bench.json").exists() else {}
    env = dict(os.environ, JIESU_STORE=str(store), JIESU_NOW=meta.get("now", "2025-06-30T17:00:00+08:00"))
    out = subprocess.run([str(jiesu), "rank", "--month", month, "--format", "json"], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)["ranked"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", type=Path)
    ap.add_argument("--month", required=True)
    ap.add_argument("--min-cases", type=int, default=5)
    ap.add_argument("--store", type=Path, help="the store the export came from: compare with jiesu's own ranking")
    args = ap.parse_args(argv)

    from pyspark.sql import SparkSession

    t0 = time.perf_counter()
    spark = (SparkSession.builder.master("local[*]").appName("jiesu-rank")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter() - t0
    t1 = time.perf_counter()
    spark.read.parquet(str(args.export / "cases")).createOrReplaceTempView("cases")
    rows = [r.asDict() for r in spark.sql(QUERY.format(month=args.month, min_cases=args.min_cases)).collect()]
    queried = time.perf_counter() - t1
    count = spark.sql("SELECT count(*) AS n FROM cases").collect()[0]["n"]
    print(f"Spark {spark.version}: {count:,} cases; session {started:.1f} s, read + ranking query {queried:.1f} s; "
          f"{len(rows)} ranked units in {args.month}")
    for row in rows[:5]:
        print(f"  {row['rank']:>4}  {row['unit']:<32} {row['score']:7.2f}  n={row['reached']}")
    spark.stop()
    if args.store:
        ours = {r["unit"]: r for r in jiesu_ranking(args.store, args.month)}
        theirs = {r["unit"]: r for r in rows}
        same = set(ours) == set(theirs) and all(
            ours[u]["rank"] == theirs[u]["rank"] and ours[u]["reached"] == theirs[u]["reached"]
            and abs(ours[u]["score"] - theirs[u]["score"]) < 1e-9 for u in ours)
        print(f"jiesu rank --month {args.month}: {len(ours)} ranked units; "
              + ("Spark's ranking is the same (units, ranks, reached counts, scores)" if same else "DIFFERENT from Spark's"))
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
