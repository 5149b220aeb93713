#!/usr/bin/env python3
"""Time jiesu's commands on synthetic stores of several sizes and print a table of medians.

    python bench/run.py [--sizes 1000,100000] [--stores /work/benchstores] [--repeat N] [--json OUT]

For each size the store `<stores>/bench-<N>-<history>` is generated if missing (bench/generate.py;
full history up to 100,000 cases, batched above). Every scenario runs the installed `jiesu`
command line as a real subprocess with JIESU_STORE, JIESU_ACTOR and a fixed JIESU_NOW (the
store's own "now"), N times, and reports the median wall time and the peak resident memory
(`ru_maxrss` of the command and the children it waited for, from wait4).

Reading scenarios run on the generated store; writing scenarios on a fresh copy made with
`cp -a` (work tree, .git with its pack and commit-graph, .jiesu with the warm index), removed
afterwards, so generated stores stay reusable. `rank` and `report` are measured once
`jiesu --help` lists them, and shown as "n/a (not built yet)" until then.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = "2025-06-30T17:00:00+08:00"

# (key, label, command builder) — builders get (ctx) and return the argument list after `jiesu`
READS = [
    ("show", "show ID"),
    ("list", "list --status accepted"),
    ("overdue", "overdue"),
    ("rank", "rank --month M"),
    ("report", "report daily --date D --format html"),
    ("log", "log ID"),
    ("theme_show", "theme show ID"),
    ("theme_report", "report theme ID --format html"),
    ("stats", "stats --by category --month M"),
    ("hotspots", "hotspots"),
]
WORKFLOW = ("intake", "assign", "accept", "close", "evaluate")
# the read after another process wrote one case, alternated with the writes (`paired_writes`)
AFTER_WRITE = "list --limit 1 after one change"
# the index refresh alone, timed inside the process (no interpreter start-up, no query)
REFRESH = ("import sys, time\nfrom jiesu.store import Store\nfrom jiesu.index import Index\n"
           "s = Store(sys.argv[1]); t = time.perf_counter(); Index(s).connect().close()\n"
           "print(time.perf_counter() - t)\n")


def jiesu_cmd() -> list[str]:
    script = Path(sys.executable).parent / "jiesu"
    return [str(script)] if script.exists() else [sys.executable, "-m", "jiesu"]


MEM_LIMIT_MB = 0  # address-space limit for measured commands (0: none), so a runaway command fails alone


def _limit():
    if MEM_LIMIT_MB:
        import resource

        cap = MEM_LIMIT_MB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


TIME = Path("/usr/bin/time")  # GNU time: the command's own peak memory, see run_timed


def run_timed(argv, env, cwd=None, capture=False, sample_tree=False) -> dict:
    """Run one command; wall seconds, peak RSS in MB and user + system CPU seconds, the load
    average before and after, optionally the sampled RSS of the whole tree.

    The peak comes from GNU time's `wait4` when it is installed: a process forked from this one
    keeps this process's own peak across `exec` (Linux carries the old memory's high-water mark
    into the new program's `ru_maxrss`), so a direct `wait4` would report at least this bench's
    size — 200 MB after listing a million-case tree. time's small process is the one that forks."""
    peak_tree = [0]
    load_before = os.getloadavg()[0]
    report = tempfile.NamedTemporaryFile("r", prefix="jiesu-bench-", suffix=".time") if TIME.exists() else None
    launch = [str(TIME), "-o", report.name, "-f", "%M %U %S"] if report else []
    start = time.perf_counter()
    proc = subprocess.Popen(launch + argv, env=env, cwd=cwd, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, preexec_fn=_limit if MEM_LIMIT_MB else None)
    stop = threading.Event()
    if sample_tree:
        def sample():
            while not stop.is_set():
                peak_tree[0] = max(peak_tree[0], _tree_rss(proc.pid))
                stop.wait(0.05)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    out = proc.stdout.read() if capture else b""
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stop.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_kb, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime  # user + system of the command and its children
    if report:
        with report:
            last = (report.read().strip().splitlines() or [""])[-1].split()
        if len(last) == 3:
            rss_kb, cpu = int(last[0]), float(last[1]) + float(last[2])
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[-6:])} failed ({proc.returncode}): {err.decode(errors='replace').strip()[:500]}")
    result = {"seconds": seconds, "rss_mb": rss_kb / 1024, "stdout": out.decode("utf-8", "replace"), "cpu_s": cpu,
              "load": (load_before, os.getloadavg()[0])}
    if sample_tree:
        result["tree_rss_mb"] = peak_tree[0] / 1024
    return result


def _tree_rss(pid: int) -> int:
    """Sum of VmRSS (kB) of `pid` and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def wait_for_history(root: Path, limit: float = 3600) -> float | None:
    """Seconds until the index's table of commits per case is filled (a large cold build leaves it
    to a process in the background, jiesu.index.backfill); None if it was not within `limit`."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        try:
            db = sqlite3.connect(root / ".jiesu" / "index.sqlite", timeout=60)
            try:
                if db.execute("SELECT value FROM meta WHERE key = 'log_head'").fetchone()[0]:
                    return time.perf_counter() - start
            finally:
                db.close()
        except (sqlite3.Error, TypeError):
            pass
        time.sleep(0.2)
    return None


def _stored(column: str) -> str:
    """SQL for the bytes a value of `column` takes in a row."""
    return (f"CASE typeof({column}) WHEN 'null' THEN 0 WHEN 'real' THEN 8 WHEN 'integer' THEN CASE "
            f"WHEN {column} IN (0, 1) THEN 0 WHEN {column} BETWEEN -128 AND 127 THEN 1 "
            f"WHEN {column} BETWEEN -32768 AND 32767 THEN 2 WHEN {column} BETWEEN -8388608 AND 8388607 THEN 3 "
            f"WHEN {column} BETWEEN -2147483648 AND 2147483647 THEN 4 "
            f"WHEN {column} BETWEEN -140737488355328 AND 140737488355327 THEN 6 ELSE 8 END "
            f"ELSE length(CAST({column} AS BLOB)) END")


def index_bytes(root: Path) -> dict:
    """The index file's size and the bytes each table and index takes (SQLite's dbstat)."""
    path = root / ".jiesu" / "index.sqlite"
    out = {"file": path.stat().st_size}
    db = sqlite3.connect(path)
    try:
        out["cases"] = db.execute("SELECT count(*) FROM cases").fetchone()[0]
        out["parts"] = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"))
        # the table of the rows (`case_rows` from format 24 on, `cases` before), and the bytes each
        # column's values take in it (SQLite's record format: 0/1 take none, other integers 1–8)
        table = "case_rows" if db.execute("SELECT 1 FROM sqlite_schema WHERE name = 'case_rows'").fetchone() else "cases"
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        out["columns"] = dict(zip(columns, db.execute(
            "SELECT " + ", ".join(f"coalesce(sum({_stored(c)}), 0)" for c in columns) + f" FROM {table}").fetchone()))
    except sqlite3.Error:
        pass
    finally:
        db.close()
    return out


class Bench:
    def __init__(self, args):
        self.args = args
        self.jiesu = jiesu_cmd()
        self.available = self.commands()
        self.results: dict = {}

    def commands(self) -> set[str]:
        out = subprocess.run(self.jiesu + ["--help"], capture_output=True, text=True).stdout
        return {m.group(1) for m in re.finditer(r"^\s{2}([a-z][a-z-]+)\s", out, re.M)}

    def env(self, root: Path, now: str, actor: str = "bench-op") -> dict:
        env = dict(os.environ, JIESU_STORE=str(root), JIESU_ACTOR=actor, JIESU_NOW=now)
        env.pop("JIESU_INTERACTIVE", None)
        return env

    # --- stores ----------------------------------------------------------------------------
    def store(self, size: int) -> Path:
        history = self.args.history or ("full" if size <= 100_000 else "batched")
        root = Path(self.args.stores) / f"bench-{size}-{history}"
        if not (root / ".jiesu" / "bench.json").exists():
            if root.exists():
                shutil.rmtree(root)
            print(f"generating {root} ({size:,} cases, {history} history)…", file=sys.stderr, flush=True)
            env = dict(os.environ, JIESU_NOW=self.args.now)
            subprocess.run([sys.executable, str(HERE / "generate.py"), str(root), "--cases", str(size),
                            "--history", history], env=env, check=True, stdout=subprocess.DEVNULL)
        return root

    # --- scenarios -------------------------------------------------------------------------
    def runs(self, reps: int, argv_for, env, **kw) -> list:
        """`reps` timed runs; a failing command is recorded once and not repeated."""
        out = []
        for i in range(reps):
            try:
                out.append(run_timed(self.jiesu + argv_for(i), env, **kw))
            except RuntimeError as exc:
                return [{"error": str(exc)}]
        return out

    def measure(self, size: int) -> dict:
        root = self.store(size)
        meta = json.loads((root / ".jiesu" / "bench.json").read_text())
        now = meta["now"]
        res: dict = {"meta": meta, "scenarios": {}}
        sc = res["scenarios"]
        rng = random.Random(size)
        reps = self.args.repeat
        env = self.env(root, now)
        say = lambda text: print(f"[{size:,}] {text}", file=sys.stderr, flush=True)  # noqa: E731

        say("cold index build")
        cold = ["list", "--limit", "1"] if size <= 100_000 else ["list", "--status", "received", "--limit", "1"]
        res["cold_command"] = " ".join(cold)

        def cold_run(i):
            if i:  # the build before left its history fill running in the background: not beside this one
                wait_for_history(root)
            (root / ".jiesu" / "index.sqlite").unlink(missing_ok=True)
            return cold
        sc["cold"] = self.runs(self.args.cold_repeat, cold_run, env, sample_tree=True)
        say("history table filled in the background")
        res["history_fill_seconds"] = wait_for_history(root)
        res["index_bytes"] = index_bytes(root)
        run_timed(self.jiesu + ["list", "--status", "received", "--limit", "1"], env)  # warm

        ids = self.sample_ids(root, rng, reps, now)
        now_dt = datetime.fromisoformat(now)
        month = (now_dt.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        day = (now_dt - timedelta(days=1)).strftime("%Y-%m-%d")
        commands = {
            "show": lambda i: ["show", ids["show"][i]],
            "list": lambda i: ["list", "--status", "accepted"],
            "overdue": lambda i: ["overdue"],
            "rank": lambda i: ["rank", "--month", month],
            "report": lambda i: ["report", "daily", "--date", day, "--format", "html"],
            "log": lambda i: ["log", ids["log"][i]],
            "theme_show": lambda i: ["theme", "show", theme_id],
            "theme_report": lambda i: ["report", "theme", theme_id, "--format", "html"],
            "stats": lambda i: ["stats", "--by", "category", "--month", month],
            "hotspots": lambda i: ["hotspots"],
        }
        theme_id = self.theme(root, env, now_dt) if "theme" in self.available else None
        for key, label in READS:
            if key in ("rank", "report", "stats", "hotspots") and key not in self.available or key.startswith("theme") and theme_id is None:
                sc[key] = "n/a"
                continue
            say(label)
            sc[key] = self.runs(reps, commands[key], env)
        sc["refresh_python"] = []
        sc["refresh_list"] = []
        say("index refresh, nothing changed")
        sc["refresh_idle"] = []
        for i in range(reps):
            r = run_timed([sys.executable, "-c", REFRESH, str(root)], env, capture=True)
            r["inner_seconds"] = float(r["stdout"].strip())
            sc["refresh_idle"].append(r)
        if size > self.args.writes_max:
            for key in ("intake", "workflow", "refresh_python", "refresh_list"):
                sc[key] = "skipped"
            return self.clean(res)

        say("copy for the write benchmarks (cp -a)")
        work = self.work_copy(root, res)
        try:
            wenv = self.env(work, now)
            say("intake")
            sc["intake"] = []
            for i in range(reps):
                sc["intake"].append(run_timed(self.jiesu + self.intake_args(rng), wenv, capture=True))
            say("workflow")
            sc["workflow"] = [self.flow(work, now, rng) for i in range(reps)]
            say("index refresh after one change")
            for i in range(reps):
                case_id = ids["show"][i]
                run_timed(self.jiesu + ["note", case_id, f"bench note {i}"], wenv)
                r = run_timed([sys.executable, "-c", REFRESH, str(work)], wenv, capture=True)
                r["inner_seconds"] = float(r["stdout"].strip())
                sc["refresh_python"].append(r)
                run_timed(self.jiesu + ["note", case_id, f"bench note {i}b"], wenv)
                sc["refresh_list"].append(run_timed(self.jiesu + ["list", "--limit", "1"], wenv))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return self.clean(res)

    def work_copy(self, root: Path, res: dict) -> Path:
        """A copy of a store for writing (`ROOT.work`), its git index as a real store's is."""
        work = Path(str(root) + ".work")
        if work.exists():
            shutil.rmtree(work)
        t = time.perf_counter()
        subprocess.run(["cp", "-a", str(root), str(work)], check=True)
        subprocess.run(["sync"], check=False)  # the copy on disk before the writes are timed, not behind them
        res["copy_seconds"] = time.perf_counter() - t
        # a copy has new inodes and ctimes: let git re-validate its index once, as a real store's is
        t = time.perf_counter()
        subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=work, check=False)
        # the refresh puts every entry into the split index's own part (6.4 MB at 100,000 files, read
        # by every later git command); push them back to the shared index, as a real store's is
        subprocess.run(["git", "update-index", "--split-index"], cwd=work, check=False)
        res["git_refresh_seconds"] = time.perf_counter() - t
        return work

    def flow(self, work: Path, now: str, rng) -> dict:
        """One case through the five writing commands, each timed."""
        wenv = self.env(work, now)
        flow = {}
        r = run_timed(self.jiesu + self.intake_args(rng), wenv, capture=True)
        case_id = r["stdout"].split()[0]
        flow["intake"], flow["case"] = r, case_id
        flow["assign"] = run_timed(self.jiesu + ["assign", case_id], wenv)
        flow["accept"] = run_timed(self.jiesu + ["accept", case_id], self.env(work, now, "eternal-town"))
        flow["close"] = run_timed(self.jiesu + ["close", case_id, "--resolved", "--summary", "Cleared on site"],
                                  self.env(work, now, "eternal-town"))
        flow["evaluate"] = run_timed(self.jiesu + ["evaluate", case_id, "--reached", "--contacted", "--resolved",
                                                   "--satisfaction", "satisfied"], self.env(work, now, "callback-201"))
        return flow

    def paired_writes(self, small: int, big: int, rounds: int) -> dict:
        """The five writing commands on copies of two stores, a round on each in turn (the order
        swapped every round), so that the machine's drift falls on both alike: {size: [flow]}."""
        roots = {size: self.store(size) for size in (small, big)}
        nows = {size: json.loads((root / ".jiesu" / "bench.json").read_text())["now"] for size, root in roots.items()}
        works: dict = {}
        out: dict = {small: [], big: []}
        try:
            for size, root in roots.items():
                print(f"[paired] copy of the {size:,}-case store (cp -a)", file=sys.stderr, flush=True)
                works[size] = self.work_copy(root, {})
                run_timed(self.jiesu + ["list", "--limit", "1"], self.env(works[size], nows[size]))  # warm
            rng = random.Random(7)
            for i in range(rounds):
                for size in ((small, big) if i % 2 == 0 else (big, small)):
                    flow = self.flow(works[size], nows[size], rng)
                    # another process writes one case (untimed), then a read refreshes the index
                    wenv = self.env(works[size], nows[size])
                    run_timed(self.jiesu + ["note", flow["case"], f"bench note {i}"], wenv)
                    flow[AFTER_WRITE] = run_timed(self.jiesu + ["list", "--limit", "1"], wenv)
                    out[size].append(flow)
        finally:
            for work in works.values():
                shutil.rmtree(work, ignore_errors=True)
        return out

    @staticmethod
    def clean(res: dict) -> dict:
        for runs in res["scenarios"].values():
            if isinstance(runs, list):
                for r in runs:
                    for x in (r.values() if "seconds" not in r and "error" not in r else [r]):
                        if isinstance(x, dict):
                            x.pop("stdout", None)
        return res

    def theme(self, root: Path, env: dict, now: datetime) -> str:
        """The store's bench theme (made once, started a month before "now"): garbage in Dragon Gate."""
        found = subprocess.run(self.jiesu + ["theme", "list", "--format", "json"], env=env, capture_output=True, text=True)
        themes = json.loads(found.stdout or "[]")
        if themes:
            return themes[0]["id"]
        at = lambda days: (now - timedelta(days=days)).isoformat()  # noqa: E731
        new = subprocess.run(self.jiesu + ["theme", "new", "--title", "Garbage in Dragon Gate", "--year", str(now.year),
                                           "--lead", "dragon-gate", "--scope", "category=env.garbage",
                                           "--scope", "district=dragon-gate", "--at", at(31)],
                             env=env, capture_output=True, text=True, check=True)
        theme_id = new.stdout.strip()
        subprocess.run(self.jiesu + ["theme", "task", "add", theme_id, "--text", "Inspect", "--due", (now - timedelta(days=5)).date().isoformat(),
                                     "--at", at(30)], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(self.jiesu + ["theme", "start", theme_id, "--at", at(30)], env=env, check=True, stdout=subprocess.DEVNULL)
        return theme_id

    def intake_args(self, rng) -> list[str]:
        return ["intake", "--type", "complaint", "--category", "env.garbage.unregulated-collection",
                "--title", f"Rubbish dumped at the wood factory gate ({rng.randint(1, 999)})",
                "--street", "dragon-gate/eternal-town", "--surname", "王", "--phone", "13800138000"]

    def sample_ids(self, root: Path, rng, count: int, now: str) -> dict:
        """Cases to show (recent months) and to log (a year or more old, so the walk is long)."""
        # from git's tree of HEAD, not the work tree (a store copied for reads may have none)
        listed = subprocess.run(["git", "ls-tree", "-r", "--name-only", "HEAD", "--", "cases/"], cwd=root,
                                capture_output=True, text=True, check=True).stdout.split()
        by_month: dict = {}
        for path in listed:
            if path.endswith(".yaml"):
                by_month.setdefault(path.rsplit("/", 1)[0], []).append(Path(path).stem)
        months = sorted(by_month)
        recent = months[-3:]
        old = months[: max(1, len(months) * 2 // 3)]
        pick = lambda folders: sorted(rng.choice(by_month[rng.choice(folders)]) for _ in range(count))  # noqa: E731
        return {"show": pick(recent), "log": pick(old)}


# --- the table ---------------------------------------------------------------------------------

class Failed(Exception):
    pass


def _ok(runs):
    if runs == "skipped":
        raise Failed("not run")
    for r in runs:
        if isinstance(r, dict) and "error" in r:
            raise Failed(r["error"])
    return runs


def med(runs, field="seconds"):
    runs = _ok(runs)
    return statistics.median(r[field] for r in runs) if runs else None


def peak(runs, field="rss_mb"):
    runs = _ok(runs)
    return max(r.get(field, 0) for r in runs) if runs else None


def fmt_s(seconds):
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def cell(seconds, mb):
    return "—" if seconds is None else f"{fmt_s(seconds)} ({mb:.0f} MB)"


def rows_for(results: dict) -> list[tuple[str, dict]]:
    """(label, {size: (median seconds, peak MB)}) for every scenario."""
    out = []

    def add(label, getter):
        values = {}
        for size, res in results.items():
            try:
                values[size] = getter(res["scenarios"])
            except Failed as exc:
                values[size] = ("failed", str(exc))
        out.append((label, values))

    add("intake", lambda s: (med(s["intake"]), peak(s["intake"])))
    for step in WORKFLOW:
        add(f"workflow: {step}", lambda s, step=step: (med([f[step] for f in _ok(s["workflow"])]),
                                                       peak([f[step] for f in _ok(s["workflow"])])))
    add("workflow: total (5 commands)", lambda s: (statistics.median(sum(f[k]["seconds"] for k in WORKFLOW) for f in _ok(s["workflow"])),
                                                   max(f[k]["rss_mb"] for f in _ok(s["workflow"]) for k in WORKFLOW)))
    for key, label in READS:
        add(label, lambda s, key=key: "n/a" if s[key] == "n/a" else (med(s[key]), peak(s[key])))
    add("index refresh after one change (in-process)", lambda s: (med(s["refresh_python"], "inner_seconds"), peak(s["refresh_python"])))
    add("list --limit 1 after one change", lambda s: (med(s["refresh_list"]), peak(s["refresh_list"])))
    add("index refresh, nothing changed (in-process)", lambda s: (med(s["refresh_idle"], "inner_seconds"), peak(s["refresh_idle"])))
    add("cold index build (list --limit 1)¹", lambda s: (med(s["cold"]), peak(s["cold"], "tree_rss_mb")))
    return out


def extra_rows(results: dict) -> list[tuple[str, dict]]:
    """(label, {size: text}) of the figures that are not timings of one command."""
    fill, size_rows = {}, {}
    for size, res in results.items():
        seconds = res.get("history_fill_seconds")
        fill[size] = "—" if seconds is None and "history_fill_seconds" not in res else (
            "not within the limit" if seconds is None else fmt_s(seconds))
        found = res.get("index_bytes") or {}
        if found.get("file"):
            per_case = found["file"] / max(found.get("cases") or 1, 1)
            size_rows[size] = f"{found['file'] / 1e6:,.0f} MB ({per_case:,.0f} B a case)"
    return [("history table filled in the background, after the cold build²", fill), ("index file", size_rows)]


def verdicts(label: str, values: dict) -> str:
    """Which targets of the issue apply to this row, and whether they are met."""
    def at(size):
        v = values.get(size)
        return None if v in (None, "n/a") or v[0] == "failed" else v

    notes = []

    def check(ok, text):
        notes.append(f"{'met' if ok else '**missed**'}: {text}")

    small, big, huge = at(1000), at(100_000), at(1_000_000)
    if label.startswith("workflow") or label == "intake":
        if small and big:
            ratio = big[0] / small[0]
            check(ratio <= 1.5, f"100k/1k = {ratio:.2f}× (≤ 1.5×)")
    if label == "intake" and big:
        check(big[0] <= 0.3, f"{fmt_s(big[0])} at 100k (≤ 300 ms)")
    if label.split()[0] in ("list", "overdue", "rank", "report", "theme") and "after" not in label:
        if big:
            check(big[0] <= 1.0, f"{fmt_s(big[0])} at 100k (≤ 1 s)")
        if huge:
            check(huge[0] <= 4.0, f"{fmt_s(huge[0])} at 1M (≤ 4 s)")
            check(huge[1] <= 500, f"{huge[1]:.0f} MB at 1M (≤ 500 MB)")
    if label.split()[0] in ("stats", "hotspots"):
        if big:
            check(big[0] <= 1.0, f"{fmt_s(big[0])} at 100k (≤ 1 s)")
        if huge:
            check(huge[0] <= 3.0, f"{fmt_s(huge[0])} at 1M (≤ 3 s)")
            check(huge[1] <= 500, f"{huge[1]:.0f} MB at 1M (≤ 500 MB)")
    if label.startswith("index refresh") and big:
        check(big[0] <= 0.3, f"{fmt_s(big[0])} at 100k (≤ 0.3 s)")
    if label.startswith("cold") and big:
        check(big[0] <= 20, f"{fmt_s(big[0])} at 100k (≤ 20 s)")
    if label.startswith("cold") and huge:
        check(huge[0] <= 240, f"{fmt_s(huge[0])} at 1M (≤ 240 s)")
        check(huge[1] <= 1536, f"{huge[1]:,.0f} MB at 1M (≤ 1.5 GB)")
    if (label.startswith("workflow:") and "total" not in label or label == "intake") and small and big:
        ratio = big[0] / small[0]
        check(ratio <= 1.2, f"100k/1k = {ratio:.2f}× (≤ 1.2×)")
    if label == "intake" and big:
        check(big[0] <= 0.2, f"{fmt_s(big[0])} at 100k (≤ 200 ms)")
    if label == "list --limit 1 after one change" and small and big:
        ratio = big[0] / small[0]
        check(ratio <= 1.3, f"100k/1k = {ratio:.2f}× (≤ 1.3×)")
    if label.startswith("log") and big:
        check(big[0] <= 0.3, f"{fmt_s(big[0])} at 100k (≤ 0.3 s)")
        if big[1] is not None:
            check(big[1] <= 100, f"{big[1]:.0f} MB at 100k (≤ 100 MB)")
    if any(v == "n/a" for v in values.values()):
        return "n/a (not built yet)"
    for size, v in values.items():
        if v not in (None, "n/a") and v[0] == "failed" and v[1] != "not run":
            notes.append(f"**failed** at {size:,}")
    return "; ".join(notes)


def table(results: dict) -> str:
    sizes = sorted(results)
    head = "| scenario | " + " | ".join(f"{s:,} cases" for s in sizes) + " | targets |"
    lines = [head, "|---" * (len(sizes) + 2) + "|"]
    for label, values in rows_for(results):
        cells = []
        for s in sizes:
            v = values.get(s)
            if v == "n/a":
                cells.append("n/a (not built yet)")
            elif v and v[0] == "failed":
                cells.append("not run" if v[1] == "not run" else "failed" + (" (memory limit)" if "MemoryError" in v[1] else ""))
            else:
                cells.append(cell(*v) if v else "—")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {verdicts(label, values)} |")
    for label, values in extra_rows(results):
        verdict = ""
        if label == "index file" and 1_000_000 in results and values.get(1_000_000):
            megabytes = results[1_000_000]["index_bytes"]["file"] / 1e6
            verdict = f"{'met' if megabytes <= 600 else '**missed**'}: {megabytes:,.0f} MB at 1M (≤ 600 MB)"
        lines.append(f"| {label} | " + " | ".join(values.get(s, "—") for s in sizes) + f" | {verdict} |")
    gen = []
    for s in sizes:
        m = results[s]["meta"]
        gen.append(f"{m['total_seconds']:.0f} s ({m['history']}, {m['commits']:,} commits)")
    big = results.get(100_000)
    note = ""
    if big:
        ok = big["meta"]["total_seconds"] <= 300
        note = f"{'met' if ok else '**missed**'}: {big['meta']['total_seconds']:.0f} s at 100k (≤ 5 min)"
    lines.append("| generating the store | " + " | ".join(gen) + f" | {note} |")
    return "\n".join(lines)


def paired_table(paired: dict) -> str:
    """The writing commands, and the read after another process wrote, alternated between two
    stores: medians and the ratio of the two."""
    small, big = sorted(paired, key=int)
    lines = [f"| command, alternated ({len(paired[small])} rounds) | {int(small):,} cases | {int(big):,} cases | ratio | target |",
             "|---|---|---|---|---|"]
    for step, limit in [(step, 1.2) for step in WORKFLOW] + [(AFTER_WRITE, 1.3)]:
        if not all(step in f for f in paired[small] + paired[big]):
            continue  # (a run saved before the read was alternated too)
        a = statistics.median(f[step]["seconds"] for f in paired[small])
        b = statistics.median(f[step]["seconds"] for f in paired[big])
        ratio = b / a
        lines.append(f"| {step} | {fmt_s(a)} | {fmt_s(b)} | {ratio:.2f}× | {'met' if ratio <= limit else '**missed**'}: ≤ {limit}× |")
    return "\n".join(lines)


def compile_package() -> str:
    """Compile the measured jiesu's modules ahead, as an installed package has them: where
    PYTHONDONTWRITEBYTECODE is set, every measured command would otherwise compile some ninety
    modules from source (about 0.35 CPU s a command on the 2-core machine)."""
    where = subprocess.run([sys.executable, "-c", "import jiesu, os; print(os.path.dirname(jiesu.__file__))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True, stdout=subprocess.DEVNULL)
    return where


def machine() -> dict:
    def sh(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), platform.processor())
    mem = next((int(ln.split()[1]) // 1024 for ln in open("/proc/meminfo") if ln.startswith("MemTotal")), 0)
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_mb": mem, "python": platform.python_version(),
            "git": sh("git", "--version"), "kernel": platform.release(), "load": os.getloadavg()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,100000", help="comma-separated store sizes (cases)")
    ap.add_argument("--stores", default="/work/benchstores", help="folder of generated stores (outside any repository)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per scenario (the median is shown)")
    ap.add_argument("--cold-repeat", type=int, default=1, help="runs of the cold index build")
    ap.add_argument("--history", choices=("full", "batched"), help="history of stores generated here (default: full up to 100k)")
    ap.add_argument("--now", default=NOW, help=f"JIESU_NOW for stores generated here (default {NOW})")
    ap.add_argument("--writes-max", type=int, default=100_000, help="run the writing scenarios only up to this size")
    ap.add_argument("--paired-rounds", type=int, default=9,
                    help="rounds of the writing commands alternated between the smallest and largest writing sizes (0: none)")
    ap.add_argument("--mem-limit-mb", type=int, default=0, help="address-space limit of each measured command (0: none)")
    ap.add_argument("--json", type=Path, help="write every measurement here")
    args = ap.parse_args(argv)
    global MEM_LIMIT_MB
    MEM_LIMIT_MB = args.mem_limit_mb
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    bench = Bench(args)
    info = machine()
    info["bytecode"] = compile_package()
    print(f"machine: {info['cpus']} × {info['cpu']}, {info['memory_mb'] / 1024:.0f} GB, Python {info['python']}, "
          f"{info['git']}; load {info['load'][0]:.2f}", file=sys.stderr)
    results = {}
    for size in sizes:
        results[size] = bench.measure(size)
    writing = sorted(s for s in sizes if s <= args.writes_max)
    paired = None
    if args.paired_rounds and len(writing) >= 2:
        paired = bench.paired_writes(writing[0], writing[-1], args.paired_rounds)
    info["load_after"] = os.getloadavg()
    print(table(results))
    if paired:
        print("\n" + paired_table(paired))
    print(f"\nmedians of {args.repeat} runs (cold build: {args.cold_repeat}); peak = max RSS of the command "
          f"(cold build: sampled RSS of the command and its workers); load average {info['load'][0]:.2f} → "
          f"{info['load_after'][0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "repeat": args.repeat, "results": {str(k): v for k, v in results.items()},
                                         "paired_writes": {str(k): v for k, v in (paired or {}).items()}},
                                        indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
