"""Time that counts the way the rules do: working calendar with make-up days, clocks, overdue.

Every expected instant below is worked out by hand from a wall calendar of the 2025 National Day
holiday: 1–8 October off; Sunday 28 September and Saturday 11 October are make-up working days.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import ETERNAL, GARBAGE, git, load, new_case
from hypothesis import given, settings
from hypothesis import strategies as st

from jiesu import ops, working_time
from jiesu.catalog import Calendar, TimeClass
from jiesu.store import Store

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
HOLIDAYS = frozenset(date(2025, 10, d) for d in range(1, 9))
MAKEUP = frozenset({date(2025, 9, 28), date(2025, 10, 11)})
CAL = Calendar(frozenset(range(5)), None, HOLIDAYS, MAKEUP)
NIGHT = Calendar(frozenset(range(5)), (time(22), time(6)), HOLIDAYS, MAKEUP)
OFFICE = Calendar(frozenset(range(5)), (time(9), time(17)), HOLIDAYS, MAKEUP)


def T(text, tz=SH):
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def working(limit, **kw):
    return TimeClass("w", {"en": "w"}, limit, timedelta(hours=2), timedelta(days=1), kw.get("ext"), "working")


def test_make_up_days_and_holidays():
    assert CAL.is_working_day(date(2025, 9, 28))      # Sunday, make-up
    assert CAL.is_working_day(date(2025, 10, 11))     # Saturday, make-up
    assert not CAL.is_working_day(date(2025, 10, 6))  # Monday, holiday
    assert not CAL.is_working_day(date(2025, 9, 27))  # ordinary Saturday


def test_seven_working_days_from_the_friday_before_the_holiday_week():
    # Fri 26 Sep 15:00 → Sun 28 (1), Mon 29 (2), Tue 30 (3), Thu 9 Oct (4), Fri 10 (5), Sat 11 (6), Mon 13 (7)
    due = working_time.deadline(T("2025-09-26T15:00"), timedelta(days=7), working(timedelta(days=7)), CAL, SH)
    assert due == T("2025-10-13T15:00")


def test_a_deadline_that_would_land_on_a_holiday_moves_past_it():
    # calendar time does not care: 7 days from 24 Sep 10:00 is 1 Oct 10:00, a holiday
    calendar_class = TimeClass("c", {"en": "c"}, timedelta(days=7), timedelta(hours=2), timedelta(days=1))
    assert working_time.deadline(T("2025-09-24T10:00"), timedelta(days=7), calendar_class, CAL, SH) == T("2025-10-01T10:00")
    # working time: Mon 29 Sep 10:00 + 2 working days → Tue 30 (1) … then the holiday … Thu 9 Oct 10:00 (2)
    assert working_time.deadline(T("2025-09-29T10:00"), timedelta(days=2), working(timedelta(days=2)), CAL, SH) == T("2025-10-09T10:00")


def test_make_up_saturday_counts():
    assert working_time.deadline(T("2025-10-10T09:00"), timedelta(days=1), working(timedelta(days=1)), CAL, SH) == T("2025-10-11T09:00")
    # received on the holiday: the clock starts with the next working day
    assert working_time.deadline(T("2025-10-03T16:00"), timedelta(days=1), working(timedelta(days=1)), CAL, SH) == T("2025-10-09T23:59:59")


def test_office_hours():
    # Fri 26 Sep 15:00, 7 working days of 8 h = 56 h: Fri 2 h, Sun 28 8 h, Mon 8, Tue 8, Thu 9 8, Fri 10 8, Sat 11 8 → 50 h,
    # Mon 13 6 h → 15:00
    due = working_time.deadline(T("2025-09-26T15:00"), timedelta(days=7), working(timedelta(days=7)), OFFICE, SH)
    assert due == T("2025-10-13T15:00")
    # 2 working hours from Friday 16:30 → 30 min on Friday, 90 min on Sunday the 28th (make-up day)
    assert working_time.deadline(T("2025-09-26T16:30"), timedelta(hours=2), working(timedelta(hours=2)), OFFICE, SH) == T("2025-09-28T10:30")
    # elapsed working time over a weekend and a holiday week
    assert working_time.working_between(T("2025-09-30T16:00"), T("2025-10-09T10:00"), OFFICE, SH) == timedelta(hours=2)


def test_working_hours_crossing_midnight():
    # night shift 22:00–06:00 belongs to the day it starts
    assert working_time.deadline(T("2025-10-10T23:00"), timedelta(hours=2), working(timedelta(hours=2)), NIGHT, SH) == T("2025-10-11T01:00")
    # 8 h from Fri 10 Oct 23:00: 7 h until Sat 06:00, then Saturday's (make-up) shift from 22:00 → 23:00
    assert working_time.deadline(T("2025-10-10T23:00"), timedelta(hours=8), working(timedelta(hours=8)), NIGHT, SH) == T("2025-10-11T23:00")
    # Sun 12 Oct 03:00 lies in Saturday's shift: 3 h there, then Monday 13 from 22:00 → 5 h → Tue 14 03:00
    assert working_time.deadline(T("2025-10-12T03:00"), timedelta(hours=8), working(timedelta(hours=8)), NIGHT, SH) == T("2025-10-14T03:00")


def test_extension_crossing_a_holiday_in_a_store(tmp_path, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2025-10-20T12:00:00")
    store = ops.init_store(tmp_path / "s", actor="admin")
    cal = store.root / "catalog" / "calendar.yaml"
    cal.write_text("work_week: [mon, tue, wed, thu, fri]\nholidays:\n- 2025-10-01..2025-10-08\nworkdays: [2025-09-28, 2025-10-11]\n", "utf-8")
    limits = store.root / "catalog" / "time-limits.yaml"
    limits.write_text(limits.read_text("utf-8").replace("  limit: 15d\n  extendable_to: 30d\n", "  limit: 15d\n  extendable_to: 30d\n  days: working\n"), "utf-8")
    git(store.root, "commit", "-qam", "office calendar 2025; complex cases count working days")
    store = Store(store.root)
    case_id = ops.intake(store, [{"title": "Fund accounts", "type": "complaint", "category": "property.owners-committee.disputes",
                                  "street": ETERNAL, "at": "2025-09-12T10:00"}], "op")[0].case_id
    # 15 working days from Fri 12 Sep 10:00: 15,16,17,18,19 (5), 22–26 (10), 28(Sun),29,30 (13), 9 Oct (14), 10 Oct (15)
    assert load(store, case_id)["state"]["due"] == "2025-10-10T10:00:00+08:00"
    ops.assign(store, case_id, "d", at="2025-09-12T10:30")
    ops.accept(store, case_id, "u", at="2025-09-12T11:00")
    ops.extend(store, case_id, "u", "Audit", by="2d", at="2025-09-30T09:00")
    # +2 working days from Fri 10 Oct 10:00: Sat 11 (make-up) (1), Mon 13 (2)
    assert load(store, case_id)["state"]["due"] == "2025-10-13T10:00:00+08:00"
    with pytest.raises(Exception, match="past the cap of class complex"):
        ops.extend(store, case_id, "u", "More", by="20d", at="2025-10-01T09:00")


@settings(max_examples=300, deadline=None)
@given(start=st.datetimes(min_value=datetime(2025, 9, 1), max_value=datetime(2025, 11, 30)),
       days=st.integers(0, 20), hours=st.integers(0, 23), minutes=st.integers(0, 59),
       cal=st.sampled_from([CAL, OFFICE, NIGHT]))
def test_a_working_deadline_never_falls_on_rest_time(start, days, hours, minutes, cal):
    limit = timedelta(days=days, hours=hours, minutes=minutes)
    if limit == timedelta(0):
        return
    due = working_time.deadline(start.replace(tzinfo=SH), limit, working(limit), cal, SH)
    if cal.working_hours is None:
        assert cal.is_working_day(due.astimezone(SH).date()), due
    else:
        # inside a working period (or exactly at its end)
        day = due.astimezone(SH).date()
        inside = False
        for d in (day - timedelta(days=1), day):
            if cal.is_working_day(d):
                seg_start, seg_end = working_time._segment(d, cal, SH)
                inside |= seg_start < due <= seg_end
        assert inside, due


@settings(max_examples=300, deadline=None)
@given(a=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
       span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
       cal=st.sampled_from([CAL, OFFICE, NIGHT]), tz=st.sampled_from([SH, NY]))
def test_working_time_over_long_spans_equals_the_sum_of_working_periods(a, span, cal, tz):
    """Long spans take whole days from running totals; the answer is the period-by-period sum."""
    start = working_time.fixed(a.replace(tzinfo=tz))
    end = working_time.fixed((start + span).astimezone(tz))
    expected = working_time._working_by_segments(start, end, cal, tz)
    assert working_time.working_between(start, end, cal, tz) == expected
    assert working_time.working_between(end, start, cal, tz) == -expected


def test_working_days_late_by_hand_across_the_holiday():
    # due Fri 26 Sep 2025 12:00, now Fri 31 Oct 12:00 (whole days, Shanghai calendar):
    # Sep 26 pm (0.5), Sep 28 make-up, 29, 30 (3), Oct 9, 10, 11 make-up (3), Oct 13-17, 20-24, 27-30 (14),
    # Oct 31 am (0.5) = 21 working days
    due, now = T("2025-09-26T12:00"), T("2025-10-31T12:00")
    assert working_time.working_days_between(due, now, CAL, SH) == 21
    # office hours 9-17: Sep 26 12-17 (5 h) + 20 days x 8 h + Oct 31 9-12 (3 h) = 168 h = 21 days of 8 h
    assert working_time.working_between(due, now, OFFICE, SH) == timedelta(hours=168)


def test_dst_zone_calendar_days_keep_the_wall_time_and_elapsed_is_real():
    # New York springs forward on 14 March 2021 at 02:00
    before = datetime(2021, 3, 13, 12, 0, tzinfo=NY)
    cls = TimeClass("c", {"en": "c"}, timedelta(days=7), timedelta(hours=2), timedelta(days=1))
    due = working_time.deadline(before, timedelta(days=7), cls, CAL, NY)
    assert due.isoformat() == "2021-03-20T12:00:00-04:00"
    assert working_time.elapsed(before, due, cls, CAL, NY) == timedelta(days=7) - timedelta(hours=1)
    two_hours = working_time.deadline(datetime(2021, 3, 14, 1, 30, tzinfo=NY), timedelta(hours=2), cls, CAL, NY)
    assert two_hours.isoformat() == "2021-03-14T04:30:00-04:00"


def test_store_in_a_dst_zone(tmp_path, monkeypatch):
    monkeypatch.setenv("JIESU_NOW", "2021-11-10T12:00:00")
    store = ops.init_store(tmp_path / "ny", office="NYC", tz="America/New_York", actor="admin")
    # naive input is New York time; the offset follows DST
    a = ops.intake(store, [{"title": "summer", "type": "complaint", "at": "2021-10-31T23:30"}], "op")[0].case_id
    b = ops.intake(store, [{"title": "winter", "type": "complaint", "at": "2021-11-08T09:00"}], "op")[0].case_id
    assert load(store, a)["received"] == "2021-10-31T23:30:00-04:00" and a == "NYC-2110-0001"
    assert load(store, b)["received"] == "2021-11-08T09:00:00-05:00"
    # the standard 7 days cross the change on 7 November: same wall time, one hour more of real time
    assert load(store, a)["state"]["due"] == "2021-11-07T23:30:00-05:00"
    # an offset given explicitly is kept; the month (and id) follow the store's zone
    c = ops.intake(store, [{"title": "from Beijing", "type": "complaint", "at": "2021-11-01T08:00:00+08:00"}], "op")[0].case_id
    assert c == "NYC-2110-0002" and load(store, c)["received"] == "2021-11-01T08:00:00+08:00"


def test_clocks_in_list_json(run):
    case_id = new_case(run, at="2021-11-01T09:00")
    run("assign", case_id, "--at", "2021-11-01T09:30")
    run("accept", case_id, "--at", "2021-11-01T12:00")
    rows = run.json("list")
    clocks = rows[0]["clocks"]
    assert clocks["acceptance"][0]["elapsed_s"] == 2.5 * 3600 and clocks["acceptance"][0]["met"] is False
    assert clocks["contact"]["running"] is True and clocks["contact"]["met"] is False  # 24 h passed without contact
    assert clocks["resolution"]["met"] is False and clocks["resolution"]["due"] == "2021-11-08T09:00:00+08:00"


def build_overdue_store(run):
    """Six cases with hand-picked dues (standard 7 d, urgent 2 h) and fates."""
    ids = {}
    ids["late_open"] = new_case(run, at="2021-11-01T09:00")                        # due 11-08 09:00, never closed
    ids["closed_late"] = new_case(run, at="2021-11-01T10:00")                      # due 11-08 10:00, closed 11-09 10:00
    ids["closed_on_time"] = new_case(run, at="2021-11-01T11:00")                   # due 11-08 11:00, closed 11-05
    ids["urgent"] = new_case(run, type="emergency", at="2021-11-09T08:00")         # due 11-09 10:00, never closed
    ids["soon"] = new_case(run, at="2021-11-03T14:00")                             # due 11-10 14:00
    ids["rejected"] = new_case(run, at="2021-11-01T08:00", category=None, street=None)  # due 11-08 08:00, rejected 11-01
    for key in ("late_open", "closed_late", "closed_on_time", "soon"):
        run("assign", ids[key], "--at", "2021-11-03T15:00" if key == "soon" else "2021-11-01T12:00")
        run("accept", ids[key], "--at", "2021-11-03T15:10" if key == "soon" else "2021-11-01T12:30")
    run("close", ids["closed_late"], "--resolved", "--summary", "x", "--at", "2021-11-09T10:00")
    run("close", ids["closed_on_time"], "--resolved", "--summary", "x", "--at", "2021-11-05T10:00")
    run("reject", ids["rejected"], "--reason", "invalid", "--at", "2021-11-01T08:05")
    return ids


def test_overdue_as_of_chosen_instants(run):
    ids = build_overdue_store(run)
    name = {v: k for k, v in ids.items()}

    def at(instant):
        data = run.json("overdue", "--as-of", instant)
        return [(name[r["id"]], r["hours_late"]) for r in data["overdue"]], [name[r["id"]] for r in data["due_soon"]], data["closed_late"]

    # 7 Nov 12:00: nothing late yet; due within 24 h: late_open (21 h) and closed_late (22 h) — closed_on_time
    # was closed on 5 Nov and the rejected call is not open
    assert at("2021-11-07T12:00") == ([], ["late_open", "closed_late"], 0)
    # 8 Nov 10:30: late_open 1.5 h late, closed_late 0.5 h late (still open then), closed_on_time was closed on 5 Nov
    assert at("2021-11-08T10:30") == ([("late_open", 1.5), ("closed_late", 0.5)], [], 0)
    # 9 Nov 12:00: urgent (due 10:00) 2 h late; closed_late closed at 10:00 → counted as closed late, no longer open;
    # soon is due 10 Nov 14:00, 26 h away
    assert at("2021-11-09T12:00") == ([("late_open", 27.0), ("urgent", 2.0)], [], 1)
    assert at("2021-11-10T12:00") == ([("late_open", 51.0), ("urgent", 26.0)], ["soon"], 1)
    # now (10 Nov 12:00), default as-of
    data = run.json("overdue")
    assert [name[r["id"]] for r in data["overdue"]] == ["late_open", "urgent"]
    assert data["overdue"][0]["working_days_late"] == pytest.approx(2 + 3 / 24, abs=0.01)  # Mon 8 09:00 → Wed 10 12:00
    assert [name[r["id"]] for r in run.json("list", "--overdue")] == ["late_open", "urgent"]
    text = run("overdue", "--as-of", "2021-11-09T12:00", check=False).stdout
    assert "dragon-gate/eternal-town — Eternal Town (1)" in text and "(not dispatched)" in text
    assert "Closed late (so far): 1" in text
    scoped = run.json("overdue", "--as-of", "2021-11-09T12:00", "--unit", "dragon-gate")
    assert [name[r["id"]] for r in scoped["overdue"]] == ["late_open"]


def test_catalog_calendar_shows_the_year(run, store):
    cal = store.root / "catalog" / "calendar.yaml"
    cal.write_text("work_week: [mon, tue, wed, thu, fri]\nholidays: [2025-10-01..2025-10-08]\nworkdays: [2025-09-28, 2025-10-11]\n", "utf-8")
    git(store.root, "commit", "-qam", "calendar")
    out = run("catalog", "calendar", "--year", "2025", check=False).stdout
    assert "2025-09-28  Sun  work  make-up working day" in out
    assert "2025-10-08  Wed  rest  public holiday" in out
    # 2025 has 261 weekdays; 6 of them fall in the 1–8 October holiday; 2 make-up days: 257 working days
    assert "2025: 257 working days, 108 rest days" in out
    rows = json.loads(run("catalog", "calendar", "--year", "2025", "--format", "json", check=False).stdout)
    assert sum(r["working"] for r in rows) == 257 and len(rows) == 365


def test_show_explains_the_class_and_extension(run):
    case_id = new_case(run, tag="emergency", category=GARBAGE)
    assert "time limit   urgent (2h, calendar time; from tag emergency)" in run("show", case_id, check=False).stdout


# texts that read as instants: the stored form, and its near misses (another separator, fractions,
# other offsets, `-00:00`, a `Z`, a space, no seconds, week and ordinal dates, full-width digits)
_TIME_TEXTS = st.one_of(
    st.builds(lambda d, sep, frac, off: d.strftime("%Y-%m-%d") + sep + d.strftime("%H:%M:%S") + frac + off,
              st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
              st.sampled_from(["T", "T", "T", " ", "t", "x"]), st.sampled_from(["", "", "", ".5", ".000000", ",25"]),
              st.sampled_from(["+08:00", "+08:00", "-05:00", "+00:00", "-00:00", "Z", "+0800", "+05:45", "+08:00:00",
                               "+08", "", "+14:00", "-12:00"])),
    st.sampled_from(["2021-W44-2T10:02:00+08:00", "2021-306T10:02:00+08:00", "20211102T100200+0800",
                     "2021-11-02T10:02+08:00", "２０２１-11-02T10:02:00+08:00", "2021-11-02T10:02:00+08:00"]),
)


@settings(max_examples=1500, deadline=None)
@given(text=_TIME_TEXTS)
def test_the_stored_form_is_told_from_its_shape_as_formatting_tells_it(text):
    """`timeutil.stored_form` says of a text that reads as an instant what formatting the instant
    again says (the read index relies on it not to format every instant of every case)."""
    from jiesu import timeutil

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return
    if value.tzinfo is None:
        return
    assert timeutil.stored_form(text) == (timeutil.fmt(value) == text), text
    try:
        loaded = timeutil.load(text)
    except ValueError:
        return
    assert timeutil.fmt(loaded) == value.replace(microsecond=0).isoformat()  # remembered or made, the same text


@settings(max_examples=1500, deadline=None)
@given(text=_TIME_TEXTS, zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "UTC", "Asia/Kathmandu",
                                               "Pacific/Kiritimati", "Etc/GMT+12"]))
def test_a_date_column_is_left_bare_exactly_when_its_seconds_give_its_text(text, zone):
    """The index keeps a date's text only where its seconds, in the office's zone, give another."""
    from jiesu import timeutil
    from jiesu.index import _bare, _ts, time_text

    tz = timeutil.zone(zone)
    ts = _ts(text)
    if ts is None:
        return
    expected = None if time_text(ts, tz) == text else text
    assert _bare(text, ts, tz) == expected, (text, zone)
