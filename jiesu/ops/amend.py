"""Corrections (`jiesu amend`): a case classified or located wrong at intake is put right.

The amend event records every changed field as `field: [old, new]` and the reason; the case
header is rewritten to the new values in the same commit, so the index, the volume by street
and the assessment attribute the case to its corrected category and location. The deadline
stays as received unless `recompute_limit` (recorded, with the new `due`). After close an
amendment is a correction for the record only (`statistics_only`).
"""

from __future__ import annotations

import re

from jiesu import model, privacy, textcheck, timeutil, workflow, working_time
from jiesu.errors import InvalidInput
from jiesu.handling_view import value_text
from jiesu.i18n import _
from jiesu.ops.common import Result, change
from jiesu.ops.new_cases import check_location
from jiesu.store import Store, yamlio

FIELDS = ("title", "channel", "type", "category", "kind", "district", "street", "community", "address", "tags")
LOCATION = ("district", "street", "community", "address")


def _choice(value, table: dict, field: str) -> str:
    value = textcheck.scalar(value, field)
    if value not in table:
        raise InvalidInput(_('{field}: unknown {value!r}; allowed: {items}').format(field=field, value=value, items=', '.join(table)))
    return value


def _tags(current: list, edits, catalog) -> list:
    """The tags after `+T` (add; a bare `T` adds too) and `-T` (remove) edits."""
    tags = list(current or [])
    for item in edits:
        for edit in re.split(r"[,\s]+", str(item).strip()):
            if not edit:
                continue
            sign, tag = (edit[0], edit[1:]) if edit[0] in "+-" else ("+", edit)
            _choice(tag, catalog.tags, "--tag")
            if sign == "+" and tag not in tags:
                tags.append(tag)
            elif sign == "-":
                if tag not in tags:
                    raise InvalidInput(_('--tag: -{tag}: the case has no tag {tag}; its tags: {value}').format(tag=tag, value=', '.join(tags) or _('none')))
                tags.remove(tag)
    return tags


def corrected(store: Store, case: dict, values: dict) -> dict:
    """The header values `values` asks for, checked against the catalog: {field: new value}."""
    catalog = store.catalog
    names = store.private.names_for(case)
    loc = case.get("location") or {}
    new: dict = {}
    if values.get("title") is not None:
        new["title"] = privacy.shared_text(textcheck.text(values["title"], "--title", required=True, multiline=False),
                                           names, store.region).text
    for key, table in (("channel", catalog.channels), ("type", catalog.types), ("kind", catalog.kinds)):
        if values.get(key) is not None:
            new[key] = _choice(values[key], table, f"--{key}")
    if values.get("category") is not None:
        new["category"] = catalog.leaf(textcheck.scalar(values["category"], "--category")).code
    if any(values.get(k) is not None for k in ("district", "street", "community")):
        street = values.get("street")
        district = values.get("district")
        community = values.get("community")
        if street is None and district is None:
            street = loc.get("street")  # a community of the street the case already has
        if street is None and district is not None and loc.get("street") and store.catalog.units.get(loc["street"]) \
                and store.catalog.units[loc["street"]].parent == district:
            street = loc.get("street")
        if community is None and street == loc.get("street"):
            community = loc.get("community")
        district, street, community = check_location(catalog, district, street, community)
        new.update(district=district, street=street, community=community)
    if values.get("address") is not None:
        new["address"] = privacy.shared_text(textcheck.text(values["address"], "--address", multiline=False) or "",
                                             names, store.region).text or None
    if values.get("tags"):
        new["tags"] = _tags(case.get("tags"), values["tags"], catalog)
    return new


def _current(case: dict, key: str):
    if key in LOCATION:
        return (case.get("location") or {}).get(key)
    if key == "kind":
        return (case.get("complainant") or {}).get("kind")
    return case.get(key)


def _put(doc, case: dict, key: str, value) -> None:
    """Set one header key in the document (in file key order) and its plain twin."""
    if value is None:
        doc.pop(key, None)
        case.pop(key, None)
        return
    case[key] = value
    if key in doc:
        doc[key] = value
        return
    order = model.CASE_KEYS
    after = order[: order.index(key)] if key in order else order
    position = sum(1 for k in doc if k in after)
    doc.insert(position, key, value)


def _rewrite(doc, case: dict, new: dict) -> None:
    for key, value in new.items():
        if key in LOCATION:
            node = doc.get("location")
            if node is None:
                node = yamlio.cmap()
                _put(doc, case, "location", node)
                case["location"] = {}
            plain = case.setdefault("location", {})
            if value is None:
                node.pop(key, None)
                plain.pop(key, None)
            else:
                node[key] = value
                plain[key] = value
            ordered = [(k, node[k]) for k in LOCATION if k in node] + [(k, v) for k, v in node.items() if k not in LOCATION]
            fresh = yamlio.cmap(ordered)
            doc["location"] = fresh
            if not plain:
                _put(doc, case, "location", None)
        elif key == "kind":
            doc["complainant"]["kind"] = value
            case["complainant"]["kind"] = value
        elif key == "tags":
            _put(doc, case, "tags", yamlio.cseq(value, flow=True))
            case["tags"] = list(value)
        else:
            _put(doc, case, key, value)


def amend(store: Store, case_id: str, actor: str, reason: str, values: dict, recompute_limit: bool = False,
          statistics_only: bool = False, at=None, tx=None) -> Result:
    """Correct a case's classification or location; the event records old and new values."""
    unknown = sorted(set(k for k, v in values.items() if v not in (None, (), [])) - set(FIELDS))
    if unknown:
        raise InvalidInput(_('cannot amend {items}; allowed: {items2}').format(items=', '.join(unknown), items2=', '.join(FIELDS)))
    if not any(values.get(k) not in (None, (), []) for k in FIELDS):
        raise InvalidInput(_('nothing to amend: give at least one of --category, --type, --district/--street/--community, --address, --tag +T/-T, --title, --channel, --kind'))
    if not (reason and str(reason).strip()):
        raise InvalidInput(_('--reason: required (say what was wrong)'))
    if recompute_limit and statistics_only:
        raise InvalidInput(_('--recompute-limit: a correction for the record (--statistics-only) does not move a deadline'))
    header: dict = {}

    def build(case, state, when):
        status = state["status"]
        if status in workflow.AFTER_CLOSE and not statistics_only:
            raise InvalidInput(_('{case_id} is {status}: after close only a correction for the record is allowed; add --statistics-only').format(case_id=case_id, status=status))
        if statistics_only and status not in workflow.AFTER_CLOSE:
            raise InvalidInput(_('--statistics-only: {case_id} is {status}, not closed; amend it without the flag').format(case_id=case_id, status=status))
        new = corrected(store, case, values)
        changes = {k: [_current(case, k), v] for k, v in new.items() if _current(case, k) != v}
        fields = {"reason": textcheck.text(reason, "--reason", required=True), "statistics_only": True if statistics_only else None}
        if recompute_limit:
            probe = dict(case, **{k: v for k, v in new.items() if k not in LOCATION and k != "kind"})
            tclass, _limit = store.catalog.class_for(explicit=None, tags=probe.get("tags") or [], case_type=probe.get("type"),
                                                category=probe.get("category"))
            cls = store.catalog.classes[tclass]
            due = working_time.deadline(timeutil.load(case["received"]), cls.limit, cls, store.catalog.calendar, store.tz)
            if tclass != case.get("time_limit"):
                changes["time_limit"] = [case.get("time_limit"), tclass]
                new["time_limit"] = tclass
            fields.update(recompute_limit=True, due=timeutil.fmt(due))
        if not changes and not recompute_limit:
            raise InvalidInput(_('nothing to amend: {case_id} already has these values').format(case_id=case_id))
        header.update({k: new[k] for k in changes})
        fields["changes"] = {k: list(v) for k, v in changes.items()} or None
        return fields

    def extra(tx_, case, event):
        doc, plain = tx_.case(case_id)
        _rewrite(doc, plain, header)
        tx_.put_case(case_id, doc, plain)
        return ()

    def detail(ev):
        parts = [value_text(ev.get("changes") or {})] if ev.get("changes") else []
        if ev.get("recompute_limit"):
            parts.append(f"due recomputed: {ev['due']}")
        return "; ".join(parts) + (" (for the record only)" if ev.get("statistics_only") else "")

    return change(store, case_id, "amend", actor, at, build, detail, extra, tx=tx)
