import numpy as np
import pytest
from sklearn.model_selection import cross_val_score

from pipeline.classify.estimators import MultiLabelTagger, SingleLabelTagger

TEXTS = [
    "The city opened a shelter for refugees and asylum seekers arriving by train.",
    "Newcomers get language classes and help with residence papers at the welcome desk.",
    "Migrant workers receive legal advice on their permits from a municipal office.",
    "A reception centre for people displaced by conflict abroad opened in the old barracks.",
    "Residents voted on how to spend part of the district budget in neighbourhood assemblies.",
    "A citizens' council now advises the mayor on transport and public space.",
    "The participatory budget let young people choose projects for their schools.",
    "Neighbourhood assemblies co-designed the new park with the planning office.",
] * 3
Y = np.array([[1, 0]] * 4 + [[0, 1]] * 4) .tolist() * 3
SMALL = dict(min_df=1, cv_folds=3, max_word_features=500, max_char_features=500)


def test_multilabel_tagger_learns_and_scores_every_label():
    tagger = MultiLabelTagger(**SMALL).fit(TEXTS, Y, classes=["migration", "participatory_democracy"])
    proba = tagger.predict_proba(["Asylum seekers find a shelter and legal help at the new reception office."])
    assert proba.shape == (1, 2) and ((0 <= proba) & (proba <= 1)).all()
    assert proba[0, 0] > proba[0, 1]
    assert list(tagger.classes_) == ["migration", "participatory_democracy"]
    assert tagger.thresholds_.shape == (2,)


def test_no_label_is_forced():
    tagger = MultiLabelTagger(**SMALL).fit(TEXTS, Y, classes=["migration", "participatory_democracy"])
    predicted = tagger.predict(["Quarterly figures for the municipal car park were published."])
    proba = tagger.predict_proba(["Quarterly figures for the municipal car park were published."])
    assert (predicted == (proba >= tagger.thresholds_)).all()


def test_works_with_sklearn_model_selection():
    labels = np.array(["inclusion"] * 4 + ["recognition"] * 4) .tolist() * 3
    scores = cross_val_score(SingleLabelTagger(**SMALL), TEXTS, labels, cv=3)
    assert scores.mean() > 0.6
    params = MultiLabelTagger(C=2.0).get_params()
    assert params["C"] == 2.0 and "threshold_grid" in params


def test_single_label_min_score_leaves_pillar_empty():
    labels = ["inclusion"] * 4 + ["recognition"] * 4
    tagger = SingleLabelTagger(min_score=0.99, **SMALL).fit(TEXTS[:8] * 2, labels * 2)
    assert tagger.predict(["An unrelated sentence about weather."])[0] is None


def test_words_only_features_and_a_shared_featuriser():
    themes = MultiLabelTagger(char_ngrams=None, **SMALL).fit(TEXTS, Y, classes=["migration", "participatory_democracy"])
    names = themes.features_.get_feature_names_out()
    assert all(n.startswith("words__") for n in names)
    labels = ["inclusion"] * 4 + ["recognition"] * 4
    pillar = SingleLabelTagger(features=themes.features_, **SMALL).fit(TEXTS[:8] * 2, labels * 2)
    assert pillar.features_ is themes.features_
    text = ["Refugees get help with their asylum papers."]
    assert pillar.predict(text)[0] in {"inclusion", "recognition"}


def test_fast_linear_scores_equal_the_calibrated_models():
    tagger = MultiLabelTagger(**SMALL).fit(TEXTS, Y, classes=["migration", "participatory_democracy"])
    features = tagger.features_.transform(TEXTS[:8])
    one_by_one = np.column_stack([est.predict_proba(features)[:, 1] for est in tagger.estimators_])
    assert np.allclose(tagger.predict_proba(TEXTS[:8]), one_by_one)


@pytest.mark.parametrize("classifier", ["logreg", "linear_svm"])
def test_fast_pillar_scores_equal_the_calibrated_multiclass_model(classifier):
    """Three pillars, the shape the default model serves; a two-class fit keeps sklearn's own path."""
    labels = (["inclusion"] * 3 + ["recognition"] * 3 + ["caring"] * 2) * 3
    tagger = SingleLabelTagger(classifier=classifier, **SMALL).fit(TEXTS, labels)
    features = tagger.features_.transform(TEXTS[:8] + ["Quarterly figures for the car park."])
    assert tagger._linear()[0] is not None
    assert np.allclose(tagger.predict_proba_features(features), tagger.model_.predict_proba(features), atol=1e-9)
    assert np.allclose(tagger.predict_proba_features(features).sum(axis=1), 1.0)
    two = SingleLabelTagger(classifier=classifier, **SMALL).fit(TEXTS[:8] * 2, (["inclusion"] * 4 + ["caring"] * 4) * 2)
    assert two._linear()[0] is None
    assert np.allclose(two.predict_proba(TEXTS[:3]), two.model_.predict_proba(two.features_.transform(TEXTS[:3])))


def test_linear_svm_variant_is_calibrated():
    tagger = MultiLabelTagger(classifier="linear_svm", **SMALL).fit(TEXTS, Y, classes=["migration", "participatory_democracy"])
    proba = tagger.predict_proba(["Asylum seekers find a shelter at the reception office."])
    assert ((0 <= proba) & (proba <= 1)).all() and proba[0, 0] > proba[0, 1]
    with pytest.raises(ValueError, match="unknown classifier"):
        MultiLabelTagger(classifier="forest", **SMALL).fit(TEXTS, Y)


def test_stemmed_words_fold_inflections_and_survive_pickling():
    import pickle

    from pipeline.classify.estimators import StemmedWords

    analyzer = StemmedWords((1, 2))
    evicted = analyzer("Families were evicted.")
    evictions = analyzer("Evictions of families")
    assert set(evicted) & set(evictions) >= {"evict", "famili"}
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored("Families were evicted.") == evicted
    assert analyzer.surface_forms("Participatory budgets")["participatori budget"] == "participatory budgets"


def test_stemmed_words_strip_accents_and_keep_words_whole_around_combining_marks():
    """Accented and unaccented spellings share a stem; a capital dotted İ (lower-cased to i plus a
    loose combining dot) and decomposed accents must not cut a word in two."""
    from pipeline.classify.estimators import StemmedWords

    analyzer = StemmedWords((1, 1))
    assert analyzer("Café of the Señora in São Paulo") == analyzer("Cafe of the Senora in Sao Paulo")
    assert analyzer("The İzmir council") == ["the", "izmir", "council"]
    assert analyzer("re\u0301sume\u0301 of the cafe\u0301") == analyzer("resume of the cafe")
    assert analyzer("Curly \u2018quotes\u2019 \u2026 and\u00a0spaces") == analyzer("Curly quotes and spaces")


def test_a_stemmed_tagger_recognises_unseen_inflections():
    """"refugee" and "sheltered" never occur in training ("refugees", "shelter" do): only stems
    carry them to migration."""
    text = ["A refugee was sheltered."]
    classes = ["migration", "participatory_democracy"]
    stemmed = MultiLabelTagger(stem=True, **SMALL).fit(TEXTS, Y, classes=classes)
    plain = MultiLabelTagger(stem=False, **SMALL).fit(TEXTS, Y, classes=classes)
    assert stemmed.get_params()["stem"] is True
    margin = lambda tagger: float(np.diff(tagger.predict_proba(text)[0])[0]) * -1  # noqa: E731
    assert margin(stemmed) > 0.5 and margin(stemmed) > margin(plain) + 0.1
