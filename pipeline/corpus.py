"""The label file and the labelled corpus, read and checked.

The taxonomy (label sets, ids, descriptions, version) lives in
``corpus/labels.yaml`` so users can change labels without touching code; every
trained model records the version it was trained on.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from .config import LABELS_FILE, PRACTICES_FILE, read_yaml
from .errors import CorpusError
from .records import read_jsonl

LABEL_SETS = ("themes", "principles", "pillar")


@dataclass(frozen=True)
class LabelSet:
    name: str
    labels: tuple[str, ...]
    multi_label: bool
    descriptions: dict


@dataclass(frozen=True)
class Taxonomy:
    version: str
    sets: dict

    def __getitem__(self, name: str) -> LabelSet:
        return self.sets[name]


def load_taxonomy(path: str | Path = LABELS_FILE) -> Taxonomy:
    try:
        data = read_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"cannot read label file {path}: {exc}") from exc
    sets = {}
    for name in LABEL_SETS:
        section = data.get(name) or {}
        labels = section.get("labels") or {}
        if not labels:
            raise CorpusError(f"label file {path} has no labels for {name!r}")
        sets[name] = LabelSet(name, tuple(labels), bool(section.get("multi_label", name != "pillar")),
                              {k: (v or {}).get("description", "") for k, v in labels.items()})
    return Taxonomy(str(data.get("version", "0")), sets)


def load_practices(path: str | Path = PRACTICES_FILE) -> list[dict]:
    try:
        return read_jsonl(path)
    except (OSError, ValueError) as exc:
        raise CorpusError(f"cannot read corpus {path}: {exc}") from exc


def file_hash(*paths: str | Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def training_text(record: dict) -> str:
    """What a classifier reads for a corpus practice: its title and its text."""
    title = record.get("title") or ""
    text = record.get("text") or ""
    return text if title and title in text else f"{title}\n{text}".strip()


def label_matrix(records: list[dict], taxonomy: Taxonomy):
    """One 0/1 column per label of every set (pillar included), for stratifying."""
    import numpy as np

    columns = [(name, label) for name in LABEL_SETS for label in taxonomy[name].labels]
    matrix = np.zeros((len(records), len(columns)), dtype=int)
    for i, record in enumerate(records):
        for j, (name, label) in enumerate(columns):
            value = record.get(name)
            matrix[i, j] = int(label in value) if isinstance(value, list) else int(value == label)
    return matrix


def assign_splits(records: list[dict], taxonomy: Taxonomy, test_size: float = 0.2, seed: int = 13) -> list[dict]:
    """Give records without a ``split`` one, by iterative stratification over all
    labels so every label keeps about the same share in train and test. Records
    that already have a split keep it, so held-out data stays held out."""
    import numpy as np
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    todo = [i for i, r in enumerate(records) if r.get("split") not in ("train", "test")]
    if not todo:
        return records
    if len(todo) < 10:
        for i in todo:
            records[i]["split"] = "train"
        return records
    matrix = label_matrix([records[i] for i in todo], taxonomy)
    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train_idx, test_idx = next(splitter.split(np.zeros(len(todo)), matrix))
    for k in train_idx:
        records[todo[k]]["split"] = "train"
    for k in test_idx:
        records[todo[k]]["split"] = "test"
    return records


def near_duplicates(texts: list[str], threshold: float = 0.8) -> list[tuple[int, int, float]]:
    """Pairs of texts whose TF-IDF cosine similarity exceeds ``threshold``."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    similarity = (matrix @ matrix.T).toarray()
    np.fill_diagonal(similarity, 0)
    rows, cols = np.where(np.triu(similarity) > threshold)
    return [(int(i), int(j), float(similarity[i, j])) for i, j in zip(rows, cols)]
