"""Reception (接): turn what an operator typed, or a file of requests, into new cases."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from jiesu import model, privacy, resolve, textcheck, timeutil, working_time
from jiesu.catalog import LOCAL_KINDS, SLUG
from jiesu.errors import InvalidInput
from jiesu.i18n import _
from jiesu.ops.common import (
    Result,
    event_node,
    event_time,
    make_event,
    masked_note,
    refresh_state,
    state_node,
)
from jiesu.store import Store, archives, fastyaml, yamlio
from jiesu.store.case_layout import nodes
from jiesu.store.gitwrite import commit_message

FIELDS = (
    "title", "channel", "type", "category", "description", "district", "street", "community", "address",
    "kind", "surname", "name", "phone", "other_phones", "id_document", "home_address", "confidential",
    "frequent", "special_group", "tags", "time_limit", "answered", "at", "source", "anomalies",
    "lat", "long", "due", "limit_from", "kb",
)
_CJK = re.compile(r"^[\u4e00-\u9fff\u3400-\u4dbf]{2,4}$")


def _flatten(record: dict) -> dict:
    """Accept both the flat option names and the nested case-file layout."""
    flat = dict(record)
    for group in ("location", "complainant"):
        nested = flat.pop(group, None)
        if isinstance(nested, dict):
            for key, value in nested.items():
                flat.setdefault(key, value)
    if "received" in flat and "at" not in flat:
        flat["at"] = flat.pop("received")
    bad = [k for k in flat if not isinstance(k, str)]
    if bad:
        raise InvalidInput(_('field names must be text, found {value!r}; allowed: {items}').format(value=bad[0], items=', '.join(FIELDS)))
    flat = {k.replace("-", "_"): v for k, v in flat.items()}
    return flat


def _choice(value, table: dict, field: str, required: bool = True):
    if value is None or value == "":
        if required:
            raise InvalidInput(_('{field}: required; allowed: {items}').format(field=field, items=', '.join(table)))
        return None
    return resolve.pick(value, table, field)


def _source(value) -> dict | None:
    """Where an imported case came from: a flat mapping of names to plain values."""
    if value is None:
        return None
    if not isinstance(value, dict) or any(not isinstance(k, str) or isinstance(v, (dict, list)) for k, v in value.items()):
        raise InvalidInput(_("source: expected a flat mapping of names to values, such as {system: nyc311, key: '123'}"))
    return value


def check_location(catalog, district, street, community) -> tuple:
    """(district, street, community) checked against the catalog; a street implies its district."""
    if street is not None:
        street = resolve.unit(catalog, street, "--street", LOCAL_KINDS)
        unit = catalog.unit(street, "--street")
        if unit.kind not in LOCAL_KINDS:
            raise InvalidInput(_('--street: {street!r} is a {kind}, not a street or town').format(street=street, kind=unit.kind))
        if district is not None and unit.parent != resolve.unit(catalog, district, "--district", ("district",)):
            raise InvalidInput(_('--street: {street} lies in {parent}, not in --district {district}').format(street=street, parent=unit.parent, district=district))
        district = unit.parent
    if district is not None:
        district = resolve.unit(catalog, district, "--district", ("district",))
        unit = catalog.unit(district, "--district")
        if unit.kind != "district":
            raise InvalidInput(_('--district: {district!r} is a {kind}, not a district').format(district=district, kind=unit.kind))
    if community is not None:
        if street is None:
            raise InvalidInput(_('--community: give --street too (a community lies in a street or town)'))
        community = resolve.community(catalog, street, community)
        known = catalog.units[street].communities
        if known and community not in known:
            raise InvalidInput(_('--community: {community!r} is not in {street}; allowed: {items}').format(community=community, street=street, items=', '.join(known)))
        if not SLUG.match(community):
            raise InvalidInput(_('--community: {community!r} must be a code of lowercase letters, digits and -').format(community=community))
    return district, street, community


def prepare(store: Store, record: dict, actor: str) -> dict:
    """Validate one request; return everything needed to write it (nothing is written here)."""
    catalog = store.catalog
    r = _flatten(record)
    unknown = sorted(set(r) - set(FIELDS))
    if unknown:
        raise InvalidInput(_('unknown field(s) {items}; allowed: {items2}').format(items=', '.join(unknown), items2=', '.join(FIELDS)))
    for key in ("at", "channel", "type", "category", "district", "street", "community", "kind", "phone", "time_limit"):
        r[key] = textcheck.scalar(r.get(key), f"--{key.replace('_', '-')}")
    received = event_time(store, r.get("at"), field_name="--at")
    model.id_month(received, store.tz)
    title = textcheck.text(r.get("title"), "--title", required=True, multiline=False)
    channel = _choice(r.get("channel") or "hotline", catalog.channels, "--channel")
    case_type = _choice(r.get("type"), catalog.types, "--type")
    category = r.get("category") or None
    if category is not None:
        category = catalog.leaf(resolve.category(catalog, category)).code
    description = textcheck.text(r.get("description"), "--description")

    # location
    district, street, community = check_location(catalog, r.get("district") or None, r.get("street") or None,
                                                 r.get("community") or None)
    address = textcheck.text(r.get("address"), "--address", multiline=False)
    point = _point(r.get("lat"), r.get("long"))

    # complainant
    kind = _choice(r.get("kind") or "individual", catalog.kinds, "--kind")
    name = textcheck.text(r.get("name"), "--name", multiline=False)
    surname = textcheck.text(r.get("surname"), "--surname", multiline=False)
    if surname and len(surname) > 20:
        raise InvalidInput(_('--surname: at most 20 characters (the full name goes in --name, kept private)'))
    if name and not surname and _CJK.match(name):
        surname = name[0]
    phone = privacy.normalize_phone(r["phone"]) if r.get("phone") else None
    others = [privacy.normalize_phone(p, "other_phones") for p in textcheck.text_list(r.get("other_phones"), "other_phones")]
    id_document = textcheck.text(r.get("id_document"), "id_document", multiline=False)
    home_address = textcheck.text(r.get("home_address"), "home_address", multiline=False)
    flags = {key: textcheck.boolean(r.get(key, False), f"--{key.replace('_', '-')}") for key in ("confidential", "frequent", "special_group")}

    tags = [t for item in textcheck.text_list(r.get("tags"), "--tag") for t in re.split(r"[,\s]+", item) if t]
    seen = []
    for tag in tags:
        tag = _choice(tag, catalog.tags, "--tag")
        if tag not in seen:
            seen.append(tag)
    explicit = resolve.pick(r["time_limit"], catalog.classes, "--time-limit", what="class") if r.get("time_limit") else None
    tclass, limit_from = catalog.class_for(explicit=explicit, tags=seen, case_type=case_type, category=category)
    due = None
    if r.get("due") not in (None, ""):
        # a due time the source system set (an import): kept as it is, and said where it came from
        due = timeutil.parse_time(r["due"], store.tz, "due")
        limit_from = "source"
    if r.get("limit_from"):
        limit_from = textcheck.text(r["limit_from"], "limit_from", multiline=False)
    answered = textcheck.text(r.get("answered"), "--answered")
    kb = _knowledge(store, r.get("kb"), case_type, received)
    # the shared file carries no phone number, ID number or full name in free text: the full
    # text goes to private/ (for show --reveal)
    forms = privacy.name_forms(name)
    texts = {"title": title, "description": description, "address": address, "answered": answered}
    safe = {k: privacy.shared_text(v, forms, store.region) for k, v in texts.items()}
    masked = [k for k in texts if safe[k].changed]
    kinds = set().union(*(safe[k].kinds for k in masked)) if masked else set()
    originals = {k: texts[k] for k in masked}
    title, description, address, answered = (safe[k].text for k in texts)

    private = {}
    if name or others or id_document or home_address or (flags["confidential"] and (surname or phone)):
        private = {"name": name, "surname": surname, "phone": phone, "other_phones": others,
                   "id_document": id_document, "home_address": home_address}
    return {
        "received": received, "title": title, "channel": channel, "type": case_type, "category": category,
        "description": description,
        "location": {k: v for k, v in (("district", district), ("street", street), ("community", community), ("address", address),
                                       *point) if v is not None},
        "complainant": {"kind": kind, "surname": surname, "phone": phone, **flags},
        "tags": seen, "time_limit": tclass, "limit_from": limit_from, "due": due, "answered": answered, "kb": kb, "private": private,
        "frequent_given": r.get("frequent") is not None,
        "source": _source(r.get("source")), "anomalies": textcheck.text_list(r.get("anomalies"), "anomalies") or None, "actor": actor, "masked": masked,
        "masked_kinds": kinds, "originals": originals, "name_forms": forms,
    }


def _knowledge(store: Store, entry_id, case_type: str, received) -> dict | None:
    """The knowledge entry (id, version, question) a consultation is answered with on the call."""
    entry_id = textcheck.scalar(entry_id, "--kb")
    if not entry_id:
        return None
    if case_type != "consultation":
        raise InvalidInput(_('--kb: answers a consultation on the call; this request is a {case_type}').format(case_type=case_type))
    from jiesu.knowledge.ops import answer_for

    return answer_for(store, entry_id.strip(), received)


def _point(lat, long) -> tuple:
    """(("lat", x), ("long", y)) from a coordinate pair, or () without one; both or neither."""
    if lat in (None, "") and long in (None, ""):
        return ()
    values = []
    for value, name, bound in ((lat, "lat", 90), (long, "long", 180)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(_('{name}: {value!r} is not a number').format(name=name, value=value)) from None
        if not -bound <= number <= bound:  # NaN fails this too
            raise InvalidInput(_('{name}: {value!r} is outside -{bound}..{bound}').format(name=name, value=value, bound=bound))
        values.append((name, number))
    return tuple(values)


def next_ids(store: Store, month_key: tuple[int, int], count: int, tx=None, taken=()) -> list[str]:
    """The next `count` free ids of a month (call under the lock; counts a batch's own new ids).

    `taken` adds ids in use elsewhere (another clone's cases, seen in a fetched remote branch).
    """
    year, month = month_key
    prefix = f"{store.office}-{year % 100:02d}{month:02d}-"
    folder = store.root / "cases" / f"{year:04d}" / f"{month:02d}"
    try:
        names = [name[:-5] for name in os.listdir(folder) if name.endswith(".yaml")]  # thousands at 100,000 cases
    except (FileNotFoundError, NotADirectoryError):
        names = []
    names += list(taken) + archives.names_in(store.root, year, month)  # never an archived case's id
    if tx is not None:
        names += list(tx.allocated)
    size = len(prefix)
    numbers = [name[size:] for name in names if name.startswith(prefix)]
    highest = max((int(n) for n in numbers if n.isascii() and n.isdigit()), default=0)
    ids = [f"{prefix}{highest + i:04d}" for i in range(1, count + 1)]
    if tx is not None:
        tx.allocated.update(ids)
    return ids


def build_case(store: Store, case_id: str, p: dict, ref: str | None, plain: bool = False):
    """The new case document (round-trip map in file key order) and its plain twin.

    With `plain` the document is made of plain nodes (`fastyaml.Document`: a new file keeps no
    comments, and ruamel's nodes cost more to make than the file to write), written the same."""
    cmap, cseq = nodes(plain)
    complainant = dict(p["complainant"])
    if complainant["confidential"]:
        complainant["surname"] = None
        complainant["phone"] = None
    comp_pairs = [(k, complainant[k]) for k in ("kind", "surname", "phone", "confidential", "frequent", "special_group") if complainant.get(k) is not None]
    if ref:
        comp_pairs.append(("ref", ref))
    # (key, value in the file, the same as plain data): the plain twin is made from what goes in,
    # not read back from the round-trip document (which costs more than building it)
    triples = [
        ("id", case_id, case_id), ("schema", model.SCHEMA, model.SCHEMA), ("title", p["title"], p["title"]),
        ("received", timeutil.fmt(p["received"]), None), ("channel", p["channel"], p["channel"]), ("type", p["type"], p["type"]),
    ]
    if p["category"]:
        triples.append(("category", p["category"], p["category"]))
    if p["description"]:
        text = yamlio.block_text(p["description"])
        triples.append(("description", text, str(text)))
    if p["location"]:
        triples.append(("location", cmap(p["location"].items()), dict(p["location"])))
    triples.append(("complainant", cmap(comp_pairs), dict(comp_pairs)))
    triples.append(("tags", cseq(p["tags"], flow=True), list(p["tags"])))
    triples.append(("time_limit", p["time_limit"], p["time_limit"]))
    if p.get("source"):
        triples.append(("source", cmap(dict(p["source"]).items(), flow=True), dict(p["source"])))
    if p.get("anomalies"):
        triples.append(("anomalies", cseq(list(p["anomalies"])), list(p["anomalies"])))
    triples += [("state", None, None), ("events", cseq(), [])]
    pairs = [(key, value) for key, value, _ in triples]
    doc = fastyaml.Document(pairs) if plain else yamlio.cmap(pairs)
    case = yamlio.to_plain({key: value if twin is None else twin for key, value, twin in triples})
    due = p.get("due")
    if due is None:
        tclass = store.catalog.classes[p["time_limit"]]
        due = working_time.deadline(p["received"], tclass.limit, tclass, store.catalog.calendar, store.tz)
    fields = {"limit_from": p["limit_from"], "due": timeutil.fmt(due) if due else None}
    if p.get("frequent_from"):
        fields["frequent_from"] = p["frequent_from"]
    intake_event = make_event(case, "intake", p["actor"], p["received"], fields)
    events = [intake_event]
    if p["answered"] or p["kb"]:
        case["events"].append(intake_event)
        kb = p["kb"] or {}
        summary = p["answered"] or (f"Answered from {kb['id']} (version {kb['version']}): {kb['question']}" if kb else None)
        events.append(make_event(case, "close", p["actor"], p["received"],
                                 {"resolved": True, "summary": summary, "kb": kb.get("id"), "kb_version": kb.get("version")}))
    case["events"] = events
    for event in events:
        doc["events"].append(event_node(event, plain))
    if plain:
        case["state"] = model.state_block(case, store.catalog, store.tz)
        doc["state"] = state_node(case["state"], plain)
    else:
        refresh_state(store, doc, case)
    return doc, case


def intake(store: Store, records: list[dict], actor: str, tx=None) -> list[Result]:
    """Receive one or many requests in one commit; all are validated before anything is written.

    With `tx` (a batch transaction) the cases join the batch and nothing is committed here.
    """
    from jiesu.actors import permit

    permit(store, actor, "intake", "intake", {}, {})  # who may act for whom (actors.yaml)
    prepared = textcheck.each_checked(records, "request", lambda record: prepare(store, record, actor))
    if not prepared:
        raise InvalidInput(_('no requests to receive'))
    if tx is not None:
        return write_prepared(store, tx, prepared)
    findings = governance_notes(store, prepared)
    with store.transaction("intake") as own:
        results = write_prepared(store, own, prepared, plain=True)  # nothing edits them further
        names = [form for p in prepared for form in p["name_forms"]]
        first = results[0]
        if len(results) == 1:
            p = prepared[0]
            detail = f"{p['type']} via {p['channel']}" + (f", {p['category']}" if p["category"] else "") + (", answered on the call" if p["answered"] or p["kb"] else "") + (f" from {p['kb']['id']}" if p["kb"] else "")
            message = commit_message("intake", first.case_id, privacy.scrub(p["title"], names, store.region), actor, detail)
        else:
            span = f"{results[0].case_id}..{results[-1].case_id}"
            lines = "\n".join(f"{r.case_id}: {privacy.scrub(p['title'], names, store.region)[:60]}" for r, p in zip(results, prepared))
            message = commit_message("intake", f"{len(results)} cases", span, actor, lines, [r.case_id for r in results])
        own_ids = {r.case_id for r in results}
        sha = own.commit(message, actor, min(p["received"] for p in prepared),
                         meanwhile=lambda: findings.find(own_ids))
        for r, p in zip(results, prepared):
            r.commit = sha
            r.notes = list(own.notes)
            if p["masked"]:
                r.notes.append(masked_note(r.case_id, p["masked"], p["masked_kinds"]))
        for r, found in zip(results, findings):
            r.notes += found.notes(r.case_id)
    return results


def governance_notes(store: Store, prepared: list[dict]) -> list:
    """Earlier requests of the caller and the frequent-caller rule (DESIGN §8), looked up before
    the cases are written, and possible duplicates, looked up as they are committed (see
    `jiesu.governance.intake.Look`); the notes come once their ids are known."""
    from jiesu.governance.intake import look

    return look(store, prepared)


def write_prepared(store: Store, tx, prepared: list[dict], plain: bool = False) -> list[Result]:
    """Give prepared requests their ids and put them into transaction `tx` (each with its own actor);
    `plain`: their documents of plain nodes (see build_case), for a writer that edits them no further
    with the operations."""
    by_month: dict = {}
    for p in prepared:
        by_month.setdefault(model.id_month(p["received"], store.tz), []).append(p)
    ids = {}
    for key, items in by_month.items():
        for p, case_id in zip(items, next_ids(store, key, len(items), tx)):
            ids[id(p)] = case_id
    results = []
    for p in prepared:
        case_id = ids[id(p)]
        ref = store.private.record(tx, case_id, p["private"]) if p["private"] else None
        doc, case = build_case(store, case_id, p, ref, plain)
        keep_originals(store, tx, case_id, p["originals"], case["events"])
        tx.put_case(case_id, doc, case)
        if tx.batch:
            tx.log.append(("intake", case_id))
        results.append(Result(case_id, "intake", case["state"]["status"], "", None, case["events"][0]))
    return results


def keep_originals(store: Store, tx, case_id: str, originals: dict, events: list) -> None:
    """Keep in private/ the full text of what intake masked (the answer is the close event's)."""
    fields = {k: v for k, v in originals.items() if k != "answered"}
    if fields:
        store.private.keep_texts(tx, case_id, fields)
    if "answered" in originals:
        close = next(e for e in events if e["action"] == "close")
        store.private.keep_texts(tx, case_id, event=close["id"], event_fields={"summary": originals["answered"]})


def read_requests(source: str, stdin_text: str | None = None) -> list[dict]:
    """Requests from a YAML or JSON file (or `-` for standard input): one mapping or a list."""
    if source == "-":
        text, name = stdin_text or "", "<stdin>"
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(_('--from: no such file {source}').format(source=source))
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(_('--from: {source} is not UTF-8 text').format(source=source)) from None
        name = source
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        data = load_json(text, name)
    else:
        try:
            data = yamlio.load(text, name)
        except yamlio.YamlProblem as exc:
            raise InvalidInput(exc.message) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise InvalidInput(_('{name}: expected one request (a mapping) or a list of them').format(name=name))
    return data


def load_json(text: str, name: str):
    """JSON held to the rules of jiesu's YAML: no duplicate keys, no numbers of absurd length,
    no nesting deeper than Python can follow — each refused with the file's name."""

    def pairs(items):
        seen = {}
        for key, value in items:
            if key in seen:
                raise InvalidInput(_('{name}: duplicate key {key!r}; each field may appear once in a request').format(name=name, key=key))
            seen[key] = value
        return seen

    def number(digits: str):
        if len(digits) > yamlio.MAX_DIGITS:
            raise InvalidInput(_('{name}: a number of {n:,} digits; at most {MAX_DIGITS} are allowed').format(name=name, n=len(digits), MAX_DIGITS=yamlio.MAX_DIGITS))
        return int(digits)

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_int=number)
    except json.JSONDecodeError as exc:
        raise InvalidInput(_('{name}:{lineno}: {msg}').format(name=name, lineno=exc.lineno, msg=exc.msg)) from None
    except RecursionError:
        raise InvalidInput(_('{name}: nested too deeply; a request is a mapping of fields, a few levels deep').format(name=name)) from None
