import pytest

from pipeline.errors import CorruptFile, EmptyDocument, EncryptedFile, NoTextLayer, TooLarge
from pipeline.extract import extract
from pipeline.config import settings


def test_report_reading_order_headings_and_furniture(pdf_dir):
    doc = extract(str(pdf_dir / "report.pdf"))
    assert doc.kind == "pdf" and doc.pages == 2
    # running header and page numbers are gone
    assert "test report" not in doc.text
    assert "Page 1" not in doc.text and "Page 2" not in doc.text
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert "Challenge addressed" in headings and "Takeaways" in headings
    # reading order: challenge text before solution text on each page
    assert doc.text.index("Rents in the old harbour") < doc.text.index("The municipality bought back")
    # hyphenation across lines is undone
    assert "tenants' association and" in doc.text
    # bullets stay list items; every block knows its page and box
    items = [b for b in doc.blocks if b.kind == "list_item"]
    assert len(items) == 4 and items[0].text.startswith("- Public ownership")
    assert {b.page for b in doc.blocks} == {1, 2} and all(b.bbox for b in doc.blocks)
    assert "https://example.org/housing/buy-back" in doc.links


def test_empty_password_encryption_is_opened(pdf_dir):
    doc = extract(str(pdf_dir / "encrypted-open.pdf"))
    assert "welcome plan for newcomers" in doc.text


@pytest.mark.parametrize("name, error, words", [
    ("encrypted.pdf", EncryptedFile, "password"),
    ("scanned.pdf", NoTextLayer, "no text layer"),
    ("truncated.pdf", CorruptFile, "PDF"),
    ("not-a-pdf.pdf", CorruptFile, "not a PDF"),
    ("empty.pdf", EmptyDocument, "empty"),
])
def test_bad_pdfs_get_a_clear_error(pdf_dir, name, error, words):
    with pytest.raises(error) as info:
        extract(str(pdf_dir / name))
    assert words in str(info.value)
    assert info.value.source.endswith(name)


def test_page_limit(pdf_dir):
    config = settings()
    config["limits"]["max_pdf_pages"] = 1
    with pytest.raises(TooLarge, match="2 pages"):
        extract(str(pdf_dir / "report.pdf"), config)
