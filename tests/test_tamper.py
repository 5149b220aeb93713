"""The nineteen tamperings of tests/tamperings.py: each detected, each with the right restore hint.

Every tampering runs on a copy of one worked store (two cases, verified, pushed to a bare remote),
so the whole set costs one store and nineteen copies.
"""

from __future__ import annotations

import shutil

import pytest
import tamperings
from conftest import NOW


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tamper-base")
    env = {"JIESU_NOW": NOW, "JIESU_ACTOR": "operator", "JIESU_LOCK_TIMEOUT": "5"}
    tamperings.build_base(folder / "store", folder / "remote.git", env)
    return folder, env


QUICK = {"edited_event_copied_trailers", "deleted_file_forged_trailers", "forged_exempt_other_trailer", "reset_hard_three",
         "merge_dropping_their_event", "remote_force_pushed"}  # one of each kind; the rest are slow-marked
CASES = [pytest.param(t, id=t.__name__, marks=() if t.__name__ in QUICK else pytest.mark.slow) for t in tamperings.TAMPERINGS]


@pytest.mark.parametrize("tamper", CASES)
def test_every_tampering_is_detected_with_its_restore_hint(tamper, base, tmp_path):
    folder, _ = base
    root, remote = tmp_path / "store", tmp_path / "remote.git"
    shutil.copytree(folder / "store", root, symlinks=True)
    shutil.copytree(folder / "remote.git", remote, symlinks=True)
    tamperings.git(root, "remote", "set-url", "origin", str(remote))
    assert tamperings.detect(root, tamper.__name__) == ""  # the copy is clean before
    what, detail, hint = tamper(root)
    said = tamperings.detect(root, tamper.__name__)
    line = next((ln for ln in said.splitlines() if what in ln), None)
    assert line is not None, said
    assert detail in line and hint in (line + said), said


@pytest.mark.parametrize("tamper", [c for c in CASES if c.values[0].__name__ not in tamperings.NO_RESTORE])
def test_following_the_restore_hint_makes_the_store_whole_again(tamper, base, tmp_path):
    folder, _ = base
    root = tmp_path / "store"
    shutil.copytree(folder / "store", root, symlinks=True)
    what, _, _ = tamper(root)
    for _ in range(3):  # one hint at a time, as a person would (a deleted file names several events)
        said = tamperings.detect(root, tamper.__name__)
        if not said:
            break
        tamperings.restore(root, next(ln for ln in said.splitlines() if "`git " in ln))
    assert tamperings.detect(root, tamper.__name__) == ""
