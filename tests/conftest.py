"""Shared fixtures: real temporary git stores, a frozen clock, a CLI runner that checks the store.

After every successful command the helper asserts that `git status --porcelain` is empty and that
`jiesu verify` finds no error; after every refused command, that the store did not change.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from jiesu import i18n, ops
from jiesu.cli import cli
from jiesu.store import Store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
NOW = "2021-11-10T12:00:00"
GARBAGE = "env.garbage.unregulated-collection"
ETERNAL = "dragon-gate/eternal-town"


# Hypothesis: `ci` (what `make test` and so CI run) is derandomized, so a run is repeatable to the
# example; `explore` (plain `pytest`, or HYPOTHESIS_PROFILE=explore make test) searches further
# with fresh random examples each run.
settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "explore"))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds (concurrency, sync, crashes, the generator); "
                                       "`make test-fast` skips these")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/* from the current output")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith(("JIESU_", "GIT_")):
            monkeypatch.delenv(key)
    for key in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):  # English unless a test asks for Chinese
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("JIESU_NOW", NOW)
    monkeypatch.setenv("JIESU_ACTOR", "operator")
    monkeypatch.setenv("JIESU_LOCK_TIMEOUT", "5")
    monkeypatch.setenv("JIESU_INTERACTIVE", "0")
    monkeypatch.chdir(tmp_path)  # never inside the repository's own example store
    i18n.reset()  # a command run in this process before (`--lang zh`) chose its language: not this test's


@pytest.fixture
def store(tmp_path) -> Store:
    return ops.init_store(tmp_path / "store", office="HL", name="Test office", actor="admin")


def git(store_root, *args) -> str:
    return subprocess.run(["git", *args], cwd=store_root, capture_output=True, text=True, check=True).stdout


def snapshot(root: Path) -> tuple:
    """What must not change when a command is refused: HEAD, status and every case file."""
    head = git(root, "rev-parse", "HEAD").strip()
    status = git(root, "status", "--porcelain", "--untracked-files=all")
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "cases").rglob("*")) if p.is_file()}
    return head, status, files


class Cli:
    """Run jiesu commands against one store, checking the store after each."""

    def __init__(self, store: Store):
        self.store = store
        self.runner = CliRunner()

    def raw(self, *args, input=None, env=None):
        return self.runner.invoke(cli, ["--store", str(self.store.root), *map(str, args)], input=input, env=env,
                                  catch_exceptions=True)

    def __call__(self, *args, input=None, env=None, check=True):
        result = self.raw(*args, input=input, env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        if check:
            self.assert_clean()
        return result

    def json(self, *args):
        return json.loads(self(*args, "--format", "json", check=False).stdout)

    def fails(self, *args, match: str | None = None, code: int = 1, input=None):
        before = snapshot(self.store.root)
        result = self.raw(*args, input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, f"{args}: expected exit {code}, got {result.exit_code}\n{result.stdout}\n{result.stderr}"
        if code == 1:
            lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
            assert lines and lines[0].startswith("error: "), result.stderr
            assert "Traceback" not in result.stderr
            if match:
                assert match in lines[0], f"{match!r} not in {lines[0]!r}"
        assert snapshot(self.store.root) == before, "a refused command changed the store"
        return result

    def assert_clean(self):
        assert git(self.store.root, "status", "--porcelain", "--untracked-files=all") == ""
        from jiesu import verify

        errors = [str(p) for p in verify.verify(Store(self.store.root)) if p.severity == "error"]
        assert errors == []


@pytest.fixture
def run(store) -> Cli:
    return Cli(store)


def new_case(run: Cli, *extra, **fields) -> str:
    """Intake a standard garbage complaint (fields override) and return its id."""
    args = {"type": "complaint", "category": GARBAGE, "title": "Rubbish at the gate", "street": ETERNAL}
    args.update({k.replace("_", "-"): v for k, v in fields.items()})
    argv = ["intake"]
    for key, value in args.items():
        if value is True:
            argv.append(f"--{key}")
        elif value is not None:
            argv += [f"--{key}", value]
    return run(*argv, *extra).stdout.strip()


def load(store: Store, case_id: str) -> dict:
    return Store(store.root).load_case(case_id)


def jiesu_proc(root, *args, env=None, timeout=60, input=None) -> subprocess.CompletedProcess:
    """Run `python -m jiesu ARGS` as a real process on the store at `root`."""
    import sys

    full_env = dict(os.environ, JIESU_STORE=str(root))
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "jiesu", *map(str, args)], env=full_env, capture_output=True,
                          text=True, timeout=timeout, input=input, check=False)


def event_ids(root) -> dict[str, set]:
    """{case id: event ids} of every case as committed at HEAD."""
    from jiesu.store import yamlio

    out = {}
    names = git(root, "ls-tree", "-r", "--name-only", "HEAD", "--", "cases/").split()
    for name in names:
        if name.endswith(".yaml"):
            case = yamlio.load(git(root, "show", f"HEAD:{name}"), name)
            out[case["id"]] = {e["id"] for e in case["events"]}
    return out
