"""`--explain`: every predicted label says which terms and which sentence drove it."""
import json

import jsonschema

from pipeline.classify import classify
from pipeline.classify.explain import sentences
from pipeline.config import SCHEMA_FILE
from pipeline.document import Document, Practice, content_hash
from pipeline.export import practice_record

VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
TEXT = ("Welcome desk for newcomers in Gothenburg, Sweden\n"
        "The city opened a welcome desk where refugees and asylum seekers get help with residence permits. "
        "Volunteers teach Swedish twice a week. "
        "The office also publishes the bus timetable for the district.")


def _doc():
    return Document(doc_id="0123456789abcdef", source="memo.txt", kind="text", text=TEXT, content_hash=content_hash(TEXT),
                    practices=[Practice(practice_id="0123456789abcdef-001", text=TEXT, title="Welcome desk for newcomers")])


def test_each_predicted_label_has_terms_from_the_text_and_its_sentence(default_model):
    doc = classify(_doc(), default_model, explain=True)
    practice = doc.practices[0]
    predicted = {name: {s.label for s in scores if s.predicted} for name, scores in practice.labels.items()}
    assert "migration" in predicted["themes"]
    for name, labels in predicted.items():
        assert set(practice.explanations.get(name, {})) == labels
    migration = practice.explanations["themes"]["migration"]
    assert migration["terms"] and all(t["weight"] > 0 for t in migration["terms"])
    assert all(t["term"] in TEXT.lower() for t in migration["terms"])
    assert {"refugees", "asylum"} & {t["term"] for t in migration["terms"]}
    assert "asylum seekers" in migration["sentence"] and migration["sentence"] in " ".join(TEXT.split())
    VALIDATOR.validate(practice_record(doc, practice, default_model.card))


def test_without_explain_no_explanations_are_added(default_model):
    doc = classify(_doc(), default_model)
    assert doc.practices[0].explanations == {}
    assert "explanations" not in practice_record(doc, doc.practices[0], default_model.card)


def test_sentences_split_on_sentence_ends_and_lines():
    parts = sentences("Title line of the practice\nFirst sentence is here. Second one follows! (Third) too?")
    assert parts == ["Title line of the practice", "First sentence is here.", "Second one follows!", "(Third) too?"]
