import json

from pipeline.document import Document
from pipeline.extract import extract
from pipeline.segment import segment
from tests.conftest import EXAMPLES


def test_document_survives_a_json_round_trip():
    doc = segment(extract(str(EXAMPLES / "local-practices-report.pdf")))
    again = Document.from_dict(json.loads(json.dumps(doc.to_dict())))
    assert again == doc


def test_offsets_point_into_the_text():
    doc = segment(extract(str(EXAMPLES / "riverside-digest.txt")))
    for block in doc.blocks:
        assert doc.text[block.start:block.end] == block.text
    for practice in doc.practices:
        assert doc.text[practice.start:practice.end] == practice.text
