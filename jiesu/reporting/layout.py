"""The last step of every HTML report: each data cell of a table with four or more columns gets
its column's name as `data-label`, and the table the class `cards`, so that a phone can show each
row as a card of labelled values instead of a table wider than the screen (base.html.j2).

It reads only the report's own markup: every text from the data was escaped by the template, so
no `<table`, `<td` or `"` from a complaint can occur in it.
"""

from __future__ import annotations

import re

_TABLE = re.compile(r"<table\b([^>]*)>(.*?)</table>", re.S)
_HEAD = re.compile(r"<thead>(.*?)</thead>", re.S)
_TH = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)
_TD = re.compile(r"<td\b")
_TAG = re.compile(r"<[^>]*>")
MIN_COLUMNS = 4


def cards(html: str) -> str:
    """`html` with the cells of its wide tables labelled (see the module's doc)."""
    def table(match: re.Match) -> str:
        attrs, body = match.groups()
        head = _HEAD.search(body)
        names = [" ".join(_TAG.sub("", h).split()) for h in _TH.findall(head.group(1))] if head else []
        if len(names) < MIN_COLUMNS:
            return match.group(0)

        def row(r: re.Match) -> str:
            column = iter(names)
            return _TD.sub(lambda _: f'<td data-label="{next(column, "")}"', r.group(0))

        if 'class="' in attrs:
            attrs = attrs.replace('class="', 'class="cards ', 1)
        else:
            attrs += ' class="cards"'
        return f"<table{attrs}>{body[:head.end()]}{_ROW.sub(row, body[head.end():])}</table>"

    return _TABLE.sub(table, html)
