"""Docs that cannot drift: the README's generated tables match their sources, and every file the
README's "Where things are" section names exists."""

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

import readme_tables  # noqa: E402


def readme() -> str:
    return (REPO / "README.md").read_text("utf-8")


def test_generated_tables_match_their_sources():
    text = readme()
    assert text.count("<!-- generated: ") == 2
    assert readme_tables.render(text) == text, "README tables are stale: run `python tools/readme_tables.py`"


def test_the_state_table_names_every_action():
    table = readme_tables.state_table()
    from jiesu.workflow import TABLE

    named = {a.strip() for row in table.splitlines()[2:] for a in row.split("|")[1].split(",")}
    assert named == set(TABLE)


def test_every_path_in_where_things_are_exists():
    text = readme()
    section = text[text.index("### Where things are"):]
    section = section[: section.index("\n#", 1)] if "\n#" in section[1:] else section
    paths = set(re.findall(r"`([\w./-]+\.(?:py|j2|yaml))`", section))
    assert len(paths) >= 15
    missing = sorted(p for p in paths if not (REPO / p).exists())
    assert not missing, f"named in 'Where things are' but missing: {missing}"


def test_every_action_has_one_apply_function():
    from jiesu.model import APPLY, EVENT_FIELDS
    from jiesu.workflow import TABLE

    assert set(APPLY) == set(TABLE) == set(EVENT_FIELDS)


def test_the_table_names_plain_statuses_and_apply_picks_between_two():
    """Each target in the transition table is a status; where there are two, the action's apply
    function returns one of them (it holds the rule that picks)."""
    from jiesu.model import APPLY
    from jiesu.workflow import STATUSES, TABLE

    for action, (_, targets) in TABLE.items():
        assert set(targets) <= set(STATUSES), action
    picks = {
        "close": [({}, {}, "closed"), ({"review_by": "2026-01-02T00:00:00+08:00"}, {}, "handled")],
        "review": [({"decision": "approved"}, {}, "closed"), ({"decision": "sent_back"}, {}, "accepted")],
        "reopen": [({"due": "2026-01-09T00:00:00+08:00"}, {"lead": "U1", "status": "closed"}, "dispatched"),
                   ({"due": "2026-01-09T00:00:00+08:00"}, {"status": "rejected"}, "received")],
    }
    assert set(picks) == {a for a, (_, targets) in TABLE.items() if len(targets) > 1}
    for action, cases in picks.items():
        for event, state, expected in cases:
            assert APPLY[action](dict(state), event, None, {}, (None, None)) == expected
            assert expected in TABLE[action][1]
