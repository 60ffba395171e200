"""Generated corpora for the scale benchmarks: words drawn from the Reuters-21578 vocabulary.

This is a generated corpus, not real text: every title and body is a sequence of words drawn at random,
independently, from the Reuters-21578 vocabulary (+ the seed stories) with their Reuters frequencies, a
unigram model over the raw lowercase Reuters tokens (titles and bodies each have their own model). Each
document's (title length, body length) pair is that of a Reuters document picked at random, so the length
distribution, and the joint one of title and body, is Reuters' own. Term statistics at scale therefore
look like Reuters' (Zipfian frequencies, the same document lengths), but there are no phrases, topics or
co-occurrences: the benchmarks on it measure speed and size at scale, not ranking quality.

``generated_documents(scale)`` yields about ``scale`` x 21,579 documents with ids ``gen{scale}-{n}``. It
is deterministic: the same seed gives the same documents, on any machine with the same corpus. Documents
are made in fixed-size chunks from one seeded generator, so a larger scale begins with the same texts as
a smaller one (only the id prefix differs). ``generated_query_log()`` gives their queries: the Reuters
query log, so every corpus size is timed on the same queries.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from corpus import documents, query_log

DESCRIPTION = "generated corpus, words drawn from Reuters-21578 vocabulary"
SEED = 21578
CHUNK = 8192  # documents per vectorised draw; part of the definition of the stream: changing it changes it
TOKEN = re.compile(r"[a-z0-9]+(?:['.,][a-z0-9]+)*")  # raw lowercase words; 5.93, 1,000 and don't kept whole


@dataclass(frozen=True)
class _Unigram:
    """A unigram model sampled with Walker's alias method (O(1) a word) and gathered as ASCII bytes."""

    prob: np.ndarray  # alias-table acceptance probability per word
    alias: np.ndarray  # the word taken instead when a draw is not accepted
    text: np.ndarray  # uint8: every word followed by one space, in sorted word order
    offset: np.ndarray  # start of each word in text
    length: np.ndarray  # length of each word + its space

    @classmethod
    def fit(cls, counts: Counter[str]) -> _Unigram:
        words = sorted(counts)  # sorted, so the model does not depend on dict order
        n = len(words)
        scaled = np.array([counts[w] for w in words], dtype=np.float64)
        scaled *= n / scaled.sum()
        prob = np.ones(n)
        alias = np.arange(n)
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        while small and large:  # Vose's construction
            s, g = small.pop(), large.pop()
            prob[s], alias[s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        encoded = [(w + " ").encode("ascii") for w in words]
        length = np.array([len(e) for e in encoded], dtype=np.int64)
        offset = np.concatenate([[0], np.cumsum(length)[:-1]])
        return cls(prob, alias, np.frombuffer(b"".join(encoded), dtype=np.uint8), offset, length)

    def texts(self, rng: np.random.Generator, lengths: np.ndarray) -> list[str]:
        """One text per entry of ``lengths``, of that many words drawn independently from the model."""
        picks = rng.integers(0, len(self.prob), int(lengths.sum()))
        picks = np.where(rng.random(len(picks)) < self.prob[picks], picks, self.alias[picks])
        size = self.length[picks]
        ends = np.cumsum(size)
        # byte i of the output is byte (i - start of its word in the output) of that word in self.text
        gather = np.repeat(self.offset[picks] - (ends - size), size) + np.arange(ends[-1] if len(ends) else 0)
        blob = self.text[gather].tobytes()
        word_end = np.concatenate([[0], ends])[np.cumsum(lengths)].tolist()
        word_start = [0, *word_end[:-1]]
        # each text ends with its last word's space: drop it (an empty text stays empty)
        return [blob[a : max(a, b - 1)].decode("ascii") for a, b in zip(word_start, word_end)]


@dataclass(frozen=True)
class _Model:
    title: _Unigram
    body: _Unigram
    lengths: np.ndarray  # (reuters docs, 2): title and body length in tokens


@cache
def _model() -> _Model:
    reuters = documents()
    if not reuters:
        raise FileNotFoundError("Reuters-21578 not found (set SEARCHCORE_CORPORA): it is the generator's model")
    title_counts: Counter[str] = Counter()
    body_counts: Counter[str] = Counter()
    lengths = np.empty((len(reuters), 2), dtype=np.int64)
    for i, doc in enumerate(reuters):
        title = TOKEN.findall(doc["title"].lower())
        body = TOKEN.findall(doc["body"].lower())
        title_counts.update(title)
        body_counts.update(body)
        lengths[i] = len(title), len(body)
    return _Model(_Unigram.fit(title_counts), _Unigram.fit(body_counts), lengths)


def size(scale: int) -> int:
    """How many documents ``generated_documents(scale)`` yields: ``scale`` times the Reuters corpus."""
    return scale * len(_model().lengths)


def generated_documents(scale: int, seed: int = SEED) -> Iterator[dict]:
    """Yield ``size(scale)`` generated documents {id, title, body}, the same ones for the same seed."""
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    model = _model()
    total = size(scale)
    width = max(6, len(str(total - 1)))
    rng = np.random.default_rng(seed)
    for start in range(0, total, CHUNK):
        n = min(CHUNK, total - start)
        lengths = model.lengths[rng.integers(0, len(model.lengths), n)]
        titles = model.title.texts(rng, lengths[:, 0])
        bodies = model.body.texts(rng, lengths[:, 1])
        for i in range(n):
            yield {"id": f"gen{scale}-{start + i:0{width}d}", "title": titles[i], "body": bodies[i]}


def generated_query_log(n: int = 200) -> list[str]:
    """The queries for generated corpora: the first ``n`` of the Reuters query log.

    Generated documents use the Reuters vocabulary with Reuters frequencies, so the Reuters log fits
    them, and every corpus size is then timed on the same queries (it also spares a pass over millions of
    generated words).
    """
    return query_log(documents())[:n]
