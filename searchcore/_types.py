"""The dtypes of every array searchcore writes or scores, in one place."""

import numpy as np

DOC_ID = np.dtype("<u4")      # segment-local document number
TERM_ORD = np.dtype("<u4")    # rank of a term in a segment's sorted term dictionary
# Term frequencies, positions and document lengths are written as the narrowest of uint8/16/32 that holds
# a segment's values (index.codec.narrow); code reading them widens before arithmetic.
TERM_FREQ = np.dtype("<u4")   # occurrences of a term in one document's field (widest form)
POSITION = np.dtype("<u4")    # token position inside one document's field (widest form)
DOC_LEN = np.dtype("<u4")     # number of terms the analyzer emitted for one document's field (widest form)
OFFSET = np.dtype("<i8")      # CSR offsets into the arrays above
SCORE = np.dtype("<f8")       # BM25 accumulators: float64 keeps scores equal to the reference to 1e-12
NUMBER = np.dtype("<f8")      # NUMERIC and DATE field values (DATE as seconds since the epoch, UTC)
