import io
import sys
import zipfile

import pytest

from pipeline.errors import EmptyDocument, InputNotFound, UnsupportedInput
from pipeline.extract import extract
from tests.conftest import EXAMPLES

DOCX_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Youth council of Kraków</w:t></w:r></w:p>
<w:p><w:r><w:t>Secondary-school students elect a youth council that advises the mayor on transport and leisure.</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Twelve opinions issued in 2023.</w:t></w:r></w:p>
</w:body></w:document>"""


def test_plain_text_paragraphs_and_separators():
    doc = extract(str(EXAMPLES / "riverside-digest.txt"))
    assert doc.kind == "text"
    assert any(b.text.startswith("Lyon (522,250)") for b in doc.blocks)
    assert doc.blocks[0].start == 0 and doc.text[doc.blocks[1].start:doc.blocks[1].end] == doc.blocks[1].text


def test_markdown_headings_and_bullets(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# Rights office in Bogotá\n\n## Context\n\nResidents lacked a place to complain.\n\n"
                    "- Free legal advice\n- Mediation with landlords\n", encoding="utf-8")
    doc = extract(str(path))
    assert [(b.kind, b.text) for b in doc.blocks][:2] == [("heading", "Rights office in Bogotá"), ("heading", "Context")]
    assert [b.text for b in doc.blocks if b.kind == "list_item"] == ["- Free legal advice", "- Mediation with landlords"]
    assert doc.blocks[2].heading_path == ["Rights office in Bogotá", "Context"]


def test_docx(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", DOCX_XML)
    path = tmp_path / "youth.docx"
    path.write_bytes(buffer.getvalue())
    doc = extract(str(path))
    assert doc.blocks[0].kind == "heading" and doc.blocks[2].kind == "list_item"


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("Quito opens a rights office.\n".encode())))
    doc = extract("-")
    assert doc.source == "-" and doc.text == "Quito opens a rights office."


def test_missing_empty_and_unsupported(tmp_path):
    with pytest.raises(InputNotFound):
        extract(str(tmp_path / "nope.txt"))
    (tmp_path / "blank.txt").write_text("  \n\n ")
    with pytest.raises(EmptyDocument):
        extract(str(tmp_path / "blank.txt"))
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedInput):
        extract(str(tmp_path / "sheet.xlsx"))
