"""Commands about the store itself: init, demo, merge-driver."""

from __future__ import annotations

import sys

import click

from jiesu.cli.util import command_registry, note, say

COMMANDS: dict = {}


command = command_registry(COMMANDS)


@command("init")
@click.argument("directory", default=".", metavar="[DIR]")
@click.option("--office", default="HL", show_default=True, help="Office code: the case-id prefix.")
@click.option("--name", help="The office's name.")
@click.option("--tz", default="Asia/Shanghai", show_default=True, help="Time zone of the office (IANA name).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Language of reports.")
@click.pass_context
def init(ctx, directory, office, name, tz, lang):
    """Create a new store: git repository, default catalog, merge driver, private repository.

    \b
    Example:
      jiesu init office --office HL --name "Dragon Gate pilot office" --tz Asia/Shanghai
    """
    import os

    from jiesu import ops

    actor = (ctx.find_root().obj or {}).get("actor") or os.environ.get("JIESU_ACTOR") or "jiesu"
    store = ops.init_store(directory, office=office, name=name, tz=tz, lang=lang, actor=actor)
    say(f"initialised store {store.office} in {store.root}")


@command("demo")
@click.argument("directory", default="demo-store", metavar="[DIR]")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366), help="Days of traffic.")
@click.option("--seed", default=12345, show_default=True, type=int, help="Random seed (same seed, same store).")
@click.option("--per-day", default=12, show_default=True, type=click.IntRange(1, 500), help="Requests per day.")
@click.option("--no-reports", is_flag=True, help="Do not render reports.")
def demo(directory, days, seed, per_day, no_reports):
    """Build a complete demo store through the real operations.

    \b
    Example:
      jiesu demo /tmp/demo --days 30 --seed 7
    """
    from jiesu.demo import build_demo

    summary = build_demo(directory, days=days, seed=seed, per_day=per_day, reports=not no_reports, progress=sys.stderr.isatty())
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
    from jiesu.store.merge import run

    code = run(base, ours, theirs, path)
    if code:
        note("case file left for manual resolution")
    sys.exit(code)
