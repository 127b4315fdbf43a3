"""Where a PDF's words come from: pdfium (fast) or pdfplumber (pdfminer).

Both engines yield, page by page, the same plain data - the page size, its
words (text, box with ``top`` measured from the top of the page, font size and
name) and the targets of its link annotations - so the layout logic in
:mod:`.pdf` does not care which one read the file. pdfium reads characters
several times faster than pdfminer; ``benchmarks/extraction.py`` measures both
on the same files, and the engine is a setting (``pdf.engine``).
"""
from __future__ import annotations

import ctypes
import io
import logging
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import CorruptFile, EncryptedFile
from .blocks import is_rtl

log = logging.getLogger(__name__)
ENGINES = ("pdfium", "pdfplumber")


@dataclass
class PageWords:
    number: int
    width: float
    height: float
    words: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    error: str | None = None  # the page could not be read; the others still are


class PdfSource:
    """An open PDF: page count, metadata and its pages' words."""

    n_pages: int
    metadata: dict

    def pages(self) -> Iterator[PageWords]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


# -- pdfium ------------------------------------------------------------------------

_BREAKS = {0x20, 0x0A, 0x0D, 0x09, 0xA0, 0x00}
_LINE_END_HYPHEN = 0x02  # pdfium's code for a hyphen it found at a line end


class PdfiumSource(PdfSource):
    def __init__(self, data: bytes, source: str, x_tolerance: float = 1.5):
        import pypdfium2 as pdfium

        self.source, self.x_tolerance = source, x_tolerance
        try:
            self.pdf = pdfium.PdfDocument(data, password="")
        except pdfium.PdfiumError as exc:
            message = str(exc)
            if "password" in message.lower():
                raise EncryptedFile("encrypted PDF needs a password", source=source) from exc
            raise CorruptFile(f"unreadable PDF: {message}", source=source) from exc
        self.n_pages = len(self.pdf)
        try:
            self.metadata = {k: str(v) for k, v in self.pdf.get_metadata_dict(skip_empty=True).items()}
        except Exception:  # metadata is a courtesy, never a reason to fail
            self.metadata = {}

    def pages(self) -> Iterator[PageWords]:
        for index in range(self.n_pages):
            page = self.pdf[index]
            width, height = page.get_size()
            out = PageWords(index + 1, float(width), float(height))
            try:
                textpage = page.get_textpage()
                out.words = self._words(textpage, float(height))
                out.links = self._links(page)
                textpage.close()
            except Exception as exc:
                out.error = f"{type(exc).__name__}: {exc}"
            finally:
                page.close()
            yield out

    def _words(self, textpage, height: float) -> list[dict]:
        import pypdfium2.raw as raw

        handle = textpage.raw
        words: list[dict] = []
        current: list[tuple[str, float, float, float, float]] = []
        first_char = 0

        def flush() -> None:
            if current:
                words.append(self._word(handle, current, first_char, height))
                current.clear()

        rect = raw.FS_RECTF()
        origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
        baseline = 0.0
        for i in range(raw.FPDFText_CountChars(handle)):
            code = raw.FPDFText_GetUnicode(handle, i)
            if code in _BREAKS:  # pdfium puts a space wherever the layout shows one...
                flush()
                continue
            raw.FPDFText_GetLooseCharBox(handle, i, rect)  # advance box: no false gaps inside words
            raw.FPDFText_GetCharOrigin(handle, i, origin_x, origin_y)
            box = (rect.left, height - rect.top, rect.right, height - rect.bottom)  # x0, top, x1, bottom
            size = max(box[3] - box[1], 1.0)
            if current and (abs(origin_y.value - baseline) > size * 0.5  # ...but not always between lines
                            or box[0] - current[-1][3] > self.x_tolerance):  # nor at every gap between words
                flush()
            if not current:
                first_char = i
                baseline = origin_y.value
            char = "-" if code == _LINE_END_HYPHEN else chr(code)
            current.append((char, box[0], box[1], box[2], box[3]))
        flush()
        return words

    @staticmethod
    def _word(handle, chars: list[tuple[str, float, float, float, float]], first: int, height: float) -> dict:
        import pypdfium2.raw as raw

        buffer = ctypes.create_string_buffer(128)
        flags = ctypes.c_int()
        length = raw.FPDFText_GetFontInfo(handle, first, buffer, 128, ctypes.byref(flags))
        name = buffer.value.decode("utf-8", "replace") if length else ""
        if raw.FPDFText_GetFontWeight(handle, first) >= 600 and "bold" not in name.lower():
            name += ",Bold"
        return {
            "text": "".join(c[0] for c in chars),
            "x0": min(c[1] for c in chars), "top": min(c[2] for c in chars),
            "x1": max(c[3] for c in chars), "bottom": max(c[4] for c in chars),
            "size": round(raw.FPDFText_GetFontSize(handle, first), 1),
            "fontname": name,
        }

    def _links(self, page) -> list[str]:
        import pypdfium2.raw as raw

        out = []
        position = ctypes.c_int(0)
        link = raw.FPDF_LINK()
        buffer = ctypes.create_string_buffer(2048)
        while raw.FPDFLink_Enumerate(page.raw, ctypes.byref(position), ctypes.byref(link)):
            action = raw.FPDFLink_GetAction(link)
            if action and raw.FPDFAction_GetType(action) == raw.PDFACTION_URI:
                size = raw.FPDFAction_GetURIPath(self.pdf.raw, action, buffer, 2048)
                if size > 1:
                    out.append(buffer.raw[: size - 1].decode("utf-8", "replace"))
        return out

    def close(self) -> None:
        self.pdf.close()


# -- pdfplumber --------------------------------------------------------------------


class PlumberSource(PdfSource):
    def __init__(self, data: bytes, source: str, x_tolerance: float = 1.5):
        self.source, self.x_tolerance = source, x_tolerance
        self.pdf = _open_plumber(data, source)
        try:
            self.n_pages = len(self.pdf.pages)
        except Exception as exc:
            raise CorruptFile(f"unreadable PDF page tree: {exc}", source=source) from exc
        self.metadata = {k: str(v) for k, v in (self.pdf.metadata or {}).items() if isinstance(v, (str, int, float))}

    def pages(self) -> Iterator[PageWords]:
        for number, page in enumerate(self.pdf.pages, start=1):
            out = PageWords(number, float(page.width or 612), float(page.height or 792))
            try:
                out.words = self._words(page)
            except Exception as exc:
                out.error = f"{type(exc).__name__}: {exc}"
            try:
                out.links = [h["uri"] for h in page.hyperlinks if h.get("uri")]
            except Exception as exc:  # some real files have annotation trees that recurse without end
                log.warning("%s: page %d link annotations unreadable: %s", self.source, number, exc)
            yield out

    def _words(self, page) -> list[dict]:
        """Words with font size and name taken from their characters: passing
        ``extra_attrs`` would split a word wherever a character's size differs
        in the last float digit (seen in real files)."""
        words = page.extract_words(keep_blank_chars=False, x_tolerance=self.x_tolerance, return_chars=True)
        for word in words:
            chars = word.pop("chars", None) or []
            word["size"] = round(statistics.median(c.get("size", 0) for c in chars), 1) if chars else 0.0
            fonts = Counter(c.get("fontname") or "" for c in chars)
            word["fontname"] = fonts.most_common(1)[0][0] if fonts else ""
            if is_rtl(word["text"]):  # pdfminer gives right-to-left letters in visual order
                word["text"] = word["text"][::-1]
        return words

    def close(self) -> None:
        self.pdf.close()


def _open_plumber(data: bytes, source: str):
    """Open with an empty password; map pdfminer's failures to our errors."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    try:
        return pdfplumber.open(io.BytesIO(data), password="")
    except Exception as wrapped:  # pdfplumber wraps pdfminer's error in PdfminerException
        inner = wrapped.args[0] if wrapped.args and isinstance(wrapped.args[0], Exception) else wrapped
        if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)) or "password" in str(inner).lower():
            raise EncryptedFile(f"encrypted PDF needs a password ({type(inner).__name__})", source=source) from wrapped
        if isinstance(inner, (PDFSyntaxError, PSException)):
            raise CorruptFile(f"unreadable PDF: {inner or type(inner).__name__}", source=source) from wrapped
        raise CorruptFile(f"unreadable PDF: {type(inner).__name__}: {inner}", source=source) from wrapped


def open_source(data: bytes, source: str, engine: str = "pdfium", x_tolerance: float = 1.5) -> PdfSource:
    if not data.lstrip()[:1024].find(b"%PDF") >= 0:
        raise CorruptFile("not a PDF file (no %PDF header)", source=source)
    if engine not in ENGINES:
        raise ValueError(f"unknown PDF engine {engine!r}; choose one of {ENGINES}")
    return (PdfiumSource if engine == "pdfium" else PlumberSource)(data, source, x_tolerance)
