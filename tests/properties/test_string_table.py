"""StringTable.find_many equals one find per key, on random sorted tables (shared 8-byte heads included)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from searchcore.index.codec import StringTable, encode_strings

# a small alphabet and long common stems, so that many entries share their first eight bytes
words = st.text(alphabet="abé\u00fcz", max_size=12).map(lambda w: "internat" + w if len(w) % 3 == 0 else w)


@settings(max_examples=150, deadline=None)
@given(table=st.lists(words, unique=True, max_size=60), keys=st.lists(words, max_size=30))
def test_find_many_equals_find(table, keys):
    strings = StringTable(*encode_strings(sorted(table, key=lambda s: s.encode("utf-8"))))
    keys = keys + table[::3]  # some keys surely present
    expected = [strings.find(key) for key in keys]
    assert strings.find_many(keys) == expected
    assert all(i < 0 or strings.decode(i) == key for i, key in zip(expected, keys))
    assert all(expected[len(keys) - len(table[::3]) + j] >= 0 for j in range(len(table[::3])))
