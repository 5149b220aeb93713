"""The README's tour pastes and runs, as a newcomer would run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def blocks(section: str) -> list[str]:
    text = (REPO / "README.md").read_text("utf-8")
    part = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", part, re.S)


def test_five_minute_tour_runs(tmp_path):
    script = "\n".join(blocks("A five-minute tour")).replace("/tmp/office", str(tmp_path / "office"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIESU_", "GIT_"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    env["HOME"] = str(tmp_path)  # no git identity: jiesu must not need one
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "HL-" in out and "dispatched to dragon-gate/eternal-town" in out
    assert "ok: every case is valid and committed" in out
    assert "evaluate HL-" in out  # git log --oneline shows one commit per operation
    assert len(re.findall(r"^[0-9a-f]{7,} (intake|assign|accept|contact|close|evaluate) ", out, re.M)) == 6
