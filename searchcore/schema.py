"""Typed fields and the schema that checks every document against them.

>>> schema = Schema(id=ID(stored=True), body=TEXT())
>>> schema["body"].analyzer("Ministers visiting Belarus")
['minist', 'visit', 'belarus']
>>> schema["titel"]
Traceback (most recent call last):
...
searchcore.errors.SchemaError: field 'titel' not in schema (fields: body, id)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .analysis import Analyzer
from .errors import ArgumentError, DocumentError, SchemaError


@dataclass(frozen=True)
class FieldType:
    """Base of the field types. ``stored`` fields are kept and returned with hits."""

    stored: bool = False
    kind: ClassVar[str] = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "stored": self.stored}

    def normalize(self, name: str, value: Any) -> Any:
        """Check ``value`` for this field and return it in the form the writer indexes."""
        return value


@dataclass(frozen=True)
class ID(FieldType):
    """The unique key of a document: one exact string, indexed untokenized. At most one per schema."""

    kind: ClassVar[str] = "id"

    def normalize(self, name: str, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise DocumentError(f"field {name!r} is an ID and takes a str or int, got {type(value).__name__}")
        value = str(value)
        if not value:
            raise DocumentError(f"field {name!r} is an ID and cannot be empty")
        return value


@dataclass(frozen=True)
class TEXT(FieldType):
    """Analysed text, indexed with term frequencies and positions and scored by BM25/BM25F.

    Args:
        stored: keep the original text (needed for snippets).
        boost: the field's weight in BM25F (> 0); a title usually gets 2.0.
        analyzer: how text becomes terms; the default is Snowball English with English stopwords. An
            :class:`~searchcore.analysis.Analyzer` configured by its arguments: an index stores those
            settings and rebuilds the analyzer from them to read queries, so a subclass or another callable
            could not analyse queries as it analysed the text, and is refused.

    Raises:
        SchemaError: a boost that is not a number > 0, or an analyzer that is not an Analyzer.
    """

    boost: float = 1.0
    analyzer: Analyzer = field(default_factory=Analyzer, compare=True)
    kind: ClassVar[str] = "text"

    def __post_init__(self) -> None:
        if not (isinstance(self.boost, int | float) and math.isfinite(self.boost) and self.boost > 0):
            raise SchemaError(f"boost must be a finite number > 0, got {self.boost!r}")
        if type(self.analyzer) is not Analyzer:
            raise SchemaError(
                f"analyzer must be an Analyzer (set its stemmer, stopwords and lowercase), got "
                f"{type(self.analyzer).__name__}: an index keeps only an Analyzer's settings, so it could not "
                f"read queries the way a custom analyzer read the text")

    def to_dict(self) -> dict:
        return {**super().to_dict(), "boost": float(self.boost), "analyzer": self.analyzer.to_dict()}

    def normalize(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise DocumentError(f"field {name!r} is TEXT and takes a str, got {type(value).__name__}")
        return value


@dataclass(frozen=True)
class KEYWORD(FieldType):
    """Exact terms (tags, categories): a str or a list of str, not analysed, optionally lowercased."""

    lowercase: bool = False
    kind: ClassVar[str] = "keyword"

    def to_dict(self) -> dict:
        return {**super().to_dict(), "lowercase": self.lowercase}

    def normalize(self, name: str, value: Any) -> list[str]:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            raise DocumentError(f"field {name!r} is KEYWORD and takes a str or a list of str, got {value!r:.60}")
        values = [v.lower() if self.lowercase else v for v in values if v]
        return list(dict.fromkeys(values))


@dataclass(frozen=True)
class NUMERIC(FieldType):
    """A number (int or float) per document, for filters, ranges and sorting."""

    kind: ClassVar[str] = "numeric"

    def normalize(self, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise DocumentError(f"field {name!r} is NUMERIC and takes a finite int or float, got {value!r:.60}")
        return float(value)


@dataclass(frozen=True)
class DATE(FieldType):
    """A date or date-time per document: ``datetime``, ``date`` or an ISO 8601 string. Naive times are UTC."""

    kind: ClassVar[str] = "date"

    def normalize(self, name: str, value: Any) -> tuple[float, str]:
        """Returns (seconds since the epoch, ISO text kept for stored output)."""
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise DocumentError(
                    f"field {name!r} is DATE and takes ISO 8601 text such as 2023-08-14, got {value!r:.60}"
                ) from None
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        if not isinstance(value, dt.datetime):
            raise DocumentError(f"field {name!r} is DATE and takes a date, datetime or ISO str, got {value!r:.60}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        iso = value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat()
        if iso.endswith("T00:00:00"):
            iso = iso[:10]
        return value.timestamp(), iso


_YEAR_MONTH = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def date_period(text: str) -> tuple[float, float]:
    """The span of time a DATE range end written as ``text`` stands for, in seconds since the epoch.

    A year (``1987``), a month (``1987-03``) or a day (``1987-03-02``, or any other ISO 8601 date
    without a time) stands for the whole period: ``end`` is the first second after it. A date-time
    stands for that instant: ``end == start``. Naive times are UTC, as in documents.

    >>> date_period("1987") == (date_period("1987-01-01")[0], date_period("1988-01-01")[0])
    True
    >>> start, end = date_period("1987-02"); (end - start) / 86_400
    28.0
    >>> start, end = date_period("1987-03-02T10:00"); start == end
    True

    Raises:
        ValueError: ``text`` is none of these forms, or names a day or month that does not exist.
    """
    text = text.strip()
    match = _YEAR_MONTH.fullmatch(text)
    if match is not None:
        year, month = int(match.group(1)), match.group(2)
        if year < 1 or (month is not None and not 1 <= int(month) <= 12):
            raise ArgumentError(f"no such year or month: {text!r}")
        start = _seconds(dt.datetime(year, int(month or 1), 1))
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)  # calendar.isleap, without its import
        days = (366 if leap else 365) if month is None else _MONTH_DAYS[int(month) - 1] + (leap and month == "02")
        return start, start + days * 86_400.0
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        instant = _seconds(dt.datetime.fromisoformat(text))
        return instant, instant
    start = _seconds(dt.datetime(day.year, day.month, day.day))
    return start, start + 86_400.0


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _seconds(value: dt.datetime) -> float:
    """Seconds since the epoch; naive is UTC. Subtraction, not ``timestamp()``: no overflow near year 1."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return (value - _EPOCH).total_seconds()


@dataclass(frozen=True)
class STORED(FieldType):
    """A value kept with the document and returned with hits, never indexed. Must be JSON-serialisable."""

    stored: bool = True
    kind: ClassVar[str] = "stored"


FIELD_TYPES: dict[str, type[FieldType]] = {t.kind: t for t in (ID, TEXT, KEYWORD, NUMERIC, DATE, STORED)}


class Schema(Mapping[str, FieldType]):
    """The fields of an index, by name. A schema may have at most one ID field.

    Args:
        **fields: field name -> field type instance, e.g. ``title=TEXT(stored=True, boost=2.0)``.

    Raises:
        SchemaError: no fields, a name that is not an identifier, a value that is not a field type,
            or more than one ID field.
    """

    def __init__(self, **fields: FieldType) -> None:
        if not fields:
            raise SchemaError("a schema needs at least one field")
        for name, ftype in fields.items():
            if not name.isidentifier():
                raise SchemaError(f"field names must be identifiers, got {name!r}")
            if not isinstance(ftype, FieldType):
                raise SchemaError(f"field {name!r} must be a field type such as TEXT(), got {ftype!r}")
        ids = [name for name, ftype in fields.items() if isinstance(ftype, ID)]
        if len(ids) > 1:
            raise SchemaError(f"a schema has at most one ID field, got {', '.join(ids)}")
        self._fields = dict(fields)
        self.id_field: str | None = ids[0] if ids else None
        self.text_fields: tuple[str, ...] = tuple(n for n, f in fields.items() if isinstance(f, TEXT))

    def __getitem__(self, name: str) -> FieldType:
        try:
            return self._fields[name]
        except KeyError:
            raise SchemaError(f"field {name!r} not in schema (fields: {', '.join(sorted(self._fields))})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "Schema(" + ", ".join(f"{n}={f!r}" for n, f in self._fields.items()) + ")"

    def stored_fields(self) -> tuple[str, ...]:
        return tuple(n for n, f in self._fields.items() if f.stored)

    def to_dict(self) -> dict:
        """A JSON-ready description, stored in the index manifest."""
        return {name: ftype.to_dict() for name, ftype in self._fields.items()}

    @classmethod
    def from_dict(cls, data: dict) -> Schema:
        """Rebuild a schema from :meth:`to_dict` output."""
        fields = {}
        for name, spec in data.items():
            spec = dict(spec)
            kind = spec.pop("kind", None)
            if kind not in FIELD_TYPES:
                raise SchemaError(f"field {name!r} has unknown kind {kind!r}")
            if "analyzer" in spec:
                spec["analyzer"] = Analyzer.from_dict(spec["analyzer"])
            fields[name] = FIELD_TYPES[kind](**spec)
        return cls(**fields)

    def normalize_document(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """Check a document against the schema; values come back in the form the writer indexes.

        Raises:
            SchemaError: a field that is not in the schema.
            DocumentError: a value of the wrong type, or no ID where the schema has an ID field.
        """
        out = {}
        for name, value in doc.items():
            ftype = self[name]
            if value is None:
                continue
            out[name] = ftype.normalize(name, value)
        if self.id_field is not None and self.id_field not in out:
            raise DocumentError(f"document has no {self.id_field!r} (the schema's ID field): {_preview(doc)}")
        return out


def _preview(doc: Mapping[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r:.40}" for k, v in list(doc.items())[:3])
    return "{" + text + "}"


def news_schema(stemmer: str = "snowball") -> Schema:
    """The schema of the default index: wire stories from the loaders (Reuters-21578, JSON Lines, text files).
    ``stemmer`` is the text fields' (see :class:`~searchcore.analysis.Analyzer`)."""
    analyzer = Analyzer(stemmer=stemmer)
    return Schema(
        id=ID(stored=True),
        title=TEXT(stored=True, boost=2.0, analyzer=analyzer),
        body=TEXT(stored=True, analyzer=analyzer),
        dateline=TEXT(stored=True, analyzer=analyzer),
        byline=TEXT(stored=True, analyzer=analyzer),
        agency=KEYWORD(stored=True),
        date=DATE(stored=True),
        topics=KEYWORD(stored=True),
        places=KEYWORD(stored=True),
        source=STORED(),
    )
