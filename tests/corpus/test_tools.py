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
from relabel import judgement_problems, relabel  # noqa: E402

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


def test_a_focused_relabel_sets_and_clears_only_the_named_labels_and_notes_the_pass():
    order = list(load_taxonomy()["principles"].labels)
    labels = ["effective_institutions_coordination", "social_inclusion_cultural_diversity"]
    records = [dict(GOOD, principles=["right_to_the_city", "effective_institutions_coordination"]),
               dict(GOOD, id="r9-002", principles=["social_inclusion_cultural_diversity"])]
    judgements = {"r9-001": {"id": "r9-001", labels[0]: False, labels[1]: True},
                  "r9-002": {"id": "r9-002", labels[0]: True, labels[1]: True}}
    assert judgement_problems(records, judgements, labels) == []
    counts = relabel(records, judgements, "principles", labels, order, guide=3)
    assert records[0]["principles"] == ["right_to_the_city", "social_inclusion_cultural_diversity"]
    assert records[1]["principles"] == ["social_inclusion_cultural_diversity", "effective_institutions_coordination"]
    assert records[0]["relabelled"] == [{"guide": 3, "set": "principles", "labels": labels,
                                         "previous": ["effective_institutions_coordination"]}]
    assert counts == {labels[0]: (1, 1), labels[1]: (1, 2)}
    relabel(records, judgements, "principles", labels, order, guide=3)   # the same pass again: noted once,
    assert records[0]["relabelled"][0]["previous"] == ["effective_institutions_coordination"]  # with the old labels


def test_a_half_done_relabel_pass_is_refused_with_each_gap_named():
    labels = ["effective_institutions_coordination"]
    records = [dict(GOOD), dict(GOOD, id="r9-002")]
    problems = judgement_problems(records, {"r9-001": {"id": "r9-001", labels[0]: "yes"},
                                            "x-1": {"id": "x-1", labels[0]: True}}, labels)
    assert "no judgement for r9-002" in problems
    assert "judgement for unknown id x-1" in problems
    assert any("r9-001: effective_institutions_coordination is 'yes'" in p for p in problems)


def test_a_third_pass_vote_keeps_agreed_labels_and_follows_the_adjudicator_on_disputes():
    from adjudicate import answer_problems, apply_vote, questions

    taxonomy = load_taxonomy()
    records = [dict(GOOD), dict(GOOD, id="r9-002")]
    third = {"r9-001": {"id": "r9-001", "themes": ["right_to_housing", "health_and_food"],
                        "principles": ["right_to_the_city"], "pillar": "caring"},
             "r9-002": {"id": "r9-002", "themes": GOOD["themes"], "principles": GOOD["principles"],
                        "pillar": "caring"}}
    asked = questions(records, third)
    # only the practice the passes disagree on is asked, about exactly the disputed labels
    assert [(q["id"], q["themes"], q["principles"], q["pillar"]) for q in asked] == [
        ("r9-001", ["health_and_food", "social_inclusion"], [], [])]
    answers = {"r9-001": {"id": "r9-001", "themes": {"social_inclusion": True, "health_and_food": False},
                          "principles": {}}}
    assert answer_problems(asked, answers) == []
    assert "themes answers" in " ".join(answer_problems(asked, {"r9-001": {"themes": {"social_inclusion": True},
                                                                           "principles": {}}}))
    assert "no answer for r9-001" in answer_problems(asked, {})
    apply_vote(records, third, answers, taxonomy)
    voted, agreed = records
    assert voted["themes"] == ["social_inclusion", "right_to_housing"]      # taxonomy order
    assert voted["passes"]["second"]["themes"] == GOOD["themes"]
    assert voted["passes"]["third"]["themes"] == ["right_to_housing", "health_and_food"]
    assert set(agreed["themes"]) == set(GOOD["themes"]) and agreed["passes"]["adjudicated"] is None
    # applying the vote again reads the second pass from the record's provenance, not its new labels
    assert questions(records, third)[0]["themes"] == ["health_and_food", "social_inclusion"]


def test_a_vote_with_unanswered_disputes_writes_nothing(tmp_path):
    corpus = tmp_path / "practices.jsonl"
    corpus.write_text("\n".join(json.dumps(dict(GOOD, id=i)) for i in ("r9-001", "r9-002")) + "\n", encoding="utf-8")
    before = corpus.read_bytes()
    third = tmp_path / "third.jsonl"
    third.write_text("\n".join(json.dumps({"id": i, "themes": ["right_to_housing"], "principles": ["right_to_the_city"],
                                           "pillar": "caring"}) for i in ("r9-001", "r9-002")) + "\n")
    answers = tmp_path / "answers.jsonl"       # r9-002's dispute (social_inclusion) is left unanswered
    answers.write_text(json.dumps({"id": "r9-001", "themes": {"social_inclusion": True}, "principles": {}}) + "\n")
    run = subprocess.run([sys.executable, str(TOOLS / "adjudicate.py"), "apply", str(third), "--answers", str(answers),
                          "-o", str(corpus)], capture_output=True, text=True)
    assert run.returncode != 0 and "no answer for r9-002" in run.stderr and "nothing written" in run.stderr
    assert corpus.read_bytes() == before
    answers.write_text(answers.read_text() + json.dumps({"id": "r9-002", "themes": {"social_inclusion": False},
                                                         "principles": {}}) + "\n")
    run = subprocess.run([sys.executable, str(TOOLS / "adjudicate.py"), "apply", str(third), "--answers", str(answers),
                          "-o", str(corpus)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    voted = [json.loads(line) for line in corpus.read_text().splitlines()]
    assert [r["themes"] for r in voted] == [["social_inclusion", "right_to_housing"], ["right_to_housing"]]
