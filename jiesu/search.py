"""Ranked full-text search over a few short fields, for Chinese and English alike.

An in-memory SQLite FTS5 table with the trigram tokenizer matches substrings of Chinese text with
no word segmenter and, word by word, English with a typo or two: each word of the query is cut
into its trigrams and a document scores by BM25 over the trigrams it shares, each column weighted
as the caller says. Trigrams need three characters, so words of one or two (`垃圾`, `tv`) are
matched with LIKE and scored by the same column weights.

    index = TextIndex({"name": 10, "keywords": 5, "code": 2})
    index.add("env.noise.x", name="商业经营噪声 Noise from shops", keywords="KTV loud music", code="env.noise.x")
    hits = index.search("loud musik", limit=10)     # Hits(keys=[...], total=N)
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

_WORD = re.compile(r"[\w\u3400-\u9fff]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Hits:
    """The best keys, best first, and how many matched in all (more than shown: the list was cut)."""

    keys: list = field(default_factory=list)
    total: int = 0

    @property
    def cut(self) -> bool:
        return self.total > len(self.keys)


def _words(text: str) -> list[str]:
    """Query words: runs of letters/digits; a Chinese run also yields its 2-character pieces."""
    words = []
    for run in _WORD.findall(str(text).casefold()):
        words.append(run)
        if _CJK.search(run) and len(run) > 3:
            words.extend(run[i:i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(words))


def _trigrams(word: str) -> list[str]:
    return [word[i:i + 3] for i in range(len(word) - 2)]


class TextIndex:
    """Documents of named text columns in an FTS5 trigram table, searched by weighted BM25."""

    def __init__(self, weights: dict[str, float]):
        self.columns = list(weights)
        self.weights = [float(weights[c]) for c in self.columns]
        self.db = sqlite3.connect(":memory:")
        cols = ", ".join(f'"{c}"' for c in self.columns)
        self.db.execute(f"CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, {cols}, tokenize='trigram')")
        self.db.execute(f"CREATE TABLE plain (key, {cols})")

    def add(self, key: str, **texts: str) -> None:
        values = [key] + [str(texts.get(c) or "").casefold() for c in self.columns]
        marks = ", ".join("?" * len(values))
        self.db.execute(f"INSERT INTO docs VALUES ({marks})", values)
        self.db.execute(f"INSERT INTO plain VALUES ({marks})", values)

    def search(self, text: str, limit: int | None = None) -> Hits:
        """Keys ranked by score (highest first; ties keep insertion order), and the total matched."""
        scores: dict = {}
        words = _words(text)
        grams = list(dict.fromkeys(g for w in words if len(w) >= 3 for g in _trigrams(w)))
        if grams:
            query = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
            weights = ", ".join(str(w) for w in self.weights)
            for key, rank in self.db.execute(f"SELECT key, bm25(docs, 0, {weights}) FROM docs WHERE docs MATCH ?", (query,)):
                scores[key] = scores.get(key, 0.0) - rank
        for word in (w for w in words if len(w) < 3):
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            parts = " + ".join(f'("{c}" LIKE ? ESCAPE \'\\\') * {w}' for c, w in zip(self.columns, self.weights))
            for key, score in self.db.execute(f"SELECT key, {parts} FROM plain", [like] * len(self.columns)):
                if score:
                    # LIKE scores on the scale of a one-trigram BM25 hit (about a tenth of the weight)
                    scores[key] = scores.get(key, 0.0) + score / 10
        order = {key: n for n, (key,) in enumerate(self.db.execute("SELECT key FROM plain"))}
        ranked = sorted(scores, key=lambda k: (-scores[k], order[k]))
        return Hits(ranked[:limit] if limit else ranked, len(ranked))
