"""`jiesu import`: many source rows in, many cases per commit, nothing lost without a word.

The mapping is checked first (against the file's header and the store's catalog), then every
row is read and planned before anything is written. A row whose source id no case carries
becomes a new case; a row whose case exists is compared with it, and what the source says has
changed since (a close, a reopening, a new status or resolution text, another agency) is added
to the case as new events (`updates.py`) — history is never rewritten. New cases go in oldest
first, `batch` cases per commit; the first commit also brings the catalog's import section up
to date. `dry_run` plans and reports without writing. An interrupt (Ctrl-C) discards only the
batch being written: everything committed before it stays, and running the import again
continues where it stopped.
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jiesu import model, ops, textcheck, timeutil
from jiesu.catalog import IMPORT_FILE
from jiesu.errors import InvalidInput, JiesuError
from jiesu.i18n import _
from jiesu.index import Index
from jiesu.interop import readers
from jiesu.interop.import_section import Section
from jiesu.interop.mapping import Mapping, load_mapping
from jiesu.interop.plans import CityRows, Plan, Skip, anomaly_kind
from jiesu.interop.updates import Update, apply_update
from jiesu.ops.common import (
    commit_batch,
    event_node,
    make_event,
    shared_fields,
    state_node,
)
from jiesu.ops.new_cases import prepare, write_prepared

DEFAULT_BATCH = 500
SHOWN = 50  # skipped rows and changes listed in the text summary
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
    """What an import did (or, with --dry-run, would do): every row of the file is counted once,
    as new, updated, unchanged or skipped."""

    file: str
    mapping: str
    rows: int = 0
    imported: int = 0  # new cases
    updated: int = 0
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # (line, reason)
    changes: list = field(default_factory=list)  # (case id, what changes) of updated rows
    anomalies: Counter = field(default_factory=Counter)
    repaired: int = 0
    commits: list = field(default_factory=list)
    interrupted: bool = False
    dry_run: bool = False
    pending: int = 0  # planned rows not written because of an interrupt
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def present(self) -> int:
        return self.updated + self.unchanged

    def lines(self) -> list[str]:
        """The summary for people: one line of counts, then changes, anomalies, skips and notes."""
        counts = _("{file}: {rows} rows: {new} new, {updated} updated, {unchanged} unchanged, {skipped} skipped").format(
            file=self.file, rows=self.rows, new=self.imported, updated=self.updated, unchanged=self.unchanged,
            skipped=len(self.skipped))
        if self.dry_run:
            out = [counts + _(" (dry run: nothing written)")]
        else:
            speed = _(" ({speed} rows/s)").format(speed=f"{self.imported / self.seconds:.0f}") if self.imported and self.seconds else ""
            out = [_("{counts}; {n} commit(s){speed}").format(counts=counts, n=len([c for c in self.commits if c]), speed=speed)]
        if not self.imported and not self.updated and not self.interrupted:
            out.append(_("all {n} rows already present and unchanged, nothing changed").format(n=self.unchanged)
                       if self.unchanged == self.rows > 0 else _("nothing changed"))
        for case_id, what in self.changes[:SHOWN]:
            out.append((_("would be updated {id}: {what}") if self.dry_run else _("updated {id}: {what}")).format(id=case_id, what=what))
        if len(self.changes) > SHOWN:
            out.append(_("… and {n} more updated cases (use --format json for all)").format(n=len(self.changes) - SHOWN))
        if self.anomalies:
            out.append(_("anomalies recorded on cases: {list}").format(
                list=_(", ").join(f"{k} {v}" for k, v in sorted(self.anomalies.items()))))
        if self.repaired:
            out.append(_("mis-encoded text repaired in {n} field(s)").format(n=self.repaired))
        for line, reason in self.skipped[:SHOWN]:
            out.append(_("skipped line {line}: {reason}").format(line=line, reason=reason))
        if len(self.skipped) > SHOWN:
            out.append(_("… and {n} more skipped rows (use --format json for all)").format(n=len(self.skipped) - SHOWN))
        out += [_("note: {message}").format(message=n) for n in self.notes]
        if self.interrupted:
            out.append(_("interrupted: {done} rows committed, {pending} not written; run the same import again to go on").format(
                done=self.imported, pending=self.pending))
        return out

    def as_json(self) -> dict:
        return {
            "file": self.file, "mapping": self.mapping, "rows": self.rows, "new": self.imported, "updated": self.updated,
            "unchanged": self.unchanged, "skipped": [{"line": line, "reason": reason} for line, reason in self.skipped],
            "changes": [{"id": case_id, "change": what} for case_id, what in self.changes],
            "anomalies": dict(sorted(self.anomalies.items())), "repaired": self.repaired, "dry_run": self.dry_run,
            "commits": [c for c in self.commits if c], "interrupted": self.interrupted, "pending": self.pending,
            "notes": self.notes, "seconds": round(self.seconds, 2),
        }


def read_source(path: Path, mapping: Mapping) -> readers.Source:
    if mapping.format in ("csv", "jiesu-csv"):
        return readers.read_csv(path, lambda header: mapping.check_header(header, path))
    if mapping.format == "open311":
        return readers.read_open311(path)
    return readers.read_jsonl(path)


def _builder(store, mapping: Mapping, section: Section):
    if mapping.format in ("csv", "open311"):
        return CityRows(mapping, section, store.now())
    from jiesu.interop.own import OwnRows

    return OwnRows(store, mapping, section)


@dataclass
class Work:
    """Everything planned from one file: new cases (oldest first), updates, the catalog section."""

    plans: list
    updates: list
    section: Section
    known: dict  # original id → case id


def plan_file(store, path: Path, mapping: Mapping, summary: Summary) -> Work:
    """Check the mapping, read and plan every row; nothing is written."""
    mapping.check_catalog(store.catalog)
    source = read_source(path, mapping)
    summary.rows, summary.repaired, summary.notes = len(source.rows), source.repaired, list(source.notes)
    present = Index(store).sources()
    section = Section(store.catalog, mapping)
    builder = _builder(store, mapping, section)
    plans, updates, seen, known = [], [], {}, {}
    for row in source.rows:
        if row.problem:
            summary.skipped.append((row.line, row.problem))
            continue
        key = builder.key(row)
        if key is not None and key in seen:
            summary.skipped.append((row.line, f"{key[1]}: the same {key[0]} id as line {seen[key]}"))
            continue
        existing = builder.existing(row, present)
        if existing is not None:
            seen[key] = row.line
            known[builder.original(row)] = existing
            update = builder.update(row, store.load_case(existing)) if isinstance(builder, CityRows) else None
            if isinstance(update, Skip):
                summary.skipped.append((update.line, update.reason))
            elif update is None:
                summary.unchanged += 1
            else:
                updates.append(Update(existing, row.line, update))
            continue
        result = builder.plan(row)
        if isinstance(result, Skip):
            summary.skipped.append((result.line, result.reason))
            continue
        seen[result.key] = row.line
        plans.append(result)
    plans.sort(key=lambda p: p.created)
    return Work(plans, updates, section, known)


def run_import(store, file: str, mapping_name: str, actor: str, batch: int = DEFAULT_BATCH, progress=None,
               dry_run: bool = False, timezone: str | None = None) -> Summary:
    """Import `file` through mapping `mapping_name`; return what happened (see Summary).

    `progress(done, total)`, when given, is called after every committed batch.
    """
    started = time.monotonic()
    if batch < 1:
        raise InvalidInput(_('--batch: at least 1'))
    mapping = load_mapping(mapping_name, timezone)
    path = Path(file)
    summary = Summary(path.name, mapping.name, dry_run=dry_run)
    try:
        with collect_between_batches():
            work = plan_file(store, path, mapping, summary)
            if dry_run:
                summary.imported = len(work.plans)
                summary.updated = len(work.updates)
                summary.changes = [(u.case_id, u.plan.describe()) for u in work.updates]
                for plan in work.plans:
                    summary.anomalies.update(anomaly_kind(a) for a in plan.anomalies)
            else:
                summary.pending = len(work.plans)
                if work.plans or work.updates or work.section.changed:
                    _write(store, work, actor, batch, progress, summary, path)
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.seconds = time.monotonic() - started
    return summary


@contextmanager
def collect_between_batches():
    """Python's cycle collector paused while an import plans and writes: it would walk the whole
    growing heap (every row, plan and case of the file) again and again — a third of an import's
    CPU — to find almost nothing, since what an import lets go is freed by reference counting.
    `_write` collects once after each committed batch, so memory stays bounded all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write(store, work: Work, actor: str, batch: int, progress, summary: Summary, path) -> None:
    plans = work.plans
    with store.transaction(f"import {path.name}", batch=True) as tx:
        if work.section.changed:
            old_key = store.catalog_key
            tx.write(f"catalog/{IMPORT_FILE}.yaml", work.section.text(store))
            store.__dict__.pop("catalog", None)
            store.catalog  # reloaded with the additions, which validates them too
            # the section only adds units and categories, on which no indexed case depends
            Index(store).carry_over(old_key)
        for start in range(0, len(plans), batch):
            chunk = plans[start:start + batch]
            done = _write_chunk(store, tx, chunk, work.known, summary)
            subject = f"import {done} case(s) from {path.name} ({summary.mapping})"
            sha = commit_batch(store, tx, actor, subject)
            for case_id in [case_id for case_id, entry in tx.docs.items() if not entry[2]]:
                del tx.docs[case_id]  # written and committed: a later read takes the file
            gc.collect(1)
            summary.commits.append(sha)
            summary.imported += done
            summary.pending -= len(chunk)
            for plan in chunk:
                summary.anomalies.update(anomaly_kind(a) for a in plan.anomalies)
            if progress:
                progress(len(plans) - summary.pending, len(plans))
        for start in range(0, len(work.updates), batch):
            chunk = work.updates[start:start + batch]
            for update in chunk:
                try:
                    apply_update(store, tx, update, OPS)
                except JiesuError as exc:
                    tx.docs.pop(update.case_id, None)
                    tx.log[:] = [entry for entry in tx.log if entry[1] != update.case_id]
                    summary.skipped.append((update.line, f"{update.case_id}: update: {exc.message}"))
                    continue
                summary.updated += 1
                summary.changes.append((update.case_id, update.plan.describe()))
            sha = commit_batch(store, tx, actor, f"update {len(chunk)} case(s) from {path.name} ({summary.mapping})")
            summary.commits.append(sha)
        if not plans and not work.updates and work.section.changed:
            summary.commits.append(commit_batch(store, tx, actor, f"import catalog entries from {path.name}"))


def _write_chunk(store, tx, chunk: list[Plan], known: dict, summary: Summary) -> int:
    prepared, kept = [], []
    for plan in chunk:
        try:
            prepared.append(prepare(store, plan.record, plan.by))
            kept.append(plan)
        except JiesuError as exc:
            summary.skipped.append((plan.line, f"{plan.key[1]}: {exc.message}"))
            plan.anomalies = []
    direct = not any(plan.replay for plan in kept)
    results = write_prepared(store, tx, prepared, plain=direct) if prepared else []
    for plan, result in zip(kept, results):
        known[plan.original] = result.case_id
    if direct:
        failed = _write_direct(store, tx, kept, results, summary)
    else:
        failed = _write_through_ops(store, tx, kept, results, known, summary)
    return len(kept) - len(failed)


def _forget(tx, case_id: str) -> None:
    tx.docs.pop(case_id, None)
    tx.log[:] = [entry for entry in tx.log if entry[1] != case_id]


TEXT_FIELDS = ("text", "summary")


def _write_direct(store, tx, kept: list[Plan], results: list, summary: Summary) -> set:
    """A city's rows: each case's events built at once and checked by one strict replay.

    The plans only hold what the operations would accept (units of the catalog, times in order,
    text cleaned); the replay still refuses any event the state machine does not allow there.
    """
    failed: set = set()
    catalog, tz = store.catalog, store.tz
    for number, (plan, result) in enumerate(zip(kept, results)):
        case_id = result.case_id
        doc, case = tx.docs[case_id][0], tx.docs[case_id][1]
        lead = None
        try:
            for action in plan.actions:
                fields = dict(action.args)
                for key in TEXT_FIELDS:
                    if key in fields:
                        fields[key] = textcheck.text(fields[key], key, required=True)
                if action.op == "assign":
                    lead = fields["unit"]
                elif action.op == "accept":
                    fields["unit"] = lead
                fields, originals, _masked = shared_fields(store, case, fields)  # phones and names masked, as typed ones
                event = make_event(case, action.op, action.by, timeutil.load(action.at), fields)
                if originals:
                    store.private.keep_texts(tx, case_id, event=event["id"], event_fields=originals)
                case["events"].append(event)
                doc["events"].append(event_node(event, plain=True))
                tx.log.append((action.op, case_id))
            projection = model.replay(case, catalog, tz, strict=True)
        except (JiesuError, model.ReplayError) as exc:
            failed.add(number)
            _forget(tx, case_id)
            message = exc.message if isinstance(exc, JiesuError) else str(exc)
            summary.skipped.append((plan.line, f"{plan.key[1]}: {message}"))
            plan.anomalies = []
            continue
        case["state"] = model.format_state(projection)  # what refresh_state writes, from the replay just made
        doc["state"] = state_node(case["state"], plain=True)
        tx.put_case(case_id, doc, case)
    return failed


def _write_through_ops(store, tx, kept: list[Plan], results: list, known: dict, summary: Summary) -> set:
    """Another jiesu store's cases: every event replayed through the operations, in time order
    across the batch, so that a merge meets its target as it was then."""
    steps = []
    for number, plan in enumerate(kept):
        steps += [(timeutil.load(action.at), number, index, action) for index, action in enumerate(plan.actions)]
    steps.sort(key=lambda step: step[:3])
    failed: set = set()
    for _at, number, _index, action in steps:
        if number in failed:
            continue
        plan, case_id = kept[number], results[number].case_id
        try:
            args = dict(action.args)
            if action.op == "merge":
                target = known.get(args["into"])
                if target is None:
                    raise InvalidInput(_('merged into {into}, which is not in this store').format(into=args['into']))
                args["into"] = target
            OPS[action.op](store, case_id, action.by, at=action.at, tx=tx, **args)
        except JiesuError as exc:
            failed.add(number)
            _forget(tx, case_id)
            known.pop(plan.original, None)
            summary.skipped.append((plan.line, f"{plan.key[1]}: {action.op} at {action.at}: {exc.message}"))
            plan.anomalies = []
    return failed
