"""Token-level text overlap: how much of a reference text an extraction recovers.

Gold texts for real documents were written by people or by other tools, each
with its own conventions for line breaks, list markers, hyphenation and
Markdown. Comparing bags of word tokens ignores those conventions and still
punishes what matters: missing text (recall) and boilerplate or garbage that
should not be there (precision).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

_TOKEN_RE = re.compile(r"\w+")
_RTL_RE = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def tokens(text: str) -> list[str]:
    """Word tokens (``\\w+`` runs) after NFKC normalisation and case folding.

    NFKC turns ligatures and full-width forms into their plain letters, so a
    PDF's "ﬁnal" and a web page's "final" count as the same word. A Hebrew or
    Arabic token is compared whichever way its letters run: the PDF gold was
    made by tools that write right-to-left text in visual order, while ours
    reads it in logical order, and the bag metric should not judge that.
    """
    found = _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).casefold())
    return [min(t, t[::-1]) if _RTL_RE.search(t) else t for t in found]


@dataclass(frozen=True)
class Overlap:
    precision: float
    recall: float
    f1: float
    predicted_tokens: int
    gold_tokens: int


def token_overlap(predicted: str, gold: str) -> Overlap:
    """Precision, recall and F1 of ``predicted`` against ``gold`` as token multisets.

    A token repeated three times in the gold is matched at most three times, so
    a page that repeats its headline in a sidebar loses precision. An empty
    prediction against a non-empty gold scores 0; two empty texts score 1.
    """
    pred_counts, gold_counts = Counter(tokens(predicted)), Counter(tokens(gold))
    n_pred, n_gold = sum(pred_counts.values()), sum(gold_counts.values())
    if n_pred == 0 and n_gold == 0:
        return Overlap(1.0, 1.0, 1.0, 0, 0)
    common = sum((pred_counts & gold_counts).values())
    precision = common / n_pred if n_pred else 0.0
    recall = common / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Overlap(precision, recall, f1, n_pred, n_gold)
