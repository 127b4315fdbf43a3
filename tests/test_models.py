import json
import shutil

import pytest
import yaml

from pipeline.config import LABELS_FILE, MODELS_DIR
from pipeline.corpus import load_taxonomy
from pipeline.errors import ModelError
from pipeline.models import default_version, load_model


def test_default_model_has_a_complete_card(default_model):
    card = default_model.card
    for key in ("version", "taxonomy_version", "corpus_sha256", "metrics", "libraries", "model_sha256", "train_settings"):
        assert key in card
    assert set(card["metrics"]["heldout"]) == {"themes", "principles", "pillar"}
    assert card["taxonomy_version"] == load_taxonomy().version


def test_truncated_model_is_refused_before_unpickling(model_copy):
    model_file = model_copy / "model.joblib"
    model_file.write_bytes(model_file.read_bytes()[:1000])
    with pytest.raises(ModelError, match="truncated or tampered"):
        load_model(model_copy)


def test_model_for_another_taxonomy_version_is_refused(model_copy, tmp_path):
    labels = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    labels["version"] = "999"
    other = tmp_path / "labels.yaml"
    other.write_text(yaml.safe_dump(labels), encoding="utf-8")
    with pytest.raises(ModelError, match="taxonomy version"):
        load_model(model_copy, taxonomy=load_taxonomy(other))


def test_missing_default_gives_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="hrc train"):
        load_model(models_dir=tmp_path)


def test_a_model_from_elsewhere_is_not_unpickled_until_trusted(tmp_path):
    """A folder whose card matches its own file is intact, not trustworthy: a
    pickle made elsewhere is refused until someone trusts it by hand."""
    import joblib

    from pipeline.models import load_model, read_card, sha256_file, trust_model

    version = default_version()
    foreign = tmp_path / "downloads" / "tagger-from-a-stranger"
    shutil.copytree(MODELS_DIR / version, foreign)
    estimators = joblib.load(foreign / "model.joblib")
    joblib.dump(estimators, foreign / "model.joblib", compress=1)  # same content, other bytes: another hash
    card = read_card(foreign)
    card["model_sha256"] = sha256_file(foreign / "model.joblib")
    (foreign / "card.json").write_text(json.dumps(card), encoding="utf-8")
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    with pytest.raises(ModelError, match="not trained in this project"):
        load_model(foreign, models_dir=models_dir)
    trust_model(foreign, models_dir=models_dir)
    assert load_model(foreign, models_dir=models_dir).version == card["version"]


def test_featurise_skips_a_one_transformer_union_without_changing_the_matrix():
    from pipeline.classify.estimators import text_features
    from pipeline.models import featurise

    texts = ["Tenants facing eviction get free legal advice.", "Residents vote on the district budget.",
             "A night shelter opens for families sleeping in cars."] * 3
    for union in (text_features(char_ngrams=None, min_df=1, stem=True),
                  text_features(char_ngrams=(2, 4), min_df=1)):
        union.fit(texts)
        assert (featurise(union, texts) != union.transform(texts)).nnz == 0
