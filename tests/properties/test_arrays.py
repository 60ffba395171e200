"""codec's array helpers against numpy's own: distinct is np.unique, distinct_inverse is np.unique with
return_inverse (they exist because np.unique imports numpy.ma, and sorts integers by a slower quicksort)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from searchcore.index.codec import distinct, distinct_inverse

arrays = st.one_of(*(hnp.arrays(dtype, st.integers(0, 60), elements=st.integers(0, 9))
                     for dtype in (np.uint8, np.uint32, np.uint64, np.int64)),
                   hnp.arrays(np.uint64, st.integers(0, 40), elements=st.integers(0, 2**64 - 1)))


@settings(max_examples=300, deadline=None)
@given(values=arrays)
def test_distinct_and_distinct_inverse_are_np_unique(values):
    expected, expected_inverse = np.unique(values, return_inverse=True)
    found = distinct(values)
    assert found.dtype == expected.dtype and found.tolist() == expected.tolist()
    found, inverse = distinct_inverse(values)
    assert found.dtype == expected.dtype and found.tolist() == expected.tolist()
    assert inverse.tolist() == expected_inverse.ravel().tolist()
    assert found[inverse].tolist() == values.tolist()


@st.composite
def sparse_vectors(draw):
    """(max_doc, doc id arrays, value arrays): unique sorted ids per vector, and a max_doc from just above
    the largest id to far above it, so that both the dense and the sorting paths are taken."""
    top = draw(st.integers(1, 300))
    vectors = draw(st.lists(st.sets(st.integers(0, top - 1), max_size=40), min_size=1, max_size=6))
    max_doc = top * draw(st.sampled_from([1, 10, 1000]))
    docs = [np.array(sorted(v), dtype=draw(st.sampled_from([np.uint8, np.uint16, np.uint32])) if top <= 255
                     else np.uint32) for v in vectors]
    values = [np.array([draw(st.integers(1, 9)) for _ in v], dtype=np.uint8) for v in vectors]
    return max_doc, docs, values


@settings(max_examples=300, deadline=None)
@given(case=sparse_vectors(), seed=st.integers(0, 2**32 - 1))
def test_union_all_and_add_all_equal_a_plain_reference(case, seed):
    from searchcore.search.sparse import add_all, count_union, union_all

    max_doc, docs, values = case
    expected: dict[int, float] = {}
    for ids, vals in zip(docs, values):
        for doc, value in zip(ids.tolist(), vals.tolist()):
            expected[doc] = expected.get(doc, 0.0) + value
    assert union_all(docs, max_doc).tolist() == sorted(expected)
    live = np.random.default_rng(seed).random(max_doc) < 0.7  # some documents deleted
    assert count_union(docs, max_doc) == len(expected)
    assert count_union(docs, max_doc, live) == sum(live[doc] for doc in expected)
    found, sums = add_all(docs, values, max_doc)
    assert found.dtype == np.int64 and sums.dtype == np.float64
    assert dict(zip(found.tolist(), sums.tolist())) == expected and found.tolist() == sorted(expected)


@settings(max_examples=300, deadline=None)
@given(max_doc=st.integers(1, 200), data=st.data())
def test_member_through_a_stale_dense_array_equals_binary_search(max_doc, data):
    """member() with a work array (whatever earlier calls left in it) finds what a plain set finds, for
    few look-ups (binary search) and many (through the array)."""
    from searchcore.search.sparse import member

    ids = st.integers(0, max_doc - 1)
    dtype = data.draw(st.sampled_from([np.uint8, np.uint16, np.uint32, np.int64]))  # as lists are stored
    sorted_docs = np.array(sorted(data.draw(st.sets(ids, min_size=1, max_size=max_doc))), dtype=dtype)
    docs = np.array(data.draw(st.lists(ids, min_size=1, max_size=60)), dtype=np.int64)
    mark = np.array(data.draw(st.lists(st.integers(0, 10**6), min_size=max_doc, max_size=max_doc)), dtype=np.intp)
    where = {doc: i for i, doc in enumerate(sorted_docs.tolist())}
    for work in (None, mark):
        hit, at = member(sorted_docs, docs, work)
        assert hit.tolist() == [doc in where for doc in docs.tolist()]
        assert [a for a, h in zip(at.tolist(), hit.tolist()) if h] == [where[d] for d in docs.tolist() if d in where]
