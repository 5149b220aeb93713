"""The one `git cat-file --batch` reader: blobs by id, None for what is missing or not a blob."""

from __future__ import annotations

import subprocess

from jiesu.store.catfile import Blobs


def _git(root, *args) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def test_blobs_read_and_stream_skip_what_is_not_a_blob(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("first\n")
    (tmp_path / "b.txt").write_text("second, longer\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "two files")
    a, b = _git(tmp_path, "rev-parse", "HEAD:a.txt"), _git(tmp_path, "rev-parse", "HEAD:b.txt")
    tree, missing = _git(tmp_path, "rev-parse", "HEAD^{tree}"), "0" * 39 + "1"
    blobs = Blobs(str(tmp_path), None)
    try:
        # a tree's content is read past (not returned), so the next answer is still the right one
        assert blobs.read(tree) is None
        assert blobs.read(a) == b"first\n"
        assert blobs.read(missing) is None
        assert list(blobs.stream([b, tree, missing, a])) == [b"second, longer\n", None, None, b"first\n"]
    finally:
        blobs.close()


def test_a_stopped_git_is_an_error_not_a_missing_object(tmp_path):
    """When git cat-file dies (killed, interrupted), what it did not send is never taken for a
    missing object: a write would build a tree without it, the index would list empty cases."""
    import pytest

    from jiesu.store.gitrepo import GitFailed

    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("first\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "one file")
    a = _git(tmp_path, "rev-parse", "HEAD:a.txt")
    for ask in (lambda blobs: blobs.read(a), lambda blobs: blobs.object("HEAD:a.txt"),
                lambda blobs: list(blobs.stream([a, a]))):
        blobs = Blobs(str(tmp_path), None)
        assert blobs.read(a) == b"first\n"
        blobs.proc.kill()
        blobs.proc.wait()
        with pytest.raises(GitFailed, match=r"git cat-file stopped before it answered \(exit code -9\)"):
            ask(blobs)
        blobs.close()  # and closing after it is quiet


def test_committed_reads_the_committed_blobs_from_either_source(tmp_path, monkeypatch):
    """`committed` gives each file's committed content whether a part is read from the work tree or
    from git (the faster, timed part by part): an edit not committed, a deleted file and a file
    replaced by a folder never leak into what it returns."""
    import shutil

    from jiesu.store import catfile

    _git(tmp_path, "init", "-q")
    texts = {f"cases/{i:02d}.yaml": f"id: C-{i}\ntitle: case {i}\n" + "x" * i + "\n" for i in range(23)}
    for path, text in texts.items():
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text(text)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "cases")
    items = [(path, _git(tmp_path, "rev-parse", f"HEAD:{path}")) for path in texts]
    (tmp_path / "cases/03.yaml").write_text("id: C-3\ntitle: edited, not committed\n")
    (tmp_path / "cases/04.yaml").unlink()
    (tmp_path / "cases/05.yaml").unlink()
    (tmp_path / "cases/05.yaml").mkdir()
    expected = [text.encode() for text in texts.values()]
    env = dict(__import__("os").environ)
    assert catfile.committed(str(tmp_path), env, items) == expected  # the work tree is fast here: read from it

    # parts of 4, each slow by the clock but read from the page cache: git is never started
    monkeypatch.setattr(catfile, "PART", 4)
    monkeypatch.setattr(catfile, "RETRY", 1)
    monkeypatch.setattr(catfile, "SLOW_TREE", 0.0)
    if catfile._blocks() is not None:  # (the system tells what a thread read from the disk)
        reader = catfile._Reader(str(tmp_path), env)
        out = [None] * len(items)
        for start in range(0, len(items), 4):
            reader.read(items, start, min(start + 4, len(items)), out)
        assert set(reader.rate) == {"tree"} and reader._blobs is None
        assert reader.from_disk is False
        reader.close()

    # …and read from the disk as well (each part counted as blocks read): git is timed, then each
    # source in turn
    blocks = iter(range(0, 10_000, 8))
    monkeypatch.setattr(catfile, "_blocks", lambda: next(blocks))
    reader = catfile._Reader(str(tmp_path), env)
    out = [None] * len(items)
    try:
        for start in range(0, len(items), 4):
            reader.read(items, start, min(start + 4, len(items)), out)
    finally:
        reader.close()
    assert set(reader.rate) == {"tree", "git"}
    assert [data for i, data in enumerate(out) if i not in (3, 4, 5)] == [e for i, e in enumerate(expected) if i not in (3, 4, 5)]
    assert catfile.committed(str(tmp_path), env, items) == expected
    shutil.rmtree(tmp_path / "cases")  # nothing checked out: all from git
    assert catfile.committed(str(tmp_path), env, items) == expected
