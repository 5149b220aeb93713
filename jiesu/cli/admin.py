"""Commands about the store itself: init, demo, merge-driver."""

from __future__ import annotations

import sys

import click

from jiesu import i18n, timeutil
from jiesu.cli.util import command_registry, note, say
from jiesu.i18n import _

COMMANDS, command = command_registry()


@command("init")
@click.argument("directory", default=".", metavar="[DIR]")
@click.option("--office", help="Office code: the case-id prefix (default HL; with --clone, the shared store's).")
@click.option("--name", help="The office's name.")
@click.option("--tz", default=timeutil.DEFAULT_ZONE, show_default=True, help="Time zone of the office (IANA name).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of reports.")
@click.option("--clone", "clone_url", metavar="URL", help="Join a shared store: clone it, with this office's own id prefix.")
@click.option("--catalog", "catalog_name", type=click.Choice(["default", "beijing"]), default="default", show_default=True,
              help="Units to start with: a fictional pilot city, or Beijing's 16 districts and 343 streets and towns.")
@click.pass_context
def init(ctx, directory, office, name, tz, lang, clone_url, catalog_name):
    """Create a new store: git repository, default catalog, merge driver, private repository.

    With --clone URL, the store is a clone of a shared one (another office's, or a common remote):
    it gets the merge driver, its own private repository and, with --office, its own case-id
    prefix, so offices that sync through one remote never take each other's ids.

    \b
    Examples:
      jiesu init office --office HL --name "Dragon Gate pilot office" --tz Asia/Shanghai
      jiesu init xicheng --office XC --clone ssh://hotline.example/cases.git
      jiesu init city --office BJ --catalog beijing
    """
    import os

    from jiesu import ops
    from jiesu.ops.setup import clone_store

    if clone_url:
        store = clone_store(clone_url, directory, office=office)
        i18n.store_language(store.lang)
        say(_("initialised store {office} in {root} (a clone of {url})").format(office=store.office, root=store.root, url=clone_url))
        if not office:
            note(_("this clone numbers new cases as office {office}, like the store it came from; give each desk or office "
                   "its own code (--office) so that ids never collide").format(office=store.office))
        return
    actor = (ctx.find_root().obj or {}).get("actor") or os.environ.get("JIESU_ACTOR") or "jiesu"
    store = ops.init_store(directory, office=office or "HL", name=name, tz=tz, lang=lang, actor=actor, catalog=catalog_name)
    i18n.store_language(store.lang)  # the new store's language: every later command in it speaks it
    say(_("initialised store {office} in {root}").format(office=store.office, root=store.root))


@command("demo")
@click.argument("directory", default="demo-store", metavar="[DIR]")
@click.option("--days", type=click.IntRange(1, 366), help="Days of traffic (default: from the 1st of last month to now).")
@click.option("--seed", default=12345, show_default=True, type=int, help="Random seed (same seed, same store).")
@click.option("--per-day", type=click.IntRange(1, 5000), help="Requests per day (default 30; 300 with --catalog beijing).")
@click.option("--no-reports", is_flag=True, help="Do not render reports.")
@click.option("--catalog", "catalog_name", type=click.Choice(["default", "beijing"]), default="default", show_default=True,
              help="The city: the fictional pilot city, or Beijing's 343 streets and towns (default --per-day 300).")
def demo(directory, days, seed, per_day, no_reports, catalog_name):
    """Build a complete demo store through the real operations.

    \b
    Examples:
      jiesu demo /tmp/demo --days 30 --seed 7
      jiesu demo /tmp/city --catalog beijing
    """
    from jiesu.demo import build_demo

    summary = build_demo(directory, days=days, seed=seed, per_day=per_day, reports=not no_reports, progress=sys.stderr.isatty(),
                         catalog=catalog_name)
    for line in summary:
        say(line)


@command("merge-driver", hidden=False)
@click.argument("base")
@click.argument("ours")
@click.argument("theirs")
@click.argument("path", required=False, default="")
def merge_driver(base, ours, theirs, path):
    """Merge two versions of a case file (run by git, configured by init).

    \b
    Example (git runs it for you; init configures it as):
      git config merge.jiesu.driver 'jiesu merge-driver %O %A %B %P'
    """
    from jiesu.merge_driver import run

    code = run(base, ours, theirs, path)
    if code:
        note(_("case file left for manual resolution"))
    sys.exit(code)
