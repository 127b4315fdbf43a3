"""Generated PDFs with exact gold: golden block files for three layouts, and
token F1 / reading order over many varied documents.

Regenerate the golden files after a deliberate change with
``UPDATE_GOLDEN=1 python -m pytest tests/extract/test_pdf_layouts.py`` and
review the diff before committing.
"""
from __future__ import annotations

import json
import os
import re
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from benchmarks.metrics import token_overlap, tokens
from pipeline.extract import extract
from tests.fixtures.pdf_layouts import FIXED_PRACTICES, LAYOUTS, build

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
GOLDEN_SEED = 3


def token_f1(ours: str, gold: str) -> float:
    return token_overlap(ours, gold).f1


def order_ratio(ours: str, gold: str) -> float:
    return SequenceMatcher(None, tokens(ours), tokens(gold), autojunk=False).ratio()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_golden_blocks(tmp_path, layout):
    path = tmp_path / f"{layout}.pdf"
    build(path, GOLDEN_SEED, layout, FIXED_PRACTICES)
    doc = extract(str(path))
    got = {"pages": doc.pages, "links": doc.links,
           "blocks": [[b.kind, b.page, b.text] for b in doc.blocks]}
    golden = GOLDEN / f"pdf_{layout}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert got == expected


@pytest.mark.parametrize("layout", LAYOUTS)
def test_structure_of_a_generated_report(tmp_path, layout):
    path = tmp_path / f"{layout}.pdf"
    gen = build(path, GOLDEN_SEED, layout, FIXED_PRACTICES)
    doc = extract(str(path))
    assert doc.pages >= 2
    # running header and page numbers are gone, the gold text is there in order
    assert "annual review" not in doc.text and "Practices Review" not in doc.text
    assert not any(re.fullmatch(r"(page )?\d+|- \d+ -", b.text.lower()) for b in doc.blocks)
    assert order_ratio(doc.text, gen.gold_text) >= 0.99
    # every practice title and part label is a heading; takeaways are list items
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    gold_headings = [text for kind, text in gen.gold_blocks if kind == "heading"]
    assert headings == gold_headings
    items = [b.text for b in doc.blocks if b.kind == "list_item"]
    assert items == [text for kind, text in gen.gold_blocks if kind == "list_item"]
    # URLs broken across lines are whole again, in the text and in the links
    assert gen.links and all(url in doc.links and url in doc.text for url in gen.links)
    # words hyphenated at line ends are joined: every gold paragraph is found whole
    for kind, text in gen.gold_blocks:
        if kind == "paragraph":
            assert text in doc.text


@pytest.mark.parametrize("seed", range(100, 112))
def test_varied_generated_reports_match_their_gold(tmp_path, seed):
    """Layouts, fonts, sizes, margins and texts drawn at random from the corpus."""
    path = tmp_path / "report.pdf"
    gen = build(path, seed)
    doc = extract(str(path))
    assert token_f1(doc.text, gen.gold_text) >= 0.97, gen.layout
    assert order_ratio(doc.text, gen.gold_text) >= 0.96, gen.layout
