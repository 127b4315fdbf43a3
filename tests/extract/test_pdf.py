import pytest

from pipeline.errors import CorruptFile, EmptyDocument, EncryptedFile, NoTextLayer, TooLarge
from pipeline.extract import extract
from pipeline.config import settings
from tests.conftest import shared_path


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


def _engine(name: str) -> dict:
    config = settings()
    config["pdf"]["engine"] = name
    return config


@pytest.mark.parametrize("engine", ["pdfium", "pdfplumber"])
@pytest.mark.parametrize("name, error, words", [
    ("encrypted.pdf", EncryptedFile, "password"),
    ("scanned.pdf", NoTextLayer, "no text layer"),
    ("truncated.pdf", CorruptFile, "PDF"),
    ("not-a-pdf.pdf", CorruptFile, "not a PDF"),
    ("empty.pdf", EmptyDocument, "empty"),
])
def test_bad_pdfs_get_a_clear_error(pdf_dir, name, error, words, engine):
    with pytest.raises(error) as info:
        extract(str(pdf_dir / name), _engine(engine))
    assert words in str(info.value)
    assert info.value.source.endswith(name)


def test_page_limit(pdf_dir):
    config = settings()
    config["limits"]["max_pdf_pages"] = 1
    with pytest.raises(TooLarge, match="2 pages"):
        extract(str(pdf_dir / "report.pdf"), config)


def test_both_engines_give_the_same_document(pdf_dir):
    fast = extract(str(pdf_dir / "report.pdf"), _engine("pdfium"))
    careful = extract(str(pdf_dir / "report.pdf"), _engine("pdfplumber"))
    assert [(b.kind, b.page, b.text) for b in fast.blocks] == [(b.kind, b.page, b.text) for b in careful.blocks]
    assert fast.links == careful.links


def test_letter_spaced_file_falls_back_to_pdfplumber():
    path = shared_path("realdocs", "pdf", "pbx-PDFBOX-3127-RAU4G6QMOVRYBISJU7R6MOVZCRFUO7P4-VFont.pdf")
    doc = extract(str(path))
    assert doc.text.startswith("NOTICE OF PUBLIC HEARING")
    assert "The South Carolina Department of Insurance will hold a public hearing" in doc.text


@pytest.mark.parametrize("engine", ["pdfium", "pdfplumber"])
def test_right_to_left_text_comes_out_in_reading_order(engine):
    doc = extract(str(shared_path("realdocs", "pdf", "dl-right_to_left_03.pdf")), _engine(engine))
    assert doc.text.startswith("اميدنامه پذيرش در بازار اصلی")


def test_numbered_transcript_lines_keep_their_numbers():
    doc = extract(str(shared_path("realdocs", "pdf", "plb-scotus-transcript-p1.pdf")))
    assert "1 IN THE SUPREME COURT OF THE UNITED STATES" in doc.text
    assert "3 MICHAEL A. KNOWLES, :" in doc.text


def test_time_limit_stops_a_slow_document_with_a_clear_error(pdf_dir):
    from pipeline.errors import TimeLimitExceeded

    config = settings()
    config["limits"]["max_seconds_per_document"] = 0
    with pytest.raises(TimeLimitExceeded, match="over the limit of 0 s per document") as info:
        extract(str(pdf_dir / "report.pdf"), config)
    assert info.value.code == "E009" and info.value.source.endswith("report.pdf")
