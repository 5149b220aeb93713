"""`jiesu import`: many source rows in, many cases per commit, nothing lost without a word.

The file is read and every row planned before anything is written; rows whose source id a case
already carries are counted as present and left alone (so a re-import changes nothing); the rest
go in, oldest first, through the ordinary operations, `batch` cases per commit. The first commit
also brings the catalog's import section up to date. An interrupt (Ctrl-C) discards only the
batch being written: everything committed before it stays, and running the import again
continues where it stopped.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jiesu import ops, timeutil
from jiesu.catalog import IMPORT_FILE
from jiesu.errors import InvalidInput, JiesuError
from jiesu.interop import readers
from jiesu.interop.catalog_section import Section
from jiesu.interop.mapping import Mapping, load_mapping
from jiesu.interop.plans import CityRows, Plan, Skip, anomaly_kind
from jiesu.ops.common import commit_batch
from jiesu.ops.intake import prepare, write_prepared
from jiesu.store.index import Index

DEFAULT_BATCH = 500
OPS = {
    "assign": ops.assign, "accept": ops.accept, "return": ops.return_case, "contact": ops.contact, "note": ops.note,
    "escalate": ops.escalate, "extend": ops.extend, "close": ops.close, "evaluate": ops.evaluate,
    "reopen": ops.reopen, "reject": ops.reject, "exempt": ops.exempt, "merge": ops.merge,
    "supervise": ops.supervise, "respond": ops.respond,
    "review": lambda store, case_id, actor, decision=None, reason=None, **kw: ops.review(
        store, case_id, actor, decision == "approved", reason, **kw),
}


@dataclass
class Summary:
    """What an import did: counted per row, so that every row of the file is accounted for."""

    file: str
    mapping: str
    rows: int = 0
    imported: int = 0
    present: int = 0
    skipped: list = field(default_factory=list)  # (line, reason)
    anomalies: Counter = field(default_factory=Counter)
    repaired: int = 0
    commits: list = field(default_factory=list)
    interrupted: bool = False
    pending: int = 0  # planned rows not written because of an interrupt
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The summary for people: one line of counts, then anomalies, skips and notes."""
        out = [f"{self.file}: {self.rows} rows; {self.imported} imported in {len([c for c in self.commits if c])} commit(s); "
               f"{self.present} already present; {len(self.skipped)} skipped"
               + (f" ({self.imported / self.seconds:.0f} rows/s)" if self.imported and self.seconds else "")]
        if not self.imported and not self.interrupted:
            out.append(f"all {self.present} rows already present, nothing changed" if self.present == self.rows > 0 else "nothing changed")
        if self.anomalies:
            out.append("anomalies recorded on cases: " + ", ".join(f"{k} {v}" for k, v in sorted(self.anomalies.items())))
        if self.repaired:
            out.append(f"mis-encoded text repaired in {self.repaired} field(s)")
        for line, reason in self.skipped[:50]:
            out.append(f"skipped line {line}: {reason}")
        if len(self.skipped) > 50:
            out.append(f"… and {len(self.skipped) - 50} more skipped rows (use --format json for all)")
        out += [f"note: {n}" for n in self.notes]
        if self.interrupted:
            out.append(f"interrupted: {self.imported} rows committed, {self.pending} not written; run the same import again to go on")
        return out

    def as_json(self) -> dict:
        return {
            "file": self.file, "mapping": self.mapping, "rows": self.rows, "imported": self.imported, "present": self.present,
            "skipped": [{"line": line, "reason": reason} for line, reason in self.skipped],
            "anomalies": dict(sorted(self.anomalies.items())), "repaired": self.repaired,
            "commits": [c for c in self.commits if c], "interrupted": self.interrupted, "pending": self.pending,
            "notes": self.notes, "seconds": round(self.seconds, 2),
        }


def read_source(path: Path, mapping: Mapping) -> readers.Source:
    if mapping.format in ("csv", "jiesu-csv"):
        required = [mapping.columns[k] for k in ("id", "created", "service") if k in mapping.columns]
        return readers.read_csv(path, required)
    if mapping.format == "open311":
        return readers.read_json(path)
    return readers.read_jsonl(path)


def _builder(store, mapping: Mapping, section: Section):
    if mapping.format in ("csv", "open311"):
        return CityRows(mapping, section, store.now())
    from jiesu.interop.own import OwnRows

    return OwnRows(store, mapping, section)


def plan_file(store, path: Path, mapping: Mapping, summary: Summary):
    """Read and plan every row: (plans oldest first, the catalog section, original id → case id)."""
    source = read_source(path, mapping)
    summary.rows, summary.repaired, summary.notes = len(source.rows), source.repaired, list(source.notes)
    present = Index(store).sources()
    section = Section(store.catalog, mapping)
    builder = _builder(store, mapping, section)
    plans, seen, known = [], {}, {}
    for row in source.rows:
        if row.problem:
            summary.skipped.append((row.line, row.problem))
            continue
        existing = builder.existing(row, present)
        if existing is not None:
            summary.present += 1
            known[builder.original(row)] = existing
            continue
        key = builder.key(row)
        if key is not None and key in seen:
            summary.skipped.append((row.line, f"{key[1]}: the same {key[0]} id as line {seen[key]}"))
            continue
        result = builder.plan(row)
        if isinstance(result, Skip):
            summary.skipped.append((result.line, result.reason))
            continue
        seen[result.key] = row.line
        plans.append(result)
    plans.sort(key=lambda p: p.created)
    return plans, section, known


def run_import(store, file: str, mapping_name: str, actor: str, batch: int = DEFAULT_BATCH, progress=None) -> Summary:
    """Import `file` through mapping `mapping_name`; return what happened (see Summary).

    `progress(done, total)`, when given, is called after every committed batch.
    """
    started = time.monotonic()
    if batch < 1:
        raise InvalidInput("--batch: at least 1")
    mapping = load_mapping(mapping_name)
    path = Path(file)
    summary = Summary(path.name, mapping.name)
    try:
        plans, section, known = plan_file(store, path, mapping, summary)
        summary.pending = len(plans)
        if plans:
            _write(store, plans, section, known, actor, batch, progress, summary, path)
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.seconds = time.monotonic() - started
    return summary


def _write(store, plans: list[Plan], section: Section, known: dict, actor: str, batch: int, progress, summary: Summary, path) -> None:
    with store.transaction(f"import {path.name}", batch=True) as tx:
        if section.changed:
            tx.write(f"catalog/{IMPORT_FILE}.yaml", section.text(store))
            store.__dict__.pop("catalog", None)
            _ = store.catalog  # reloaded with the additions, which validates them too
        for start in range(0, len(plans), batch):
            chunk = plans[start:start + batch]
            done = _write_chunk(store, tx, chunk, known, summary)
            subject = f"import {done} case(s) from {path.name} ({summary.mapping})"
            sha = commit_batch(store, tx, actor, subject)
            summary.commits.append(sha)
            summary.imported += done
            summary.pending -= len(chunk)
            for plan in chunk:
                summary.anomalies.update(anomaly_kind(a) for a in plan.anomalies)
            if progress:
                progress(len(plans) - summary.pending, len(plans))


def _write_chunk(store, tx, chunk: list[Plan], known: dict, summary: Summary) -> int:
    prepared, kept = [], []
    for plan in chunk:
        try:
            prepared.append(prepare(store, plan.record, plan.by))
            kept.append(plan)
        except JiesuError as exc:
            summary.skipped.append((plan.line, f"{plan.key[1]}: {exc.message}"))
            plan.anomalies = []
    results = write_prepared(store, tx, prepared) if prepared else []
    # every action of the batch in time order, so that a merge meets its target as it was then
    steps = []
    for number, (plan, result) in enumerate(zip(kept, results)):
        known[plan.original] = result.case_id
        steps += [(timeutil.load(action.at), number, index, action) for index, action in enumerate(plan.actions)]
    steps.sort(key=lambda step: step[:3])
    failed: set = set()
    for _, number, _, action in steps:
        if number in failed:
            continue
        plan, case_id = kept[number], results[number].case_id
        try:
            args = dict(action.args)
            if action.op == "merge":
                target = known.get(args["into"])
                if target is None:
                    raise InvalidInput(f"merged into {args['into']}, which is not in this store")
                args["into"] = target
            OPS[action.op](store, case_id, action.by, at=action.at, tx=tx, **args)
        except JiesuError as exc:
            failed.add(number)
            tx.docs.pop(case_id, None)
            tx.log[:] = [entry for entry in tx.log if entry[1] != case_id]
            known.pop(plan.original, None)
            summary.skipped.append((plan.line, f"{plan.key[1]}: {action.op} at {action.at}: {exc.message}"))
            plan.anomalies = []
    return len(kept) - len(failed)
