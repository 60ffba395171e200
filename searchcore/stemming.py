"""Snowball English stems exactly as nltk's ``EnglishStemmer`` computes them, without importing nltk.

Indexing stems with nltk, the stemmer the project chose. A query's words are looked up in the index's
lexicon first (the stems indexing computed); only a word no document holds needs a stemmer at query
time, and importing nltk for it (its package imports much of itself, and scipy where that is
installed) would cost a one-shot ``search`` from half a second to a second. Such words are stemmed
here instead.

This is the Snowball English algorithm (Porter2) as nltk implements it, with nltk's particulars kept:
its regions R1 and R2 are strings cut and extended along with the word, so a step that shortens the
word past the start of a region empties that region or, in two rules of step 2, leaves ``"e"``; the
list of words stemmed as exceptions; the three prefixes whose R1 is fixed. Tests hold every stem equal
to nltk's: on every word of the corpora, on words built from suffixes and on random strings.
"""

from __future__ import annotations

VOWELS = frozenset("aeiouy")
_DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
_LI_ENDING = frozenset("cdeghkmnrt")
_APOSTROPHES = str.maketrans("\u2019\u2018\u201b", "'''")

#: words whose stem is not the algorithm's (ski, sky, news, proceed …), and words left as they are
EXCEPTIONS = {
    "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie", "idly": "idl",
    "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl",
    **{word: word for word in ("sky", "news", "howe", "atlas", "cosmos", "bias", "andes")},
    **{form: stem for stem in ("inning", "outing", "canning", "herring", "earring") for form in (stem, stem + "s")},
    **{stem + ending: stem for stem in ("proceed", "exceed", "succeed") for ending in ("", "s", "ed", "ing")},
}

# A rule of steps 2 to 4: (suffix, action, condition). The steps try their suffixes in order and stop at
# the first one the word ends with, whether or not its rule then applies. An action is
#   an int k:            cut k letters from the word and from both regions (a region shorter than k
#                        is left with what Python's r[:-k] leaves of it: nothing);
#   a pair (new, r2):    put ``new`` in place of the suffix, in the word and in each region long enough
#                        to hold the suffix; a shorter R1 becomes empty and a shorter R2 becomes ``r2``.
# A condition names what else must hold, besides the step's region ending with the suffix.
_STEP2 = (
    ("ization", ("ize", ""), None), ("ational", ("ate", "e"), None), ("fulness", 4, None),
    ("ousness", ("ous", ""), None), ("iveness", ("ive", "e"), None), ("tional", 2, None),
    ("biliti", ("ble", ""), None), ("lessli", 2, None), ("entli", 2, None), ("ation", ("ate", "e"), None),
    ("alism", ("al", ""), None), ("aliti", ("al", ""), None), ("ousli", ("ous", ""), None),
    ("iviti", ("ive", "e"), None), ("fulli", 2, None), ("enci", "i>e", None), ("anci", "i>e", None),
    ("abli", "i>e", None), ("izer", ("ize", ""), None), ("ator", ("ate", "e"), None),
    ("alli", ("al", ""), None), ("bli", ("ble", ""), None), ("ogi", 1, "l before"), ("li", 2, "li ending"),
)
_STEP3 = (
    ("ational", ("ate", ""), None), ("tional", 2, None), ("alize", 3, None), ("icate", ("ic", ""), None),
    ("iciti", ("ic", ""), None), ("ative", 5, "in r2"), ("ical", ("ic", ""), None), ("ness", 4, None),
    ("ful", 3, None),
)
_STEP4 = tuple((suffix, len(suffix), None) for suffix in (
    "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti", "ous", "ive", "ize"
)) + (("ion", 3, "s or t before"),) + tuple((suffix, len(suffix), None) for suffix in ("al", "er", "ic"))


def stem(word: str) -> str:
    """The Snowball English stem of ``word``, equal to ``nltk.stem.snowball.EnglishStemmer().stem(word)``.

    >>> [stem(w) for w in ("generously", "Belarus", "visits", "ministries", "relational")]
    ['generous', 'belarus', 'visit', 'ministri', 'relat']
    """
    word = word.lower()
    if len(word) <= 2:
        return word
    if word in EXCEPTIONS:
        return EXCEPTIONS[word]
    word = word.translate(_APOSTROPHES)
    if word.startswith("'"):
        word = word[1:]
    word = _mark_consonant_y(word)
    r1, r2 = _regions(word)
    s = _Stem(word, r1, r2)
    s.step0()
    s.step1a()
    s.step1b()
    s.step1c()
    s.apply(_STEP2, "r1")
    s.apply(_STEP3, "r1")
    s.apply(_STEP4, "r2")
    s.step5()
    return s.word.replace("Y", "y")


def _mark_consonant_y(word: str) -> str:
    """``word`` with each y that acts as a consonant (first letter, or after a vowel) written Y. Left to
    right, so in "ayy" only the first y follows a vowel."""
    if "y" not in word:
        return word
    letters = list(word)
    if letters[0] == "y":
        letters[0] = "Y"
    for i in range(1, len(letters)):
        if letters[i] == "y" and letters[i - 1] in VOWELS:
            letters[i] = "Y"
    return "".join(letters)


def _after_first_vc(text: str) -> str:
    """What follows the first non-vowel that follows a vowel in ``text``; empty when there is none."""
    for i in range(1, len(text)):
        if text[i] not in VOWELS and text[i - 1] in VOWELS:
            return text[i + 1 :]
    return ""


def _regions(word: str) -> tuple[str, str]:
    for prefix in ("gener", "arsen", "commun"):
        if word.startswith(prefix):
            r1 = word[len(prefix) :]
            return r1, _after_first_vc(r1)
    r1 = _after_first_vc(word)
    return r1, _after_first_vc(r1)


class _Stem:
    """A word being stemmed, with its regions R1 and R2 (strings, as nltk keeps them)."""

    __slots__ = ("word", "r1", "r2")

    def __init__(self, word: str, r1: str, r2: str) -> None:
        self.word, self.r1, self.r2 = word, r1, r2

    def cut(self, k: int) -> None:
        self.word, self.r1, self.r2 = self.word[:-k], self.r1[:-k], self.r2[:-k]

    def swap(self, old: int, new: str, r2_short: str = "") -> None:
        """Put ``new`` in place of the last ``old`` letters."""
        self.word = self.word[:-old] + new
        self.r1 = self.r1[:-old] + new if len(self.r1) >= old else ""
        self.r2 = self.r2[:-old] + new if len(self.r2) >= old else r2_short

    def step0(self) -> None:
        for suffix in ("'s'", "'s", "'"):
            if self.word.endswith(suffix):
                self.cut(len(suffix))
                return

    def step1a(self) -> None:
        word = self.word
        if word.endswith("sses"):
            self.cut(2)
        elif word.endswith(("ied", "ies")):
            self.cut(2 if len(word) > 4 else 1)
        elif word.endswith(("us", "ss")):
            pass
        elif word.endswith("s") and not VOWELS.isdisjoint(word[:-2]):
            self.cut(1)

    def step1b(self) -> None:
        word = self.word
        for suffix in ("eedly", "ingly", "edly", "eed", "ing", "ed"):
            if word.endswith(suffix):
                break
        else:
            return
        if suffix in ("eed", "eedly"):
            if self.r1.endswith(suffix):
                self.swap(len(suffix), "ee")
            return
        if VOWELS.isdisjoint(word[: -len(suffix)]):
            return
        self.cut(len(suffix))
        word = self.word
        if word.endswith(("at", "bl", "iz")):
            self.word += "e"
            self.r1 += "e"
            if len(self.word) > 5 or len(self.r1) >= 3:
                self.r2 += "e"
        elif word.endswith(_DOUBLES):
            self.cut(1)
        elif self.r1 == "" and _short_syllable_end(word):
            self.word += "e"  # R1 is empty, and so then is R2: neither grows

    def step1c(self) -> None:
        word = self.word
        if len(word) > 2 and word[-1] in "yY" and word[-2] not in VOWELS:
            self.swap(1, "i")

    def apply(self, rules: tuple, region: str) -> None:
        word = self.word
        for suffix, action, condition in rules:
            if word.endswith(suffix):
                break
        else:
            return
        if not getattr(self, region).endswith(suffix) or not self._holds(condition, suffix):
            return
        if isinstance(action, int):
            self.cut(action)
        elif action == "i>e":
            self.swap(1, "e")
        else:
            new, r2_short = action
            self.swap(len(suffix), new, r2_short)

    def _holds(self, condition: str | None, suffix: str) -> bool:
        if condition is None:
            return True
        word = self.word
        if condition == "l before":
            return word[-4] == "l"
        if condition == "li ending":
            return word[-3] in _LI_ENDING
        if condition == "in r2":
            return self.r2.endswith(suffix)
        return word[-4] in "st"  # "s or t before"

    def step5(self) -> None:
        word = self.word
        if self.r2.endswith("l") and word[-2] == "l":
            self.word = word[:-1]
        elif self.r2.endswith("e"):
            self.word = word[:-1]
        elif self.r1.endswith("e") and len(word) >= 4 and (
            word[-2] in VOWELS or word[-2] in "wxY" or word[-3] not in VOWELS or word[-4] in VOWELS
        ):
            self.word = word[:-1]


def _short_syllable_end(word: str) -> bool:
    """Whether ``word`` ends in a short syllable: consonant, vowel, consonant other than w, x or Y; or,
    for a two-letter word, vowel then consonant."""
    if len(word) >= 3:
        return (word[-1] not in VOWELS and word[-1] not in "wxY" and word[-2] in VOWELS
                and word[-3] not in VOWELS)
    return len(word) == 2 and word[0] in VOWELS and word[1] not in VOWELS
