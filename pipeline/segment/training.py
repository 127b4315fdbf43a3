"""Sentence-role training data from ``corpus/segments.jsonl``, and the training run.

Each segment document is read by the same ``extract`` the pipeline uses on a
``.txt`` file, so the tagger learns from exactly the blocks and sentences it
will meet at run time; gold roles come from the record's character spans.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import MODELS_DIR, SEGMENTS_FILE
from ..config import settings as load_settings
from ..corpus import file_hash
from ..document import Document
from ..records import read_jsonl
from .role_tagger import SentenceRoleTagger
from .roles import SentenceUnit, sentence_units

log = logging.getLogger(__name__)
PART_ROLES = ("title", "place", "challenge", "solution", "takeaways", "quote", "references")


@dataclass
class LabelledDocument:
    record_id: str
    headed: bool
    doc: Document
    units: list[SentenceUnit]
    roles: list[str]
    practice_of: list[int | None]  # gold practice number of each sentence

    @property
    def starts(self) -> list[int]:
        """Sentence indices where a gold practice begins."""
        out, seen = [], set()
        for i, number in enumerate(self.practice_of):
            if number is not None and number not in seen:
                seen.add(number)
                out.append(i)
        return out


def read_document(text: str, name: str = "segment.txt", settings: dict | None = None) -> Document:
    from ..extract import extract  # the stage's public entry point

    return extract(name, settings, data=text.encode("utf-8"))


def _original_offsets(original: str, units: list[SentenceUnit]) -> list[int]:
    """Midpoint of each sentence in the original text (found in order)."""
    cursor, mids = 0, []
    for unit in units:
        probe = unit.text[:40]
        at = original.find(probe, cursor)
        if at < 0:
            at = original.find(probe[:15], cursor)
        if at < 0:
            mids.append(cursor)
            continue
        mids.append(at + len(unit.text) // 2)
        cursor = at + 1
    return mids


def labelled_document(record: dict, settings: dict | None = None) -> LabelledDocument:
    doc = read_document(record["text"], settings=settings)
    units = sentence_units(doc)
    roles, practice_of = [], []
    parts = [s for s in record["spans"] if s["part"] in PART_ROLES]
    practices = [s for s in record["spans"] if s["part"] == "practice"]
    for mid in _original_offsets(record["text"], units):
        part = next((s["part"] for s in parts if s["start"] <= mid < s["end"]), "other")
        practice = next((s["practice"] for s in practices if s["start"] <= mid < s["end"]), None)
        roles.append(part)
        practice_of.append(practice)
    return LabelledDocument(record.get("id", ""), bool(record.get("headed")), doc, units, roles, practice_of)


def choose_transition_weight(train: list[LabelledDocument], params: dict, grid: list[float],
                             folds: int = 4) -> tuple[float, dict[str, float]]:
    """The smoothing weight with the best mean of sentence accuracy and boundary
    F1 over document folds of the training split (the test split is not seen).

    The corpus documents are assembled in one fixed part order, so the learned
    transitions are stricter than real documents; cross-validation decides how
    much to trust them rather than a hand-picked number.
    """
    from sklearn.model_selection import KFold

    totals = {w: [] for w in grid}
    splitter = KFold(n_splits=folds, shuffle=True, random_state=params.get("random_state", 13))
    for fit_idx, val_idx in splitter.split(train):
        tagger = SentenceRoleTagger(**dict(params, transition_weight=1.0))
        tagger.fit([train[i].units for i in fit_idx], [train[i].roles for i in fit_idx])
        held = [train[i] for i in val_idx]
        for weight in grid:
            tagger.transition_weight = weight
            totals[weight].append(_tagger_score(held, tagger.predict([d.units for d in held])))
    scores = {str(w): round(sum(v) / len(v), 4) for w, v in totals.items()}
    best = max(grid, key=lambda w: (scores[str(w)], -w))
    return best, scores


def _tagger_score(docs: list[LabelledDocument], predicted: list[list[str]]) -> float:
    from .roles import practice_starts

    right = sum(a == b for d, p in zip(docs, predicted) for a, b in zip(d.roles, p))
    total = sum(len(d.roles) for d in docs)
    tp = fp = fn = 0
    for d, p in zip(docs, predicted):
        gold, found = set(d.starts), set(practice_starts(p))
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return (right / max(total, 1) + f1) / 2


def train_segmenter(segments_file: str | Path = SEGMENTS_FILE, models_dir: str | Path = MODELS_DIR,
                    settings: dict | None = None) -> Path:
    """Fit the sentence-role tagger on the train split and save it with its card.

    Deterministic: the same segments file and settings give the same model.
    """
    from .evaluation import evaluate_segmentation
    from .model import SEGMENTER_FOLDER, save_segmenter

    settings = settings or load_settings()
    params = dict(settings["segment"].get("tagger", {}))
    records = read_jsonl(segments_file)
    train = [labelled_document(r, settings) for r in records if r.get("split") == "train"]
    grid = params.pop("transition_weight_grid", None)
    started = time.perf_counter()
    if params.get("transition_weight") == "cv":
        params["transition_weight"], cv_scores = choose_transition_weight(train, params, grid or [1.0])
    else:
        cv_scores = {}
    tagger = SentenceRoleTagger(**params).fit([d.units for d in train], [d.roles for d in train])
    seconds = time.perf_counter() - started
    metrics = evaluate_segmentation([r for r in records if r.get("split") == "test"], settings, tagger=tagger)
    card = {
        "kind": "segmenter",
        "corpus_file": Path(segments_file).name,
        "corpus_sha256": file_hash(Path(segments_file)),
        "params": tagger.get_params(),
        "train_documents": len(train),
        "train_sentences": sum(len(d.units) for d in train),
        "train_seconds": round(seconds, 2),
        "transition_weight_cv": cv_scores,
        "metrics": metrics,
    }
    folder = save_segmenter(tagger, card, Path(models_dir) / SEGMENTER_FOLDER)
    log.info("segmenter saved to %s: %s", folder, json.dumps(metrics.get("unheaded", {})))
    return folder
