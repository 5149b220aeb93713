"""Move a misfiled case to the folder its received time gives it (`verify --repair`).

A case lives in `cases/YYYY/MM/<ID>.yaml`, where the folder and the id's YYMM are the month it
was received (store time). A file moved by hand, an id from a wrong clock, or a `received` set
right after the fact leaves a case whose folder does not match: `verify` reports it and
`verify --repair` refiles it, one commit per case. When only the folder is wrong the case keeps
its id; when the id names another month, the case gets the next free id of its received month
(its private record follows). A case received outside 2000–2099 cannot be filed at all: verify
says so, and a person corrects its `received` first.
"""

from __future__ import annotations

from jiesu import model, timeutil
from jiesu.errors import InvalidInput, StoreError
from jiesu.i18n import _
from jiesu.ops.new_cases import next_ids
from jiesu.store import Store
from jiesu.store.gitwrite import commit_message


def misfiled(store: Store) -> list[tuple[str, str, tuple[int, int]]]:
    """(path, case id, (year, month) received) of every committed case not where it belongs."""
    from jiesu.index import DATE_SQL, PATH_SQL, Index

    out = []
    for path, case_id, received in Index(store).select(f"{PATH_SQL}, id, " + DATE_SQL["received"], order="1"):
        parsed = model.parse_id(case_id or "")
        try:
            month = model.id_month(timeutil.load(received), store.tz)
        except (InvalidInput, ValueError, TypeError):
            continue  # verify explains it; nothing can be filed without a usable received time
        if parsed is None or (2000 + parsed[1], parsed[2]) != month or path != model.case_relpath(case_id):
            out.append((path, case_id, month))
    return out


def refile(store: Store, actor: str) -> list[str]:
    """Refile every misfiled case; one line for each case moved or left (and why)."""
    notes = []
    for path, case_id, month in misfiled(store):
        try:
            notes.append(_refile_one(store, path, case_id, month, actor))
        except StoreError as exc:
            notes.append(f"left {path} where it is: {exc.message}")
    return notes


def _refile_one(store: Store, path: str, case_id: str, month: tuple[int, int], actor: str) -> str:
    with store.transaction(f"refile {path}") as tx:
        doc, case = _read(store, path)
        parsed = model.parse_id(case_id or "")
        keep = parsed is not None and (2000 + parsed[1], parsed[2]) == month
        new_id = case_id if keep else next_ids(store, month, 1, tx)[0]
        target = model.case_relpath(new_id)
        if (store.root / target).exists():
            raise StoreError(_('{target} already holds another case').format(target=target))
        if new_id != case_id:
            doc["id"] = case["id"] = new_id
            ref = (case.get("complainant") or {}).get("ref")
            if ref and store.private.exists():
                store.private.rename_case(tx, ref, case_id, new_id)
        tx.docs[new_id] = [doc, case, True]
        tx.flush()
        tx.remove(path)
        year, mon = month
        detail = f"was {path}" + (f" as {case_id}" if new_id != case_id else "")
        message = commit_message("refile", new_id, case.get("title"), actor,
                                 f"filed under cases/{year:04d}/{mon:02d}, the month received; {detail}",
                                 [new_id] + ([case_id] if new_id != case_id and model.parse_id(case_id or "") else []))
        tx.commit(message, actor)
    renamed = f" as {new_id}" if new_id != case_id else ""
    return f"moved {path} to {target}{renamed}: its folder did not match the month it was received"


def _read(store: Store, path: str):
    from jiesu.store import yamlio

    full = store.root / path
    if full.is_symlink() or not full.is_file():
        raise StoreError(_('{path} is not a regular file').format(path=path))
    doc = yamlio.rt_load(full.read_bytes().decode("utf-8"), path)
    if not isinstance(doc, dict):
        raise StoreError(_('{path}:1: a case file must be a mapping').format(path=path))
    return doc, yamlio.to_plain(doc)
