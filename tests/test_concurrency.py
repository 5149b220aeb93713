"""Eight processes write to one store at once: each operation is committed exactly once or refused.

Every operation carries its own actor (`w3-17`), so the git history tells which operations were
committed; what each process printed tells which it believes were. The two must agree, no event
may be missing from the final files, ids must be unique, and the store must verify clean.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ETERNAL, GARBAGE, git

from jiesu import ops, verify
from jiesu.store import Store

pytestmark = pytest.mark.slow

WORKERS = 8
WRITES_PER_WORKER = 25
READ_EVERY = 6  # a `list` between writes: readers refresh the index while writers commit
POOL = 40  # cases that exist before the race starts
WORKER = Path(__file__).with_name("concurrency_worker.py")


def plan_for(worker: int, ids: list[str]) -> list[dict]:
    rng = random.Random(worker)
    plan = []
    for n in range(WRITES_PER_WORKER + WRITES_PER_WORKER // READ_EVERY):
        actor = f"w{worker}-{n:02d}"
        kind = "list" if n % (READ_EVERY + 1) == READ_EVERY else rng.choices(["intake", "assign", "accept", "close"], [30, 30, 25, 15])[0]
        case = rng.choice(ids)
        argv = ["--as", actor]
        if kind == "intake":
            case = None
            argv += ["intake", "--type", "complaint", "--category", GARBAGE, "--title", f"Request {actor}", "--street", ETERNAL]
            if rng.random() < 0.3:
                argv += ["--answered", "Told them on the call"]
        elif kind == "assign":
            argv += ["assign", case, ETERNAL]
        elif kind == "accept":
            argv += ["accept", case]
        elif kind == "close":
            argv += ["close", case, "--resolved", "--summary", f"Done by {actor}"]
        else:
            case = None
            argv += ["list", "--format", "json"]
        plan.append({"actor": actor, "action": kind, "case": case, "argv": argv})
    return plan


def commits_by_actor(root) -> dict[str, list[dict]]:
    out: dict = {}
    log = git(root, "log", "--format=%x1e%H%n%B")
    for chunk in log.split("\x1e")[1:]:
        lines = chunk.strip().splitlines()
        trailers = {}
        for line in lines[1:]:
            if line.startswith("Jiesu-") and ": " in line:
                key, value = line.split(": ", 1)
                trailers.setdefault(key, []).append(value)
        actor = (trailers.get("Jiesu-Actor") or [None])[0]
        out.setdefault(actor, []).append({"sha": lines[0], "action": trailers["Jiesu-Action"][0], "cases": trailers.get("Jiesu-Case", [])})
    return out


def test_eight_processes_two_hundred_operations(tmp_path, store):
    records = [{"type": "complaint", "category": GARBAGE, "title": f"Pool case {i}", "street": ETERNAL} for i in range(POOL)]
    ids = [r.case_id for r in ops.intake(store, records, "setup")]
    env = dict(os.environ, JIESU_STORE=str(store.root), JIESU_LOCK_TIMEOUT="60",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    procs = []
    for w in range(WORKERS):
        plan = tmp_path / f"plan{w}.json"
        plan.write_text(json.dumps(plan_for(w, ids)))
        mode = "process" if w < 2 else "inline"
        procs.append(subprocess.Popen([sys.executable, str(WORKER), str(plan), str(tmp_path / f"out{w}.json"), mode], env=env))
    for p in procs:
        assert p.wait(timeout=300) == 0
    results = [r for w in range(WORKERS) for r in json.loads((tmp_path / f"out{w}.json").read_text())]

    commits = commits_by_actor(store.root)
    final = Store(store.root)
    writes = [r for r in results if r["action"] != "list"]
    committed, refused, lost, reasons = [], [], [], {}
    new_ids = []
    for r in results:
        assert "Traceback" not in r["stderr"], r["stderr"]
        if r["action"] == "list":
            assert r["code"] == 0, r["stderr"]
            json.loads(r["stdout"])
            continue
        mine = commits.get(r["actor"], [])
        if r["code"] == 0:
            committed.append(r)
            case_id = r["stdout"].split()[0].rstrip(":")
            if r["action"] == "intake":
                new_ids.append(case_id)
            # committed exactly once, by this operation, on this case, and its event is in the file
            if len(mine) != 1 or mine[0]["action"] != r["action"] or mine[0]["cases"] != [case_id]:
                lost.append((r["actor"], mine))
                continue
            events = [e for e in final.load_case(case_id)["events"] if e["by"] == r["actor"]]
            if [e["action"] for e in events] not in ([r["action"]], ["intake", "close"]):
                lost.append((r["actor"], events))
        else:
            assert r["code"] == 1, (r["code"], r["stderr"])
            first = r["stderr"].splitlines()[0]
            assert first.startswith("error: "), r["stderr"]
            assert mine == [], f"refused {r['actor']} was committed anyway"
            refused.append(r)
            reason = "illegal transition" if "cannot" in first and "allowed next" in first else first
            reasons[reason] = reasons.get(reason, 0) + 1
    print(f"\nconcurrency: {WORKERS} processes, {len(writes)} writes tried, {len(committed)} committed, "
          f"{len(refused)} refused {reasons}, {len(lost)} lost; {len(results) - len(writes)} concurrent reads")
    assert lost == []
    assert len(writes) >= 200 and len(committed) + len(refused) == len(writes)
    assert committed and refused  # the plan makes both happen
    assert set(reasons) == {"illegal transition"}
    assert len(new_ids) == len(set(new_ids))
    assert sorted(commits) == sorted({"admin", "setup", *(r["actor"] for r in committed)})
    on_disk = sorted(p.stem for p in (store.root / "cases").rglob("*.yaml"))
    assert on_disk == sorted(ids + new_ids)
    assert git(store.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert [str(p) for p in verify.verify(final) if p.severity == "error"] == []
    assert subprocess.run(["git", "fsck", "--no-dangling", "--no-progress"], cwd=store.root, capture_output=True).returncode == 0
