"""`verify --signatures` matches each commit's signature to a key actors.yaml lists for its actor:
real SSH keys made by ssh-keygen, real signed commits, git's own verification."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import ETERNAL, git, new_case

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")


def keygen(tmp_path, name):
    """A fresh ed25519 key pair; (public key line, SHA256 fingerprint as ssh-keygen prints it)."""
    path = tmp_path / f"{name}_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@office", "-f", str(path)], check=True)
    listed = subprocess.run(["ssh-keygen", "-lf", f"{path}.pub"], capture_output=True, text=True, check=True).stdout
    return (tmp_path / f"{name}_key.pub").read_text().strip(), listed.split()[1]


def sign_with(store, tmp_path, name):
    git(store.root, "config", "user.signingkey", str(tmp_path / f"{name}_key.pub"))


@pytest.fixture
def office(tmp_path, store):
    """A store whose actors.yaml lists a key for admin, operator and the town (not for dispatcher)."""
    keys = {name: keygen(tmp_path, name) for name in ("admin", "operator", "town", "stranger")}
    for k, v in (("gpg.format", "ssh"), ("commit.gpgsign", "true")):
        git(store.root, "config", k, v)
    sign_with(store, tmp_path, "admin")
    (store.root / "actors.yaml").write_text(
        "actors:\n"
        f"  admin: {{roles: [admin], keys: ['{keys['admin'][0]}']}}\n"
        "  operator:\n"
        "    roles: [operator, dispatcher]\n"
        "    keys:\n"
        f"      - {keys['operator'][0]}\n"
        f"  eternal-town: {{units: [{ETERNAL}], keys: ['{keys['town'][0]}']}}\n"
        "  dispatcher: {roles: [dispatcher]}\n", "utf-8")
    git(store.root, "add", "actors.yaml")
    git(store.root, "-c", "user.name=admin", "-c", "user.email=a@b", "commit", "-qm", "who may act for whom, and their keys")
    return keys


def problems(run):
    result = run.raw("verify", "--signatures")
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(".git:") or ln.startswith("actors.yaml:")]
    return result.exit_code, lines


def test_each_commit_is_signed_by_a_key_listed_for_its_actor(tmp_path, run, store, office):
    sign_with(store, tmp_path, "operator")
    case_id = new_case(run, "--as", "operator")
    run("--as", "operator", "assign", case_id, ETERNAL)
    sign_with(store, tmp_path, "town")
    run("--as", "eternal-town", "accept", case_id)
    code, lines = problems(run)
    assert code == 0, lines
    before = git(store.root, "rev-list", "--count", "HEAD~4").strip()  # the store's set-up, from before keys
    assert lines == [f".git:1: warning: {before} commit(s) from before actors.yaml listed keys were checked for a good signature only, "
                     "not against the key of their actor",
                     "actors.yaml:1: warning: no keys listed for dispatcher: their commits cannot be matched to a key and fail "
                     "`verify --signatures`"]

    # the town's note signed with the operator's key: a key listed, but for someone else
    sign_with(store, tmp_path, "operator")
    run("--as", "eternal-town", "note", case_id, "Inspected")
    wrong = git(store.root, "rev-parse", "--short=10", "HEAD").strip()
    # a commit made with plain git, unsigned, under the town's name
    git(store.root, "-c", "commit.gpgsign=false", "-c", "user.name=eternal-town", "-c", "user.email=t@t",
        "commit", "-q", "--allow-empty", "-m", "unsigned by hand")
    unsigned = git(store.root, "rev-parse", "--short=10", "HEAD").strip()
    # a key nobody lists, used as the operator
    sign_with(store, tmp_path, "stranger")
    run("--as", "operator", "note", case_id, "From a stranger's laptop")
    stranger = git(store.root, "rev-parse", "--short=10", "HEAD").strip()
    code, lines = problems(run)
    assert code == 1
    errors = [ln for ln in lines if ": warning: " not in ln]
    operator_fp, town_fp, stranger_fp = office["operator"][1], office["town"][1], office["stranger"][1]
    assert errors == [
        f".git:1: commit {wrong} (note {case_id}: Rubbish at the gate) by eternal-town is signed with key {operator_fp}, which actors.yaml does not "
        f"list for eternal-town (it is listed for operator); eternal-town's keys: {town_fp}",
        f".git:1: commit {unsigned} (unsigned by hand) by eternal-town is not signed; actors.yaml lists keys, so every commit "
        "must be signed with its actor's key",
        f".git:1: commit {stranger} (note {case_id}: Rubbish at the gate) by operator is signed with key {stranger_fp}, which actors.yaml does not "
        f"list for operator (actors.yaml lists it for nobody); operator's keys: {operator_fp}",
    ]
    assert run.raw("verify").exit_code == 0  # without --signatures nothing of this is checked


def test_a_commit_altered_after_signing_has_a_bad_signature(tmp_path, run, store, office):
    sign_with(store, tmp_path, "operator")
    case_id = new_case(run, "--as", "operator")
    raw = git(store.root, "cat-file", "commit", "HEAD")
    forged = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=store.root, check=True,
                            input=raw.replace("Rubbish at the gate", "Rubbish at the gate (altered)", 1), capture_output=True, text=True).stdout.strip()
    git(store.root, "update-ref", "HEAD", forged)
    code, lines = problems(run)
    assert code == 1
    assert (f".git:1: commit {forged[:10]} (intake {case_id}: Rubbish at the gate (altered)) by operator has a bad signature: "
            "the commit was altered after signing, or forged") in lines, "\n".join(lines)


def test_a_key_that_is_not_a_key_is_refused_with_its_line(run, store):
    case_id = new_case(run)
    fingerprint = "AAAA BBBB CCCC DDDD EEEE  FFFF 0000 1111 2222 3333"  # a GPG fingerprint as gpg prints it
    (store.root / "actors.yaml").write_text(f"actors:\n  admin: {{roles: [admin], keys: ['{fingerprint}']}}\n", "utf-8")
    git(store.root, "add", "actors.yaml")
    git(store.root, "-c", "user.name=admin", "-c", "user.email=a@b", "commit", "-qm", "keys")
    run("--as", "admin", "note", case_id, "hi")
    (store.root / "actors.yaml").write_text(
        "actors:\n  admin:\n    roles: [admin]\n    keys:\n      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJZCaQFNSCrb2k6Kl1ktJQnPa8e7nWT3Z0OHGDEaOzq2\n"
        "      - ssh-ed25519 not-base64!\n", "utf-8")
    git(store.root, "-c", "user.name=admin", "-c", "user.email=a@b", "commit", "-qam", "keys")
    run.fails("note", case_id, "hi", match="actors.yaml:6: admin: ssh-ed25519 key 'not-base64!' is not valid base64 key data")
    (store.root / "actors.yaml").write_text("actors:\n  admin: {roles: [admin], keys: [DEADBEEF]}\n", "utf-8")
    git(store.root, "commit", "-qam", "keys")
    run.fails("note", case_id, "hi", match="actors.yaml:2: admin: 'DEADBEEF' is a short GPG key id; give the full 40-digit fingerprint")
    (store.root / "actors.yaml").write_text("actors:\n  admin: {roles: [admin], keys: [my laptop]}\n", "utf-8")
    git(store.root, "commit", "-qam", "keys")
    run.fails("note", case_id, "hi", match="actors.yaml:2: admin: 'my laptop' is not a key: give an SSH public key line")


def test_without_keys_verify_says_what_it_could_not_check(tmp_path, run, store):
    keygen(tmp_path, "admin")
    for k, v in (("gpg.format", "ssh"), ("commit.gpgsign", "true")):
        git(store.root, "config", k, v)
    sign_with(store, tmp_path, "admin")
    new_case(run)
    code, lines = problems(run)
    assert code == 0
    assert (".git:1: warning: no actors.yaml: signatures were checked for validity only, not matched to the actor of each commit "
            "(list each actor's SSH public keys or GPG fingerprints under `keys:`)") in lines
    (store.root / "actors.yaml").write_text("actors:\n  admin: {roles: [admin]}\n", "utf-8")
    git(store.root, "add", "actors.yaml")
    git(store.root, "-c", "user.name=admin", "-c", "user.email=a@b", "commit", "-qm", "who may act")
    code, lines = problems(run)
    assert any(ln.startswith(".git:1: warning: actors.yaml lists no keys: signatures were checked for validity only") for ln in lines)
