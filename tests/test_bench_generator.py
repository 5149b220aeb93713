"""The benchmark generator writes stores jiesu itself accepts.

`bench/generate.py` builds case files and commits without going through jiesu's write path, so
these tests hold it to the same contract: every generated case verifies (its state is the projection
of its events), the work tree is clean, the history has the commits it reports, and `jiesu log`
reads every event back from git.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import REPO, git

from jiesu import history
from jiesu.cli import cli
from jiesu.store import Store

pytestmark = pytest.mark.slow

NOW = "2025-06-30T17:00:00+08:00"


def generate(tmp_path, monkeypatch, cases: int, mode: str):
    monkeypatch.setenv("JIESU_NOW", NOW)
    root = tmp_path / f"gen-{mode}"
    done = subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), str(root), "--cases", str(cases),
                           "--history", mode, "--seed", "7", "--check", str(cases), "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return root, json.loads((root / ".jiesu" / "bench.json").read_text("utf-8"))


@pytest.mark.parametrize("mode", ["full", "batched"])
def test_generated_store_verifies_and_matches_its_metadata(tmp_path, monkeypatch, mode):
    root, meta = generate(tmp_path, monkeypatch, 150, mode)
    files = sorted((root / "cases").rglob("*.yaml"))
    assert len(files) == meta["cases"] == 150
    assert int(git(root, "rev-list", "--count", "HEAD")) == meta["commits"]
    assert git(root, "status", "--porcelain") == ""
    result = CliRunner().invoke(cli, ["--store", str(root), "verify"])
    assert result.exit_code == 0, result.output
    assert "error" not in result.output
    listed = CliRunner().invoke(cli, ["--store", str(root), "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.output)) == 150
    if mode == "full":
        # one commit per operation: more commits than cases, and every event in some commit
        assert meta["commits"] > meta["cases"]
    else:
        # one commit per simulated day: fewer commits than events
        assert meta["commits"] < meta["events"]


def test_log_reads_every_generated_event_back(tmp_path, monkeypatch):
    root, _ = generate(tmp_path, monkeypatch, 60, "full")
    store = Store(root)
    for path in sorted((root / "cases").rglob("*.yaml"))[:10]:
        case_id = path.stem
        events = store.load_case(case_id)["events"]
        entries = history.case_history(store, case_id)
        assert entries[0]["created"]
        assert sum(len(h["events_added"]) for h in entries) == len(events)
        assert not any(h["outside_jiesu"] or h["events_removed"] for h in entries)
