"""Faults, races, clocks and tampering: the figures a store must hold, measured on real stores.

    .venv/bin/python bench/adversarial.py                      # everything, the full figures
    .venv/bin/python bench/adversarial.py --only kills --kills 70
    .venv/bin/python bench/adversarial.py --only writers --writers 12 --seconds 60
    .venv/bin/python bench/adversarial.py --only offices --rounds 12
    .venv/bin/python bench/adversarial.py --only tamper

- kills: intake, import, sync, note, close, assign and accept, each run as a real process in its
  own process group and killed (SIGKILL to the group, git included) at a random moment of its
  run. After each kill: the next write (or `verify --repair`, then the write) must succeed, no
  committed event may be lost, no copy of a case file (merge leftovers) may linger, `verify`
  passes and `git status` is clean.
- writers: N processes write to one store for S seconds (intake, assign, accept, close, note,
  with reads between); every write reported done must be in the history exactly once and its
  event in the files; then `git fsck`, `verify`, `git status`.
- offices: three offices share cases through one bare remote, one with its clock 30 days fast;
  rounds of writes and syncs in random order; no sync conflict, no write refused for its time,
  no event lost, and all three end with the same events.
- tamper: the nineteen tamperings of tests/tamperings.py, each detected with its restore hint.

Stores go to a temporary folder (or `--dir`); nothing here is part of the test suite, which runs
short versions (tests/test_leftovers.py, test_concurrency.py, test_offices.py, test_tamper.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NYC = REPO.parent / "shared" / "data" / "nyc311" / "nyc311_2014-2019_random1k.csv"
GARBAGE = "env.garbage.unregulated-collection"
ETERNAL = "dragon-gate/eternal-town"


def env_for(root: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "JIESU_"))}
    env.update(JIESU_STORE=str(root), JIESU_ACTOR="operator", JIESU_LOCK_TIMEOUT="60", **extra)
    return env


def jiesu(root: Path, *args, input_text: str | None = None, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jiesu", *map(str, args)], env=env_for(root, **extra),
                          capture_output=True, text=True, check=False, input=input_text)


def must(root: Path, *args, input_text: str | None = None, **extra) -> str:
    proc = jiesu(root, *args, input_text=input_text, **extra)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed in {root}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def git(root: Path, *args, check=True) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=check, env=env).stdout


def event_ids(root: Path) -> dict[str, set]:
    """{case file: event ids} as committed at HEAD."""
    sys.path.insert(0, str(REPO))
    from jiesu.store import yamlio

    out = {}
    for name in git(root, "ls-tree", "-r", "--name-only", "HEAD", "--", "cases/").split():
        if name.endswith(".yaml"):
            case = yamlio.load(git(root, "show", f"HEAD:{name}"), name)
            out[name] = {e["id"] for e in case.get("events") or []}
    return out


def intake_args(title: str, phone: str | None = None) -> list[str]:
    argv = ["intake", "--type", "complaint", "--category", GARBAGE, "--title", title, "--street", ETERNAL]
    if phone:
        argv += ["--surname", "Li", "--name", "Li Xiaoming", "--phone", phone]
    return argv


def new_store(folder: Path, name: str, remote: Path | None = None, office: str = "HL") -> Path:
    root = folder / name
    if remote is None:
        proc = subprocess.run([sys.executable, "-m", "jiesu", "init", str(root), "--office", office],
                              env=env_for(folder), capture_output=True, text=True, check=False)
    else:
        proc = subprocess.run([sys.executable, "-m", "jiesu", "init", str(root), "--clone", str(remote), "--office", office],
                              env=env_for(folder), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return root


# --- kills ------------------------------------------------------------------------------------

class Kills:
    """Kill commands at random moments; check the store after each."""

    COMMANDS = ("intake", "import", "sync", "note", "close", "assign", "accept")

    def __init__(self, folder: Path, rng: random.Random):
        self.rng = rng
        self.remote = folder / "kills-remote.git"
        subprocess.run(["git", "init", "-q", "--bare", str(self.remote)], check=True)
        self.root = new_store(folder, "kills-hl")
        git(self.root, "remote", "add", "origin", str(self.remote))
        must(self.root, "sync")
        self.other = new_store(folder, "kills-xc", self.remote, "XC")
        self.shared = must(self.root, *intake_args("Shared lamp", "13912345678"))
        must(self.root, "assign", self.shared, ETERNAL)
        must(self.root, "sync")
        must(self.other, "sync")
        self.csv_rows = NYC.read_text("utf-8-sig").splitlines() if NYC.exists() else []
        self.slice = 0
        self.folder = folder
        self.durations: dict = {}
        self.stats = {c: {"kills": 0, "finished": 0, "next_write_ok": 0, "needed_repair": 0} for c in self.COMMANDS}
        self.lost = 0
        self.lingering = 0
        self.unwritable = 0
        self.dirty = 0
        self.verify_failed = 0
        self.tracebacks = 0

    def prepare(self, command: str) -> list[str]:
        """The command line to kill, after the set-up it needs (never killed)."""
        if command == "intake":
            return intake_args(f"Lamp {self.rng.random():.6f}", "139" + str(self.rng.randrange(10**8)).zfill(8))
        if command == "import":
            if not self.csv_rows:
                return intake_args("Import stand-in")
            self.slice += 1
            rows = self.csv_rows[1 + 20 * (self.slice % 45): 1 + 20 * (self.slice % 45) + 20]
            path = self.folder / f"slice{self.slice}.csv"
            path.write_text("\n".join([self.csv_rows[0], *rows]) + "\n", "utf-8")
            return ["import", str(path), "--mapping", "nyc311", "--batch", "5"]
        if command == "sync":
            must(self.other, "note", self.shared, f"from XC {self.rng.random():.6f}")
            must(self.other, "sync")
            must(self.root, "note", self.shared, f"from HL {self.rng.random():.6f}")
            return ["sync"]
        if command == "note":
            return ["note", self.shared, f"note {self.rng.random():.6f}"]
        case = must(self.root, *intake_args(f"Chain {self.rng.random():.6f}", "13800001111"))
        if command == "assign":
            return ["assign", case, ETERNAL]
        must(self.root, "assign", case, ETERNAL)
        if command == "accept":
            return ["accept", case]
        must(self.root, "accept", case)
        return ["close", case, "--resolved", "--summary", "Fixed"]

    def once(self, command: str) -> bool:
        """Run `command` and kill it at a random moment; True when the kill landed."""
        argv = self.prepare(command)
        before = event_ids(self.root)
        duration = self.durations.get(command)
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "jiesu", *argv], env=env_for(self.root), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if duration is None:
            err = proc.communicate()[1].decode()
            self.durations[command] = time.monotonic() - started
            self.tracebacks += "Traceback" in err
            self.stats[command]["finished"] += 1
            return False
        time.sleep(self.rng.uniform(0.35, 1.0) * duration)  # after start-up, mostly
        killed = proc.poll() is None
        if killed:
            os.killpg(proc.pid, signal.SIGKILL)
        err = proc.communicate()[1].decode()
        self.tracebacks += "Traceback" in err
        self.stats[command]["kills" if killed else "finished"] += 1
        self.check(before, command)
        return killed

    def check(self, before: dict, command: str) -> None:
        nxt = jiesu(self.root, "note", self.shared, "after the kill")
        self.tracebacks += "Traceback" in nxt.stderr
        if nxt.returncode == 0:
            self.stats[command]["next_write_ok"] += 1
        else:
            self.stats[command]["needed_repair"] += 1
            jiesu(self.root, "verify", "--repair")
            if jiesu(self.root, "note", self.shared, "after the repair").returncode != 0:
                self.unwritable += 1
        after = event_ids(self.root)
        self.lost += sum(len(ids - after.get(path, set())) for path, ids in before.items())
        self.lingering += len(list(self.root.glob(".merge_file_*"))) + len(list(self.root.glob("..merge_file_*")))
        self.dirty += bool(git(self.root, "status", "--porcelain", "--untracked-files=all").strip())
        self.dirty += bool(git(self.root / "private", "status", "--porcelain", "--untracked-files=all").strip())
        self.verify_failed += jiesu(self.root, "verify").returncode != 0

    def run(self, total: int) -> dict:
        landed = 0
        for command in self.COMMANDS:  # a first, unkilled run of each measures how long it takes
            self.once(command)
        while landed < total:
            command = self.COMMANDS[landed % len(self.COMMANDS)]
            landed += self.once(command)
        return {"kills": landed, "by_command": self.stats, "committed_events_lost": self.lost,
                "stores_unwritable_after_repair": self.unwritable, "lingering_case_copies": self.lingering,
                "dirty_after": self.dirty, "verify_failed_after": self.verify_failed, "tracebacks": self.tracebacks}


# --- parallel writers ---------------------------------------------------------------------------

def writer(root: str, worker: int, seconds: float, pool: list[str], out: str, ops: int = 0) -> None:
    """One writer: random writes (and reads) on `pool` until the time is up (or, with `ops`,
    that many operations are done); results to `out`."""
    from click.testing import CliRunner

    from jiesu.cli import cli

    rng = random.Random(worker)
    deadline = time.monotonic() + seconds
    results, n = [], 0
    while (n < ops) if ops else (time.monotonic() < deadline):
        n += 1
        actor = f"w{worker}-{n:04d}"
        kind = rng.choices(["intake", "assign", "accept", "close", "note", "list"], [20, 20, 20, 10, 20, 10])[0]
        case = rng.choice(pool)
        argv = ["--store", root, "--as", actor]
        argv += {"intake": intake_args(f"Request {actor}"), "assign": ["assign", case, ETERNAL], "accept": ["accept", case],
                 "close": ["close", case, "--resolved", "--summary", f"Done by {actor}"], "note": ["note", case, f"by {actor}"],
                 "list": ["list", "--format", "json"]}[kind]
        result = CliRunner().invoke(cli, argv, catch_exceptions=True)
        crashed = bool(result.exception and not isinstance(result.exception, SystemExit))
        results.append({"actor": actor, "action": kind, "code": result.exit_code, "crash": crashed,
                        "stdout": result.stdout[:200], "stderr": result.stderr[:300]})
    Path(out).write_text(json.dumps(results))


def writers(folder: Path, count: int, seconds: float, ops: int = 0) -> dict:
    root = new_store(folder, "writers")
    pool = must(root, "--as", "setup", "intake", "--from", "-", input_text="\n".join(
        f"- {{type: complaint, category: {GARBAGE}, title: Pool {i}, street: {ETERNAL}}}" for i in range(20))).split()
    procs = []
    for w in range(count):
        out = folder / f"writer{w}.json"
        code = f"import sys; sys.path.insert(0, {str(REPO / 'bench')!r}); import adversarial; " \
               f"adversarial.writer({str(root)!r}, {w}, {seconds}, {pool!r}, {str(out)!r}, {ops})"
        procs.append(subprocess.Popen([sys.executable, "-c", code], env=env_for(root)))
    for p in procs:
        p.wait()
    results = [r for w in range(count) for r in json.loads((folder / f"writer{w}.json").read_text())]
    log = git(root, "log", "--format=%x1e%B")
    committed: dict = {}
    for chunk in log.split("\x1e")[1:]:
        for line in chunk.splitlines():
            if line.startswith("Jiesu-Actor: "):
                committed[line.split(": ", 1)[1]] = committed.get(line.split(": ", 1)[1], 0) + 1
    sys.path.insert(0, str(REPO))
    from jiesu.store import Store

    store = Store(root)
    by_actor: dict = {}
    for path in (root / "cases").rglob("*.yaml"):
        for e in store.load_case(path.stem).get("events") or []:
            by_actor[e["by"]] = by_actor.get(e["by"], 0) + 1
    writes = [r for r in results if r["action"] != "list"]
    done = [r for r in writes if r["code"] == 0]
    lost = [r["actor"] for r in done if committed.get(r["actor"]) != 1 or not by_actor.get(r["actor"])]
    ghost = [r["actor"] for r in writes if r["code"] != 0 and committed.get(r["actor"])]
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=root, capture_output=True, text=True)
    return {"writers": count, "seconds": seconds, "writes": len(writes), "committed": len(done),
            "refused": len(writes) - len(done), "reads": len(results) - len(writes), "lost": len(lost),
            "refused_but_committed": len(ghost), "crashes": sum(r["crash"] for r in results),
            "fsck_ok": fsck.returncode == 0, "verify_ok": jiesu(root, "verify").returncode == 0,
            "git_status_clean": git(root, "status", "--porcelain", "--untracked-files=all") == ""}


# --- three offices, one fast clock -------------------------------------------------------------

def offices(folder: Path, rounds: int, rng: random.Random) -> dict:
    remote = folder / "offices-remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    hl = new_store(folder, "office-hl")
    git(hl, "remote", "add", "origin", str(remote))
    shared = [must(hl, *intake_args(f"Shared {i}")) for i in range(6)]
    must(hl, "sync")
    xc = new_store(folder, "office-xc", remote, "XC")
    dx = new_store(folder, "office-dx", remote, "DX")
    fast = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat(timespec="seconds")
    clocks = {hl: {}, xc: {}, dx: {"JIESU_NOW": fast}}
    seen: set = set()
    conflicts = blocked = refused = writes = syncs = tracebacks = 0
    for _ in range(rounds):
        for root in rng.sample([hl, xc, dx], 3):
            extra = clocks[root]
            if root is dx:  # the fast clock ticks on
                extra["JIESU_NOW"] = (datetime.fromisoformat(extra["JIESU_NOW"]) + timedelta(seconds=7)).isoformat()
            for _ in range(3):
                case = rng.choice(shared)
                argv = rng.choice([["note", case, f"{root.name} {rng.random():.5f}"], ["assign", case, ETERNAL],
                                   ["accept", case], ["contact", case, "--note", "called"]])
                proc = jiesu(root, *argv, **extra)
                writes += 1
                tracebacks += "Traceback" in proc.stderr
                if proc.returncode != 0:
                    refused += 1
                    blocked += "before the case's last event" in proc.stderr or "in the future" in proc.stderr
            for ids in event_ids(root).values():
                seen |= ids
            proc = jiesu(root, "sync", **extra)
            syncs += 1
            tracebacks += "Traceback" in proc.stderr
            conflicts += proc.returncode != 0
    for _ in range(2):
        for root in (hl, xc, dx):
            conflicts += jiesu(root, "sync", **clocks[root]).returncode != 0
    finals = [event_ids(root) for root in (hl, xc, dx)]
    union = set().union(*(ids for f in finals for ids in f.values()))
    verify_ok = all(jiesu(root, "verify", **clocks[root]).returncode == 0 for root in (hl, xc, dx))
    ahead = jiesu(hl, "verify").stdout.count("ahead of the time it arrived")
    return {"offices": 3, "fast_clock_days": 30, "rounds": rounds, "writes": writes, "refused_by_the_state_machine": refused - blocked,
            "blocked_by_time": blocked, "syncs": syncs, "sync_conflicts": conflicts, "events_lost": len(seen - union),
            "converged": finals[0] == finals[1] == finals[2], "verify_ok": verify_ok,
            "fast_events_reported_by_verify_at_hl": ahead, "tracebacks": tracebacks}


# --- tampering ----------------------------------------------------------------------------------

def tamper(folder: Path) -> dict:
    import shutil

    sys.path.insert(0, str(REPO / "tests"))
    sys.path.insert(0, str(REPO))
    import tamperings

    env = {"JIESU_NOW": "2021-11-10T12:00:00", "JIESU_ACTOR": "operator", "JIESU_LOCK_TIMEOUT": "30"}
    os.environ.update(env)
    base = folder / "tamper-base"
    tamperings.build_base(base / "store", base / "remote.git", env)
    found, rows = 0, []
    for t in tamperings.TAMPERINGS:
        work = folder / f"tamper-{t.__name__}"
        shutil.copytree(base, work, symlinks=True)
        tamperings.git(work / "store", "remote", "set-url", "origin", str(work / "remote.git"))
        what, detail, hint = t(work / "store")
        said = tamperings.detect(work / "store", t.__name__)
        line = next((ln for ln in said.splitlines() if what in ln), "")
        ok = bool(line) and detail in line and hint in (line + said)
        found += ok
        rows.append({"tampering": t.__name__, "detected_with_hint": ok, "said": line[:300]})
    return {"tamperings": len(tamperings.TAMPERINGS), "detected_with_correct_hint": found, "each": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="kills,writers,offices,tamper", help="comma-separated parts to run")
    ap.add_argument("--kills", type=int, default=70, help="SIGKILLs that must land (spread over seven commands)")
    ap.add_argument("--writers", type=int, default=12, help="parallel writers")
    ap.add_argument("--seconds", type=float, default=60, help="how long the writers write")
    ap.add_argument("--rounds", type=int, default=12, help="rounds of the three offices")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--dir", type=Path, help="keep the stores here (default: a temporary folder)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    parts = args.only.split(",")
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="jiesu-adversarial-") as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for part in parts:
            started = time.monotonic()
            if part == "kills":
                figures[part] = Kills(folder, rng).run(args.kills)
            elif part == "writers":
                figures[part] = writers(folder, args.writers, args.seconds)
            elif part == "offices":
                figures[part] = offices(folder, args.rounds, rng)
            elif part == "tamper":
                figures[part] = tamper(folder)
            else:
                raise SystemExit(f"error: --only: unknown part {part!r}; allowed: kills, writers, offices, tamper")
            figures[part]["took_seconds"] = round(time.monotonic() - started, 1)
            print(f"{part}: {json.dumps({k: v for k, v in figures[part].items() if k != 'each'}, ensure_ascii=False)}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
