"""Stage 3: Document with practices -> the same Document with label scores.

Every practice gets a score for every label of every set, highest first, and a
``predicted`` flag from the model's per-label thresholds; no label is forced.
With ``explain=True`` each predicted label also gets the terms and the sentence
that drove it (see :mod:`pipeline.classify.explain`).
"""
from __future__ import annotations

from ..document import Document, LabelScore
from ..models import load_scorer

__all__ = ["classify"]


def classify(doc: Document, model=None, explain: bool = False, explain_terms: int = 5) -> Document:
    """Score ``doc``'s practices with ``model`` (a TaggerBundle or its served form, a
    ServedTagger, which score alike; default: the default model's served form)."""
    if not doc.practices:
        return doc
    model = model or load_scorer()
    scored = model.score_texts([p.text for p in doc.practices])
    for i, practice in enumerate(doc.practices):
        for name, (labels, proba, predicted) in scored.items():
            scores = [LabelScore(label, round(float(proba[i, j]), 4), bool(predicted[i, j]))
                      for j, label in enumerate(labels)]
            practice.labels[name] = sorted(scores, key=lambda s: (-s.score, s.label))
        if explain:
            from .explain import explain as explain_practice

            chosen = {name: [s.label for s in scores if s.predicted] for name, scores in practice.labels.items()}
            practice.explanations = explain_practice(model, practice.text, chosen, explain_terms)
    return doc
