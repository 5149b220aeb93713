"""A jiesu store: a git work tree holding `jiesu.yaml`, the catalog and one file per case.

`Store.open()` finds it the way git finds a repository (or by `--store` / `JIESU_STORE`);
`store.transaction()` is the only way to change it: it takes the lock, finishes any write a
crashed process left half-done, and either commits every file it wrote or puts them all back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import cached_property
from pathlib import Path

from jiesu import faults, i18n, timeutil
from jiesu.errors import CaseNotFound, InvalidInput, StoreError
from jiesu.i18n import _
from jiesu.store import yamlio
from jiesu.store.gitwrite import Git, author_identity, with_office
from jiesu.store.lock import Lock

SETTINGS = "jiesu.yaml"
# Called after each commit as hook(store, old head, new head, {path: case written}, {path: blob or None}).
# The read index registers itself here (`jiesu.index`); the store imports nothing above it.
COMMIT_HOOKS: list = []
_CATALOGS: dict = {}  # catalog content digest -> parsed catalog (see Store.catalog)
OFFICE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
LANGS = ("en", "zh")


def find_root(explicit: str | None = None, start: Path | None = None) -> Path:
    """The store root: `explicit`, else JIESU_STORE, else the nearest parent holding jiesu.yaml."""
    chosen = explicit or os.environ.get("JIESU_STORE")
    if chosen:
        root = Path(chosen).expanduser()
        if not (root / SETTINGS).is_file():
            raise StoreError(_('{root} is not a jiesu store (no {SETTINGS})').format(root=root, SETTINGS=SETTINGS), hint=_('create one with `jiesu init DIR`'))
        return root.resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / SETTINGS).is_file():
            return candidate
    raise StoreError(
        _('no jiesu store here: no {SETTINGS} in {here} or any parent').format(SETTINGS=SETTINGS, here=here),
        hint=_('create one with `jiesu init DIR`, or pass --store DIR (or set JIESU_STORE)'),
    )


# The store sits below the rules and does not import them: `jiesu.catalog` registers how a catalog
# folder is loaded and validated when it is imported, and `Store.catalog` calls that.
_catalog_loader = None


def use_catalog_loader(load) -> None:
    """Register the function that reads and validates a catalog folder (see `Store.catalog`)."""
    global _catalog_loader
    _catalog_loader = load


def validate_id(case_id: str, field: str = i18n.N_("case id")) -> str:
    """A case id checked against the strict pattern before it touches a path."""
    from jiesu.store.case_layout import parse_id

    text = str(case_id).strip()
    if not parse_id(text):
        shown = text if len(text) < 60 and text.isprintable() else repr(text[:60])
        raise InvalidInput(i18n._("{field} {shown!r}: expected OFFICE-YYMM-NNNN such as HL-2111-0069").format(
            field=i18n._(field), shown=shown))
    return text


def _code_stamp(loader) -> str:
    """Size and time of each source file of the package that defines the catalog's classes."""
    import sys

    folder = Path(sys.modules[loader.__module__].__file__).parent
    parts = []
    for path in sorted(folder.glob("*.py")):
        try:
            info = path.stat()
        except OSError:
            continue
        parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]


class Store:
    """An opened store: settings, catalog, git, private data."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.git = Git(self.root)
        self.settings = self._load_settings()
        self.office: str = self._clone_office() or self.settings["office"]
        self.tz = timeutil.zone(self.settings["timezone"])
        self.lang: str = self.settings.get("lang", "en")
        self.region: str = self.settings["region"]
        self.notes: list[str] = []  # things worth telling the user (index rebuilt, write recovered…)

    @classmethod
    def open(cls, explicit: str | None = None) -> "Store":
        return cls(find_root(explicit))

    def _load_settings(self) -> dict:
        data = yamlio.load_file(self.root / SETTINGS, SETTINGS, lines=True)
        if not isinstance(data, dict):
            raise StoreError(_('{SETTINGS}:1: expected a mapping with office, name, timezone').format(SETTINGS=SETTINGS))
        office = data.get("office")
        if not isinstance(office, str) or not OFFICE.match(office):
            raise StoreError(_('{SETTINGS}:{line}: office {office!r} must be 1–10 capital letters/digits, starting with a letter').format(SETTINGS=SETTINGS, line=data.lines.get('office', 1), office=office))
        tz = data.get("timezone", timeutil.DEFAULT_ZONE)
        try:
            timeutil.zone(str(tz))
        except InvalidInput as exc:
            raise StoreError(f"{SETTINGS}:{data.lines.get('timezone', 1)}: {exc.message}") from None
        lang = data.get("lang", "en")
        if lang not in LANGS:
            raise StoreError(_('{SETTINGS}:{line}: lang {lang!r}: allowed en, zh').format(SETTINGS=SETTINGS, line=data.lines.get('lang', 1), lang=lang))
        region = data.get("region", "CN")  # where phone numbers without a country code are from
        if not isinstance(region, str) or not re.fullmatch(r"[A-Z]{2}", region):
            raise StoreError(_('{SETTINGS}:{line}: region {region!r}: expected a two-letter country code such as CN or US').format(SETTINGS=SETTINGS, line=data.lines.get('region', 1), region=region))
        cap = data.get("max_attachment_mb", 20)  # the largest file `jiesu attach` takes
        if isinstance(cap, bool) or not isinstance(cap, (int, float)) or cap <= 0:
            raise StoreError(_('{SETTINGS}:{line}: max_attachment_mb {cap!r}: expected a positive number of megabytes').format(SETTINGS=SETTINGS, line=data.lines.get('max_attachment_mb', 1), cap=cap))
        settings = {"office": office, "timezone": str(tz), "lang": lang, "name": data.get("name") or office, "region": region,
                    "max_attachment_mb": cap}
        if isinstance(data.get("hub"), dict):  # a hub: a read-only view of member stores (jiesu.hub)
            settings["hub"] = data["hub"]
        return settings

    def _clone_office(self) -> str | None:
        """This clone's own office code (`git config jiesu.office`), when it differs from jiesu.yaml.

        Several offices share one remote by cloning one store; each clone numbers its cases with
        its own code, kept in the clone's git config because jiesu.yaml is shared by all.
        """
        config = self.root / ".git" / "config"
        if config.is_file():
            try:
                text = config.read_text("utf-8", "replace")
            except OSError:
                text = ""
            if not re.search(r"^\s*\[jiesu\]", text, re.I | re.M):
                return None
        office = self.git.settings().get("jiesu.office") or None  # the one config read of this process
        if office is None:
            return None
        if not OFFICE.match(office):
            raise StoreError(_('.git/config: jiesu.office {office!r} must be 1–10 capital letters/digits, starting with a letter').format(office=office),
                             hint=_('fix it with: git config jiesu.office CODE'))
        return office

    def check_catalog(self) -> None:
        """Validate the catalog now, so that a broken one refuses a write before anything is read
        or changed (raises CatalogError listing every problem)."""
        self.catalog  # noqa: B018 — loading is validating; the result is kept

    @cached_property
    def catalog(self):
        """The validated catalog (raises CatalogError listing every problem).

        Validation reads the YAML files with line numbers (~200 ms). The validated result is kept
        per distinct content: in this process (a server or the test suite opens many stores), and
        in `.jiesu/catalog.pickle`, so an unchanged catalog costs a few milliseconds. Both are
        local and disposable, like the index. The cache names the catalog code it was made by, so a
        pickle of an older layout of the catalog's classes is never read back.
        """
        import pickle
        import sys

        from jiesu import __version__

        load_catalog = _catalog_loader
        if load_catalog is None:  # nothing imported the rules: a program error, not a user's
            raise RuntimeError("no catalog loader registered: import jiesu.catalog before reading a store's catalog")
        folder = self.root / "catalog"
        key = self.catalog_key
        if key is None:
            return load_catalog(folder)  # an unreadable file: let the loader report it
        if key in _CATALOGS:
            return _CATALOGS[key]
        cache = self.jiesu_dir / "catalog.pickle"
        stamp = f"{key}|{__version__}|{sys.version}|{_code_stamp(load_catalog)}"
        catalog = None
        try:
            stored, cached = pickle.loads(cache.read_bytes())
            if stored == stamp:
                catalog = cached
        except Exception:  # noqa: BLE001 — a missing or unreadable cache is rebuilt
            pass
        if catalog is None:
            catalog = load_catalog(folder)
            try:
                self.jiesu_dir.mkdir(exist_ok=True)
                yamlio.atomic_write(cache, pickle.dumps((stamp, catalog), protocol=pickle.HIGHEST_PROTOCOL))
            except OSError:
                pass
        if len(_CATALOGS) >= 8:
            _CATALOGS.pop(next(iter(_CATALOGS)))
        _CATALOGS[key] = catalog
        return catalog

    @property
    def catalog_key(self) -> str | None:
        """A fingerprint of the catalog's content (None if a file cannot be read)."""
        digest = hashlib.sha256()
        for path in sorted((self.root / "catalog").glob("*.yaml")):
            try:
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
            except OSError:
                return None
        return digest.hexdigest()[:32]

    @cached_property
    def private(self):
        from jiesu.privacy import Private

        return Private(self)

    @property
    def jiesu_dir(self) -> Path:
        return self.root / ".jiesu"

    def now(self):
        return timeutil.now(self.tz)

    # --- cases ------------------------------------------------------------------------------
    def case_relpath(self, case_id: str) -> str:
        from jiesu.store.case_layout import case_relpath

        return case_relpath(validate_id(case_id))

    def case_path(self, case_id: str) -> Path:
        return self.root / self.case_relpath(case_id)

    def exists(self, case_id: str, tx=None) -> bool:
        if tx is not None and case_id in tx.docs:
            return True
        return self.case_path(case_id).is_file()

    def _checked(self, case_id: str, archived: bool = False) -> tuple[Path, str]:
        rel = self.case_relpath(case_id)
        path = self.root / rel
        if not path.is_file() and not path.is_symlink():
            from jiesu.store import archives

            found = archives.case_file(self.root, rel)
            if found and archived:
                return found[1], f"{archives.FOLDER}/{found[0]}/{rel}"
            if found:
                raise InvalidInput(_('{case_id} is archived in {FOLDER}/{found}/ and cannot change there').format(case_id=case_id, FOLDER=archives.FOLDER, found=found[0]),
                                   hint=_('bring it back first: jiesu unarchive {case_id}').format(case_id=case_id))
        return self.checked_file(rel, "case",
                                 CaseNotFound(i18n._("no case {case} in this store").format(case=case_id),
                                              hint=i18n._("list cases with `jiesu list`")))

    def checked_file(self, rel: str, kind: str, missing: Exception) -> tuple[Path, str]:
        """(path, rel) of a record file (a `kind` file) that may be read: a regular file inside the
        store; `missing` is raised when there is none."""
        path = self.root / rel
        if path.is_symlink():
            raise StoreError(_('{rel}: is a symbolic link; {kind} files must be regular files').format(rel=rel, kind=kind), hint=_('run `jiesu verify`'))
        if not path.is_file():
            raise missing
        if not path.resolve().is_relative_to(self.root):
            raise StoreError(_('{rel}: resolves outside the store; refusing to read it').format(rel=rel))
        return path, rel

    def case_file(self, case_id: str) -> Path:
        """The file of a case: in `cases/`, or in an archive store (`jiesu archive`)."""
        return self._checked(case_id, archived=True)[0]

    def load_case(self, case_id: str) -> dict:
        """A case as plain data, through the fast safe loader (archived cases too)."""
        path, rel = self._checked(case_id, archived=True)
        data = yamlio.load_file(path, rel)
        if not isinstance(data, dict):
            raise StoreError(_('{rel}:1: a case file must be a mapping').format(rel=rel))
        return data

    def edit_case(self, case_id: str):
        """A case for editing: (round-trip document, plain data)."""
        return self.edit_file(*self._checked(case_id), "case")

    def edit_file(self, path: Path, rel: str, kind: str = "case"):
        """A record file for editing: (round-trip document, plain data)."""
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise StoreError(_('{rel}:1: not UTF-8 text').format(rel=rel)) from None
        doc = yamlio.rt_load(text, rel)
        if not isinstance(doc, dict):
            raise StoreError(_('{rel}:1: a {kind} file must be a mapping').format(rel=rel, kind=kind))
        return doc, yamlio.to_plain(doc)

    # --- writing ----------------------------------------------------------------------------
    def transaction(self, what: str, batch: bool = False) -> "Transaction":
        """A write; with `batch`, many operations share it and it commits once."""
        return Transaction(self, what, batch)

    def lock(self, what: str = "jiesu", lend: bool = False) -> Lock:
        return Lock(self.jiesu_dir / "lock", what, lend=lend)

    def recover(self) -> list[str]:
        """Finish or undo a write that a killed process left behind (call under the lock).

        The journal names every file the write touched and the HEAD it started from. If HEAD
        moved, the commit landed and only the private repository may need its commit; if not,
        every named file goes back to HEAD. Temporary files of the dead write are removed.
        """
        from jiesu.store import leftovers

        cleared = leftovers.clear(self.root)
        journal = self.jiesu_dir / "journal"
        for leftover in yamlio.temp_files(journal):
            leftover.unlink(missing_ok=True)
        if not journal.exists():
            return cleared
        try:
            record = json.loads(journal.read_text("utf-8"))
        except (OSError, ValueError):
            record = {}
        if not isinstance(record, dict):
            record = {}
        paths = [p for p in record.get("paths", []) if _inside(self.root, p)]
        private = [p for p in record.get("private", []) if _inside(self.root / "private", p)]
        landed = self.git.head() != record.get("head")
        private_head = record.get("private_head") if isinstance(record.get("private_head"), str) else None
        for rel in paths:
            for leftover in yamlio.temp_files(self.root / rel):
                leftover.unlink(missing_ok=True)
        for rel in private:
            for leftover in yamlio.temp_files(self.root / "private" / rel):
                leftover.unlink(missing_ok=True)
        self.git.restore(paths)
        if private and self.private.exists():
            if landed:
                self.private.commit(private, "recover private data of an interrupted write", ("jiesu", "jiesu@localhost"))
            else:
                self.private.undo(private_head, private)
        journal.unlink()
        what = record.get("what") if isinstance(record.get("what"), str) else _("a write")
        said = (_("completed an interrupted write ({what}) of {paths}") if landed
                else _("rolled back an interrupted write ({what}) of {paths}"))
        return cleared + [said.format(what=what, paths=", ".join(paths) or _("nothing"))]


def _inside(root: Path, rel) -> bool:
    """A journal entry names a plain relative path inside `root` (never `..`, never absolute)."""
    if not isinstance(rel, str) or not rel or "\0" in rel or rel.startswith("/"):
        return False
    parts = rel.split("/")
    return ".." not in parts and "" not in parts and (root / rel).resolve().is_relative_to(root.resolve())


class Transaction:
    """One operation's writes: journaled, atomic per file, one commit, all-or-nothing."""

    def __init__(self, store: Store, what: str, batch: bool = False):
        self.store = store
        self.what = what
        self.batch = batch
        self.paths: list[str] = []
        self.private_paths: list[str] = []
        self.committed = False
        self.notes: list[str] = []
        self.docs: dict = {}  # case id -> [round-trip doc, plain case, dirty]
        self.allocated: set[str] = set()
        self.private_head: str | None = None  # private/'s HEAD before this write's private data
        self.log: list[tuple[str, str]] = []  # (action, case id) of a batch
        self.contents: dict[str, bytes] = {}  # what this transaction wrote to each path, for its commit
        self.private_texts: dict = {}  # private texts file → its data, kept by a batch until it flushes
        self._folders: set = set()
        self._lock = store.lock(what)

    def __enter__(self):
        if self.store.settings.get("hub"):
            from jiesu.hub import refusal

            raise refusal(self.store)
        self._lock.__enter__()
        try:
            if (self.store.root / ".git" / "MERGE_HEAD").exists():
                raise StoreError(_('a merge was left half-done in this store (an interrupted sync or pull); nothing was written'),
                                 hint=_('run `jiesu verify --repair`, then `jiesu sync` again'))
            self.notes = self.store.recover()
            self.head = self.store.git.write_head()
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def _journal(self) -> None:
        record = {"head": self.head, "paths": self.paths, "private": self.private_paths, "what": self.what,
                  "private_head": self.private_head}
        yamlio.atomic_write(self.store.jiesu_dir / "journal", json.dumps(record))

    def write(self, relpath: str, text: str, sync: bool = True) -> None:
        """Write one store file (journaled first, then atomically)."""
        target = self._target(relpath)
        if relpath not in self.paths:
            self.paths.append(relpath)
            self._journal()
        payload = text.encode("utf-8") if isinstance(text, str) else text
        yamlio.atomic_write(target, payload, sync=sync)
        self.contents[relpath] = payload
        faults.point("after-rename")

    def remove(self, relpath: str) -> None:
        """Delete one store file (journaled first; put back if the transaction fails)."""
        target = self.store.root / relpath
        if not target.parent.resolve().is_relative_to(self.store.root):
            raise StoreError(_('{relpath}: its folder resolves outside the store; refusing to delete').format(relpath=relpath))
        if relpath not in self.paths:
            self.paths.append(relpath)
            self._journal()
        self.contents.pop(relpath, None)
        target.unlink(missing_ok=True)

    def _target(self, relpath: str) -> Path:
        """A store path to write, its folder made once per transaction and never outside the store."""
        target = self.store.root / relpath
        parent = target.parent
        if parent not in self._folders:
            if not parent.resolve().is_relative_to(self.store.root):  # checked before mkdir: a dangling link counts
                raise StoreError(_('{relpath}: its folder resolves outside the store; refusing to write').format(relpath=relpath))
            parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(parent)
        return target

    def case(self, case_id: str):
        """(doc, plain) of a case as this transaction sees it (its own unwritten edits included)."""
        entry = self.docs.get(case_id)
        if entry is None:
            doc, plain = self.store.edit_case(case_id)
            entry = self.docs[case_id] = [doc, plain, False]
        return entry[0], entry[1]

    def put_case(self, case_id: str, doc, plain) -> None:
        """Record a changed or new case; written now, or at commit time in a batch."""
        self.docs[case_id] = [doc, plain, True]
        if not self.batch:
            self.flush()

    def flush(self) -> None:
        """Write every changed case. A batch journals all its paths at once and skips the
        per-file fsync: until its commit lands, the journal puts every one of them back."""
        if self.private_texts:
            self._flush_private()
        dirty = [(self.store.case_relpath(case_id), entry) for case_id, entry in self.docs.items() if entry[2]]
        if not dirty:
            return
        if self.batch:
            fresh = [rel for rel, _ in dirty if rel not in self.paths]
            if fresh:
                self.paths.extend(fresh)
                self._journal()
        for rel, entry in dirty:
            text = yamlio.dump_doc(entry[0])
            if self.batch and not (self.store.root / rel).exists():
                payload = text.encode("utf-8")
                yamlio.create_file(self._target(rel), payload)  # a new file: nothing to replace atomically
                self.contents[rel] = payload
            else:
                self.write(rel, text, sync=not self.batch)
            entry[2] = False

    def _flush_private(self) -> None:
        """Write a batch's private texts files: journaled at once, without a per-file fsync (the
        journal puts them back until the commit lands), as the batch's case files are."""
        texts, self.private_texts = self.private_texts, {}
        fresh = [rel for rel in texts if rel not in self.private_paths]
        if fresh:
            if not self.private_paths:
                self.private_head = self.store.private.head()
            self.private_paths.extend(fresh)
            self._journal()
        for rel, data in texts.items():
            target = self.store.private.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            yamlio.atomic_write(target, self.store.private.texts_text(data), sync=False, mode=0o600)

    def write_private(self, relpath: str, text: str) -> None:
        """Write one file of the private repository (committed just before the store commit)."""
        self._journal_private(relpath)
        target = self.store.private.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        yamlio.atomic_write(target, text, mode=0o600)

    def remove_private(self, relpath: str) -> None:
        """Delete one file of the private repository (put back if the transaction fails)."""
        self._journal_private(relpath)
        (self.store.private.root / relpath).unlink(missing_ok=True)

    def _journal_private(self, relpath: str) -> None:
        if not self.private_paths:
            self.private_head = self.store.private.head()
        if relpath not in self.private_paths:
            self.private_paths.append(relpath)
            self._journal()

    def commit(self, message: str, actor: str, at=None, meanwhile=None) -> str | None:
        """Commit the private data first, then the store: a failure of either leaves neither
        (the private commit is undone when the store commit fails; the journal does the same
        after a kill), so no shared case ever points at private data that is not there.

        `meanwhile()`, when given, runs once the commit has landed, while git brings its own index
        in step with it (it must not raise: the commit is made)."""
        self.flush()
        store = self.store
        message = with_office(message, store.office)
        author = author_identity(store, actor)
        now = store.now()
        if self.private_paths:
            store.private.commit(self.private_paths, message.splitlines()[0], author)
            store.notes += store.private.git.notes
            store.private.git.notes = []
            faults.point("after-private-commit")
        try:
            sha = store.git.commit(
                self.paths, message, author,
                author_date=timeutil.fmt(at) if at is not None else timeutil.fmt(now),
                committer_date=timeutil.fmt(now), parent=self.head, contents=self.contents, stage_later=True,
            )
        except BaseException:
            if self.private_paths and store.git.head() == self.head:
                store.private.undo(self.private_head, self.private_paths)
                self.private_paths = []
            raise
        self.committed = True
        try:
            if sha:  # while git brings its index in step with the commit
                paths = set(self.paths)
                cases = {store.case_relpath(cid): entry[1] for cid, entry in self.docs.items()}
                for hook in COMMIT_HOOKS:
                    hook(store, self.head, sha, {p: c for p, c in cases.items() if p in paths}, store.git.last_blobs)
                store.git.keep_commit_graph(store.jiesu_dir / "commit-graph-counter")
                if meanwhile is not None:
                    meanwhile()
        finally:
            store.git.finish_staging()
            store.notes += store.git.notes
            store.git.notes = []
        if self.batch:
            # a batch may go on after its commit: later failures restore only later files
            self.paths, self.private_paths, self.committed, self.private_head = [], [], False, None
            self.contents = {}
            self.head = sha or self.head
            journal = store.jiesu_dir / "journal"
            if journal.exists():
                journal.unlink()
        return sha

    def __exit__(self, exc_type, exc, tb):
        try:
            if not self.committed and (self.paths or self.private_paths):
                self.store.git.restore(self.paths)
                if self.private_paths and self.store.git.head() == self.head:
                    self.store.private.undo(self.private_head, self.private_paths)
            journal = self.store.jiesu_dir / "journal"
            if journal.exists():
                journal.unlink()
        finally:
            self.store.git.close()
            self._lock.__exit__(exc_type, exc, tb)
        return False
