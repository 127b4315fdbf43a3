"""Trained linear text models as plain arrays: what classifying and segmenting read.

A worker process that scores documents needs only a vocabulary, IDF weights,
coefficients and calibration parameters. Loading them from the pickled
scikit-learn objects costs about 1.5 s per worker (importing scikit-learn, its
SciPy and pandas dependencies, then unpickling) - more than a hundred small
documents take to classify - and a pickle can run code when loaded. The
*served form* is the same numbers in a NumPy ``.npz`` file read with
``allow_pickle=False``: nothing in it can execute, and reading it needs NumPy
only.

This module holds what the tagger's and the segmenter's served forms share:
the TF-IDF transform (the same arithmetic as scikit-learn's ``TfidfVectorizer``
with ``sublinear_tf`` and an L2 norm), sklearn's default word analyzer, accent
stripping, a logistic function, and the file format. Scores agree with the
scikit-learn objects to float32 rounding (within 1e-5; ``tests/classify/test_served.py``
and ``tests/segment/test_served.py`` compare them on the corpus).
"""
from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .errors import ModelError, NotServable  # noqa: F401  (NotServable: raised by the exporters)

FORMAT_VERSION = 1
# The token patterns a served file may name (the stems analyzer's and scikit-learn's default):
# a file from elsewhere is data, and should not bring its own regular expression.
KNOWN_TOKEN_PATTERNS = (r"(?u)\b[^\W\d_][\w'-]+\b", r"(?u)\b\w\w+\b")
#: Rows.dot_rows lays out this many rows at a time (256 x ~7,000 columns x 4 bytes: about 7 MB) ...
DOT_BLOCK = 256
#: ... from this many rows in a block, where the dense product beats gathering weight rows.
DENSE_FROM = 64


def strip_accents(text: str) -> str:
    """Letters without their accents ("Málaga" -> "Malaga"); ASCII text is returned as is.
    Compatibility decomposition first, so ligatures and symbols fold the way sklearn's
    ``strip_accents='unicode'`` folds them."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def logistic(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), without overflow warnings at large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid_scores(margin: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """What each of sklearn's sigmoid calibrators computes from linear margins, per column."""
    return logistic(-(a * margin + c))


def class_distribution(scores: np.ndarray, positions: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-class calibrated scores (laid out at ``positions``) normalised per row, as
    ``CalibratedClassifierCV.predict_proba`` does: uniform where all are zero, and values a
    rounding step above 1 clipped to 1."""
    proba = np.zeros((scores.shape[0], n_classes))
    proba[:, positions] = scores
    total = proba.sum(axis=1, keepdims=True)
    proba = np.divide(proba, total, out=np.full_like(proba, 1.0 / n_classes), where=total != 0)
    proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
    return proba


def sharpen(proba: np.ndarray, power: float) -> np.ndarray:
    """``proba ** power``, renormalised per row: the top class never changes."""
    if power == 1.0:
        return proba
    powered = np.clip(proba, 1e-12, 1.0) ** power
    return powered / powered.sum(axis=1, keepdims=True)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1; all-zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def top_label_mask(proba: np.ndarray, min_score: float) -> np.ndarray:
    """For a set with at most one label: each row's top class, where it reaches ``min_score``."""
    predicted = np.zeros_like(proba, dtype=bool)
    rows, top = np.arange(len(proba)), proba.argmax(axis=1)
    keep = proba[rows, top] >= min_score
    predicted[rows[keep], top[keep]] = True
    return predicted


def word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """The n-grams of ``tokens`` for n in [low, high], words joined by one space."""
    grams = list(tokens) if low <= 1 else []
    for n in range(max(2, low), high + 1):
        grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return grams


@dataclass
class WordAnalyzer:
    """scikit-learn's default word analyzer: optional lower-casing, then accent stripping,
    then the token pattern, then word n-grams."""

    token_pattern: str
    ngram_range: tuple[int, int]
    lowercase: bool = True
    accents: bool = False

    def __post_init__(self):
        if self.token_pattern not in KNOWN_TOKEN_PATTERNS:
            raise ModelError(f"unknown token pattern {self.token_pattern!r} in a served model")
        self._pattern = re.compile(self.token_pattern)

    def __call__(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        if self.accents:
            text = strip_accents(text)
        return word_ngrams(self._pattern.findall(text), *self.ngram_range)


@dataclass
class Rows:
    """A sparse matrix in compressed-row form (what a TF-IDF transform returns), NumPy only."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_columns: int

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.indptr) - 1, self.n_columns

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``self @ weights`` for a dense (n_columns, k) array."""
        out = np.zeros((self.shape[0], weights.shape[1]), dtype=np.result_type(self.data, weights))
        if not len(self.data):
            return out
        products = weights[self.indices] * self.data[:, None]
        filled = np.flatnonzero(np.diff(self.indptr))
        out[filled] = np.add.reduceat(products, self.indptr[filled], axis=0)
        return out

    def row_ids(self) -> np.ndarray:
        """The row of each stored value."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def dot_rows(self, position: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """``self @ weights`` where ``weights`` is zero but at some rows: column ``j``'s row is
        ``matrix[position[j]]``, and ``position[j] < 0`` means a zero row.

        A few rows (a document's practices) gather their columns' weight rows and sum them; a
        large batch is laid out densely over the columns that have weights, ``DOT_BLOCK`` rows at
        a time, and multiplied in one BLAS product (at 1,000 TF-IDF rows and 128-wide word
        vectors: 14 ms, where gathering took 177 ms)."""
        n = self.shape[0]
        out = np.zeros((n, matrix.shape[1]), dtype=np.result_type(self.data, matrix))
        for start in range(0, n, DOT_BLOCK):
            stop = min(n, start + DOT_BLOCK)
            lo, hi = self.indptr[start], self.indptr[stop]
            columns = position[self.indices[lo:hi]]
            keep = columns >= 0
            if not keep.any():
                continue
            rows = np.repeat(np.arange(stop - start), np.diff(self.indptr[start:stop + 1]))[keep]
            columns, values = columns[keep], self.data[lo:hi][keep]
            if stop - start >= DENSE_FROM:
                block = np.zeros((stop - start, matrix.shape[0]), dtype=out.dtype)
                block[rows, columns] = values
                out[start:stop] = block @ matrix
            else:
                starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
                out[start + rows[starts]] = np.add.reduceat(matrix[columns] * values[:, None], starts, axis=0)
        return out

    def hstack(self, other: "Rows") -> "Rows":
        """Columns of ``other`` laid after this matrix's (same rows)."""
        rows = np.concatenate([self.row_ids(), other.row_ids()])
        order = np.argsort(rows, kind="stable")     # row by row, this matrix's columns first
        indices = np.concatenate([self.indices, other.indices + self.n_columns])[order]
        data = np.concatenate([self.data, other.data.astype(self.data.dtype)])[order]
        return Rows(self.indptr + other.indptr, indices, data, self.n_columns + other.n_columns)


def rows_from_counts(counts: list[dict[int, float]], n_columns: int, dtype=np.float32) -> Rows:
    """Rows from one {column: value} dict per row (columns sorted, as sklearn sorts them)."""
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    indices, data = [], []
    for i, row in enumerate(counts):
        columns = sorted(row)
        indices += columns
        data += [row[j] for j in columns]
        indptr[i + 1] = len(indices)
    return Rows(indptr, np.asarray(indices, dtype=np.int64), np.asarray(data, dtype=dtype), n_columns)


class TfidfTable:
    """A fitted TF-IDF featuriser as a vocabulary and IDF weights.

    ``transform`` computes what sklearn's ``TfidfVectorizer.transform`` does with
    ``sublinear_tf=True`` and ``norm='l2'``: counts of known terms, ``1 + log(count)``,
    times the IDF, each row scaled to unit length, in float32.
    """

    def __init__(self, terms: list[str], idf: np.ndarray, analyzer: Callable[[str], list[str]],
                 sublinear: bool = True):
        self.terms = list(terms)
        self.vocabulary = {term: i for i, term in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.analyzer = analyzer
        self.sublinear = sublinear

    def counts(self, text: str) -> dict[int, int]:
        """Column -> how often the text holds that term (known terms only)."""
        return Counter([j for j in map(self.vocabulary.get, self.analyzer(text)) if j is not None])

    def transform(self, texts: list[str]) -> Rows:
        rows = rows_from_counts([self.counts(t) for t in texts], len(self.terms))
        data = rows.data
        if self.sublinear:
            np.log(data, out=data)
            data += np.float32(1.0)
        data *= self.idf[rows.indices]
        filled = np.flatnonzero(np.diff(rows.indptr))
        if len(filled):
            norms = np.sqrt(np.add.reduceat(data.astype(np.float64) ** 2, rows.indptr[filled]))
            lengths = np.diff(rows.indptr)[filled]
            data /= np.repeat(np.where(norms > 0, norms, 1.0).astype(np.float32), lengths)
        return rows


def vectorizer_check(vectorizer) -> None:
    """Refuse a fitted ``TfidfVectorizer`` whose options the table does not reproduce."""
    if getattr(vectorizer, "norm", None) != "l2" or not getattr(vectorizer, "use_idf", False):
        raise NotServable("only L2-normalised TF-IDF is served")
    if getattr(vectorizer, "stop_words", None) or getattr(vectorizer, "preprocessor", None) \
            or getattr(vectorizer, "tokenizer", None) or getattr(vectorizer, "binary", False):
        raise NotServable("stop words, custom preprocessors, tokenizers and binary counts are not served")


def vectorizer_terms(vectorizer) -> list[str]:
    """The fitted vocabulary in column order."""
    terms = [""] * len(vectorizer.vocabulary_)
    for term, j in vectorizer.vocabulary_.items():
        terms[j] = term
    return terms


# -- the file ------------------------------------------------------------------
def write_served(path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Arrays plus a JSON header in one compressed ``.npz`` (no object arrays, so no pickle).

    Written entry by entry with a fixed timestamp, in sorted order, so the same model gives
    the same bytes (and the same hash on its card) every time it is trained; ``np.savez``
    would stamp the current time. ``path`` may be a path or a binary file object."""
    header = json.dumps(dict(meta, format=FORMAT_VERSION), ensure_ascii=False, sort_keys=True)
    entries = dict(arrays, __meta__=np.frombuffer(header.encode("utf-8"), dtype=np.uint8))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            if entries[name].dtype.hasobject:
                raise ValueError(f"{name} is an object array, which only a pickle could store")
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.ascontiguousarray(entries[name]), allow_pickle=False)


def read_served(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and arrays of a served file; a damaged or foreign file is a ModelError."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with archive:
            arrays = {key: archive[key] for key in archive.files}
        meta = json.loads(arrays.pop("__meta__").tobytes().decode("utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("its header is not a JSON object")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if meta.get("format") != FORMAT_VERSION:
        raise ModelError(f"{path} is served-form version {meta.get('format')}; this code reads {FORMAT_VERSION}")
    return meta, arrays
