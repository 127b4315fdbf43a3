"""The corpus tools writers and annotators use: batch checks, annotation checks, the second pass."""
import json
import subprocess
import sys

from pipeline.config import CORPUS_DIR
from pipeline.corpus import load_taxonomy

TOOLS = CORPUS_DIR / "tools"
sys.path.insert(0, str(TOOLS))

from assemble import apply_annotations  # noqa: E402
from check_batch import record_problems  # noqa: E402

GOOD = {
    "id": "r9-001", "style": "council_record", "title": "Motion on a night shelter for rough sleepers",
    "city": "Leeds", "country": "United Kingdom", "population": None,
    "text": ("Item 7. The Committee noted the officer's report on rough sleeping over the winter. Moved by the "
             "member for Harehills, seconded, carried 9-2: that the council lease the former library as a night "
             "shelter with forty beds, staffed with the housing charity, open from November to March, and that "
             "referrals come from the outreach team and the city's advice centres."),
    "parts": {"solution": "that the council lease the former library as a night shelter with forty beds"},
    "themes": ["right_to_housing", "social_inclusion"], "principles": ["right_to_the_city"], "pillar": "caring",
    "hard_case": None,
}


def test_a_well_formed_record_passes_and_each_defect_is_named():
    taxonomy = load_taxonomy()
    assert record_problems(GOOD, taxonomy) == []
    broken = dict(GOOD, style="tweet", themes=["housing"], pillar="care",
                  parts={"quote": "words that are not in the text"}, text="Too short to be a practice.")
    problems = " | ".join(record_problems(broken, taxonomy))
    for expected in ("style 'tweet'", "unknown themes: ['housing']", "pillar 'care' unknown",
                     "part 'quote' is not an exact substring", "words (allowed"):
        assert expected in problems


def test_second_pass_labels_replace_the_writers_and_keep_them(tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "r9-001", "themes": ["right_to_housing"], "principles": [],
                                  "pillar": None}) + "\n", encoding="utf-8")
    records = [dict(GOOD), dict(GOOD, id="r9-002")]
    assert apply_annotations(records, [str(labels)]) == 1
    first, untouched = records
    assert (first["themes"], first["principles"], first["pillar"]) == (["right_to_housing"], [], None)
    assert first["writer_labels"] == {"themes": GOOD["themes"], "principles": GOOD["principles"], "pillar": "caring"}
    assert "writer_labels" not in untouched and untouched["themes"] == GOOD["themes"]
    apply_annotations(records, [str(labels)])            # applying twice keeps the writer's original labels
    assert first["writer_labels"]["themes"] == GOOD["themes"]


def test_the_annotation_checker_reports_unknown_ids_and_missing_records(tmp_path):
    records = tmp_path / "chunk.jsonl"
    records.write_text("\n".join(json.dumps({"id": i, "title": "t", "text": "x"}) for i in ("a-1", "a-2")) + "\n")
    labels = tmp_path / "out.jsonl"
    labels.write_text(json.dumps({"id": "a-1", "themes": ["migration"], "principles": [], "pillar": None}) + "\n"
                      + json.dumps({"id": "b-9", "themes": ["not_a_label"], "principles": [], "pillar": None}) + "\n")
    run = subprocess.run([sys.executable, str(TOOLS / "check_annotation.py"), str(records), str(labels)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "id 'b-9' is not in" in run.stdout and "not_a_label" in run.stdout
    assert "1 of 2 labelled, 2 problems" in run.stderr     # a-2 is still missing
