"""Word n-grams over Snowball stems: the analyzer of the default tagger's TF-IDF.

It lives apart from the estimators so that scoring with the served form
(:mod:`pipeline.classify.served`) needs neither scikit-learn nor SciPy.
"""
from __future__ import annotations

import re

from ..served import strip_accents, word_ngrams

WORD_PATTERN = r"(?u)\b[^\W\d_][\w'-]+\b"   # words of two or more characters, starting with a letter
# The Unicode blocks of combining marks: a text holding one is accent-stripped whole before splitting
COMBINING_MARK = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


class StemmedWords:
    """A ``TfidfVectorizer`` analyzer: word n-grams over Snowball stems.

    Real practice descriptions inflect what the corpus names ("evicted",
    "evictions", "evicting"); stems fold those together, which is most of what
    character n-grams buy, at the cost of words. Stems are cached per word, so
    a batch stems each distinct word once. Picklable (the cache and stemmer are
    rebuilt after loading) and deterministic.
    """

    MAX_CACHE = 500_000

    def __init__(self, ngram_range=(1, 2), language: str = "english"):
        self.ngram_range = tuple(ngram_range)
        self.language = language

    def _stems(self, doc: str) -> tuple[list[str], list[str]]:
        stemmer = self.__dict__.get("_stemmer")
        if stemmer is None:
            import snowballstemmer

            stemmer = self._stemmer = snowballstemmer.stemmer(self.language)
            self._cache, self._pattern = {}, re.compile(WORD_PATTERN)
        cache = self._cache
        if len(cache) > self.MAX_CACHE:
            cache.clear()
        # Accents are stripped per distinct word on a cache miss, not over the whole text: a text
        # with one curly quote would otherwise take the slow Unicode path character by character
        # (a fifth of all scoring time). The stems, and so the features, are the same on every corpus,
        # seed and real-document text but two, where symbols such as "™" no longer become the word
        # "TM". A text with loose combining marks (lower-casing "İ" leaves one) would have its words
        # split by them, so it is stripped whole first, as before.
        lowered = doc.lower()
        if COMBINING_MARK.search(lowered):
            lowered = strip_accents(lowered)
        words = self._pattern.findall(lowered)
        stems = []
        for word in words:
            stem = cache.get(word)
            if stem is None:
                stem = cache[word] = stemmer.stemWord(strip_accents(word))
            stems.append(stem)
        return words, stems

    def _grams(self, tokens: list[str]) -> list[str]:
        return word_ngrams(tokens, *self.ngram_range)

    def __call__(self, doc: str) -> list[str]:
        return self._grams(self._stems(doc)[1])

    def surface_forms(self, doc: str) -> dict[str, str]:
        """Each stem n-gram of ``doc`` -> the words it stands for there (the first occurrence),
        so explanations can show "participatory budgets" rather than "participatori budget"."""
        words, stems = self._stems(doc)
        forms: dict[str, str] = {}
        for gram, surface in zip(self._grams(stems), self._grams(words)):
            forms.setdefault(gram, surface)
        return forms

    def __getstate__(self):
        return {"ngram_range": self.ngram_range, "language": self.language}

    def __setstate__(self, state):
        self.__dict__.update(state)
