"""`hrc evaluate`: the figures an analyst reads, on the held-out split or any labelled JSONL."""
import json

import numpy as np
import pytest

from pipeline.errors import CorpusError
from pipeline.evaluate import bootstrap_intervals, evaluate, expected_calibration_error, practice_text, reliability_curve
from tests.conftest import shared_path

SEED_STYLE = [
    {"id": "x-01", "title": "Night shelter for asylum seekers", "country": "Germany", "pillar": "caring",
     "sections": {"challenge": "Refugees arriving at night slept at the station.",
                  "solution": "The city opened a shelter with interpreters and legal advice on asylum claims."},
     "themes": ["migration"], "principles": ["right_to_the_city"]},
    {"id": "x-02", "title": "Neighbourhood budget assemblies", "country": "Brazil", "pillar": None,
     "sections": {"lede": "Residents voted on how to spend part of the district budget in open assemblies.",
                  "quote": "People now decide what gets built in their streets."},
     "themes": ["participatory_democracy"], "principles": ["participatory_democracy_accountability"]},
]


@pytest.fixture(scope="module")
def heldout(default_model):
    return evaluate(model=default_model)


def test_heldout_figures_match_the_model_card(heldout, default_model, corpus_test_size):
    card = default_model.card["metrics"]["heldout"]
    assert heldout["n"] == default_model.card["n_test"] == corpus_test_size
    for name in ("themes", "principles"):
        entry = heldout["sets"][name]
        assert entry["micro_f1"] == card[name]["micro_f1"] and entry["macro_f1"] == card[name]["macro_f1"]
        low, high = entry["micro_f1_ci"]
        assert low < entry["micro_f1"] < high and high - low < 0.2
        assert sum(b["count"] for b in entry["reliability"]) == corpus_test_size * len(entry["per_label"])
        matrix = np.array(entry["confusion"]["matrix"])
        support = [m["support"] for m in entry["per_label"].values()]
        recall = [m["recall"] for m in entry["per_label"].values()]
        assert np.allclose(np.diag(matrix), np.round(np.array(support) * np.array(recall)))
    assert heldout["sets"]["pillar"]["accuracy"] == card["pillar"]["accuracy"]


def test_breakdowns_cover_every_style_and_region(heldout, corpus_test_size):
    assert {"report", "news", "summary", "case_study", "form", "web_page", "council_record",
            "news_article", "database_entry"} <= set(heldout["by_style"])
    assert sum(g["n"] for g in heldout["by_style"].values()) == corpus_test_size
    regions = heldout["by_region"]
    assert len(set(regions) - {"unknown"}) == 8          # countries outside the region batches: "unknown"
    assert regions.get("unknown", {"n": 0})["n"] <= 0.05 * corpus_test_size
    segmentation = heldout["segmentation"]
    assert segmentation["available"] is True
    assert segmentation["unheaded"]["part_accuracy"] >= 0.85 and segmentation["unheaded"]["boundary_f1"] >= 0.9


def test_any_labelled_jsonl_in_seed_layout(tmp_path, default_model):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in SEED_STYLE) + "\n", encoding="utf-8")
    report = evaluate(gold, model=default_model)
    assert report["n"] == 2 and report["sets"]["pillar"]["n"] == 1
    assert set(report["by_style"]) == {"report", "news"}
    assert set(report["by_region"]) == {"Western Europe", "Latin America"}
    assert report["segmentation"]["available"] is False
    assert "interpreters" in practice_text(SEED_STYLE[0]) and practice_text(SEED_STYLE[0]).startswith("Night shelter")


def test_a_file_without_labels_is_refused(tmp_path, default_model):
    gold = tmp_path / "unlabelled.jsonl"
    gold.write_text(json.dumps({"id": "a", "text": "Some practice text."}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no labelled practices"):
        evaluate(gold, model=default_model)


def test_real_gold_seeds_are_scored(default_model):
    gold = shared_path("seeds", "gold", "practices.jsonl")
    report = evaluate(gold, model=default_model)
    assert report["n"] == 27 and report["sets"]["pillar"]["n"] == 20
    assert report["sets"]["themes"]["micro_f1"] > 0.5  # keyword matching scores about 0.37 on real text


def test_bootstrap_and_calibration_helpers():
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 10)
    perfect = bootstrap_intervals(Y, Y.copy(), samples=200)
    assert perfect["micro_f1"] == [1.0, 1.0] and perfect["per_label"][0]["f1"] == [1.0, 1.0]
    assert expected_calibration_error(Y, Y.astype(float)) == 0.0
    assert expected_calibration_error(Y, np.full(Y.shape, 0.9)) == pytest.approx(0.4)
    curve = reliability_curve(Y, np.full(Y.shape, 0.9))
    assert curve == [{"low": 0.9, "high": 1.0, "mean_score": 0.9, "observed": 0.5, "count": 80}]
