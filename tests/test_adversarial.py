"""The short version of bench/adversarial.py's parallel writers: twelve processes write at once.

The full runs (60 s of writers, 70 kills, three offices with a fast clock, 19 tamperings) are
bench/adversarial.py's; this checks the same outcomes on a few operations. Kills are covered by
test_crash.py and test_leftovers.py, the offices by test_offices.py, tampering by test_tamper.py.
"""

from __future__ import annotations

import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import adversarial  # noqa: E402


@pytest.fixture
def free_env(monkeypatch):
    """The real clock: the runs start processes of their own, as offices do."""
    monkeypatch.delenv("JIESU_NOW")


@pytest.mark.slow
def test_twelve_writers_at_once_lose_nothing(tmp_path, free_env):
    figures = adversarial.writers(tmp_path, 12, seconds=0, ops=2)
    assert figures["writes"] + figures["reads"] == 24
    assert figures["lost"] == 0 and figures["refused_but_committed"] == 0 and figures["crashes"] == 0
    assert figures["committed"] >= 1
    assert figures["fsck_ok"] and figures["verify_ok"] and figures["git_status_clean"]
