"""The knowledge base (政策问答): entries as versioned records, commands, answering on the call,
refusals, verify, and the quality of `kb search` on questions phrased as callers phrase them."""

from __future__ import annotations

import copy
import json

from conftest import git, load

from jiesu.knowledge import record
from jiesu.store import Store, yamlio

RP = "policy.residence.residence-permit"
SOURCE = "居住证暂行条例|国务院|2015-11-26"


def add(run, *extra, question="居住证到期了怎么续签？", answer="到派出所办理签注。", **kw) -> str:
    args = ["kb", "add", "--question", question, "--answer", answer, "--source", SOURCE,
            "--category", RP, "--owner", "public-security"]
    for key, value in kw.items():
        args += [f"--{key.replace('_', '-')}", value]
    return run(*args, *extra).stdout.strip()


def consult(run, *extra) -> str:
    return run("intake", "--type", "consultation", "--category", RP, "--title", "居住证续签", *extra).stdout.strip()


def test_entry_is_a_record_with_versions_trailers_and_log(run, store):
    entry_id = add(run, "--question", "How do I renew my residence permit?")
    assert entry_id == "HL-K0001"
    path = store.root / "knowledge" / "HL-K0001.yaml"
    data = yamlio.load_file(path, "k")
    assert data["state"]["status"] == "active" and data["state"]["version"] == 1
    assert data["state"]["questions"] == ["居住证到期了怎么续签？", "How do I renew my residence permit?"]
    assert data["state"]["sources"] == [{"title": "居住证暂行条例", "issuer": "国务院", "date": "2015-11-26"}]
    assert str(data["state"]["valid_from"]) == "2021-11-10" and str(data["state"]["review_by"]) == "2022-11-10"
    body = git(store.root, "log", "-1", "--format=%B")
    assert "Jiesu-Knowledge: HL-K0001" in body and "Jiesu-Action: new" in body and "Jiesu-Actor: operator" in body
    assert "knowledge/*.yaml merge=jiesu" in (store.root / ".gitattributes").read_text()

    assert run("kb", "edit", entry_id, "--answer", "网上办理签注。").stdout.startswith("HL-K0001: version 2")
    assert "Jiesu-Action: edit" in git(store.root, "log", "-1", "--format=%B")
    old = run.json("kb", "show", entry_id, "--version", "1")
    new = run.json("kb", "show", entry_id)
    assert (old["version"], old["answer"], old["versions"]) == (1, "到派出所办理签注。", 2)
    assert (new["version"], new["answer"]) == (2, "网上办理签注。")
    assert new["questions"] == old["questions"]  # fields not given stay
    log = run.json("log", entry_id)
    assert [e["action"] for e in log] == ["new", "edit"]
    assert "version 1 of 2" in run("kb", "show", entry_id, "--version", "1", check=False).stdout
    run.fails("kb", "show", entry_id, "--version", "3", match="version(s) 1 to 2")
    run.fails("kb", "edit", entry_id, "--answer", "网上办理签注。", match="nothing changed")


def test_answer_on_the_call_keeps_the_version_given(run, store):
    entry_id = add(run)
    case_id = consult(run, "--kb", entry_id)
    case = load(store, case_id)
    close = case["events"][-1]
    assert case["state"]["status"] == "closed"
    assert (close["action"], close["kb"], close["kb_version"]) == ("close", entry_id, 1)
    assert "Jiesu-Case" in git(store.root, "log", "-1", "--format=%B")
    run("kb", "edit", entry_id, "--question", "居住证签注在哪里办？", "--answer", "第二版答复")
    shown = run("show", case_id, check=False).stdout
    assert f"from {entry_id} version 1: 居住证到期了怎么续签？" in shown
    given = run.json("show", case_id)["answered_from"]
    assert given == [{"id": entry_id, "version": 1, "question": "居住证到期了怎么续签？", "answer": "到派出所办理签注。"}]
    # beside --answered, the entry is recorded and the summary is the operator's note
    second = consult(run, "--kb", entry_id, "--answered", "Also told the caller about the app")
    close = load(store, second)["events"][-1]
    assert (close["kb"], close["kb_version"], close["summary"]) == (entry_id, 2, "Also told the caller about the app")


def test_refusals_write_nothing(run, store, monkeypatch):
    add(run)
    run.fails("kb", "add", "--question", "Q?", "--answer", "A", "--source", SOURCE, "--category", "no.such", "--owner", "housing",
              match="unknown category")
    run.fails("kb", "add", "--question", "Q?", "--answer", "A", "--source", SOURCE, "--owner", "nobody", match="nobody")
    run.fails("kb", "add", "--question", "Q?", "--answer", "A", "--source", SOURCE, "--owner", "housing", "--theme", "HL-T26-09",
              match="no theme HL-T26-09")
    run.fails("kb", "add", "--question", "Q?", "--answer", "A", "--source", SOURCE, "--owner", "housing",
              "--valid-from", "2021-06-01", "--valid-until", "2021-05-01", match="before --valid-from")
    run.fails("kb", "add", "--question", " ", "--answer", "A", "--source", SOURCE, "--owner", "housing", match="--question")
    run.fails("kb", "add", "--question", "Q?", "--answer", "", "--source", SOURCE, "--owner", "housing", match="--answer")
    run.fails("kb", "add", "--question", "Q?", "--answer", "A", "--owner", "housing", match="--source")
    run.fails("kb", "add", match="one of them")
    run.fails("kb", "show", "HL-K9999", match="no knowledge entry HL-K9999")
    run.fails("kb", "show", "../x", match="expected OFFICE-KNNNN")
    # a complaint is not answered from the base
    run.fails("intake", "--type", "complaint", "--category", RP, "--title", "x", "--kb", "HL-K0001", match="answers a consultation")
    # retired with a replacement: refused, naming it
    replacement = add(run, question="居住证签注在哪里办？")
    run("kb", "retire", "HL-K0001", "--reason", "rules changed", "--replaced-by", replacement)
    refused = run.fails("intake", "--type", "consultation", "--title", "x", "--kb", "HL-K0001", match="HL-K0001 was retired")
    assert f"answer with {replacement} instead" in refused.stderr
    run.fails("kb", "edit", "HL-K0001", "--answer", "again", match="is retired")
    # expired: refused
    add(run, "--valid-until", "2021-11-30", question="临时政策？")
    monkeypatch.setenv("JIESU_NOW", "2021-12-05T09:00:00")
    run.fails("intake", "--type", "consultation", "--title", "x", "--kb", "HL-K0003", match="expired on 2021-11-30")


def test_hostile_text_is_stored_faithfully(run, store):
    hostile = "答复 \u202e[link](javascript:alert(1)) <script>x</script> *bold*"
    entry_id = add(run, answer=hostile)
    assert run.json("kb", "show", entry_id)["answer"] == hostile
    shown = run("kb", "show", entry_id, check=False).stdout
    line = next(ln for ln in shown.splitlines() if "javascript" in ln)
    assert "\u2069" in line.split("\u202e", 1)[1]  # the lone override is isolated: it cannot reorder what follows


def test_verify_flags_stale_entries_and_list_shows_them(run, store, monkeypatch):
    add(run, "--review-by", "2021-12-01")
    add(run, "--valid-until", "2021-12-31", question="供暖费怎么交？")
    monkeypatch.setenv("JIESU_NOW", "2022-01-15T09:00:00")
    from jiesu import verify

    found = [(p.path, p.severity, p.message) for p in verify.verify(Store(store.root)) if p.path.startswith("knowledge/")]
    assert ("knowledge/HL-K0001.yaml", "warning") == found[0][:2] and "review_by 2021-12-01" in found[0][2]
    assert ("knowledge/HL-K0002.yaml", "warning") == found[1][:2] and "valid_until 2021-12-31" in found[1][2]
    rows = run.json("kb", "list", "--stale")
    assert [(r["id"], r["stale"]) for r in rows] == [("HL-K0001", "review"), ("HL-K0002", "expired")]
    # search leaves out the expired one; --all brings it back
    assert [h["id"] for h in run.json("kb", "search", "供暖费")] == []
    assert [h["id"] for h in run.json("kb", "search", "供暖费", "--all")] == ["HL-K0002"]


def test_verify_finds_a_hand_broken_entry(run, store):
    entry_id = add(run)
    path = store.root / "knowledge" / f"{entry_id}.yaml"
    path.write_text(path.read_text("utf-8").replace("version: 1", "version: 7"), "utf-8")
    git(store.root, "commit", "-qam", "by hand")
    from jiesu import verify

    problems = [p for p in verify.verify(Store(store.root)) if p.path == f"knowledge/{entry_id}.yaml"]
    assert any(p.severity == "error" and "state does not match the events (version)" in p.message for p in problems)
    assert any(p.severity == "warning" and "changed outside jiesu" in p.message for p in problems)


def test_add_from_file_and_list_filters(run, store, tmp_path):
    items = [{"questions": ["Q1 heating?"], "answer": "A1", "sources": [{"title": "T1"}], "categories": ["utilities.heating.fees"],
              "owner": "heating-group"},
             {"questions": ["Q2 water?"], "answer": "A2", "sources": ["T2|Issuer"], "categories": ["utilities.water.outage"],
              "owner": "waterworks-group"}]
    source = tmp_path / "answers.json"
    source.write_text(json.dumps(items), "utf-8")
    assert run("kb", "add", "--from", source).stdout.split() == ["HL-K0001", "HL-K0002"]
    assert len(git(store.root, "log", "--format=%H").split()) == 2  # init + one commit for both
    assert [r["id"] for r in run.json("kb", "list", "--category", "utilities.heating")] == ["HL-K0001"]
    items[1]["owner"] = "nobody"
    source.write_text(json.dumps(items), "utf-8")
    run.fails("kb", "add", "--from", source, match="entry 2:")


# --- search quality -------------------------------------------------------------------------------
# Questions as callers put them (not the wording of the entries), with the example entry expected
# among the first three: the examples are added in file order, HL-K0001 … HL-K0038.
CALLS = [
    ("宝宝出生了去哪里办户口", 1), ("我想把户口迁到北京我爸妈这里", 2), ("积分落户今年什么时候开始报名", 3),
    ("积分落户交社保一年加几分", 4), ("我是外地的，在北京怎么办居住证", 5), ("居住证过期了要去签注吗", 6),
    ("身份证掉了，我户口在河南能在北京补吗", 7), ("自由职业者社保怎么自己交", 8), ("交了15年社保退休能领养老金吗", 9),
    ("我妈的养老金这个月没发", 10), ("看门诊医保报销比例是多少", 11), ("回老家看病医保能直接结算吗", 12),
    ("被公司辞退了能领失业金吗", 13), ("入职三个月了公司还不签合同", 14), ("干了半年活老板一直不给工钱", 15),
    ("小学一年级入学信息采集什么时候", 16), ("我们是外地户口孩子在北京上小学要什么材料", 17), ("孩子三岁了怎么报名上幼儿园", 18),
    ("辅导班老板跑了学费能退吗", 19), ("今年暖气费交多少钱一平米", 20), ("家里暖气不热只有十五度", 21),
    ("今年几号开始供暖", 22), ("我们小区突然停水了", 23), ("物业不让装新能源车充电桩", 24),
    ("楼道里有人给电瓶车充电", 25), ("理发店关门了充的卡怎么办", 26), ("租房到期房东扣着押金不退", 27),
    ("申请公租房有什么条件", 28), ("家里没收入能不能吃低保", 29), ("怎么申请摇号买车", 30),
    ("明天限行尾号是多少", 31), ("社区有没有老年食堂", 32), ("我爸85岁了有高龄补贴吗", 33),
    ("厨余垃圾几点可以扔", 34), ("养狗要去哪里办狗证", 35), ("想开个小卖部怎么办营业执照", 36),
    ("我们老楼想装电梯要多少户同意", 37), ("物业不干活我能不交物业费吗", 38),
    ("how do I register my new baby", 1), ("how do I get a residence permit as a migrant worker", 5),
    ("I lost my identity card", 7), ("when can I start receiving my pension", 9),
    ("can I use my Beijing medical insurance in another province", 12), ("my employer owes me wages", 15),
    ("my apartment is cold, the heating is not working", 21), ("when does heating start this year", 22),
    ("landlord refuses to return deposit", 27), ("how to apply for the licence plate lottery", 30),
    ("gym closed and kept my prepaid membership money", 26), ("how do I sort kitchen waste", 34),
    ("do I need to license my dog", 35), ("how many neighbours must agree to install an elevator", 37),
]


def test_search_finds_the_answer_callers_need_in_the_top_three(run, store):
    from jiesu.knowledge.search import search

    assert run("kb", "add", "--examples").stdout.split()[-1] == "HL-K0038"
    entries = [yamlio.load_file(p, p.name) for p in sorted((store.root / "knowledge").glob("*.yaml"))]
    assert len(entries) >= 30
    for entry in entries:  # both languages, a named source, marked as an example
        state = entry["state"]
        text = " ".join(state["questions"]) + state["answer"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text) and any(ch.isascii() and ch.isalpha() for ch in text)
        assert state["sources"][0]["title"] and state["example"] is True
    misses = []
    for question, number in CALLS:
        hits = [h["id"] for h in search(store, question, 3)]
        if f"HL-K{number:04d}" not in hits:
            misses.append((question, number, hits))
    assert len(CALLS) >= 30 and misses == []
    # the index follows edits: an entry retired is no longer offered
    run("kb", "retire", "HL-K0035", "--reason", "replaced by the district's own answer")
    assert "HL-K0035" not in [h["id"] for h in search(store, "养狗要去哪里办狗证", 3)]
    assert run.json("kb", "search", "狗证", "--category", "urban.civility") == []


def test_search_of_nothing_useful_finds_nothing(run, store):
    add(run)
    assert run.json("kb", "search", "的") == []
    assert "0 match(es)" in run("kb", "search", "zzzz", check=False).stdout


def test_usage_counts_repeat_calls_and_dissatisfaction_by_hand(run, store):
    from jiesu import ops

    a = add(run, "--valid-from", "2021-01-01")
    b = add(run, "--valid-from", "2021-01-01", question="居住证签注在哪里办？")
    answered = {}
    for phone, day, entry in (("13800000001", "09-01", a), ("13800000002", "09-02", a), ("13800000003", "09-03", a),
                              ("13800000004", "09-04", b)):
        answered[phone] = consult(run, "--phone", phone, "--at", f"2021-{day}T10:00", "--kb", entry)
    # P1 calls again about the same category 9 days later: came back
    consult(run, "--phone", "13800000001", "--at", "2021-09-10T10:00", "--answered", "again")
    # P2 calls again about it, but 40 days later: outside the 30 days
    consult(run, "--phone", "13800000002", "--at", "2021-10-12T10:00", "--answered", "much later")
    # P3 calls again within days, but about another category: not the same question
    run("intake", "--type", "complaint", "--category", "env.garbage.unregulated-collection", "--title", "x",
        "--street", "dragon-gate/eternal-town", "--phone", "13800000003", "--at", "2021-09-05T10:00")
    # P4 was dissatisfied at follow-up
    ops.evaluate(store, answered["13800000004"], "callback", True, True, False, "dissatisfied", reason="no help",
                 at="2021-09-06T10:00")
    figures = run.json("kb", "usage", "--since", "2021-09-01", "--until", "2021-09-30")
    rows = {r["id"]: r for r in figures["entries"]}
    assert {k: rows[a][k] for k in ("answered", "repeat", "repeat_rate", "dissatisfied", "evaluated")} == \
        {"answered": 3, "repeat": 1, "repeat_rate": 0.3333, "dissatisfied": 0, "evaluated": 0}
    assert {k: rows[b][k] for k in ("answered", "repeat", "repeat_rate", "dissatisfied", "evaluated")} == \
        {"answered": 1, "repeat": 0, "repeat_rate": 0.0, "dissatisfied": 1, "evaluated": 1}
    assert [r["id"] for r in figures["entries"]] == [a, b]  # worst repeat rate first
    # the period counts calls by the day they were received
    assert {r["id"]: r["answered"] for r in run.json("kb", "usage", "--since", "2021-09-02", "--until", "2021-09-03")["entries"]} == {a: 2, b: 0}
    # the weekly summary of 30 Aug – 5 Sep names the entries whose callers came back (calls of the
    # four weeks to its end): A alone, 1 of its 3; none is past its review date (2022-01-01)
    week = run.json("report", "weekly", "--week", "2021-W35", "--format", "json")
    assert [(r["id"], r["answered"], r["repeat"], r["repeat_rate"]) for r in week["kb_worst"]] == [(a, 3, 1, 0.3333)]
    assert week["kb_stale"] == []
    assert a in run("report", "weekly", "--week", "2021-W35", "--format", "md").stdout


def test_theme_report_lists_its_policy_qa(run, store):
    theme = run("theme", "new", "--title", "Residence permits", "--year", "2021", "--month", "11", "--lead", "public-security",
                "--scope", f"category={RP}").stdout.strip()
    answer = "签注 [在此](javascript:alert(1)) <b>办理</b>"
    entry_id = add(run, "--theme", theme, answer=answer)
    add(run, question="与专题无关？")
    report = run("report", "theme", theme, "--format", "md", check=False).stdout
    assert "## Policy Q&A" in report and f"({entry_id} v1)" in report and "与专题无关" not in report
    from jiesu import safetext

    assert safetext.markdown(answer) in report and "<b>" not in report  # inert Markdown
    assert [r["id"] for r in run.json("kb", "list", "--theme", theme)] == [entry_id]
    assert json.loads(run("report", "theme", theme, "--format", "json", check=False).stdout)["qa"][0]["id"] == entry_id


def test_merge_driver_orders_two_edits_and_supersedes_an_edit_after_retirement(tmp_path):
    from jiesu.merge_driver import kind_for, merge_files

    content = {"questions": ["Q?"], "answer": "A0", "sources": [{"title": "T"}], "owner": "housing", "valid_from": "2026-01-01"}

    def entry(*events):
        body = {"id": "HL-K0001", "schema": 1, "events": [copy.deepcopy(e) for e in events]}
        body["state"] = record.state_block(body)
        return yamlio.rt_dump(body)

    new = {"id": "aaaaa1", "at": "2026-03-01T09:00:00+08:00", "by": "a", "action": "new", **content}
    ours = {"id": "bbbbb1", "at": "2026-03-02T09:00:00+08:00", "by": "a", "action": "edit", **dict(content, answer="A-ours")}
    theirs = {"id": "ccccc1", "at": "2026-03-03T09:00:00+08:00", "by": "b", "action": "edit", **dict(content, answer="A-theirs")}
    retire = {"id": "ddddd1", "at": "2026-03-02T10:00:00+08:00", "by": "a", "action": "retire", "reason": "gone"}
    kind = kind_for("knowledge/HL-K0001.yaml")
    assert kind is record.KIND
    for ours_events, expect in (([new, ours], (3, "A-theirs", "active", [])), ([new, ours, retire], (2, "A-ours", "retired", ["ccccc1"]))):
        paths = {}
        for name, events in (("base", [new]), ("ours", ours_events), ("theirs", [new, theirs])):
            paths[name] = tmp_path / name
            paths[name].write_text(entry(*events), "utf-8")
        clean, _ = merge_files(str(paths["base"]), str(paths["ours"]), str(paths["theirs"]), kind=kind)
        merged = yamlio.load(paths["ours"].read_text("utf-8"))
        state = merged["state"]
        assert clean and (state["version"], state["answer"], state["status"],
                          [e["id"] for e in merged["events"] if e.get("superseded")]) == expect


def test_every_kb_command_has_help_with_an_example(run):
    from jiesu.cli.knowledge import kb

    for name in kb.commands:
        out = run("kb", name, "--help", check=False).stdout
        assert "Example" in out and f"jiesu kb {name}" in out, f"kb {name} help has no example"
    assert sorted(kb.commands) == ["add", "edit", "list", "retire", "search", "show", "usage"]
