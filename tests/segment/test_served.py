"""The sentence-role tagger's served form tags as the fitted tagger does."""
import json

import numpy as np

from pipeline.config import SEGMENTS_FILE, settings
from pipeline.extract import extract
from pipeline.segment.model import load_segmenter
from pipeline.segment.roles import sentence_units
from pipeline.segment.served import ServedRoleTagger


def _documents(limit=25):
    docs = []
    with open(SEGMENTS_FILE, encoding="utf-8") as handle:
        for line in handle:
            text = json.loads(line)["text"]
            docs.append(sentence_units(extract("document.txt", settings(), data=text.encode("utf-8"))))
            if len(docs) == limit:
                break
    return docs


def test_segmenting_reads_the_served_form():
    assert isinstance(load_segmenter(), ServedRoleTagger)


def test_served_roles_equal_the_fitted_taggers():
    docs = _documents()
    fitted, served = load_segmenter(served=False), load_segmenter()
    assert sum(map(len, docs)) > 300
    for a, b in zip(fitted.predict_proba(docs), served.predict_proba(docs)):
        np.testing.assert_allclose(b, a, atol=1e-5)
    assert served.predict(docs) == fitted.predict(docs)
    assert served.predict([[]]) == [[]]
