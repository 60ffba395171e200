"""Collection statistics across shards: gathered from every shard, summed, and scored with everywhere.

A statistic is named by a key: ``("df", ((field, term), ...))`` for a document frequency,
``("n", fields)`` for the documents having any of several fields, and per field the documents having
it and their tokens. Shards are disjoint, so each global value is the sum of the shards' values: the
same integers a single index holding every document counts, and so the same idf and average lengths,
bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import SearchcoreError
from ..schema import ID, KEYWORD, TEXT, Schema
from ..search.stats import CollectionStats, FieldStats

Key = tuple  # ("df", ((field, term), ...)) or ("n", (field, ...))


class RecordingStats:
    """A shard's own statistics, with every key a planner asked for recorded (and its value)."""

    def __init__(self, local: CollectionStats) -> None:
        self.local = local
        self.values: dict[Key, int] = {}

    def field_stats(self, field: str) -> FieldStats:
        return self.local.field_stats(field)

    def doc_count(self, fields: tuple[str, ...]) -> int:
        if len(fields) == 1:
            return self.local.field_stats(fields[0]).docs
        value = self.values[("n", fields)] = self.local.doc_count(fields)
        return value

    def doc_freq(self, terms: tuple[tuple[str, str], ...]) -> int:
        value = self.values[("df", terms)] = self.local.doc_freq(terms)
        return value


def field_totals(stats: CollectionStats, schema: Schema) -> dict[str, tuple[int, int]]:
    """Per TEXT, ID and KEYWORD field: (documents having it, their tokens: 0 for fields not TEXT)."""
    out = {}
    for name in schema:
        if not isinstance(schema[name], TEXT | ID | KEYWORD):
            continue  # numbers and dates are filtered and sorted by, never scored
        fs = stats.field_stats(name)
        tokens = round(fs.avg_doc_len * fs.docs) if isinstance(schema[name], TEXT) else 0
        out[name] = (fs.docs, tokens)
    return out


class GlobalStats:
    """The whole collection's statistics, for a shard to score with: field totals summed over the shards
    when made, other values learnt as queries bring them (they are fixed while no shard commits)."""

    def __init__(self, schema: Schema, totals: Iterable[Mapping[str, tuple[int, int]]]) -> None:
        self.schema = schema
        docs: dict[str, int] = {}
        tokens: dict[str, int] = {}
        for shard in totals:
            for name, (d, t) in shard.items():
                docs[name] = docs.get(name, 0) + d
                tokens[name] = tokens.get(name, 0) + t
        self._fields = {name: FieldStats(docs[name], tokens[name] / docs[name]
                                         if isinstance(schema[name], TEXT) and docs[name] else 0.0)
                        for name in docs}
        self._values: dict[Key, int] = {}

    def learn(self, values: Mapping[Key, int]) -> None:
        self._values.update(values)

    def field_stats(self, field: str) -> FieldStats:
        return self._fields[field]

    def doc_count(self, fields: tuple[str, ...]) -> int:
        if len(fields) == 1:
            return self._fields[fields[0]].docs
        return self._value(("n", fields))

    def doc_freq(self, terms: tuple[tuple[str, str], ...]) -> int:
        return self._value(("df", terms))

    def _value(self, key: Key) -> int:
        try:
            return self._values[key]
        except KeyError:
            raise SearchcoreError(f"the global statistic {key!r} was not gathered before scoring") from None


def summed(per_shard: Iterable[Mapping[Key, int]]) -> dict[Key, int]:
    out: dict[Key, int] = {}
    for values in per_shard:
        for key, value in values.items():
            out[key] = out.get(key, 0) + value
    return out
