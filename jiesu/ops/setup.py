"""Creating a store: git repository, default catalog, settings, merge driver, private repository."""

from __future__ import annotations

import shlex
import shutil
import sys
from importlib import resources
from pathlib import Path

from jiesu import timeutil
from jiesu.errors import InvalidInput, StoreError
from jiesu.i18n import _
from jiesu.store import LANGS, OFFICE, SETTINGS, Store, leftovers, yamlio
from jiesu.store.gitwrite import Git

CATALOGS = ("default", "beijing")
GITIGNORE = "/.jiesu/\n/private/\n/reports/out/\n"
GITATTRIBUTES = "cases/**/*.yaml merge=jiesu\nthemes/**/*.yaml merge=jiesu\nknowledge/*.yaml merge=jiesu\n"
# settings that keep one commit cheap in a store of 100,000 files and `log ID` fast
GIT_SETTINGS = {
    "core.splitIndex": "true",
    "core.untrackedCache": "true",
    "index.version": "4",
    "core.commitGraph": "true",
    "gc.writeCommitGraph": "true",
    "core.quotePath": "false",
}


def data_dir(name: str) -> Path:
    """A folder of packaged defaults: catalog, reports or cases."""
    return Path(str(resources.files("jiesu") / "data" / name))


def merge_driver_command() -> str:
    """The command git runs to merge case files: this interpreter, so no PATH is needed."""
    return f"{shlex.quote(sys.executable)} -m jiesu merge-driver %O %A %B %P"


def configure_git(git: Git) -> None:
    """Register the merge driver and the speed settings in the repository's own config."""
    git.set_config("merge.jiesu.name", "jiesu case merge (union of events)")
    git.set_config("merge.jiesu.driver", merge_driver_command())
    for key, value in GIT_SETTINGS.items():
        git.set_config(key, value)
    leftovers.ensure_excluded(git.root)


def init_store(directory: str | Path, office: str = "HL", name: str | None = None, tz: str = timeutil.DEFAULT_ZONE,
               lang: str = "en", actor: str = "jiesu", catalog: str = "default") -> Store:
    """Create a store in `directory` (created if missing) and commit it.

    `catalog` picks the units: `default` (a fictional pilot city) or `beijing` (Beijing's 16
    districts and 343 streets and towns); categories, tags and the rest are the default ones.
    """
    root = Path(directory).expanduser()
    if catalog not in CATALOGS:
        raise InvalidInput(_('--catalog: {catalog!r}; allowed: {items}').format(catalog=catalog, items=', '.join(CATALOGS)))
    if not OFFICE.match(office or ""):
        raise InvalidInput(_('--office: {office!r} must be 1–10 capital letters or digits, starting with a letter (e.g. HL)').format(office=office))
    timeutil.zone(tz)
    if lang not in LANGS:
        raise InvalidInput(_('--lang: {lang!r}; allowed: {items}').format(lang=lang, items=', '.join(LANGS)))
    _check_new(root, allow_git=True)
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        return _populate(root, office, name, tz, lang, actor, catalog)
    except BaseException:
        if created:
            shutil.rmtree(root, ignore_errors=True)
        raise


def _check_new(root: Path, allow_git: bool) -> None:
    if (root / SETTINGS).exists():
        raise InvalidInput(_('{root} is already a jiesu store ({SETTINGS} exists)').format(root=root, SETTINGS=SETTINGS))
    if root.exists() and not root.is_dir():
        raise InvalidInput(_('{root} exists and is not a folder').format(root=root))
    keep = (".git",) if allow_git else ()
    if root.exists() and any(p.name not in keep for p in root.iterdir()):
        raise InvalidInput(_('{root} is not empty; init needs a new or empty folder').format(root=root))


def clone_store(url: str, directory: str | Path, office: str | None = None) -> Store:
    """A store for another office (or another desk) made by cloning a shared one.

    The clone gets the merge driver, its own private repository and, with `office`, its own
    case-id prefix (`git config jiesu.office`), so its new cases never take another office's ids.
    """
    root = Path(directory).expanduser()
    if office is not None and not OFFICE.match(office):
        raise InvalidInput(_('--office: {office!r} must be 1–10 capital letters or digits, starting with a letter (e.g. XC)').format(office=office))
    _check_new(root, allow_git=False)
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        parent = Git(root.resolve().parent)
        proc = parent.clone(url, root.resolve())
        if proc.returncode != 0:
            detail = next((ln.strip() for ln in proc.stderr.splitlines() if ln.startswith("fatal:")), proc.stderr.strip()[:200])
            raise StoreError(_('cannot clone {url}: {detail}').format(url=url, detail=detail), hint=_('check the address, or that the remote is reachable'))
        git = Git(root.resolve())
        if git.head() is None:
            _check_out_remote_branch(git)
        if not (root / SETTINGS).is_file():
            raise StoreError(
                _('{url} holds no jiesu store (no {SETTINGS} at its top)').format(url=url, SETTINGS=SETTINGS),
                hint=_('the first office creates the store and pushes it: jiesu init DIR, git remote add origin URL, jiesu sync'),
            )
        configure_git(git)
        store = Store(root)
        if office and office != store.office:
            git.set_config("jiesu.office", office)
            store = Store(root)
        store.check_catalog()  # a clone with a broken catalog is refused like a fresh store
        store.private.ensure()
        return store
    except BaseException:
        if created:
            shutil.rmtree(root, ignore_errors=True)
        else:
            for child in root.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink()
        raise


def _check_out_remote_branch(git: Git) -> None:
    """A bare remote whose HEAD names a branch nobody pushed: check out main, master or the only one."""
    branches = [b.removeprefix("origin/") for b in git.out("branch", "-r", "--format=%(refname:short)").split()
                if b.startswith("origin/") and b != "origin/HEAD"]
    for name in ("main", "master", *branches):
        if name in branches:
            git.track_branch(name)
            return


def _populate(root: Path, office: str, name: str | None, tz: str, lang: str, actor: str, catalog: str = "default") -> Store:
    git = Git(root.resolve())
    if not (root / ".git").exists():
        git.init("main")
    elif not git.is_repo_root():
        raise StoreError(_('{root} holds a .git that is not a repository root').format(root=root))
    configure_git(git)
    shutil.copytree(data_dir("catalog"), root / "catalog", dirs_exist_ok=True,  # named catalogs (beijing/) stay behind
                    ignore=lambda folder, names: [n for n in names if (Path(folder) / n).is_dir()])
    for path in (root / "catalog").glob("*"):
        if path.suffix != ".yaml":
            path.unlink()
    if catalog != "default":  # a named catalog replaces some of the default files (Beijing: units.yaml)
        for path in data_dir("catalog").joinpath(catalog).glob("*.yaml"):
            shutil.copyfile(path, root / "catalog" / path.name)
    (root / "reports").mkdir(exist_ok=True)
    (root / "reports" / "README.md").write_text(
        "# Report templates of this office\n\n"
        "A template here overrides the packaged one of the same name (for example `daily.md.j2`),\n"
        "and may `{% extends \"jiesu/daily.md.j2\" %}` to change only a block. Rendered reports go to\n"
        "`reports/out/`, which git ignores.\n",
        "utf-8",
    )
    (root / "cases").mkdir(exist_ok=True)
    (root / "cases" / ".gitkeep").write_text("", "utf-8")
    settings = yamlio.cmap([
        ("office", office), ("name", name or f"{office} citizen service office"), ("timezone", tz), ("lang", lang),
    ])
    (root / SETTINGS).write_text(
        "# jiesu store settings: office code (case-id prefix), name, time zone, report language\n" + yamlio.rt_dump(settings),
        "utf-8",
    )
    (root / ".gitignore").write_text(GITIGNORE, "utf-8")
    (root / ".gitattributes").write_text(GITATTRIBUTES, "utf-8")
    store = Store(root)
    store.check_catalog()  # validate the copied catalog before committing it
    store.private.ensure()
    with store.transaction("init") as tx:
        paths = [SETTINGS, ".gitignore", ".gitattributes", "cases/.gitkeep", "reports/README.md"]
        paths += [f"catalog/{p.name}" for p in sorted((root / "catalog").glob("*.yaml"))]
        tx.paths = paths
        message = f"init store {office}: {name or office}\n\nJiesu-Action: init\nJiesu-Actor: {actor}\n"
        tx.commit(message, actor)
    return store
