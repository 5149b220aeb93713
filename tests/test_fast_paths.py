"""The shortcuts that many-case writes (imports) take give what the general path gives: a commit of
many files writes its new objects as one pack (the same commit as loose objects, read by git like
any other); a batch keeps its private texts until it flushes (the same text); a new case's plain
twin is made from its inputs (the same data as its document read back)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from jiesu import ops
from jiesu.ops.new_cases import build_case, prepare
from jiesu.store import gitwrite, yamlio
from jiesu.store.gitwrite import Git

AUTHOR = ("importer", "importer@hl.jiesu.invalid")
DATE = "2026-01-01T00:00:00+00:00"


def repo(path: Path) -> Git:
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    git = Git(path)
    git.run("config", "user.name", "jiesu")
    git.run("config", "user.email", "jiesu@localhost")
    return git


def files(count: int, month: str, word: str) -> dict:
    return {f"cases/2018/{month}/HL-18{month}-{n:04d}.yaml": f"id: HL-18{month}-{n:04d}\ntitle: {word} {n}\n".encode()
            for n in range(1, count + 1)}


def commit(git: Git, written: dict, parent, contents: bool) -> str:
    for rel, data in written.items():
        (git.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (git.root / rel).write_bytes(data)
    return git.commit(list(written), "import\n", AUTHOR, author_date=DATE, committer_date=DATE, parent=parent,
                      contents=written if contents else None)


def loose_objects(git: Git) -> int:
    counts = dict(line.split(": ") for line in git.out("count-objects", "-v").splitlines())
    return int(counts["count"])


def test_a_commit_of_many_files_is_the_same_commit_written_as_one_pack(tmp_path, monkeypatch):
    fast, slow = repo(tmp_path / "fast"), repo(tmp_path / "slow")
    at = gitwrite.PACK_AT
    rounds = [files(at + 6, "05", "first"), {**files(3, "05", "changed"), **files(at, "06", "more")},
              files(2, "07", "few")]
    heads = {}
    for name, git in (("fast", fast), ("slow", slow)):
        if name == "slow":
            monkeypatch.setattr(gitwrite, "PACK_AT", 10**9)  # every object loose, as for one case
        head = None
        for written in rounds:
            head = commit(git, written, head, contents=name == "fast")
        heads[name] = head
        git.close()
    assert heads["fast"] == heads["slow"]  # same trees, same commits
    packs = sorted(p.name for p in (fast.root / ".git/objects/pack").glob("*.pack"))
    assert len(packs) == 2  # the two large commits; the last one (2 files) wrote loose objects
    assert not list((slow.root / ".git/objects/pack").glob("*.pack"))
    # loose: the last commit's two blobs and four trees (cases/2018/07, cases/2018, cases, root), and the
    # three commit objects (git commit-tree writes them)
    assert loose_objects(fast) == 2 + 4 + 3
    for git in (fast, slow):
        fsck = git.run("fsck", "--full", "--strict", check=False)
        assert fsck.returncode == 0, fsck.stderr
        assert git.out("status", "--porcelain") == ""
        assert git.out("show", "HEAD:cases/2018/05/HL-1805-0002.yaml") == "id: HL-1805-0002\ntitle: changed 2"
        assert git.out("show", f"HEAD:cases/2018/05/HL-1805-{at + 6:04d}.yaml").endswith(f"first {at + 6}")
        assert len(git.out("ls-tree", "-r", "--name-only", "HEAD").splitlines()) == at + 6 + at + 2


def test_a_batch_keeps_private_texts_and_writes_what_a_single_write_writes(tmp_path):
    texts = {}
    for batch in (True, False):
        store = ops.init_store(tmp_path / f"store-{batch}", office="HL", actor="t")
        with store.transaction("keep", batch=batch) as tx:
            store.private.keep_texts(tx, "HL-1805-0001", {"title": "Call 13812345678 about it"})
            store.private.keep_texts(tx, "HL-1805-0001", event="e1", event_fields={"text": "Wang Wei said so"})
            if batch:
                assert not (store.private.root / store.private.texts_path("HL-1805-0001")).exists()  # kept until the flush
            tx.commit("keep texts\n", "t")
        rel = store.private.texts_path("HL-1805-0001")
        texts[batch] = (store.private.root / rel).read_text("utf-8")
        assert store.private.git.out("status", "--porcelain") == ""
        assert store.private.git.out("show", f"HEAD:{rel}") == texts[batch].rstrip("\n")
    assert texts[True] == texts[False]
    assert "13812345678" in texts[True] and "Wang Wei said so" in texts[True]


def test_a_new_cases_plain_twin_is_its_document_read_back(store):
    records = [
        {"type": "complaint", "title": "Rubbish: at the gate, again", "description": "Line one\nline two with 'quotes'",
         "street": "dragon-gate/eternal-town", "category": "env.garbage.collection-delay", "address": "12 Gate Road", "lat": 39.9, "long": 116.4,
         "tags": ["repeat"], "surname": "Wang", "phone": "13812345678", "at": "2021-11-01T09:00:00+08:00"},
        {"type": "consultation", "title": "Residence permit", "answered": "Renew it at the street office",
         "at": "2021-11-02T10:00:00+08:00"},
        {"type": "complaint", "title": "Noise", "description": "one line", "confidential": True, "phone": "13912345678",
         "at": "2021-11-03T11:00:00+08:00"},
    ]
    for number, record in enumerate(records, 1):
        record = {k: v for k, v in record.items() if k != "tags" or "repeat" in store.catalog.tags}
        doc, case = build_case(store, f"HL-2111-{number:04d}", prepare(store, record, "admin"), None)
        assert case == yamlio.to_plain(doc)
        assert yamlio.load(yamlio.dump_doc(doc)) == case
