"""Give a case that was never shared a new id, after two clones of one office numbered alike.

Two clones that number cases with the same office code can each create, say, HL-2111-0003 for
two different requests; `sync` then stops and names the id. `renumber` moves the case made here
to the next id free both here and in every fetched remote branch (with this clone's office
code, `git config jiesu.office`, when it has one), records a note saying so, and keeps the
private record pointing at it. A case another store already has is never renumbered.
"""

from __future__ import annotations

from jiesu import model, timeutil, workflow
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.ops.common import (
    Result,
    add_event,
    check_case_consistent,
    event_time,
    last_event_time,
)
from jiesu.ops.new_cases import next_ids
from jiesu.store import Store, validate_id, yamlio
from jiesu.store.gitwrite import commit_message


def _remote_refs(store: Store) -> list[str]:
    return [r for r in store.git.out("for-each-ref", "--format=%(refname)", "refs/remotes/").split() if not r.endswith("/HEAD")]


def _intake_id(case: dict):
    return next((e.get("id") for e in case.get("events") or [] if isinstance(e, dict) and e.get("action") == "intake"), None)


def renumber(store: Store, case_id: str, actor: str, at=None) -> Result:
    """Move `case_id` to a new id; refused when a fetched remote branch already has this case."""
    case_id = validate_id(case_id)
    store.check_catalog()  # a broken catalog refuses every write
    with store.transaction(f"renumber {case_id}") as tx:
        old_rel = store.case_relpath(case_id)
        doc, case = tx.case(case_id)
        check_case_consistent(store, old_rel, case)
        refs = _remote_refs(store)
        mine = _intake_id(case)
        for ref in refs:
            blob = store.git.show_file(ref, old_rel)
            if blob is None:
                continue
            try:
                theirs = yamlio.load(blob.decode("utf-8", "replace"), old_rel)
            except yamlio.YamlProblem:
                theirs = None
            if isinstance(theirs, dict) and _intake_id(theirs) == mine:
                name = ref.removeprefix("refs/remotes/")
                raise InvalidInput(_('{case_id} is already shared ({name} has it); only a case made here and never synced can be renumbered').format(case_id=case_id, name=name))
        received = timeutil.load(case.get("received")).astimezone(store.tz)
        folder = f"cases/{received.year:04d}/{received.month:02d}/"
        taken = []
        for ref in refs:
            listing = store.git.run("ls-tree", "--name-only", ref, folder, check=False).stdout.split()
            taken += [p.rsplit("/", 1)[-1].removesuffix(".yaml") for p in listing]
        new_id = next_ids(store, (received.year, received.month), 1, tx, taken=taken)[0]
        doc["id"] = new_id
        case["id"] = new_id
        state = model.replay(case, strict=False)
        when = event_time(store, at, after=last_event_time(case))
        tx.docs[new_id] = [doc, case, False]
        if workflow.is_allowed("note", state["status"]):
            add_event(store, tx, new_id, doc, case, "note", actor, when, {"text": f"renumbered from {case_id}: the id was taken by another case"})
        else:
            tx.put_case(new_id, doc, case)
        tx.remove(old_rel)
        del tx.docs[case_id]
        ref = (case.get("complainant") or {}).get("ref")
        if ref and store.private.exists():
            store.private.rename_case(tx, ref, case_id, new_id)
        if store.private.exists():
            store.private.rename_texts(tx, case_id, new_id)
        message = commit_message("renumber", new_id, case.get("title"), actor, f"was {case_id}", [new_id, case_id])
        sha = tx.commit(message, actor, when)
        return Result(new_id, "renumber", case["state"]["status"], f"{case_id} is now {new_id}", sha, {}, tx.notes)
