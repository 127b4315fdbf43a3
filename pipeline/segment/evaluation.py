"""How well ``segment`` finds practices and parts, on labelled segment documents.

The whole stage is measured, as a user meets it: each held-out document of
``corpus/segments.jsonl`` is extracted and segmented, and every gold sentence is
checked. Figures, separately for documents with and without part headings:

* ``part_accuracy`` - share of sentences whose part (title, place, challenge,
  solution, takeaways, quote, references, or none) is right;
* ``boundary_precision/recall/f1`` - practice starts found at the right sentence.
"""
from __future__ import annotations

import re
from collections import Counter

from ..config import SEGMENTS_FILE
from ..config import settings as load_settings
from ..document import Practice
from ..records import read_jsonl


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def predicted_part(practice: Practice | None, sentence: str) -> str:
    """The part of ``practice`` that holds ``sentence``, or 'other'."""
    if practice is None:
        return "other"
    probe = _squash(sentence)
    if practice.title and probe in _squash(practice.title):
        return "title"
    for part, text in practice.sections.items():
        if probe in _squash(text):
            return {"lede": "solution", "body": "other"}.get(part, part)
    if any(probe in _squash(ref) for ref in practice.references):
        return "references"
    city = practice.place.city
    if city and city.lower() in probe and len(probe.split()) <= 12:
        return "place"
    return "other"


def evaluate_documents(records: list[dict], settings: dict | None = None, tagger=None) -> dict:
    from . import segment
    from .training import labelled_document

    settings = settings or load_settings()
    figures = {}
    for group, headed in (("unheaded", False), ("headed", True)):
        chosen = [r for r in records if bool(r.get("headed")) == headed]
        if not chosen:
            continue
        right = total = tp = fp = fn = 0
        confusion: Counter = Counter()
        for record in chosen:
            gold = labelled_document(record, settings)
            doc = segment(gold.doc, settings, tagger=tagger)
            practice_at = [next((p for p in doc.practices if p.start <= u.start < p.end), None)
                           for u in gold.units]
            for unit, role, practice in zip(gold.units, gold.roles, practice_at):
                guess = predicted_part(practice, unit.text)
                right += guess == role
                total += 1
                if guess != role:
                    confusion[f"{role}->{guess}"] += 1
            predicted_starts = {next((i for i, u in enumerate(gold.units) if u.end > p.start), -1)
                                for p in doc.practices}
            gold_starts = set(gold.starts)
            tp += len(gold_starts & predicted_starts)
            fp += len(predicted_starts - gold_starts)
            fn += len(gold_starts - predicted_starts)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        figures[group] = {
            "documents": len(chosen),
            "sentences": total,
            "part_accuracy": round(right / total, 4) if total else 0.0,
            "boundary_precision": round(precision, 4),
            "boundary_recall": round(recall, 4),
            "boundary_f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
            "top_confusions": dict(confusion.most_common(6)),
        }
    return figures


def evaluate_segmentation(records: list[dict] | None = None, settings: dict | None = None, tagger=None) -> dict:
    """Figures on ``records`` (default: the test split of corpus/segments.jsonl)."""
    if records is None:
        records = [r for r in read_jsonl(SEGMENTS_FILE) if r.get("split") == "test"]
    return evaluate_documents(records, settings, tagger)
