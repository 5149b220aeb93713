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
