"""A jiesu process ends without tearing the interpreter down (`jiesu.cli.end_process`): the exit
code is the one `sys.exit` would give, the exit handlers run, and the output is all written."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ETERNAL, GARBAGE, jiesu_proc

END = """
import atexit, sys
from jiesu.cli import end_process
atexit.register(lambda: open(sys.argv[1], "w").write("handler ran"))
sys.stdout.write("x" * 100_000)  # more than one buffer's worth, still buffered at the end
end_process(eval(sys.argv[2]))
"""


def buffered() -> dict:
    """The environment, with Python's output buffered as usual (not unbuffered, as some shells set it)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


@pytest.mark.parametrize(("code", "status", "stderr"), [
    ("None", 0, ""), ("0", 0, ""), ("3", 3, ""), ("True", 1, ""), ("'no such thing'", 1, "no such thing\n"),
])
def test_end_process_runs_the_exit_handlers_and_writes_all_output(tmp_path, code, status, stderr):
    marker = tmp_path / "marker"
    proc = subprocess.run([sys.executable, "-c", END, str(marker), code], capture_output=True, text=True, timeout=60,
                          env=buffered())
    assert proc.returncode == status
    assert proc.stdout == "x" * 100_000
    assert proc.stderr == stderr
    assert marker.read_text() == "handler ran"


def test_a_reader_that_stopped_is_no_error(tmp_path):
    marker = tmp_path / "marker"
    script = END.replace('"x" * 100_000', '"x" * 1000')  # held in the buffer until the end
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: as `| head` after its last line
    try:
        proc = subprocess.run([sys.executable, "-c", script, str(marker), "0"], stdout=write_end, stderr=subprocess.PIPE,
                              timeout=60, env=buffered())
    finally:
        os.close(write_end)
    assert proc.returncode == 0
    assert proc.stderr == b""
    assert marker.read_text() == "handler ran"


def test_commands_keep_their_exit_codes_and_output(store):
    root = store.root
    new = jiesu_proc(root, "intake", "--type", "complaint", "--category", GARBAGE, "--title", "Rubbish at the gate",
                     "--street", ETERNAL, env={"JIESU_ACTOR": "op-101"})
    assert new.returncode == 0, new.stderr
    case_id = new.stdout.split()[0]
    shown = jiesu_proc(root, "show", case_id)
    assert shown.returncode == 0 and case_id in shown.stdout and "Rubbish at the gate" in shown.stdout
    missing = jiesu_proc(root, "show", "HL-2111-9999")
    assert missing.returncode == 1 and missing.stderr.startswith("error: ") and "Traceback" not in missing.stderr
    usage = jiesu_proc(root, "no-such-command")
    assert usage.returncode == 2 and "no such command" in usage.stderr


def test_output_that_cannot_be_written_is_a_one_line_error(tmp_path):
    marker = tmp_path / "marker"
    script = END.replace('"x" * 100_000', '"x" * 1000')  # held in the buffer until the end
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-c", script, str(marker), "0"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60, env=buffered())
    assert proc.returncode == 1
    assert proc.stderr == "error: cannot write the output (No space left on device)\n"
    assert marker.read_text() == "handler ran"
