"""The commits that changed each case file, kept in the read index for `jiesu log`.

Table `changes` holds one row per (case file, commit) along HEAD's first-parent line: the file
(`file`, 48 bits of a hash of its path, see `file_key`), the commit's place on that line (`seq`,
larger is newer), the first 8 bytes of its id (`sha_key`; `commits_of` asks git for the whole ids)
and whether it is a merge. `meta.log_head` names the commit the table is
complete up to ('' for a table never filled).

The table is filled from commit messages, which is cheap: a jiesu commit names every case it
touched in `Jiesu-Case:` trailers (one `git log` over the whole history reads 534,000 commits in a
few seconds, where listing each commit's changed files takes minutes). A commit that names no case
— a hand commit, a merge, an archive run, a commit of another tool — has its changed files listed
by git instead. `jiesu log` checks what it reads against the files themselves (each listed commit
changed the file, and nothing between them did) and walks git's history where that does not hold.

Kept current by jiesu's own commits (the store's commit hook), by `sync` and `hub refresh`, and by
`log` itself for commits that arrived any other way (`git log LOG_HEAD..HEAD`). When HEAD's line
left `log_head`'s (a fast-forward onto another office's line that merged this one), the rows above
the commit where the two lines part are read again; a history that no longer leads from
`log_head` at all (a reset, a rebase) is read again from the start.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess

from jiesu.errors import JiesuError

# One row per (file, commit), clustered by file: a case's rows are read together, and no separate
# index is kept. The commit is named by the first 8 bytes of its id (12 bytes a row less than all
# 20): two of ten million commits share them with a chance of about 1 in 400,000, and then git
# cannot expand them and `jiesu log` walks git's history instead.
TABLE = ("CREATE TABLE changes (file INTEGER, seq INTEGER, sha BLOB, merge INTEGER, PRIMARY KEY (file, seq)) "
         "WITHOUT ROWID")
ROWS = "file INTEGER, seq INTEGER, sha BLOB, merge INTEGER"  # a plain table of rows, filled first, taken in order
FORMAT = "%x1e%H%x1f%P%x1f%(trailers:key=Jiesu-Action,valueonly,separator=%x1d)%x1f%(trailers:key=Jiesu-Case,valueonly,separator=%x1d)"
CHUNK = 20000


def file_key(path: str) -> int:
    """The key of a case file in the table: 48 bits of a hash of its path (6 bytes a row, where the
    path took 32). Two paths may share a key (a store of a million files holds such a pair about
    once in 500): the rows of both are then listed for each, and `jiesu log` passes over a listed
    commit that did not change the file, as it passes over one whose message names a case it did
    not change."""
    return int.from_bytes(hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=6).digest(), "big", signed=True)


def sha_key(sha: str) -> bytes:
    """What the table keeps of a commit id: its first 8 bytes."""
    return bytes.fromhex(sha[:16])


def _head(db: sqlite3.Connection) -> tuple[str, int]:
    found = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('log_head', 'log_seq')"))
    return found.get("log_head") or "", int(found.get("log_seq") or 0)


def _set_head(db: sqlite3.Connection, head: str, seq: int) -> None:
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [("log_head", head), ("log_seq", str(seq))])


def _read_log(store, args: list[str]):
    """(sha, parents, paths or None when git must list them) for each commit of `git log args`, newest
    first; streamed from git."""
    paths_of: dict[str, str | None] = {}  # case id → its file (None: not a case id)

    def relpath(case_id: str) -> str | None:
        if case_id not in paths_of:
            try:
                paths_of[case_id] = store.case_relpath(case_id)
            except (JiesuError, ValueError, TypeError):
                paths_of[case_id] = None
        return paths_of[case_id]

    # git maps the packs it reads: keep that to 128 MB windows (1.4 GB of resident memory otherwise)
    proc = subprocess.Popen(["git", "-c", "core.packedGitLimit=128m", "-c", "core.packedGitWindowSize=16m", "log", "--first-parent", f"--format={FORMAT}", *args], cwd=store.root,
                            env=store.git.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        rest = ""
        while True:
            block = proc.stdout.read(1 << 20)
            text = rest + block.decode("utf-8", "replace")
            records = text.split("\x1e")
            rest = records.pop() if block else ""
            for record in records:
                fields = record.rstrip("\n").split("\x1f")
                if len(fields) < 4:
                    continue
                sha, parents, action, cases = fields[:4]
                parents = parents.split()
                paths = [relpath(c.strip()) for c in cases.split("\x1d") if c.strip()] if action and len(parents) <= 1 else []
                yield sha, parents, (paths if paths and None not in paths else None)
            if not block:
                break
    finally:
        proc.stdout.close()
        if proc.wait() != 0:
            raise subprocess.CalledProcessError(proc.returncode, ["git", "log"])


def _listed(store, shas: list[str]) -> dict[str, list[str]]:
    """The case files each commit changed (a merge: against its first parent), as git lists them."""
    if not shas:
        return {}
    proc = subprocess.run(
        ["git", "log", "--no-walk=unsorted", "--stdin", "--format=%x1e%H", "--diff-merges=first-parent",
         "--no-renames", "--name-only", "--root"],
        cwd=store.root, env=store.git.env, input="\n".join(shas).encode() + b"\n", capture_output=True, check=True)
    out: dict[str, list[str]] = {}
    current = None
    for line in proc.stdout.decode("utf-8", "replace").split("\n"):
        if line.startswith("\x1e"):
            current = out.setdefault(line[1:].strip(), [])
        elif current is not None and line.startswith("cases/") and line.endswith(".yaml"):
            current.append(line)
    return out


def _fill(db: sqlite3.Connection, store, commits, top_seq: int, table: str = "changes") -> int:
    """Rows for `commits` (newest first, the newest at `top_seq`) into `table`; the number of
    commits read."""
    count = 0
    rows: list[tuple] = []
    pending: list[tuple[str, int, int]] = []  # (sha, seq, merge) git must list the files of

    def flush():
        listed = _listed(store, [sha for sha, _, _ in pending])
        rows.extend((file_key(path), seq, sha_key(sha), merge) for sha, seq, merge in pending
                    for path in dict.fromkeys(listed.get(sha, [])))
        pending.clear()
        db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?, ?)", rows)
        rows.clear()

    for sha, parents, paths in commits:
        seq = top_seq - count
        count += 1
        if paths is None:
            pending.append((sha, seq, int(len(parents) > 1)))
        else:
            rows.extend((file_key(path), seq, sha_key(sha), 0) for path in dict.fromkeys(paths))
        if len(rows) + 50 * len(pending) >= CHUNK:
            flush()
    flush()
    return count


def filled(db: sqlite3.Connection) -> bool:
    """Has the table been filled (it may still lag behind HEAD)?"""
    return bool(_head(db)[0])


def read_history(db: sqlite3.Connection, store, head: str, table: str = "changes") -> int:
    """Rows for the whole history up to `head` into `table` (a plain table of `ROWS`: a temporary
    one, or a side file's, see `jiesu.index.backfill`); the number of commits read."""
    return _fill(db, store, _read_log(store, [head]), 0, table)


def take_rows(db: sqlite3.Connection, source: str, head: str) -> None:
    """Replace the table's rows with those of table `source` (all of the history up to `head`),
    put in in the table's order (faster than in the order the history was read)."""
    db.execute("DELETE FROM changes")
    db.execute(f"INSERT OR REPLACE INTO changes SELECT * FROM {source} ORDER BY file, seq")
    _set_head(db, head, 0)


def rebuild(db: sqlite3.Connection, store, head: str | None) -> int:
    """Read the whole history into the table again; the number of commits read."""
    db.execute("DROP TABLE IF EXISTS temp.history_rows")
    db.execute(f"CREATE TEMP TABLE history_rows ({ROWS})")
    try:
        count = read_history(db, store, head, "temp.history_rows") if head else 0
        take_rows(db, "temp.history_rows", head or "")
    finally:
        db.execute("DROP TABLE IF EXISTS temp.history_rows")
    return count


def catch_up(db: sqlite3.Connection, store, head: str | None) -> None:
    """Bring a filled table up to `head` (read from the start when its line no longer leads there)."""
    known, seq = _head(db)
    if not known or known == head:
        return
    with db:
        if not head:
            rebuild(db, store, head)
            return
        commits = list(_read_log(store, [f"{known}..{head}"]))
        base = commits[-1][1][:1] if commits else []
        if base and base != [known]:
            # HEAD's line left the table's below `known` (a fast-forward onto another office's line
            # that merged this one): keep the table up to where the two lines part
            found = db.execute("SELECT seq FROM changes WHERE sha = ? LIMIT 1", (sha_key(base[0]),)).fetchone()
            if found:
                seq = found[0]
                db.execute("DELETE FROM changes WHERE seq > ?", (seq,))
                base = [known]
        if base != [known]:
            rebuild(db, store, head)
            return
        _fill(db, store, commits, seq + len(commits))
        _set_head(db, head, seq + len(commits))


def after_commit(db: sqlite3.Connection, old_head: str | None, new_head: str, blobs: dict) -> None:
    """Record one commit jiesu just made on top of `old_head` (its changed paths in `blobs`)."""
    known, seq = _head(db)
    if not known or known != (old_head or ""):
        return
    paths = [p for p in blobs if p.startswith("cases/") and p.endswith(".yaml")]
    db.executemany("INSERT OR REPLACE INTO changes VALUES (?, ?, ?, 0)", [(file_key(p), seq + 1, sha_key(new_head)) for p in paths])
    _set_head(db, new_head, seq + 1)


def commits_of(db: sqlite3.Connection, store, path: str, before: int | None = None) -> list[tuple[int, str, bool]] | None:
    """(seq, commit, is a merge) of each commit on HEAD's first-parent line that changed `path`,
    newest first (only those older than `before`); None when the table was never filled, or when
    git cannot name a commit from what the table keeps of its id."""
    if not _head(db)[0]:
        return None
    rows = db.execute("SELECT seq, sha, merge FROM changes WHERE file = ? AND seq < ? ORDER BY seq DESC",
                      (file_key(path), before if before is not None else 1 << 62)).fetchall()
    if not rows:
        return []
    keys = [sha.hex() for _, sha, _ in rows]
    proc = store.git.run("rev-parse", *dict.fromkeys(k + "^{commit}" for k in keys), check=False)
    full = {f[:16]: f for f in proc.stdout.split()} if proc.returncode == 0 else {}
    if not all(k in full for k in keys):
        return None  # a key two commits share, or a commit that is gone: git's walk answers
    return [(seq, full[k], bool(merge)) for (seq, _, merge), k in zip(rows, keys)]
