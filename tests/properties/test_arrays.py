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
