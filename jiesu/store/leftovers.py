"""What a killed git leaves behind: stale lock files and the merge's temporary copies of case files.

git guards its index and refs with `<name>.lock` files made with O_EXCL and removed when the
command ends; a git killed in between (a sync interrupted by Ctrl-C or SIGKILL) leaves the lock,
and every later git write fails with "File exists". A merge also copies the three versions of
each file it hands to the merge driver into `.merge_file_XXXXXX` at the top of the work tree —
whole case files, surnames and phones included — and removes them only when it finishes.

A lock or copy is stale when no live git process works in the store. On Linux that is read from
`/proc` (a git whose working folder is the store or inside it); elsewhere a leftover counts as
stale once it is older than `AGE` seconds. jiesu clears stale leftovers under its own store lock
(every write, `sync`, `verify --repair`) and `verify` reports them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from jiesu.i18n import _

AGE = 120  # seconds: without /proc, a lock this old is taken to be stale
MERGE_COPIES = (".merge_file_*", "..merge_file_*.tmp")
EXCLUDE = [".merge_file_*", "..merge_file_*.tmp"]  # written to .git/info/exclude: never committed by hand


def _git_dirs(root: Path) -> list[Path]:
    return [d for d in (root / ".git", root / "private" / ".git") if d.is_dir() and not d.is_symlink()]


def lock_files(root: Path) -> list[Path]:
    """Every git lock file in the store's repository and its private repository."""
    found = []
    for gitdir in _git_dirs(root):
        found += gitdir.glob("*.lock")
        for sub in ("refs", "logs", "objects/info"):
            if (gitdir / sub).is_dir():
                found += (gitdir / sub).rglob("*.lock")
    return sorted(p for p in found if p.is_file())


def merge_copies(root: Path) -> list[Path]:
    """The temporary copies a merge left at the top of the work tree."""
    found = []
    for pattern in MERGE_COPIES:
        found += [p for p in root.glob(pattern) if p.is_file() or p.is_symlink()]
    return sorted(set(found))


def live_git(root: Path) -> bool | None:
    """Is a git process working in `root` (or a folder inside it)? None when it cannot be told.

    A `git cat-file --batch` only reads (jiesu keeps such readers open for a whole command), so it
    holds no lock and does not count."""
    proc = Path("/proc")
    if not (proc / "self" / "cwd").exists():
        return None
    root = root.resolve()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            if not comm.startswith("git"):
                continue
            cwd = Path(os.readlink(entry / "cwd"))
            if b"cat-file" in (entry / "cmdline").read_bytes().split(b"\0")[1:3]:
                continue
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            return True
    return False


def stale(root: Path) -> list[Path]:
    """Leftovers (locks and merge copies) that no live git holds."""
    candidates = lock_files(root) + merge_copies(root)
    if not candidates:
        return []
    alive = live_git(root)
    if alive:
        return []
    if alive is None:
        now = time.time()
        candidates = [p for p in candidates if _age(p, now) > AGE]
    return [p for p in candidates if p.exists() or p.is_symlink()]


def _age(path: Path, now: float) -> float:
    try:
        return now - path.lstat().st_mtime
    except OSError:
        return 0.0


def describe(path: Path) -> str:
    """What `verify` says about a stale leftover."""
    if path.name.endswith(".lock"):
        return _('stale git lock left by a killed git (no git process holds it); `jiesu verify --repair` (or the next write) removes it')
    return (_('copy of a case file left by an interrupted merge (it may hold personal data); `jiesu verify --repair` (or the next write) removes it'))


def clear(root: Path) -> list[str]:
    """Remove stale leftovers (call under the store lock); one note per kind removed."""
    removed = []
    for path in stale(root):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            continue  # an unwritable store: verify keeps reporting it
        removed.append(path.relative_to(root).as_posix())
    if not removed:
        return []
    locks = [p for p in removed if p.endswith(".lock")]
    copies = [p for p in removed if not p.endswith(".lock")]
    notes = []
    if locks:
        notes.append(f"removed {len(locks)} stale git lock(s) left by a killed git: {', '.join(locks[:3])}")
    if copies:
        notes.append(f"removed {len(copies)} temporary case-file cop{'y' if len(copies) == 1 else 'ies'} left by an interrupted merge")
    return notes


def ensure_excluded(root: Path) -> bool:
    """Make git ignore merge copies in this clone (`.git/info/exclude`); True when it was added."""
    exclude = root / ".git" / "info" / "exclude"
    try:
        text = exclude.read_text("utf-8") if exclude.exists() else ""
    except OSError:
        return False
    missing = [p for p in EXCLUDE if p not in text.splitlines()]
    if not missing:
        return False
    try:
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as fh:
            if text and not text.endswith("\n"):
                fh.write("\n")
            fh.write("# temporary copies of an interrupted merge (jiesu)\n" + "\n".join(missing) + "\n")
    except OSError:
        return False
    return True
