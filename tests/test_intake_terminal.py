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


def spawn(store, command: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIESU_", "GIT_"))}
    env.update(JIESU_NOW=NOW, JIESU_ACTOR="operator", PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm")
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
    child.expect("time limit 时限: standard")
    child.expect("dispatch 派单: street")
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
