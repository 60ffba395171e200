"""TermDictionary.find and find_many against a plain list, on random sorted tables (shared 8-byte heads included)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from searchcore.index.codec import encode_strings
from searchcore.index.terms import TermDictionary

# a small alphabet and long common stems, so that many entries share their first eight bytes
words = st.text(alphabet="abé\u00fcz", max_size=12).map(lambda w: "internat" + w if len(w) % 3 == 0 else w)


@settings(max_examples=150, deadline=None)
@given(table=st.lists(words, unique=True, max_size=60), keys=st.lists(words, max_size=30))
def test_find_and_find_many_equal_a_plain_list(table, keys):
    ordered = sorted(table, key=lambda s: s.encode("utf-8"))
    strings = TermDictionary(*encode_strings(ordered))
    keys = keys + table[::3]  # some keys surely present
    expected = [ordered.index(key) if key in ordered else -1 for key in keys]
    assert [strings.find(key) for key in keys] == expected
    assert strings.find_many(keys) == expected


@settings(max_examples=150, deadline=None)
@given(table=st.lists(st.text(max_size=10), unique=True, max_size=40))
def test_all_decodes_every_entry(table):
    """``all()`` equals the entries, NUL characters and empty strings included (it splits on NUL when no
    entry holds one)."""
    ordered = sorted(table, key=lambda s: s.encode("utf-8", "surrogatepass"))
    ordered = [s for s in ordered if s.encode("utf-8", "surrogatepass") == s.encode("utf-8", "ignore")]
    assert TermDictionary(*encode_strings(ordered)).all() == ordered


@settings(max_examples=150, deadline=None)
@given(table=st.lists(st.text(alphabet="ab\0é\n", max_size=6), unique=True, max_size=30), bounds=st.tuples(
    st.integers(0, 30), st.integers(0, 30)), prefix=st.text(alphabet="ab\0é", max_size=3))
def test_ranges_and_prefix_ranges_equal_a_plain_list(table, bounds, prefix):
    """``terms(start, stop)`` decodes any range (NUL and newline included), before and after the joined
    text is built, and ``prefix_range`` is the run of entries that start with ``prefix``."""
    ordered = sorted(table)
    strings = TermDictionary.from_strings(ordered)
    start, stop = min(bounds), min(max(bounds), len(ordered))
    assert strings.terms(start, stop) == ordered[start:stop]
    matching = [i for i, s in enumerate(ordered) if s.startswith(prefix)]
    lo, hi = strings.prefix_range(prefix)
    assert list(range(lo, hi)) == matching
    strings.joined_text()
    assert strings.terms(start, stop) == ordered[start:stop]
    assert strings.all() == ordered
