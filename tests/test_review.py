"""`hrc review export`: practices ranked most uncertain first, predictions
prefilled, as a spreadsheet-clean CSV or Label Studio tasks with their config."""
import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from pipeline.corpus import load_taxonomy
from pipeline.models import default_version, read_card
from pipeline.config import MODELS_DIR
from pipeline.review import config_path, review_export, uncertainty

TAXONOMY = load_taxonomy()


def run_record(practice_id, theme_scores, pillar_score, text="Text of the practice.\nSecond line, with a comma."):
    """A classify record: every label scored, `predicted` as the default model's thresholds say."""
    card = read_card(MODELS_DIR / default_version())
    record = {"record_type": "practice", "practice_id": practice_id, "source": "report.pdf", "title": practice_id,
              "place": {"city": "Besançon", "country": "France", "population": None}, "text": text,
              "model": {"version": card["version"], "taxonomy_version": "1"}}
    for name in ("themes", "principles"):
        scores = theme_scores if name == "themes" else {}
        record[name] = [{"label": label, "score": scores.get(label, 0.01),
                         "predicted": scores.get(label, 0.01) >= card["thresholds"][name][label]}
                        for label in TAXONOMY[name].labels]
    record["pillar"] = {"label": "caring", "score": pillar_score}
    return record


@pytest.fixture
def run_file(tmp_path):
    card = read_card(MODELS_DIR / default_version())
    at = card["thresholds"]["themes"]["migration"]
    records = [
        run_record("sure", {"migration": 0.97}, 0.98),
        run_record("on-the-edge", {"migration": at + 0.01, "gender_equality": 0.9}, 0.97),
        run_record("pillar-unsure", {"migration": 0.95}, 0.52, text="- a list item first\n=SUM(A1) is not a formula"),
        {"record_type": "error", "source": "broken.pdf", "stage": "extract", "code": "E004", "reason": "corrupt"},
    ]
    path = tmp_path / "run.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_csv_lists_most_uncertain_first_with_predictions(run_file, tmp_path):
    out = tmp_path / "review.csv"
    assert review_export(run_file, out) == 3
    assert out.read_bytes().startswith(b"\xef\xbb\xbf"), "a BOM so spreadsheets read UTF-8"
    frame = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert list(frame["practice_id"]) == ["on-the-edge", "pillar-unsure", "sure"]
    edge = frame.iloc[0]
    assert edge["themes"] == "migration;gender_equality" or edge["themes"] == "gender_equality;migration"
    assert edge["pillar"] == "caring" and edge["city"] == "Besançon"
    assert edge["text"] == "Text of the practice.\nSecond line, with a comma."
    assert frame["uncertainty"].is_monotonic_decreasing
    assert frame.iloc[1]["text"] == "'- a list item first\n=SUM(A1) is not a formula", "no formula in a sheet"
    assert review_export(run_file, tmp_path / "top.csv", limit=1) == 1
    assert list(pd.read_csv(tmp_path / "top.csv", encoding="utf-8-sig")["practice_id"]) == ["on-the-edge"]


def test_label_studio_tasks_and_config_match(run_file, tmp_path):
    out = tmp_path / "tasks.json"
    assert review_export(run_file, out, limit=2, strategy="entropy") == 2
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"]["practice_id"] for t in tasks] == ["on-the-edge", "pillar-unsure"]
    result = {r["from_name"]: r["value"]["choices"] for r in tasks[0]["predictions"][0]["result"]}
    assert sorted(result["themes"]) == ["gender_equality", "migration"] and result["pillar"] == ["caring"]
    config = ET.fromstring(config_path(out).read_text(encoding="utf-8"))
    assert config.find("Text").get("value") == "$text"
    choices = {c.get("name"): c for c in config.iter("Choices")}
    for name in ("themes", "principles", "pillar"):
        assert [c.get("value") for c in choices[name]] == list(TAXONOMY[name].labels)
        assert choices[name].get("choice") == ("single" if name == "pillar" else "multiple")
        for item in tasks[0]["predictions"][0]["result"]:
            assert item["to_name"] == "text" and item["from_name"] in choices


def test_uncertainty_strategies_agree_on_clear_cases():
    scores = {"themes": np.array([[0.99, 0.01], [0.5, 0.02], [0.9, 0.45]]),
              "pillar": np.array([[0.9, 0.1], [0.9, 0.1], [0.5, 0.5]])}
    thresholds = {"themes": np.array([0.5, 0.4])}
    margin = uncertainty(scores, thresholds, "margin")
    assert np.argsort(-margin).tolist()[0] == 1 and margin.argmin() == 0
    entropy = uncertainty(scores, thresholds, "entropy")
    assert entropy.argmin() == 0 and entropy[2] > entropy[0]
    assert uncertainty(scores, thresholds, "random", seed=3).tolist() == \
        uncertainty(scores, thresholds, "random", seed=3).tolist()
    with pytest.raises(ValueError, match="unknown strategy"):
        uncertainty(scores, thresholds, "vibes")


def test_unsupported_review_format(run_file, tmp_path):
    from pipeline.errors import UnsupportedInput

    with pytest.raises(UnsupportedInput, match=r"\.csv or \.json"):
        review_export(run_file, tmp_path / "review.xlsx")
