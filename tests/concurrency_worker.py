"""One worker of the concurrency test: runs a plan of jiesu commands against one store, racing others.

Usage: python concurrency_worker.py PLAN.json OUT.json MODE — MODE `process` starts a real
`python -m jiesu …` for every command; `inline` runs the same command line in this process (the
path through click, the store lock and git is the same, without the interpreter start-up).
"""

from __future__ import annotations

import json
import subprocess
import sys


def run_inline(argv):
    from click.testing import CliRunner

    from jiesu.cli import cli

    result = CliRunner().invoke(cli, argv, catch_exceptions=True)
    stderr = result.stderr
    if result.exception and not isinstance(result.exception, SystemExit):
        import traceback

        stderr += "Traceback\n" + "".join(traceback.format_exception(result.exception))
    return result.exit_code, result.stdout, stderr


def run_process(argv):
    proc = subprocess.run([sys.executable, "-m", "jiesu", *argv], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def main(plan_path: str, out_path: str, mode: str) -> None:
    with open(plan_path, encoding="utf-8") as handle:
        plan = json.load(handle)
    runner = run_process if mode == "process" else run_inline
    results = []
    for op in plan:
        code, out, err = runner(op["argv"])
        results.append(dict(op, code=code, stdout=out, stderr=err))
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main(*sys.argv[1:4])
