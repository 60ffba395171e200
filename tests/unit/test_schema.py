from __future__ import annotations

import datetime as dt

import pytest

import searchcore as sc
from tests.conftest import tiny_schema


def test_unknown_field_names_the_known_ones():
    with pytest.raises(sc.SchemaError, match=r"field 'titel' not in schema \(fields: body, date, id, title, topics\)"):
        tiny_schema()["titel"]


def test_schema_error_is_a_value_error():
    with pytest.raises(ValueError):
        tiny_schema()["nope"]


def test_at_most_one_id_field():
    with pytest.raises(sc.SchemaError, match="at most one ID field"):
        sc.Schema(a=sc.ID(), b=sc.ID())


def test_field_type_instances_required():
    with pytest.raises(sc.SchemaError, match="must be a field type"):
        sc.Schema(body=sc.TEXT)


def test_boost_must_be_positive():
    with pytest.raises(sc.SchemaError, match="boost must be"):
        sc.TEXT(boost=0)


def test_round_trip_through_dict():
    schema = tiny_schema()
    assert sc.Schema.from_dict(schema.to_dict()) == schema


@pytest.mark.parametrize("doc, error, message", [
    ({"id": "1", "titel": "x"}, sc.SchemaError, "field 'titel' not in schema"),
    ({"id": "1", "title": 5}, sc.DocumentError, "field 'title' is TEXT and takes a str, got int"),
    ({"id": "1", "topics": [1, 2]}, sc.DocumentError, "field 'topics' is KEYWORD"),
    ({"id": "1", "date": "14 August"}, sc.DocumentError, "field 'date' is DATE"),
    ({"title": "no id"}, sc.DocumentError, "document has no 'id'"),
    ({"id": ""}, sc.DocumentError, "cannot be empty"),
])
def test_bad_documents(doc, error, message):
    with pytest.raises(error, match=message):
        tiny_schema().normalize_document(doc)


def test_dates_in_all_forms_become_utc_seconds():
    date = sc.DATE()
    expected = dt.datetime(2023, 8, 14, tzinfo=dt.timezone.utc).timestamp()
    assert date.normalize("d", "2023-08-14") == (expected, "2023-08-14")
    assert date.normalize("d", dt.date(2023, 8, 14)) == (expected, "2023-08-14")
    assert date.normalize("d", "2023-08-14T02:00:00+02:00") == (expected, "2023-08-14")


def test_numeric_rejects_bool_and_nan():
    with pytest.raises(sc.DocumentError):
        sc.NUMERIC().normalize("n", True)
    with pytest.raises(sc.DocumentError):
        sc.NUMERIC().normalize("n", float("nan"))


def test_a_custom_analyzer_is_refused_with_the_reason():
    """An index stores its analyzer's settings and rebuilds it to read queries: a subclass or a plain
    callable would analyse the text one way and the queries another, so TEXT refuses them."""
    from searchcore.analysis import Analyzer

    class Shouting(Analyzer):
        def __call__(self, text):
            return [w.upper() for w in super().__call__(text)]

    for analyzer in (Shouting(), str.split):
        with pytest.raises(sc.SchemaError, match="analyzer must be an Analyzer"):
            sc.TEXT(analyzer=analyzer)
    assert sc.TEXT(analyzer=Analyzer(stemmer="porter")).analyzer.stemmer == "porter"


def test_a_year_or_month_period_lasts_its_calendar_days():
    import calendar

    from searchcore.schema import date_period

    for year in (1, 4, 1900, 1987, 2000, 2023, 2024, 2100, 9999):
        start, end = date_period(f"{year:04d}")
        assert end - start == (366 if calendar.isleap(year) else 365) * 86_400.0
        for month in range(1, 13):
            start, end = date_period(f"{year:04d}-{month:02d}")
            assert end - start == calendar.monthrange(year, month)[1] * 86_400.0
