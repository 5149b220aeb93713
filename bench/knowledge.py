#!/usr/bin/env python3
"""Time `jiesu kb search` (and answering a consultation with `intake --kb`) on a knowledge base
of N entries, and print the medians.

    python bench/knowledge.py [--entries 10000] [--repeat 9] [--dir /work/benchstores]

The store `<dir>/kb-<N>` is made once if missing: `jiesu init`, then N entries added in one
commit through the library (`jiesu.knowledge.ops.add`), each a variation of one of the shipped
examples (its questions and answer with a district, a year and a number woven in, so that the
vocabulary and the index grow like a real base). Every measured command is the installed `jiesu`
run as a subprocess, as an operator runs it; the index rows time the library alone. The intake
rows add consultations to the store (answered with a note, or from an entry) and so change it.
The interactive rows drive the intake form through a pseudo-terminal (pexpect), answering each
prompt as it shows: with the knowledge suggestions at the answer step, and without them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = "2025-06-30T17:00:00+08:00"
QUERIES = ["居住证过期了要去签注吗", "家里暖气不热只有十五度", "landlord refuses to return deposit",
           "how do I register my new baby", "辅导班老板跑了学费能退吗", "明天限行尾号是多少",
           "my employer owes me wages", "养狗要去哪里办狗证", "积分落户交社保一年加几分"]
DISTRICTS = ["东城", "西城", "朝阳", "海淀", "丰台", "石景山", "门头沟", "房山", "通州", "顺义", "昌平", "大兴",
             "怀柔", "平谷", "密云", "延庆"]


def jiesu() -> list[str]:
    local = Path(sys.executable).parent / "jiesu"
    return [str(local)] if local.exists() else [sys.executable, "-m", "jiesu"]


def env(root: Path) -> dict:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("JIESU_", "GIT_"))}
    out.update(JIESU_STORE=str(root), JIESU_NOW=NOW, JIESU_ACTOR="bench-op")
    return out


def make(root: Path, count: int) -> None:
    subprocess.run(jiesu() + ["init", str(root)], env=env(root), check=True, stdout=subprocess.DEVNULL)
    os.environ.update(JIESU_NOW=NOW)
    from jiesu.knowledge import ops
    from jiesu.knowledge.examples import example_entries
    from jiesu.store import Store

    rng = random.Random(count)
    examples = example_entries()
    items = []
    for i in range(count):
        base = dict(examples[i % len(examples)])
        district, year, number = rng.choice(DISTRICTS), rng.randint(2015, 2025), rng.randint(1, 9999)
        base["questions"] = [f"{q}（{district}区 {year}年 第{number}号）" for q in base["questions"]]
        base["answer"] = f"{district}区{year}年细则第{number}号：{base['answer']}"
        base["valid_from"] = "2024-01-01"
        items.append(base)
    started = time.perf_counter()
    ops.add(Store(root), "bench-op", items)
    print(f"added {count:,} entries in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def timed(argv: list[str], environment: dict) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def form(argv: list[str], environment: dict, choice: str | None) -> float:
    """One interactive intake through a pseudo-terminal, every prompt answered as soon as it
    shows (blank; `choice` at the answer step when given; then commit), from start to exit."""
    import pexpect

    prompts = (["answer 答复"] if choice else []) + ["community", "address", "complainant", "surname", "phone", "flags",
                                                     "tags", "commit / edit FIELD / abort"]
    started = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=dict(environment, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm"),
                          encoding="utf-8", timeout=120, dimensions=(40, 200))
    for prompt in prompts:
        child.expect(prompt)
        child.send(("commit" if prompt.startswith("commit") else choice if prompt.startswith("answer") else "") + "\r")
    child.expect(pexpect.EOF)
    elapsed = time.perf_counter() - started
    child.close()
    if child.exitstatus != 0:
        raise SystemExit(f"the interactive intake failed: {child.before[-300:]}")
    return elapsed


def form_rows(store, environment: dict, repeat: int) -> list:
    """The interactive intake of a consultation with the knowledge suggestions (the answer step
    lists the best entries; one is chosen) and without (the answer given on the command line, so
    no step): the same form otherwise, measured alternately. And the suggestion look-up alone."""
    from jiesu.knowledge.suggest import suggestions

    rp = "policy.residence.residence-permit"
    inside = []
    for q in (QUERIES * repeat)[:repeat]:
        started = time.perf_counter()
        suggestions(store, q, rp)
        inside.append(time.perf_counter() - started)
    consult = jiesu() + ["intake", "--type", "consultation", "--category", rp, "--title", "居住证过期了要去签注吗",
                         "--description", "居住证到期，问续签", "--street", "dragon-gate/eternal-town", "--channel", "hotline"]
    env = {k: v for k, v in environment.items() if k != "JIESU_INTERACTIVE"}
    with_, without = [], []
    for _ in range(repeat):
        with_.append(form(consult, env, "1"))
        without.append(form(consult + ["--answered", "Explained the endorsement"], env, None))
    return [("suggestions for a consultation (in-process: category + words, valid entries)", inside),
            ("interactive intake, answer step with suggestions, entry 1 chosen (pty, writes)", with_),
            ("interactive intake, answered on the command line: no suggestions (pty, writes)", without)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--dir", default="/work/benchstores")
    args = parser.parse_args(argv)
    root = Path(args.dir) / f"kb-{args.entries}"
    if not (root / "jiesu.yaml").exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        make(root, args.entries)
    e = env(root)
    os.environ.update(JIESU_NOW=NOW)
    from jiesu.knowledge import search
    from jiesu.store import Store

    store = Store(root)
    rows = []
    cold = []
    for _ in range(3):
        (root / ".jiesu" / "knowledge.sqlite").unlink(missing_ok=True)
        started = time.perf_counter()
        search.connect(store).close()
        cold.append(time.perf_counter() - started)
    rows.append(("index build from nothing (in-process)", cold))
    warm = []
    for q in QUERIES[: args.repeat]:
        started = time.perf_counter()
        search.search(store, q, 5)
        warm.append(time.perf_counter() - started)
    rows.append(("search, index up to date (in-process)", warm))
    rows.append(("`jiesu kb search TEXT` (command)", [timed(jiesu() + ["kb", "search", QUERIES[i % len(QUERIES)]], e)
                                                     for i in range(args.repeat)]))
    rows.append(("`jiesu kb search TEXT --format json` (command)",
                 [timed(jiesu() + ["kb", "search", QUERIES[i % len(QUERIES)], "--format", "json"], e) for i in range(args.repeat)]))
    consult = ["intake", "--type", "consultation", "--category", "policy.residence.residence-permit",
               "--title", "居住证签注", "--street", "dragon-gate/eternal-town"]
    rows.append(("`jiesu intake … --answered TEXT` (command, writes)",
                 [timed(jiesu() + consult + ["--answered", "Explained the endorsement"], e) for _ in range(args.repeat)]))
    rows.append(("`jiesu intake … --kb HL-K0006` (command, writes)",
                 [timed(jiesu() + consult + ["--kb", "HL-K0006"], e) for _ in range(args.repeat)]))
    rows.append(("`jiesu --help` (interpreter and click start-up)", [timed(jiesu() + ["--help"], e) for _ in range(args.repeat)]))
    rows += form_rows(store, e, args.repeat)
    print(f"| scenario ({args.entries:,} entries) | median | min | max |")
    print("|---|---|---|---|")
    for label, values in rows:
        print(f"| {label} | {statistics.median(values) * 1000:.0f} ms | {min(values) * 1000:.0f} ms | {max(values) * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
