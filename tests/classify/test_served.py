"""The tagger's served form scores as the full model does, loads without a pickle, and is checked."""
import subprocess
import sys

import numpy as np
import pytest

from pipeline.classify.served import ServedTagger
from pipeline.config import MODELS_DIR
from pipeline.corpus import load_practices, training_text
from pipeline.errors import ModelError
from pipeline.models import TaggerBundle, default_version, load_scorer
from pipeline.models import SERVED_FILE
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def served():
    return load_scorer()


def test_default_model_is_served_from_arrays(served):
    assert isinstance(served, ServedTagger)
    assert served.version == default_version()


def test_served_scores_equal_the_full_models_on_held_out_practices(default_model, served):
    texts = [training_text(r) for r in load_practices() if r.get("split") == "test"]
    texts += ["", "A short line.", "Ünïcödé façade of İstanbul's city hall ™ " * 3]
    full, fast = default_model.score_texts(texts), served.score_texts(texts)
    assert full.keys() == fast.keys()
    for name in full:
        labels, proba, predicted = full[name]
        assert fast[name][0] == labels
        np.testing.assert_allclose(fast[name][1], proba, atol=1e-5)
        assert (fast[name][2] == predicted).all(), name


def test_explanations_from_the_arrays_equal_the_full_models(default_model, served):
    """--explain reads the served arrays too: same terms, weights and sentences as the pickle gives."""
    from pipeline.classify.explain import explain

    records = [r for r in load_practices() if r.get("split") == "test"][:25]
    compared = 0
    for record in records:
        text = training_text(record)
        scored = served.score_texts([text])
        chosen = {name: [label for label, hit in zip(labels, predicted[0]) if hit]
                  for name, (labels, _, predicted) in scored.items()}
        full, fast = explain(default_model, text, chosen), explain(served, text, chosen)
        assert full.keys() == fast.keys()
        for name in full:
            for label, entry in full[name].items():
                other = fast[name][label]
                assert other["sentence"] == entry["sentence"]
                assert abs(other["sentence_score"] - entry["sentence_score"]) <= 1e-4
                assert [t["term"] for t in other["terms"]] == [t["term"] for t in entry["terms"]]
                assert all(abs(a["weight"] - b["weight"]) <= 1e-4 for a, b in zip(other["terms"], entry["terms"]))
                compared += 1
    assert compared > 50


def test_a_damaged_served_file_is_refused(model_copy):
    path = model_copy / SERVED_FILE
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ModelError, match="truncated or tampered"):
        load_scorer(model_copy)


def test_a_folder_from_elsewhere_is_served_without_trusting_its_pickle(model_copy, tmp_path, served):
    """Arrays cannot run code, so a foreign model's served form loads (its hash still checked);
    its pickle stays refused until trusted."""
    elsewhere = tmp_path / "empty-models-dir"
    elsewhere.mkdir()
    foreign = load_scorer(model_copy, models_dir=elsewhere)
    texts = ["Residents vote on part of the district budget in open assemblies."]
    np.testing.assert_array_equal(foreign.score_texts(texts)["themes"][1], served.score_texts(texts)["themes"][1])


def test_a_worker_that_classifies_never_imports_sklearn():
    """What makes a worker start in half a second: scoring and segmenting read arrays only."""
    script = (
        "import sys\n"
        "from pipeline.config import settings\n"
        "from pipeline.models import load_scorer\n"
        "from pipeline.runner.sandbox import _warm_up\n"
        "_warm_up({'stage': 'classify', 'settings': settings(), 'unit': 'practice'}, load_scorer())\n"
        "heavy = sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "none", out.stdout


def test_add_served_form_to_a_folder_saved_without_one(model_copy, served):
    """`hrc models add-served-form` gives an older folder its arrays; the scores are the served default's."""
    import json

    from pipeline.models import read_card

    (model_copy / SERVED_FILE).unlink()
    card = read_card(model_copy)
    card.pop("served_sha256")
    (model_copy / "card.json").write_text(json.dumps(card), encoding="utf-8")
    assert isinstance(load_scorer(model_copy), TaggerBundle)      # no arrays: the pickle
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "models", "add-served-form", str(model_copy)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert read_card(model_copy)["served_sha256"]
    again = load_scorer(model_copy)
    assert isinstance(again, ServedTagger)
    texts = [training_text(r) for r in load_practices()[:40]]
    for name, (labels, proba, predicted) in served.score_texts(texts).items():
        np.testing.assert_array_equal(again.score_texts(texts)[name][1], proba)


def test_a_model_the_arrays_cannot_represent_keeps_its_pickle_only(tmp_path):
    """Character n-grams are not in the served form: such a model is saved and loaded from its pickle."""
    from pipeline.classify.estimators import MultiLabelTagger, SingleLabelTagger
    from pipeline.models import load_model, save_model

    records = [r for r in load_practices() if r.get("split") == "train"][:120]
    texts = [training_text(r) for r in records]
    themes = sorted({t for r in records for t in r["themes"]})[:4]
    Y = np.array([[t in r["themes"] for t in themes] for r in records], dtype=int)
    params = dict(char_ngrams=(3, 4), max_char_features=2000, max_word_features=2000, cv_folds=2)
    tagger = MultiLabelTagger(**params).fit(texts, Y, classes=themes)
    with_pillar = [(t, r["pillar"]) for t, r in zip(texts, records) if r.get("pillar")]
    pillar = SingleLabelTagger(**params, features=tagger.features_).fit(*map(list, zip(*with_pillar)))
    bundle = TaggerBundle({"themes": tagger, "principles": tagger, "pillar": pillar},
                          {"version": "chars", "taxonomy_version": load_model().card["taxonomy_version"]})
    folder = save_model(bundle, tmp_path / "chars")
    assert not (folder / SERVED_FILE).exists() and "served_sha256" not in bundle.card
    assert isinstance(load_scorer(folder, models_dir=tmp_path), TaggerBundle)


def test_a_served_file_whose_arrays_do_not_fit_is_a_clear_error(tmp_path):
    """A hash-consistent file from elsewhere is data: wrong shapes or a foreign regex are refused."""
    from pipeline.served import read_served, write_served

    meta, arrays = read_served(MODELS_DIR / default_version() / SERVED_FILE)
    arrays["themes.W"] = arrays["themes.W"][:100]
    write_served(tmp_path / "short.npz", meta, arrays)
    with pytest.raises(ModelError, match="not a served tagger"):
        ServedTagger.load(tmp_path / "short.npz")
    meta, arrays = read_served(MODELS_DIR / default_version() / SERVED_FILE)
    meta["tables"][0].update(kind="words", token_pattern="(a+)+$", lowercase=True, accents=False)
    write_served(tmp_path / "regex.npz", meta, arrays)
    with pytest.raises(ModelError, match="token pattern"):
        ServedTagger.load(tmp_path / "regex.npz")


@pytest.fixture(scope="module")
def small_blend(tmp_path_factory):
    """A blend of stems and word vectors (vector share 0.3) on 400 training practices: its
    pickle, and its served form read back from a file."""
    from pipeline.classify.served import save_served_tagger
    from pipeline.config import settings
    from pipeline.corpus import load_taxonomy
    from pipeline.train import fit_bundle

    train_settings = dict(settings()["train"], vector_weight=0.3, cv_folds=3, max_word_features=8000)
    records = [r for r in load_practices() if r.get("split") == "train"][:400]
    bundle = fit_bundle(records, load_taxonomy(), train_settings)
    assert bundle.estimators["pillar"].blend_power_ != 1.0     # the pillar's sharpening is served too
    path = tmp_path_factory.mktemp("blend") / SERVED_FILE
    save_served_tagger(bundle, path)
    return bundle, ServedTagger.load(path)


def test_a_blend_with_word_vectors_is_served_with_the_same_scores(small_blend):
    bundle, served = small_blend
    assert served.vectors and all("vectors" in entry for entry in served.sets.values())
    texts = [training_text(r) for r in load_practices() if r.get("split") == "test"][:300]
    texts += ["", "Zzyzx qwerty.", "Ünïcödé façade of İstanbul's city hall ™ " * 3]
    full, fast = bundle.score_texts(texts), served.score_texts(texts)
    for name in full:
        labels, proba, predicted = full[name]
        assert fast[name][0] == labels
        np.testing.assert_allclose(fast[name][1], proba, atol=1e-5)
        assert (fast[name][2] == predicted).all(), name
    # the vector view moves the scores: a served form that dropped it would not pass the above
    text_only = served._view_scores("themes", "", served.tables[0].transform(texts[:50]))
    assert np.abs(text_only - fast["themes"][1][:50]).max() > 0.02


def test_a_blends_explanations_from_the_arrays_equal_its_pickles(small_blend):
    from pipeline.classify.explain import explain

    bundle, served = small_blend
    compared = 0
    for record in [r for r in load_practices() if r.get("split") == "test"][:15]:
        text = training_text(record)
        chosen = {name: [label for label, hit in zip(labels, predicted[0]) if hit]
                  for name, (labels, _, predicted) in served.score_texts([text]).items()}
        full, fast = explain(bundle, text, chosen), explain(served, text, chosen)
        for name in full:
            for label, entry in full[name].items():
                assert [t["term"] for t in fast[name][label]["terms"]] == [t["term"] for t in entry["terms"]]
                assert all(abs(a["weight"] - b["weight"]) <= 1e-4
                           for a, b in zip(fast[name][label]["terms"], entry["terms"]))
                assert fast[name][label]["sentence"] == entry["sentence"]
                compared += 1
    assert compared > 20
