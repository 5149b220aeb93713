"""The interactive intake, driven through a real pseudo-terminal (pexpect), as an operator types."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pexpect
import pytest
import yaml
from conftest import NOW

pytestmark = pytest.mark.slow


def spawn(store, command: str, lang: str = "en"):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIESU_", "GIT_"))}
    env.update(JIESU_NOW=NOW, JIESU_ACTOR="operator", PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", JIESU_LANG=lang)
    jiesu = f"{shlex.quote(sys.executable)} -m jiesu --store {shlex.quote(str(store.root))}"
    child = pexpect.spawn("bash", ["-c", command.replace("jiesu", jiesu, 1)], env=env, encoding="utf-8",
                          timeout=60, dimensions=(40, 200))
    return child


def answer(child, prompt: str, text: str) -> None:
    child.expect(prompt)
    child.send(text + "\r")


def commits(store) -> int:
    return int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=store.root, capture_output=True, text=True, check=True).stdout)


def cases(store) -> list:
    return sorted((store.root / "cases").rglob("*.yaml"))


def test_whole_form_checked_as_typed_and_the_id_captured(store):
    # stdout is captured by $( ); the form still prompts because stdin is a terminal
    child = spawn(store, 'ID=$(jiesu intake --tag 宜居); echo "captured:$ID:"')
    answer(child, "type", "抱怨")                       # refused, asked again with the error
    child.expect("unknown value '抱怨'")
    child.send("\x15投诉\r")                            # Ctrl-U clears the line; Chinese name
    answer(child, "channel", "")                       # the default, hotline
    answer(child, "title", "门口垃圾")
    child.expect("description")
    child.send("第一行\r第二行\x1b\r")                  # multi-line; Esc Enter ends it
    answer(child, "category", "loud music bar")        # words: the ranked matches are listed
    child.expect("1. env.noise.commercial-noise")
    answer(child, "number", "1")
    child.expect("time limit: standard")
    child.expect("dispatch: street")
    answer(child, "street/town", "永安镇")
    answer(child, "community", "")
    answer(child, "address", "")
    answer(child, "complainant", "")
    answer(child, "surname", "王")
    answer(child, "phone", "12")
    child.expect("is not a phone number")
    child.send("\x1513912345678\r")
    answer(child, "flags", "frequent")
    child.expect("tags")                               # given on the command line: shown, kept
    child.send("\r")
    answer(child, "commit / edit FIELD / abort", "edit title")
    child.expect("title")
    child.send("\x15酒吧噪音\r")
    answer(child, "commit / edit FIELD / abort", "commit")
    child.expect(r"captured:(HL-2111-0001):")
    child.expect(pexpect.EOF)
    case = yaml.safe_load(cases(store)[0].read_text(encoding="utf-8"))
    assert case["title"] == "酒吧噪音"
    assert case["type"] == "complaint" and case["channel"] == "hotline"
    assert case["description"].rstrip("\n") == "第一行\n第二行"
    assert case["category"] == "env.noise.commercial-noise"
    assert case["location"] == {"district": "dragon-gate", "street": "dragon-gate/eternal-town"}
    assert case["complainant"]["surname"] == "王" and case["complainant"]["phone"] == "13912345678"
    assert case["complainant"]["frequent"] is True
    assert case["tags"] == ["livability"]


def test_the_form_in_chinese_takes_chinese_answers(store):
    """With JIESU_LANG=zh every label is Chinese, and the last step takes 修改 标题, 提交."""
    child = spawn(store, 'ID=$(jiesu intake --type 投诉 --title 门口垃圾 --channel hotline --kind individual); echo "captured:$ID:"',
                  lang="zh")
    answer(child, "描述", "")
    child.send("\x1b\r")
    answer(child, "分类", "env.garbage.sorting")
    child.expect("时限：")
    child.expect("派单：")
    answer(child, "街乡镇", "永安镇")
    for prompt in ("社区", "地址", "姓", "电话", "标记", "标签"):
        answer(child, prompt, "")
    answer(child, "提交 / 修改 字段 / 放弃：", "修改 标题")
    answer(child, "标题", "\x15垃圾分类")
    answer(child, "提交 / 修改 字段 / 放弃：", "提交")
    child.expect(r"captured:(HL-2111-0001):")
    before = child.before
    child.expect(pexpect.EOF)
    assert "type" not in before and "title" not in before
    case = yaml.safe_load(cases(store)[0].read_text(encoding="utf-8"))
    assert case["title"] == "垃圾分类" and case["type"] == "complaint"
    assert case["category"] == "env.garbage.sorting"


@pytest.mark.parametrize("leave", ["abort", "ctrl-c"])
def test_abort_or_ctrl_c_writes_nothing(store, leave):
    before = commits(store)
    child = spawn(store, "jiesu intake --type complaint --title 垃圾 --category env.garbage.sorting "
                         "--street 永安镇 --channel hotline --kind individual; echo rc=$?")
    answer(child, "description", "")
    if leave == "ctrl-c":
        child.send("\x03")
    else:
        child.send("\x1b\r")
        for prompt in ("community", "address", "surname", "phone", "flags", "tags"):
            answer(child, prompt, "")
        answer(child, "commit / edit FIELD / abort", "abort")
    child.expect("error: intake aborted; nothing was written")
    child.expect("rc=1")
    child.expect(pexpect.EOF)
    assert commits(store) == before and cases(store) == []


def test_no_terminal_no_questions(store):
    result = subprocess.run([sys.executable, "-m", "jiesu", "--store", str(store.root), "intake", "--type", "投诉"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
                            env={k: v for k, v in os.environ.items() if not k.startswith("JIESU_")} | {"JIESU_NOW": NOW, "JIESU_ACTOR": "x"})
    assert result.returncode == 1
    assert result.stderr.startswith("error: --title: required")
    assert cases(store) == []


RP = "policy.residence.residence-permit"


def knowledge(run) -> None:
    """Three residence-permit entries: HL-K0001 current, HL-K0002 retired, HL-K0003 expired; and
    one heating entry of another category."""
    def add(question, answer, category=RP, *extra):
        run("kb", "add", "--question", question, "--answer", answer, "--source", "居住证暂行条例|国务院|2015-11-26",
            "--category", category, "--owner", "public-security", *extra)

    add("居住证到期了怎么续签？", "带身份证到派出所办理签注，也可在网上办理。")
    add("居住证续签要交什么材料？", "旧规定：带社保证明。")
    run("kb", "retire", "HL-K0002", "--reason", "rules changed", "--replaced-by", "HL-K0001")
    add("居住证续签在哪里办？", "旧地址：区政务中心。", RP, "--valid-from", "2020-01-01", "--valid-until", "2021-01-01")
    add("暖气不热怎么办？", "先联系供热公司报修。", "utilities.heating.not-warm")


def test_consultation_answered_from_a_suggested_entry(store, run):
    knowledge(run)
    before = commits(store)
    child = spawn(store, f"jiesu intake --type consultation --category {RP} --street 永安镇 --kind individual --channel hotline")
    answer(child, "title", "居住证续签")
    child.expect("description")
    child.send("居住证到期了，想问续签\x1b\r")
    child.expect("knowledge base:")
    child.expect(r"1\. HL-K0001 v1  居住证到期了怎么续签？")
    listing = child.before
    child.expect("answer")
    listing += child.before
    assert "HL-K0002" not in listing and "HL-K0003" not in listing  # retired, expired: never offered
    child.send("HL-K0002\r")                           # typed by hand: refused, naming the replacement
    child.expect(r"HL-K0002 was retired \(rules changed\); it cannot be given as an answer \(answer with HL-K0001 instead\)")
    child.send("\x159\r")
    child.expect("a number from 1 to")
    child.send("\x151\r")
    child.expect("HL-K0001 → 带身份证到派出所办理签注")
    for prompt in ("community", "address", "surname", "phone", "flags", "tags"):
        answer(child, prompt, "")
    child.expect("answer")                         # the summary shows the entry chosen
    child.expect("HL-K0001")
    answer(child, "commit / edit FIELD / abort", "commit")
    child.expect(r"HL-2111-0001")
    child.expect(pexpect.EOF)
    assert commits(store) == before + 1                 # intake and close on the call: one commit
    case = yaml.safe_load(cases(store)[0].read_text(encoding="utf-8"))
    close = case["events"][-1]
    assert case["state"]["status"] == "closed"
    assert (close["action"], close["kb"], close["kb_version"]) == ("close", "HL-K0001", 1)
    assert close["summary"] == "Answered from HL-K0001 (version 1): 居住证到期了怎么续签？"


def test_consultation_answered_in_own_words_or_left_for_dispatch(store, run):
    knowledge(run)
    child = spawn(store, "jiesu intake --type consultation --category utilities.heating.not-warm --street 永安镇 "
                         "--kind individual --channel hotline --title 暖气不热")
    answer(child, "description", "\x1b")
    child.expect(r"1\. HL-K0004 v1  暖气不热怎么办？")
    answer(child, "answer", "1")
    for prompt in ("community", "address", "surname", "phone", "flags", "tags"):
        answer(child, prompt, "")
    answer(child, "commit / edit FIELD / abort", "edit answer")   # changed mind: own words
    answer(child, "answer", "\x15已告知供热热线")
    answer(child, "commit / edit FIELD / abort", "commit")
    child.expect(r"HL-2111-0001")
    child.expect(pexpect.EOF)
    case = yaml.safe_load(cases(store)[0].read_text(encoding="utf-8"))
    assert case["state"]["status"] == "closed"
    close = case["events"][-1]
    assert close["summary"] == "已告知供热热线" and "kb" not in close
