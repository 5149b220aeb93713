"""What changed under a folder between two commits, from `git diff-tree` (or everything, from
`git ls-tree`, when there is no earlier commit or it cannot be compared)."""

from __future__ import annotations

REGULAR = ("100644", "100755")  # a symbolic link (120000) is never read


def changes(git, old: str | None, new: str, folder: str = "cases/") -> tuple[list[tuple[str, str | None, str]], bool]:
    """([(path, blob or None when removed, mode)], whether this is the full listing) for `.yaml`
    files under `folder`; with the full listing, files no longer there are not named."""
    if old:
        proc = git.run("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old, new, "--", folder, check=False)
        if proc.returncode == 0:
            fields = proc.stdout.split("\0")
            out = []
            for i in range(0, len(fields) - 1, 2):
                meta, path = fields[i].split(), fields[i + 1]
                if len(meta) >= 5 and path.endswith(".yaml"):
                    out.append((path, None if meta[4] == "D" or meta[1] not in REGULAR else meta[3], meta[1]))
            return out, False
    out = []
    for entry in git.run("ls-tree", "-r", "-z", new, "--", folder).stdout.split("\0"):
        if entry:
            meta, path = entry.split("\t", 1)
            mode, kind, blob = meta.split()
            if kind == "blob" and mode in REGULAR and path.endswith(".yaml"):
                out.append((path, blob, mode))
    return out, True
