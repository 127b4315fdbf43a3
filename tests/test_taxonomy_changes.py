"""Renaming and dropping labels updates the label file and the corpus together,
bumps the taxonomy version, and training then works and records the version."""
import pytest
import yaml

from pipeline.config import LABELS_FILE, PRACTICES_FILE, settings
from pipeline.corpus import load_taxonomy
from pipeline.errors import CorpusError
from pipeline.records import read_jsonl, write_jsonl
from pipeline.taxonomy_changes import labels_add, labels_drop, labels_rename, next_version
from pipeline.train import train
from tests.conftest import ROOT

LIGHT = str(ROOT / "tests" / "fixtures" / "train-light.yaml")


@pytest.fixture
def corpus(tmp_path):
    records = read_jsonl(PRACTICES_FILE)
    kept = [r for r in records if r["split"] == "train"][::4] + [r for r in records if r["split"] == "test"][::4]
    write_jsonl(tmp_path / "practices.jsonl", kept)
    (tmp_path / "labels.yaml").write_text(LABELS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path / "practices.jsonl", tmp_path / "labels.yaml"


def test_versions_count_up():
    assert [next_version(v) for v in ("1", "9", "1.4", "v2", "draft")] == ["2", "10", "1.5", "v3", "draft.1"]


def test_rename_and_drop_then_train(corpus, tmp_path):
    practices, labels = corpus
    before = read_jsonl(practices)
    with_food = sum("health_and_food" in r["themes"] for r in before)
    with_memory = sum("memory_and_peace" in r["themes"] for r in before)
    assert labels_rename("themes", "health_and_food", "health", labels, practices) == ("2", with_food)
    assert labels_drop("themes", "memory_and_peace", labels, practices) == ("3", with_memory)
    assert labels_drop("pillar", "recognition", labels, practices)[0] == "4"
    after = read_jsonl(practices)
    assert [r["id"] for r in after] == [r["id"] for r in before]
    assert sum("health" in r["themes"] for r in after) == with_food
    assert not any({"health_and_food", "memory_and_peace"} & set(r["themes"]) for r in after)
    assert not any(r["pillar"] == "recognition" for r in after)
    data = yaml.safe_load(labels.read_text(encoding="utf-8"))
    assert [c["change"] for c in data["changes"]] == [
        "rename themes/health_and_food -> health", "drop themes/memory_and_peace", "drop pillar/recognition"]
    taxonomy = load_taxonomy(labels)
    assert taxonomy.version == "4" and "health" in taxonomy["themes"].labels
    assert taxonomy["themes"].descriptions["health"].startswith("Health care and public health")

    bundle = train(practices, labels, tmp_path / "models", settings(LIGHT))
    assert bundle.card["taxonomy_version"] == "4"
    assert "health" in bundle.card["labels"]["themes"] and "memory_and_peace" not in bundle.card["labels"]["themes"]
    assert bundle.card["labels"]["pillar"] == ["inclusion", "caring"]
    assert bundle.card["metrics"]["heldout"]["themes"]["per_label"]["health"]["support"] > 0


def test_training_names_labels_the_taxonomy_lacks_or_cannot_learn(corpus, tmp_path):
    practices, labels = corpus
    records = read_jsonl(practices)
    records[0]["themes"] = records[0]["themes"] + ["digital_rights"]
    write_jsonl(practices, records)
    with pytest.raises(CorpusError, match=r"themes label 'digital_rights' is used by 1 practice\(s\) but is not "
                                          r"in the label file"):
        train(practices, labels, tmp_path / "models", settings(LIGHT))
    labels_add("themes", "digital_rights", labels_file=labels)
    with pytest.raises(CorpusError, match=r"themes label 'digital_rights' has 1 training example\(s\); at least 5"):
        train(practices, labels, tmp_path / "models", settings(LIGHT))


def test_bad_changes_are_refused(corpus):
    practices, labels = corpus
    with pytest.raises(CorpusError, match="already has a label 'migration'"):
        labels_add("themes", "migration", labels_file=labels)
    with pytest.raises(CorpusError, match="lower case"):
        labels_add("themes", "Digital Rights", labels_file=labels)
    with pytest.raises(CorpusError, match="has no label 'nope'"):
        labels_rename("themes", "nope", "yes", labels, practices)
    with pytest.raises(CorpusError, match="unknown label set"):
        labels_drop("colours", "red", labels, practices)
    assert load_taxonomy(labels).version == "1"
