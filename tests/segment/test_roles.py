"""The sentence-role tagger: sentence splitting, the sklearn contract, and the
figures the segmentation issue asks for on the held-out segment documents."""
from __future__ import annotations

import pytest
from sklearn.base import clone

from pipeline.errors import ModelError
from pipeline.records import read_jsonl
from pipeline.config import SEGMENTS_FILE
from pipeline.segment.evaluation import evaluate_segmentation
from pipeline.segment.model import load_segmenter, save_segmenter
from pipeline.segment.role_tagger import SentenceRoleTagger
from pipeline.segment.roles import practice_starts, split_sentences
from pipeline.segment.training import labelled_document


def test_split_sentences_keeps_abbreviation_free_sentences_and_quotes():
    text = 'The city opened a desk in 2019. « We listen first. » Visits rose by 40%. Next year: more.'
    pieces = [text[a:b] for a, b in split_sentences(text)]
    assert pieces == ["The city opened a desk in 2019.", "« We listen first. »", "Visits rose by 40%.",
                      "Next year: more."]


def test_practice_starts_at_each_run_of_titles():
    assert practice_starts(["title", "title", "place", "challenge", "title", "solution"]) == [0, 4]


@pytest.fixture(scope="module")
def small_split():
    records = read_jsonl(SEGMENTS_FILE)
    train = [labelled_document(r) for r in records if r["split"] == "train"][:48]
    test = [labelled_document(r) for r in records if r["split"] == "test" and not r["headed"]]
    return train, test


def test_tagger_learns_roles_and_follows_sklearn_conventions(small_split, tmp_path):
    train, test = small_split
    tagger = SentenceRoleTagger(transition_weight=0.3)
    assert clone(tagger).get_params()["transition_weight"] == 0.3
    tagger.fit([d.units for d in train], [d.roles for d in train])
    predicted = tagger.predict([d.units for d in test])
    right = sum(a == b for d, p in zip(test, predicted) for a, b in zip(d.roles, p))
    assert right / sum(len(d.roles) for d in test) >= 0.8
    proba = tagger.predict_proba([test[0].units])[0]
    assert proba.shape == (len(test[0].units), len(tagger.classes_))
    # smoothing changes decisions only through the transitions: weight 0 = per-sentence argmax
    tagger.transition_weight = 0.0
    raw = tagger.predict([test[0].units])[0]
    assert raw == [str(tagger.classes_[i]) for i in proba.argmax(axis=1)]
    # saved with a card and its served form; each file refused when tampered with
    folder = save_segmenter(tagger, {"kind": "segmenter"}, tmp_path / "segmenter")
    assert (folder / "served.npz").exists()
    for served in (True, False):
        loaded = load_segmenter(folder, models_dir=tmp_path, served=served)
        assert loaded.predict([test[0].units]) == tagger.predict([test[0].units])
    assert load_segmenter(folder).predict([test[0].units]) == tagger.predict([test[0].units])  # arrays: no trust needed
    with pytest.raises(ModelError, match="not trained in this project"):
        load_segmenter(folder, served=False)  # the pickle: trusted in tmp_path's list, not in the project's
    with open(folder / "model.joblib", "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelError, match="does not match its card"):
        load_segmenter(folder, models_dir=tmp_path, served=False)
    with open(folder / "served.npz", "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelError, match="does not match its card"):
        load_segmenter(folder, models_dir=tmp_path)


def test_held_out_segmentation_figures():
    """The segmentation issue's targets, measured through extract + segment."""
    figures = evaluate_segmentation()
    unheaded, headed = figures["unheaded"], figures["headed"]
    assert unheaded["documents"] == 16 and headed["documents"] == 16
    assert unheaded["part_accuracy"] >= 0.85 and unheaded["boundary_f1"] >= 0.9
    assert headed["part_accuracy"] >= 0.9 and headed["boundary_f1"] >= 0.9
