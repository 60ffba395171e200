"""The dtypes of every array searchcore writes or scores, in one place."""

import numpy as np

TERM_ORD = np.dtype("<u4")    # rank of a term in a segment's sorted term dictionary
# Doc ids (segment-local document numbers), term frequencies, positions and document lengths are written
# in the narrowest of these that holds a segment's largest value (index.codec.narrow); code reading them
# widens before arithmetic.
COUNTS = (np.dtype("<u1"), np.dtype("<u2"), np.dtype("<u4"))
BYTES = np.dtype(np.uint8)    # UTF-8 and compressed blobs
DIGEST = np.dtype("<u8")      # a document's content digest
OFFSET = np.dtype("<i8")      # CSR offsets into the arrays above
SCORE = np.dtype("<f8")       # BM25 accumulators: float64 keeps scores equal to the reference to 1e-12
NUMBER = np.dtype("<f8")      # NUMERIC and DATE field values (DATE as seconds since the epoch, UTC)
RATIO = np.dtype("<f4")       # a block of postings' smallest doc length / tf (rounded down: a bound)
