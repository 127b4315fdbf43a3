"""`hrc models compare/promote`: same test data for both models; promotion guarded."""
import json
import shutil

import pytest

from pipeline.config import MODELS_DIR
from pipeline.models import default_version
from pipeline.registry import PromotionRefused, compare, list_models, promote


@pytest.fixture
def models_dir(tmp_path):
    version = default_version()
    shutil.copytree(MODELS_DIR / version, tmp_path / version)
    shutil.copytree(MODELS_DIR / version, tmp_path / "retrained")
    card = json.loads((tmp_path / "retrained" / "card.json").read_text())
    card.update(version="retrained", created="2099-01-01T00:00:00+00:00")
    (tmp_path / "retrained" / "card.json").write_text(json.dumps(card))
    (tmp_path / "DEFAULT").write_text(version + "\n")
    return tmp_path


def test_compare_scores_both_on_the_same_test_split(models_dir, corpus_test_size):
    comparison = compare("default", "retrained", models_dir=models_dir)
    assert comparison.n_test == corpus_test_size and comparison.b == "retrained"
    assert all(h["delta"] == 0 for h in comparison.headline)
    committed = json.loads((models_dir / default_version() / "card.json").read_text())["metrics"]["heldout"]
    themes = {h["metric"]: h["a"] for h in comparison.headline if h["set"] == "themes"}
    assert themes["macro_f1"] == committed["themes"]["macro_f1"]
    assert {(r["set"], r["label"]) for r in comparison.per_label} >= {("themes", "migration"),
                                                                      ("principles", "right_to_remedy")}
    assert "themes/migration" in "\n".join(comparison.lines())


def test_promote_guards_the_default(models_dir):
    with pytest.raises(PromotionRefused, match="worse than the default .* use --force"):
        promote("retrained", tolerance=-0.001, models_dir=models_dir)  # stricter than equal: refused
    assert (models_dir / "DEFAULT").read_text().strip() == default_version()
    promote("retrained", models_dir=models_dir)
    assert (models_dir / "DEFAULT").read_text().strip() == "retrained"
    assert [row["version"] for row in list_models(models_dir) if row["default"]] == ["retrained"]
    with pytest.raises(Exception, match="no model named 'nope'"):
        promote("nope", models_dir=models_dir)


def test_models_list_says_which_models_have_a_served_form(models_dir):
    card = json.loads((models_dir / "retrained" / "card.json").read_text())
    card.pop("served_sha256")
    (models_dir / "retrained" / "card.json").write_text(json.dumps(card))
    served = {row["version"]: row["served"] for row in list_models(models_dir)}
    assert served == {default_version(): True, "retrained": False}
