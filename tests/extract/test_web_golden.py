"""Golden-file tests: web pages under tests/fixtures/html/ against their expected blocks.

Each ``NAME.html`` has a ``NAME.expected.json`` holding the title, date, how
the text was found, the links and every block's kind, level and text. After a
deliberate change to web extraction, regenerate the goldens and review the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/extract/test_web_golden.py
    git diff tests/fixtures/html/

The behaviour checks below the golden test hold whatever the goldens say.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.extract import extract

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "html"
PAGES = sorted(FIXTURES.glob("*.html"))


def snapshot(path: Path) -> dict:
    doc = extract(str(path))
    return {
        "title": doc.title,
        "date": doc.metadata.get("date"),
        "extraction": doc.metadata.get("extraction"),
        "links": doc.links,
        "blocks": [{"kind": b.kind, "level": b.level, "text": b.text} for b in doc.blocks],
    }


def golden_path(page: Path) -> Path:
    return page.with_name(page.stem + ".expected.json")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_matches_golden(page):
    actual = snapshot(page)
    golden = golden_path(page)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden for {page.name}; run UPDATE_GOLDEN=1 python -m pytest {__file__}"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert actual == expected


def test_every_fixture_has_a_golden():
    assert len(PAGES) >= 5
    assert all(golden_path(page).exists() for page in PAGES)


def _texts(name: str) -> tuple[dict, str]:
    snap = snapshot(FIXTURES / name)
    return snap, "\n".join(b["text"] for b in snap["blocks"])


def test_news_page_keeps_the_article_and_drops_menu_banner_sidebar_comments_footer():
    snap, text = _texts("city-news.html")
    assert snap["title"] == "Tenants and city open a winter night shelter in the old tram depot"
    assert snap["date"] == "2024-11-18"
    assert "Nobody should have to choose between their dog and a warm bed" in text
    assert [b["text"] for b in snap["blocks"] if b["kind"] == "heading"][1:] == [
        "Low threshold, no questions at the door", "What happens in spring"]
    for furniture in ("uses cookies", "Culture and leisure", "Most read", "Swing bridge", "Finally!",
                      "Post comment", "Subscribe", "communications office", "Share"):
        assert furniture not in text, furniture
    assert "https://portalder.example/housing/shelter-volunteers" in snap["links"]


def test_legacy_charsets_are_decoded_whether_declared_or_not():
    declared, text = _texts("meta-latin1.html")  # iso-8859-1 declared, cp1252 quotes and euro sign used
    assert "800.000 € del presupuesto" in text and "“Por primera vez, mi madre votó algo en este país”" in text
    assert declared["date"] is None  # "Desde 2021" in the text is not a publication date
    undeclared, text = _texts("undeclared-cp1252.html")
    assert "Öffnungszeiten und Anfahrt" in text and "gegenüber der Haltestelle „Rathaus“" in text
    assert "Datenschutzerklärung" not in text and "Startseite" not in text


def test_lists_headings_and_tables_keep_their_roles():
    snap, _ = _texts("services-lists.html")
    kinds = [(b["kind"], b["text"]) for b in snap["blocks"]]
    assert ("heading", "How to report discrimination") in kinds
    assert ("list_item", "An adviser contacts you within five working days.") in kinds
    assert ("paragraph", "Thursday | Eastside library | 14:00–18:00") in kinds
    assert not any("Grants for associations" in text for _, text in kinds)  # the side menu


def test_page_of_links_that_trafilatura_flattens_is_walked_into_a_list():
    snap, text = _texts("link-list.html")
    assert snap["extraction"] == "page-walk"
    assert sum(b["kind"] == "list_item" for b in snap["blocks"]) == 5
    assert "Council" not in text  # the menu that the flat fallback text carried
    assert "https://eastbrook.example/files/housing-audit.pdf" in snap["links"]
