"""Personal data in free text (DESIGN §5): phone numbers, resident ID numbers and the
complainant's name are masked before any text reaches a shared file, for every case.

The table below types 34 phone formats and 18 spellings of one name into the titles and
descriptions of ordinary and confidential cases, and into notes and a close summary; then every
shared place is searched for them: case files, every git object and commit message, `list`,
`log`, `show`, every report and export, and a clone of the remote after `sync`. `private/` keeps
the full text, and `show --reveal` shows it.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from conftest import ETERNAL, GARBAGE, git, load

from jiesu import redact

# (format, secret digits): the secret is what masking must hide (the middle and last digits)
PHONES = [
    ("电话13970013001", "70013001"),
    ("号码是13970023002请回电", "70023002"),
    ("13970033003号", "70033003"),
    ("139.7004.3004", "70043004"),
    ("(139)7005-3005", "70053005"),
    ("010-7006-3006", "70063006"),
    ("010-70073007转123", "70073007"),
    ("212-555-3008", "5553008"),
    ("１３９７００９３００９", "70093009"),
    ("+86 139 7010 3010", "70103010"),
    ("0086-139-7011-3011", "70113011"),
    ("+8613970123012", "70123012"),
    ("86-13970133013", "70133013"),
    ("tel13970143014", "70143014"),
    ("13970153015abc", "70153015"),
    ("手机：139-7016-3016，谢谢", "70163016"),
    ("座机(010)70173017", "70173017"),
    ("（010）7018－3018", "70183018"),
    ("电话：010 7019 3019 转 8", "70193019"),
    ("+1 (212) 555-3020", "5553020"),
    ("1-212-555-3021", "5553021"),
    ("办公室电话70223022", "70223022"),
    ("139 7023 3023", "70233023"),
    ("139-7024-3024", "70243024"),
    ("1397025 3025", "70253025"),
    ("139 70263026", "70263026"),
    ("13970273027、13970283028", "70273027"),
    ("０１０－７０２９３０２９", "70293029"),
    ("+44 20 7030 3030", "70303030"),
    ("0755-70313031", "70313031"),
    ("Tel: 010.7032.3032", "70323032"),
    ("微信同号13970333033", "70333033"),
    ("电话139－7034－3034", "70343034"),
    ("call 555-3035 after 6 pm", "5553035"),
]
NAME, SURNAME = "张伟国", "张"
SPELLINGS = [
    "张伟国", "张 伟国", "张 伟 国", "Zhang Weiguo", "zhang weiguo", "ZHANG WEIGUO", "ZhangWeiguo", "zhangweiguo",
    "Weiguo Zhang", "weiguo zhang", "WEIGUO ZHANG", "Zhang Wei-guo", "Zhang Wei Guo", "Wei Guo Zhang",
    "Zhāng Wěiguó", "ZHANG, Weiguo", "Ｚｈａｎｇ Ｗｅｉｇｕｏ", "WeiguoZhang",
]
NAME_SECRETS = ("zhangweiguo", "weiguozhang", "张伟国")
_SEPARATORS = re.compile(r"[\s\-.()·,_'’/]")


def fold(text: str) -> str:
    """Text as a leak search sees it: half-width, no accents, no case, no separators."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _SEPARATORS.sub("", text)


def valid_id(base17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return base17 + "10X98765432"[sum(int(d) * w for d, w in zip(base17, weights)) % 11]


RESIDENT_ID = valid_id("11010519900307123")


@pytest.mark.parametrize("typed,secret", PHONES)
def test_every_phone_format_is_masked(typed, secret):
    masked = redact.redact(f"来电 {typed} 反映问题").text
    assert secret not in fold(masked), masked
    assert "*" in masked


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_name_spelling_is_masked(spelling):
    forms = redact.name_forms(NAME)
    masked = redact.redact(f"caller {spelling} says so", forms).text
    assert not any(secret in fold(masked) for secret in NAME_SECRETS), masked


def test_what_is_not_personal_stays_readable():
    text = ("2021-11-02 10:02 HL-2111-0069 at 116.407526, 39.904030; fee 1234567.50; 3号楼2单元501室; postcode 100020; "
            "20211102; 2021年11月2日; call 12345")
    assert redact.redact(text).text == text


def test_resident_id_numbers_with_a_valid_check_character_are_masked():
    assert redact.valid_resident_id(RESIDENT_ID) and not redact.valid_resident_id(RESIDENT_ID[:17] + "0" if RESIDENT_ID[-1] != "0" else RESIDENT_ID[:17] + "1")
    spaced = f"{RESIDENT_ID[:6]} {RESIDENT_ID[6:14]} {RESIDENT_ID[14:]}"
    for typed in (f"身份证{RESIDENT_ID}号", f"ID {spaced}"):
        found = redact.redact(typed)
        assert found.kinds == {"id"} and RESIDENT_ID[6:14] not in found.text
        assert f"{RESIDENT_ID[:3]}{'*' * 11}{RESIDENT_ID[-4:]}" in found.text


def test_pinyin_of_a_chinese_name_covers_its_readings():
    assert redact.name_forms("张伟国") == ["张伟国", "zhang wei guo"]
    assert "zeng guo fan" in redact.name_forms("曾国藩") and "ceng guo fan" in redact.name_forms("曾国藩")
    assert redact.same_name(redact.name_forms("张伟国"), "Weiguo ZHANG")
    assert not redact.same_name(redact.name_forms("张伟国"), "Zhang Wei")


# --- the whole store ---------------------------------------------------------------------------

def _requests(confidential: bool) -> list[dict]:
    base = {"type": "complaint", "category": GARBAGE, "street": ETERNAL, "confidential": confidential}
    out = [dict(base, title=f"Rubbish, ring {typed}", description=f"The caller left {typed} for a call back.",
                surname="Wang", at="2021-11-02T09:00") for typed, _ in PHONES]
    out += [dict(base, title=f"Noise reported by {spelling}", description=f"{spelling} asks for a visit; ID {RESIDENT_ID}.",
                 name=NAME, surname=SURNAME, phone="13800001111", at="2021-11-02T10:00") for spelling in SPELLINGS]
    return out


def _everything_shared(run, store, tmp_path, remote) -> dict[str, str]:
    """Every shared place, by name: files, git objects, commands' output, reports, exports, the remote's clone."""
    root = store.root
    places = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith((".git/", "private/", ".jiesu/")):
            places[rel] = path.read_text("utf-8", "replace")
    places["git objects"] = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=root,
                                           capture_output=True, check=True).stdout.decode("utf-8", "replace")
    places["commit messages"] = git(root, "log", "--all", "--format=%an %ae%n%B")
    ids = [c["id"] for c in run.json("list")]
    for fmt in ("table", "json", "csv"):
        places[f"list {fmt}"] = run("list", "--format", fmt, check=False).stdout
    for case_id in ids[:: len(ids) // 6]:
        places[f"log {case_id}"] = run("log", case_id, check=False).stdout
        places[f"show {case_id}"] = run("show", case_id, "--format", "json", check=False).stdout
    for fmt in ("md", "html", "txt", "csv", "json"):
        places[f"daily {fmt}"] = run("report", "daily", "--date", "2021-11-02", "--format", fmt, check=False).stdout
        places[f"monthly {fmt}"] = run("report", "monthly", "--month", "2021-11", "--format", fmt, check=False).stdout
        places[f"overdue {fmt}"] = run("report", "overdue", "--format", fmt, check=False).stdout
        places[f"unit {fmt}"] = run("report", "unit", "--unit", ETERNAL, "--format", fmt, check=False).stdout
    for fmt in ("csv", "jsonl", "open311"):
        places[f"export {fmt}"] = run("export", "--format", fmt, check=False).stdout
    clone = tmp_path / "clone"
    branch = git(root, "symbolic-ref", "--short", "HEAD").strip()
    subprocess.run(["git", "clone", "-q", "-b", branch, str(remote), str(clone)], check=True)
    for path in sorted(clone.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(clone).parts:
            places[f"remote {path.relative_to(clone)}"] = path.read_text("utf-8", "replace")
    places["remote objects"] = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=remote,
                                              capture_output=True, check=True).stdout.decode("utf-8", "replace")
    return places


@pytest.mark.slow
def test_no_phone_id_or_name_reaches_any_shared_place(run, store, tmp_path):
    import yaml

    remote = tmp_path / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(store.root, "remote", "add", "origin", str(remote))
    requests = tmp_path / "requests.yaml"
    requests.write_text(yaml.safe_dump(_requests(False) + _requests(True), allow_unicode=True), "utf-8")
    out = run("intake", "--from", requests, check=False)
    ids = out.stdout.split()
    assert len(ids) == 2 * (len(PHONES) + len(SPELLINGS))
    # one case by itself, so that its commit subject carries the title
    single = run("intake", "--type", "complaint", "--category", GARBAGE, "--street", ETERNAL, "--at", "2021-11-02T11:00",
                 "--title", f"{SPELLINGS[3]} rang from {PHONES[0][0]}", "--name", NAME, "--surname", SURNAME,
                 "--answered", f"Told {SPELLINGS[8]} to call 12345; ID {RESIDENT_ID}; back on {PHONES[7][0]}", check=False)
    assert "masked the complainant's full name, phone numbers and ID numbers in title, answered" in single.stderr
    ids.append(single.stdout.strip())
    # notes and summaries: every format and spelling, on an ordinary and a confidential case
    for case_id in (ids[len(PHONES)], ids[-2]):
        run("assign", case_id, ETERNAL, "--at", "2021-11-02T12:00", check=False)
        run("accept", case_id, "--at", "2021-11-02T12:05", check=False)
        run("note", case_id, " / ".join(t for t, _ in PHONES) + " / " + " / ".join(SPELLINGS), "--at", "2021-11-02T12:10", check=False)
        run("close", case_id, "--resolved", "--summary", f"Called back {PHONES[5][0]}; {SPELLINGS[9]} satisfied",
            "--at", "2021-11-02T13:00", check=False)
    run("sync")

    places = _everything_shared(run, store, tmp_path, remote)
    folded = {name: fold(text) for name, text in places.items()}
    leaked = [(typed, name) for typed, secret in PHONES for name, text in folded.items() if secret in text]
    leaked += [(secret, name) for secret in NAME_SECRETS for name, text in folded.items() if secret in text]
    leaked += [(RESIDENT_ID, name) for name, text in folded.items() if RESIDENT_ID[6:14] in text]
    found = sum(1 for case_id, (typed, secret) in zip(ids, PHONES) if secret not in fold(load(store, case_id)["description"]))
    print(f"phone formats: {len(PHONES)} typed, {found} masked, {len({t for t, _ in leaked if t in dict(PHONES)})} leaked; "
          f"name spellings: {len(SPELLINGS)} typed; places searched: {len(places)}")
    assert leaked == []
    assert found == len(PHONES)
    # masked readably; the full text stays in private/ and `show --reveal` shows it
    first = load(store, ids[0])
    assert first["title"] == "Rubbish, ring 电话139****3001" and first["description"] == "The caller left 电话139****3001 for a call back."
    named = load(store, ids[len(PHONES)])
    assert named["title"] == "Noise reported by 张**" and f"{RESIDENT_ID[:3]}{'*' * 11}{RESIDENT_ID[-4:]}" in named["description"]
    revealed = run.json("show", ids[len(PHONES)], "--reveal")
    assert revealed["title"] == f"Noise reported by {NAME}" and RESIDENT_ID in revealed["description"]
    assert revealed["private"]["name"] == NAME
    note = next(e for e in revealed["events"] if e["action"] == "note")
    assert PHONES[0][0] in note["text"] and SPELLINGS[3] in note["text"]
    text = run("show", ids[-1], "--reveal").stdout
    assert f"Told {SPELLINGS[8]} to call 12345" in text and PHONES[7][0] in text
    assert git(store.root / "private", "status", "--porcelain") == ""
    run.assert_clean()


def test_imported_text_is_masked_and_kept_in_private(run, store, tmp_path):
    """An import goes through the same masking as a typed intake: descriptions and close summaries."""
    import csv

    import yaml

    from jiesu.interop import mapping as mapping_module

    spec = yaml.safe_load((Path(mapping_module.__file__).parent / "mappings" / "nyc311.yaml").read_text("utf-8"))
    header = list(dict.fromkeys([*spec["columns"].values(), *(spec.get("description") or {}).values()]))
    row = dict.fromkeys(header, "")
    row.update({"Unique Key": "2001", "Created Date": "10/21/18 0:00", "Closed Date": "10/21/18 9:59", "Agency": "NYPD",
                "Agency Name": "New York City Police Department", "Complaint Type": "Noise - Residential",
                "Descriptor": "Caller at 212-555-4001 or 13970994099", "Status": "Closed",
                "Resolution Description": "Called back 010-70984098.", "Borough": "BROOKLYN"})
    data = tmp_path / "311.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerow(row)
    run("import", data, "--mapping", "nyc311")
    text = "".join(p.read_text("utf-8") for p in (store.root / "cases").rglob("*.yaml"))
    text += git(store.root, "log", "--format=%B")
    assert "5554001" not in fold(text) and "70994099" not in text and "70984098" not in fold(text)
    assert "139****4099" in text and "2001" in text  # the source id is not a phone number
    kept = "".join(p.read_text("utf-8") for p in (store.root / "private" / "texts").glob("*.yaml"))
    assert "13970994099" in kept and "010-70984098" in kept
    assert git(store.root / "private", "status", "--porcelain") == ""


# --- people: found by phone and name; a household phone links, never merges --------------------

def _intake(run, name=None, surname=None, phone="13800002222", confidential=False, title="Rubbish at the gate"):
    argv = ["intake", "--type", "complaint", "--category", GARBAGE, "--street", ETERNAL, "--title", title, "--phone", phone]
    for flag, value in (("--name", name), ("--surname", surname)):
        if value:
            argv += [flag, value]
    if confidential:
        argv.append("--confidential")
    return run(*argv).stdout.strip()


def test_people_sharing_a_phone_keep_their_own_records(run, store):
    zhang = _intake(run, "张三", "张")
    li = _intake(run, "李四", "李", confidential=True)
    again = _intake(run, "Zhang San", title="Rubbish again")  # the same person, spelt in pinyin
    refs = [load(store, c)["complainant"]["ref"] for c in (zhang, li, again)]
    assert refs == ["P-000001", "P-000002", "P-000001"]
    private = store.root / "private"
    phones = [p.read_text("utf-8").split() for p in (private / "phones").iterdir()]
    assert phones == [["P-000001", "P-000002"]]  # one household phone, two people
    first = run.json("show", zhang, "--reveal")["private"]
    assert first["name"] == "张三" and first["cases"] == [zhang, again] and first["household"] == ["P-000002 李四"]
    second = run.json("show", li, "--reveal")["private"]
    assert second["name"] == "李四" and second["cases"] == [li] and second["household"] == ["P-000001 张三"]
    assert "name         张三" not in run("show", li, "--reveal").stdout
    assert "  name       李四" in run("show", li, "--reveal").stdout


def test_a_name_is_never_overwritten_and_a_nameless_call_finds_its_person(run, store):
    first = _intake(run, "Wang Fang", "Wang", phone="13800003333")
    _intake(run, "Wang Lei", "Wang", phone="13800003333")  # same phone, same surname, another person
    nameless = _intake(run, None, None, phone="13800004444", confidential=True)
    repeat = _intake(run, None, None, phone="13800004444", confidential=True)
    people = store.root / "private" / "people"
    assert "name: Wang Fang" in (people / "P-000001.yaml").read_text("utf-8")
    assert "name: Wang Lei" in (people / "P-000002.yaml").read_text("utf-8")
    assert load(store, first)["complainant"]["ref"] == "P-000001"
    assert load(store, nameless)["complainant"].get("ref") == load(store, repeat)["complainant"].get("ref") == "P-000003"


# --- the private commit and the store commit land together or not at all ------------------------

def _branch(root) -> str:
    return git(root, "symbolic-ref", "--short", "HEAD").strip()


@contextlib.contextmanager
def _live_git(folder):
    """A git process working in `folder` for the duration (as one holding a lock would be)."""
    holder = subprocess.Popen(["git", "hash-object", "--stdin"], cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        holder.communicate(b"")


def test_a_failed_private_commit_leaves_both_repositories_as_they_were(run, store):
    _intake(run, "张三", "张")
    private = store.root / "private"
    private_head = git(private, "rev-parse", "HEAD")
    lock = private / ".git" / "refs" / "heads" / f"{_branch(private)}.lock"
    lock.write_text("")  # another git process holds private/'s branch
    with _live_git(private):  # so the lock is held, not stale (jiesu clears stale ones)
        result = run.fails("intake", "--type", "complaint", "--category", GARBAGE, "--street", ETERNAL, "--title", "Noise",
                           "--name", "李四", "--phone", "13800005555")
    assert "git update-ref failed" in result.stderr
    assert git(private, "rev-parse", "HEAD") == private_head
    assert git(private, "status", "--porcelain") == "" and not (private / "people" / "P-000002.yaml").exists()
    lock.unlink()
    case_id = _intake(run, "李四", "李", phone="13800005555")
    assert case_id == "HL-2111-0002" and load(store, case_id)["complainant"]["ref"] == "P-000002"


def test_a_failed_store_commit_takes_the_private_commit_back(run, store):
    _intake(run, "张三", "张")
    private = store.root / "private"
    private_head = git(private, "rev-parse", "HEAD")
    lock = store.root / ".git" / "refs" / "heads" / f"{_branch(store.root)}.lock"
    lock.write_text("")
    with _live_git(store.root):  # so the lock is held, not stale (jiesu clears stale ones)
        run.fails("intake", "--type", "complaint", "--category", GARBAGE, "--street", ETERNAL, "--title", "Noise at 13970553055",
                  "--name", "李四", "--phone", "13800005555")
    assert git(private, "rev-parse", "HEAD") == private_head  # no record of a case that does not exist
    assert git(private, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (private / "texts").exists() or not list((private / "texts").iterdir())
    lock.unlink()
    case_id = _intake(run, "李四", "李", phone="13800005555", title="Noise at 13970553055")
    assert run.json("show", case_id, "--reveal")["title"] == "Noise at 13970553055"


def test_verify_finds_a_ref_whose_private_record_is_gone(run, store):
    first = _intake(run, "张三", "张")
    _intake(run, "李四", "李", phone="13800006666")
    private = store.root / "private"
    git(private, "rm", "-q", "people/P-000001.yaml")
    git(private, "commit", "-q", "-m", "lost")
    problems = run.raw("verify")
    assert problems.exit_code == 1
    assert f"{store.case_relpath(first)}:" in problems.stdout and "complainant.ref P-000001 has no record in private/" in problems.stdout
    git(private, "reset", "-q", "--hard", "HEAD~1")
    (private / "people" / "P-000002.yaml").write_text((private / "people" / "P-000002.yaml").read_text("utf-8") + "# edited\n")
    git(private, "rm", "-q", "--cached", "people/P-000002.yaml")
    git(private, "commit", "-q", "-m", "uncommitted")
    assert "its record in private/ was never committed" in run.raw("verify").stdout
    assert "committed 1 file(s) of personal data" in run("verify", "--repair").stderr
    assert run.raw("verify").exit_code == 0


def test_the_office_region_decides_numbers_without_a_country_code(run, store):
    settings = store.root / "jiesu.yaml"
    settings.write_text(settings.read_text("utf-8") + "region: US\n", "utf-8")
    git(store.root, "commit", "-q", "-am", "a US office")
    case_id = _intake(run, title="Pothole, call (415) 555-3091 or 13970923092")
    title = load(store, case_id)["title"]
    assert "5553091" not in fold(title) and "70923092" not in title and "139****3092" in title
    settings.write_text(settings.read_text("utf-8").replace("region: US", "region: USA"), "utf-8")
    git(store.root, "commit", "-q", "-am", "a typo")
    result = run.raw("list")
    assert result.exit_code == 1 and "region 'USA': expected a two-letter country code such as CN or US" in result.stderr
