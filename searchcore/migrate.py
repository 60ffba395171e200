"""A Whoosh index, carried over: its schema mapped to searchcore's and its stored documents indexed again.

Whoosh keeps a field's text only when the field is stored; the postings of an unstored field cannot give
the text back (they hold terms, already analysed). So every stored field comes over, and every field
Whoosh did not store is reported and left out. Analysis is searchcore's own (Unicode words, Snowball
English stems), not the Whoosh analyzer's: queries are read the same way the text is, as always.

The mapping, Whoosh field type to searchcore's:

=================================  ================================================================
``ID(unique=True)``                ``ID`` (the document key; without one, Whoosh's document number)
``ID``                             ``KEYWORD`` (an exact value)
``KEYWORD(lowercase, commas)``     ``KEYWORD(lowercase)``, the stored string split at commas or spaces
``TEXT``, ``NGRAM``, ``NGRAMWORDS``  ``TEXT`` (its field boost kept)
``NUMERIC``                        ``NUMERIC``
``DATETIME``                       ``DATE``
``BOOLEAN``                        ``KEYWORD`` (``true`` / ``false``)
``STORED``                         ``STORED``
=================================  ================================================================

Needs the ``whoosh`` extra (the whoosh package, only to read).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import Index
from .errors import ArgumentError, IndexExistsError, WhooshImportError
from .schema import DATE, ID, KEYWORD, NUMERIC, STORED, TEXT, FieldType, Schema

#: the ID field made when the Whoosh schema has no unique ID: Whoosh's document number
DOCNUM_FIELD = "whoosh_docnum"


@dataclass
class ImportReport:
    """What an import did.

    Attributes:
        documents: the documents indexed (Whoosh's deleted ones are not).
        schema: the searchcore schema made.
        mapped: Whoosh field name -> how it came over ("TEXT", "KEYWORD (split at commas)", ...).
        dropped: Whoosh field name -> why it did not come over.
        id_field: the field that keys the documents.
    """

    documents: int = 0
    schema: Schema | None = None
    mapped: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)
    id_field: str = ""

    def __str__(self) -> str:
        lines = [f"{self.documents:,} documents imported, keyed by {self.id_field!r}"]
        lines += [f"  {name}: {how}" for name, how in self.mapped.items()]
        lines += [f"  {name}: not carried over: {why}" for name, why in self.dropped.items()]
        return "\n".join(lines)


def _whoosh():
    try:
        import whoosh.fields
        import whoosh.index
    except ImportError:
        raise WhooshImportError('reading a Whoosh index needs the whoosh package: pip install "searchcore[whoosh]"') \
            from None
    return whoosh


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str           # how values are converted: text, keyword, commas, words, id, number, date, bool, stored
    target: FieldType
    described: str


def _map_field(whoosh, name: str, ftype: Any, key: str | None) -> _Field | str:
    """How one Whoosh field comes over, or why it cannot."""
    fields = whoosh.fields
    stored = bool(getattr(ftype, "stored", False))
    if isinstance(ftype, fields.STORED) and type(ftype) is fields.STORED:
        return _Field(name, "stored", STORED(), "STORED")
    if not stored:
        return "Whoosh did not store it (its text cannot be recovered from the index)"
    if isinstance(ftype, fields.ID):
        if name == key:
            return _Field(name, "id", ID(stored=True), "ID (the document key)")
        return _Field(name, "keyword", KEYWORD(stored=True), "KEYWORD (an exact value)")
    if isinstance(ftype, fields.KEYWORD):
        parts = list(getattr(ftype.analyzer, "items", [ftype.analyzer]))
        lowercase = any(type(p).__name__ == "LowercaseFilter" for p in parts)
        pattern = getattr(getattr(parts[0], "expression", None), "pattern", "") if parts else ""
        commas = pattern == "[^,]+"  # KEYWORD(commas=True)
        return _Field(name, "commas" if commas else "words", KEYWORD(stored=True, lowercase=lowercase),
                      f"KEYWORD{' (lowercased)' if lowercase else ''}, split at {'commas' if commas else 'spaces'}")
    if isinstance(ftype, fields.TEXT | fields.NGRAM | fields.NGRAMWORDS):
        boost = float(getattr(ftype.format, "field_boost", 1.0) or 1.0)
        return _Field(name, "text", TEXT(stored=True, boost=boost),
                      f"TEXT{f' (boost {boost:g})' if boost != 1.0 else ''}"
                      f"{' (from n-grams: searched by words)' if not isinstance(ftype, fields.TEXT) else ''}")
    if isinstance(ftype, fields.DATETIME):
        return _Field(name, "date", DATE(stored=True), "DATE")
    if isinstance(ftype, fields.BOOLEAN):
        return _Field(name, "bool", KEYWORD(stored=True), "KEYWORD (true / false)")
    if isinstance(ftype, fields.NUMERIC):
        return _Field(name, "number", NUMERIC(stored=True), "NUMERIC")
    return f"a Whoosh field type searchcore does not map ({type(ftype).__name__})"


def _value(spec: _Field, value: Any) -> Any:
    """A stored Whoosh value as the searchcore field takes it, or None to leave the field out."""
    if value is None:
        return None
    kind = spec.kind
    if kind in ("text", "id"):
        return str(value)
    if kind == "keyword":
        return [str(value)]
    if kind == "commas":
        return [part.strip() for part in str(value).split(",") if part.strip()]
    if kind == "words":
        return str(value).split() if isinstance(value, str) else [str(v) for v in value]
    if kind == "number":
        number = float(value)
        return number if math.isfinite(number) else None
    if kind == "date":
        return value if isinstance(value, dt.date) else str(value)
    if kind == "bool":
        return ["true" if value else "false"]
    return value  # STORED: kept as it is (it must be JSON)


def import_whoosh(whoosh_dir: str | Path, index_dir: str | Path, *, rebuild: bool = False) -> ImportReport:
    """Build a searchcore index at ``index_dir`` from the Whoosh index in ``whoosh_dir``.

    With ``rebuild``, an index already at ``index_dir`` is replaced, in one atomic swap at the end.

    Raises:
        WhooshImportError: no Whoosh index there, or one that cannot be read.
        IndexExistsError: ``index_dir`` holds an index and ``rebuild`` is False.
    """
    whoosh = _whoosh()
    whoosh_dir = Path(whoosh_dir)
    if not whoosh_dir.is_dir() or not whoosh.index.exists_in(str(whoosh_dir)):
        raise WhooshImportError(f"no Whoosh index in {whoosh_dir}")
    try:
        source = whoosh.index.open_dir(str(whoosh_dir))
    except Exception as exc:  # noqa: BLE001 - whoosh raises many kinds for a damaged index
        raise WhooshImportError(f"{whoosh_dir}: the Whoosh index cannot be opened ({exc})") from None
    report = ImportReport()
    items = list(source.schema.items())
    keys = [name for name, ftype in items
            if isinstance(ftype, whoosh.fields.ID) and getattr(ftype, "unique", False) and ftype.stored]
    key = keys[0] if keys else None
    specs: list[_Field] = []
    for name, ftype in items:
        mapped = _map_field(whoosh, name, ftype, key)
        if isinstance(mapped, str):
            report.dropped[name] = mapped
        else:
            specs.append(mapped)
            report.mapped[name] = mapped.described
    if not specs:
        raise WhooshImportError(f"{whoosh_dir}: no field of the Whoosh index can be carried over: "
                                + "; ".join(f"{n}: {why}" for n, why in report.dropped.items()))
    targets = {spec.name: spec.target for spec in specs}
    if key is None:
        if DOCNUM_FIELD in targets:
            raise ArgumentError(f"the Whoosh schema has a field named {DOCNUM_FIELD!r} and no unique ID")
        targets = {DOCNUM_FIELD: ID(stored=True), **targets}
        report.mapped[DOCNUM_FIELD] = "ID made from Whoosh's document numbers (the schema has no unique ID)"
    report.schema = Schema(**targets)
    report.id_field = key or DOCNUM_FIELD
    index_dir = Path(index_dir)
    if Index.exists(index_dir) and not rebuild:
        raise IndexExistsError(str(index_dir))

    def documents() -> Iterator[dict[str, Any]]:
        with source.searcher() as searcher:
            reader = searcher.reader()
            for docnum, stored in reader.iter_docs():
                doc = {} if key else {DOCNUM_FIELD: str(docnum)}
                for spec in specs:
                    value = _value(spec, stored.get(spec.name))
                    if value is not None and value != []:
                        doc[spec.name] = value
                yield doc

    from .index.parallel import bulk_index

    # built aside and swapped in whole: an interrupted import leaves any index at index_dir as it was
    with Index.build(index_dir, report.schema, resume=False) as ix, ix.writer() as writer:
        counts = bulk_index(writer, documents())
    report.documents = counts["added"] + counts["updated"] + counts["unchanged"]
    return report
