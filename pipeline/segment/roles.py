"""A trained tagger of sentence roles, for text whose parts carry no headings.

Each sentence gets one role - ``title``, ``place``, ``challenge``,
``solution``, ``takeaways``, ``quote``, ``references`` or ``other`` - from a
logistic regression over its words and its layout (a short line without a full
stop, a "City, Country" line, a quote mark, its neighbours' shapes). The
per-sentence scores are then smoothed over the sequence with Viterbi decoding
on role-to-role transition probabilities learned from the corpus, so a lone
"challenge" sentence inside a run of "solution" sentences is corrected and a
practice cannot start in the middle of a paragraph without a title.

A practice starts where a run of ``title`` sentences starts. This module holds
what training and tagging share (sentences, their layout features, the
decoding); the estimator is :class:`.role_tagger.SentenceRoleTagger` and its
scikit-learn-free served form :class:`.served.ServedRoleTagger`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..document import Document

ROLES = ("title", "place", "challenge", "solution", "takeaways", "quote", "references", "other")
# a sentence ends at . ! ? (or a closing quote after one) followed by a space and a capital or quote
_SENTENCE_END = re.compile(r"(?<=[.!?])(?P<close>\s?[\"”»’'])?\s+(?=[A-Z0-9«“\"À-Ý])")
_QUOTE_START = re.compile(r"^\s*[«“\"]")
_URL = re.compile(r"https?://|www\.")


@dataclass
class SentenceUnit:
    """A sentence with its offsets in ``Document.text`` and its block's shape."""

    text: str
    start: int
    end: int
    block: int
    block_kind: str
    index_in_block: int
    block_sentences: int


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of a block's text."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end("close") if match.group("close") else match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def sentence_units(doc: Document) -> list[SentenceUnit]:
    """The document's sentences in reading order; separators are skipped."""
    units: list[SentenceUnit] = []
    for number, block in enumerate(doc.blocks):
        if block.kind == "separator":
            continue
        spans = split_sentences(block.text)
        for i, (a, b) in enumerate(spans):
            units.append(SentenceUnit(block.text[a:b].strip(), block.start + a, block.start + b, number,
                                      block.kind, i, len(spans)))
    return units


@lru_cache(maxsize=1)
def _country_words() -> frozenset[str]:
    from .place import countries

    return frozenset(name.lower() for name in countries())


def _shape(unit: SentenceUnit) -> dict[str, float]:
    """Layout features of one sentence, without its neighbours."""
    text = unit.text
    words = text.split()
    n = len(words)
    capitalised = sum(w[:1].isupper() for w in words) / max(n, 1)
    tail = text.rsplit(",", 1)[-1].strip().lower() if "," in text else ""
    return {
        f"len={min(n, 40) // 4}": 1.0,
        "log_len": math.log1p(n),
        "ends_stop": float(text.rstrip()[-1:] in ".!?;"),
        "ends_colon": float(text.rstrip().endswith(":")),
        "single_sentence_block": float(unit.block_sentences == 1),
        "first_in_block": float(unit.index_in_block == 0),
        "last_in_block": float(unit.index_in_block == unit.block_sentences - 1),
        f"kind={unit.block_kind}": 1.0,
        "capitalised": capitalised,
        "short_with_comma": float(n <= 8 and "," in text),
        "ends_with_country": float(tail in _country_words() or text.strip().lower() in _country_words()),
        "paren_number": float(bool(re.search(r"\(\s*[\d.,]+\s*(million|m|k|inhabitants|people)?", text, re.I))),
        "pipe": float("|" in text),
        "quote_start": float(bool(_QUOTE_START.match(text))),
        "url": float(bool(_URL.search(text))),
        "numbered_ref": float(bool(re.match(r"^\s*\[?\d{1,2}[\].)]\s*\S", text))),
        "digits": float(bool(re.search(r"\d", text))),
    }


_CONTEXT_KEYS = ("single_sentence_block", "ends_stop", "short_with_comma", "ends_with_country", "quote_start",
                 "kind=heading", "paren_number")


def layout_features(units: list[SentenceUnit]) -> list[dict[str, float]]:
    """Each sentence's shape plus a few of its neighbours' (prev/next two)."""
    shapes = [_shape(u) for u in units]
    out = []
    for i, shape in enumerate(shapes):
        features = dict(shape)
        if i == 0:
            features["doc_start"] = 1.0
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(shapes):
                same_block = units[j].block == units[i].block
                features[f"{offset}:same_block"] = float(same_block)
                for key in _CONTEXT_KEYS:
                    if shapes[j].get(key):
                        features[f"{offset}:{key}"] = shapes[j][key]
                features[f"{offset}:log_len"] = shapes[j]["log_len"]
            else:
                features[f"{offset}:none"] = 1.0
        out.append(features)
    return out


def normalise(text: str) -> str:
    return re.sub(r"\d+", "0", text.lower())


def viterbi(proba: np.ndarray, log_start: np.ndarray, log_transitions: np.ndarray, weight: float) -> list[int]:
    """The most likely sequence of role indices given per-sentence probabilities and the
    learned start and transition log-probabilities scaled by ``weight``."""
    if not len(proba):
        return []
    emissions = np.log(np.clip(proba, 1e-9, 1.0))
    score = emissions[0] + weight * log_start
    back = np.zeros(proba.shape, dtype=int)
    for t in range(1, len(proba)):
        candidates = score[:, None] + weight * log_transitions
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + emissions[t]
    path = [int(score.argmax())]
    for t in range(len(proba) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def practice_starts(roles: list[str]) -> list[int]:
    """Indices where a practice begins: the start of each run of titles."""
    return [i for i, role in enumerate(roles) if role == "title" and (i == 0 or roles[i - 1] != "title")]


def __getattr__(name: str):
    """``SentenceRoleTagger`` lives in :mod:`.role_tagger` (it needs scikit-learn); pickles
    written before the move still name it here."""
    if name == "SentenceRoleTagger":
        from .role_tagger import SentenceRoleTagger

        return SentenceRoleTagger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
