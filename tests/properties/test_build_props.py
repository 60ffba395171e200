"""The shortcuts of the build path give the same bytes as the plain ways they stand in for."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchcore.index.builder import compact_json
from searchcore.index.codec import encode_strings

names = st.text(min_size=1, max_size=6)
values = st.one_of(st.text(max_size=20), st.lists(st.text(max_size=5), max_size=3), st.floats(allow_nan=False),
                   st.tuples(st.floats(allow_nan=False), st.text(max_size=5)))
# ASCII with the characters JSON escapes (quote, backslash, controls) and DEL, which only ensure_ascii does
ascii_texts = st.text(alphabet='ab "\\\n\t\x00\x1f\x7f~', max_size=30)
documents = st.one_of(st.dictionaries(names, st.one_of(ascii_texts, st.text(max_size=30)), max_size=5),
                      st.dictionaries(names, values, max_size=5))


@settings(max_examples=300, deadline=None)
@given(doc=documents)
def test_compact_json_is_json_dumps(doc):
    assert compact_json(doc) == json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    assert compact_json(doc, sort_keys=True) == json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str,
                                                           separators=(",", ":"))


@settings(max_examples=200, deadline=None)
@given(strings=st.lists(st.one_of(st.text(alphabet="abc.' ", max_size=8), st.text(max_size=8)), max_size=12))
def test_encode_strings_is_utf8_with_offsets(strings):
    blob, starts = encode_strings(strings)
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    assert blob.tobytes() == b"".join(encoded)
    assert starts.tolist() == np.concatenate(([0], np.cumsum([len(e) for e in encoded]))).astype(int).tolist()
