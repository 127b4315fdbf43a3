"""PDF text with layout: reading order, headings, bullets, links, page provenance.

pdfplumber gives words with their font and position. We build lines, find
columns (including a narrow *label column* of headings such as "Challenge
addressed" standing beside the body text), drop lines that repeat at the top or
bottom of most pages (running headers, footers, page numbers), join words
hyphenated across lines and mark headings by font size or weight.
"""
from __future__ import annotations

import logging
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from ..document import Block
from ..errors import NoTextLayer, TimeLimitExceeded, TooLarge
from .blocks import is_rtl, normalise_text
from .pdf_engines import open_source
from .text import BULLET_RE

log = logging.getLogger(__name__)

URL_RE = re.compile(r"https?://\S+")
# "7", "Page 7", "page 7 of 20", "7 / 20", "- 7 -", "[7]", "p. 7"
PAGE_NUMBER_RE = re.compile(r"[-\u2013\u2014\[(]?\s*(page|p\.|pg\.?)?\s*\d{1,4}(\s*(/|of)\s*\d{1,4})?\s*[-\u2013\u2014\])]?")
_MARGIN_FRACTION = 0.09  # top/bottom band where running headers and footers live


@dataclass
class Line:
    words: list[dict]
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    bold: bool
    text: str = field(default="")

    @classmethod
    def from_words(cls, words: list[dict], page: int) -> "Line":
        # right-to-left script reads from the right edge: logical order, as a reader reads it
        words = sorted(words, key=lambda w: w["x0"], reverse=is_rtl(" ".join(w["text"] for w in words)))
        sizes = [w.get("size", 0) for w in words]
        bold = sum("bold" in (w.get("fontname") or "").lower() for w in words) > len(words) / 2
        return cls(
            words=words,
            page=page,
            top=min(w["top"] for w in words),
            bottom=max(w["bottom"] for w in words),
            x0=words[0]["x0"],
            x1=max(w["x1"] for w in words),
            size=statistics.median(sizes) if sizes else 0,
            bold=bold,
            text=normalise_text(" ".join(w["text"] for w in words)),
        )


def page_lines(words: list[dict], width: float, page_no: int) -> list[Line]:
    """Lines of one page in reading order (columns left to right)."""
    if not words:
        return []
    lines: list[Line] = []
    for column in split_columns(words, width):
        lines.extend(_column_lines(column, page_no))
    return lines


def _column_lines(words: list[dict], page_no: int) -> list[Line]:
    """Rows of words by height; label words never share a row with body words."""
    rows: list[list[dict]] = []
    ordered = sorted(words, key=lambda w: (round(w["top"]), not w.get("_label"), w["x0"]))
    for word in ordered:
        last = rows[-1][0] if rows else None
        if (last is not None and bool(last.get("_label")) == bool(word.get("_label"))
                and abs(last["top"] - word["top"]) <= max(2.0, word.get("size", 10) * 0.3)):
            rows[-1].append(word)
        else:
            rows.append([word])
    return [Line.from_words(row, page_no) for row in rows]


def split_columns(words: list[dict], width: float) -> list[list[dict]]:
    """Split a page's words at a vertical gutter, in reading order.

    A gutter is at least 8 points wide, lies between 15% and 85% of the page
    width, and is crossed by at most a few words (a page-wide title, a long URL);
    otherwise the page is one column. Rows holding a crossing word span both
    columns: they cut the page into bands, and each band is read left column
    first, then right. A narrow left column of short labels is merged back by
    :func:`merge_label_column` so its labels read as headings before the text
    beside them; a column of line numbers stays with its rows.
    """
    if len(words) < 20:
        return [words]
    cut = _find_gutter(words, width)
    if cut is None:
        return [words]
    # a word crossing the gutter is page-wide only if it reaches well into the
    # right column; a long URL overflowing its column stays in the left one
    right_middle = (cut + max(w["x1"] for w in words)) / 2
    crossing = [w for w in words if w["x0"] < cut < w["x1"]]
    spans = [(w["top"], w["bottom"]) for w in crossing if w["x1"] >= right_middle]
    spanning = [w for w in words if any(w["top"] < bottom and w["bottom"] > top for top, bottom in spans)]
    span_ids = {id(w) for w in spanning}
    left = [w for w in words if w["x0"] < cut and id(w) not in span_ids]
    right = [w for w in words if w["x0"] >= cut and id(w) not in span_ids]
    if len(left) < 3 or len(right) < 3:
        return [words]
    if not spanning and _is_line_number_column(left):
        return [words]
    if not spanning and _is_label_column(left, right):
        return [merge_label_column(left, right)]
    return _bands(left, right, spanning)


def _find_gutter(words: list[dict], width: float) -> float | None:
    occupied = [0] * (int(width) + 2)
    for w in words:
        for x in range(max(0, int(w["x0"])), min(len(occupied), int(w["x1"]) + 1)):
            occupied[x] += 1
    allowed = min(3, len(words) // 60)  # a few page-wide words may cross on a full page
    lo, hi = int(width * 0.15), int(width * 0.85)
    best, run_start = None, None
    for x in range(lo, hi + 2):
        if x <= hi and occupied[x] <= allowed:
            run_start = x if run_start is None else run_start
        elif run_start is not None:
            if x - run_start >= 8 and (best is None or x - run_start > best[1] - best[0]):
                best = (run_start, x)
            run_start = None
    if best is None:
        return None
    # cut where fewest words cross: the middle of the longest such stretch in the gutter
    floor = min(occupied[best[0]:best[1]])
    stretches, start = [], None
    for x in range(best[0], best[1] + 1):
        if x < best[1] and occupied[x] == floor:
            start = x if start is None else start
        elif start is not None:
            stretches.append((start, x))
            start = None
    left, right = max(stretches, key=lambda r: r[1] - r[0])
    return (left + right) / 2


def _bands(left: list[dict], right: list[dict], spanning: list[dict]) -> list[list[dict]]:
    """Left then right column between page-wide rows, top to bottom."""
    cuts = sorted({round(w["top"]) for w in spanning})
    rows: dict[int, list[dict]] = {}
    for w in spanning:
        rows.setdefault(round(w["top"]), []).append(w)
    out: list[list[dict]] = []
    previous = float("-inf")
    for cut in cuts + [float("inf")]:
        out.append([w for w in left if previous <= w["top"] < cut])
        out.append([w for w in right if previous <= w["top"] < cut])
        if cut in rows:
            out.append(rows[cut])
        previous = cut
    return [group for group in out if group]


def _is_line_number_column(left: list[dict]) -> bool:
    """Numbered lines (transcripts, legal drafts): the numbers belong to the rows
    beside them, so the page must not be split there."""
    numbers = [w["text"] for w in sorted(left, key=lambda w: w["top"])]
    if len(numbers) < 5 or not all(n.isdigit() and len(n) <= 3 for n in numbers):
        return False
    values = [int(n) for n in numbers]
    rising = sum(b > a for a, b in zip(values, values[1:]))
    return rising >= 0.8 * (len(values) - 1)


def _is_label_column(left: list[dict], right: list[dict]) -> bool:
    """A left column far shorter in words than the right one holds labels, not text."""
    return len(left) * 5 < len(right)


def merge_label_column(labels: list[dict], body: list[dict]) -> list[dict]:
    """One flow of body words and label words.

    Label lines close together ("Challenge" / "addressed") become one label
    word, flagged ``_label``, placed at the height of its first line; row
    building then reads it just before the body line beside it.
    """
    rows = _column_lines(labels, 0)
    groups: list[list[Line]] = []
    for row in rows:
        if groups and row.top - groups[-1][-1].bottom < (row.bottom - row.top) * 0.9:
            groups[-1].append(row)
        else:
            groups.append([row])
    merged = list(body)
    for group in groups:
        first = group[0].words[0]
        merged.append(dict(
            first, _label=True, text=join_lines([r.text for r in group]),
            x0=min(r.x0 for r in group), x1=max(r.x1 for r in group),
            top=group[0].top, bottom=group[0].bottom,
        ))
    return merged


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def drop_running_lines(pages: list[list[Line]], heights: list[float]) -> list[list[Line]]:
    """Remove headers, footers and page numbers: lines in the top or bottom band
    that repeat (digits ignored) on at least half the pages - or on half the
    left-hand or right-hand pages, since books alternate their running heads -
    or that are a bare page number."""
    n_pages = len(pages)
    counts: Counter[str] = Counter()
    by_parity: list[Counter[str]] = [Counter(), Counter()]
    for number, (lines, height) in enumerate(zip(pages, heights)):
        keys = {_furniture_key(l.text) for l in lines if _in_margin(l, height)}
        counts.update(keys)
        by_parity[number % 2].update(keys)
    repeated = {k for k, c in counts.items() if n_pages >= 2 and c >= max(2, n_pages / 2)}
    for parity, parity_counts in enumerate(by_parity):
        same_side = len(range(parity, n_pages, 2))
        repeated |= {k for k, c in parity_counts.items() if same_side >= 3 and c >= max(2, same_side / 2)}
    out = []
    for lines, height in zip(pages, heights):
        kept = []
        for line in lines:
            if _in_margin(line, height):
                if _furniture_key(line.text) in repeated:
                    continue
                bare = line.text.strip().lower()
                # a lone "7" on a one-page file may be content; "Page 7" or "- 7 -" never is
                if PAGE_NUMBER_RE.fullmatch(bare) and (n_pages >= 2 or not bare.isdigit()):
                    continue
            kept.append(line)
        out.append(kept)
    return out


def _in_margin(line: Line, height: float) -> bool:
    return line.top < height * _MARGIN_FRACTION or line.bottom > height * (1 - _MARGIN_FRACTION)


def join_lines(texts: list[str]) -> str:
    """Join wrapped lines, undoing end-of-line hyphenation and broken URLs."""
    out = ""
    for text in texts:
        if not out:
            out = text
        elif re.search(r"[a-zà-ÿ]-$", out) and text[:1].islower():
            out = out[:-1] + text
        elif URL_RE.search(out.split(" ")[-1] or "") and re.match(r"^[\w/?=&%#.\-~+]+$", text.split(" ")[0]) \
                and (out.endswith(("/", "-", "_", "=", "&", "?", ".")) or not text[:1].isupper()):
            out = out + text
        else:
            out = out + " " + text
    return out


def lines_to_blocks(lines: list[Line]) -> list[Block]:
    """Group lines into headings, list items and paragraphs by gaps and fonts."""
    if not lines:
        return []
    body_size = statistics.median([l.size for l in lines if not l.words[0].get("_label")] or [l.size for l in lines])
    blocks: list[Block] = []
    current: list[Line] = []
    kind = "paragraph"

    def flush() -> None:
        nonlocal current
        if current:
            text = join_lines([l.text for l in current])
            bbox = (min(l.x0 for l in current), min(l.top for l in current),
                    max(l.x1 for l in current), max(l.bottom for l in current))
            level = 1 if current[0].size > body_size * 1.5 else 2 if current[0].size > body_size * 1.15 else 3
            blocks.append(Block(text=text, kind=kind, level=level if kind == "heading" else 0,
                                page=current[0].page, bbox=bbox))
        current = []

    prev: Line | None = None
    for line in lines:
        is_label = bool(line.words[0].get("_label"))
        is_heading = is_label or (
            (line.size > body_size * 1.15 or (line.bold and len(line.text) < 120))
            and len(line.text.split()) <= 18 and not BULLET_RE.match(line.text)
        )
        is_bullet = bool(BULLET_RE.match(line.text)) and not re.match(r"^\d{1,2}\)\s*https?://", line.text)
        line_height = max(line.bottom - line.top, 1)
        if prev is not None and (line.page != prev.page or line.top < prev.top - line_height):
            # a new page or column: text goes on unless the last line ended a sentence
            gap_break = not (kind in ("paragraph", "list_item") and not is_heading and not is_bullet
                             and prev.text[-1:] not in ".:!?")
        else:
            gap_break = prev is not None and line.top - prev.bottom > line_height * 0.9
        new_block = (
            prev is None
            or gap_break
            or is_bullet
            or (is_heading != (kind == "heading"))
            or abs(line.size - prev.size) > 0.5  # a change of type size starts a new block
        )
        if new_block:
            flush()
            kind = "heading" if is_heading else "list_item" if is_bullet else "paragraph"
        current.append(line)
        prev = line
    flush()
    return blocks


def extract_pdf(data: bytes, source: str, limits: dict, pdf_settings: dict | None = None
                ) -> tuple[list[Block], dict, list[str], int]:
    """Blocks, metadata, link targets and page count of a PDF's bytes.

    The fast engine (pdfium) reads first; a file where it yields mostly
    one-letter words (letter-spaced fonts, rotated pages) is read again with
    pdfplumber, which handles those better.
    """
    pdf_settings = pdf_settings or {}
    engine = pdf_settings.get("engine", "pdfium")
    pages, heights, links, metadata, n_pages = read_pages(data, source, limits, engine)
    fallback_share = pdf_settings.get("fallback_single_char_share", 0.3)
    if engine != "pdfplumber" and single_char_share(pages) > fallback_share:
        log.info("%s: %s split the text into single letters; reading it with pdfplumber", source, engine)
        pages, heights, links, metadata, n_pages = read_pages(data, source, limits, "pdfplumber")
    if not any(pages):
        raise NoTextLayer("no text layer (scanned or image-only PDF)", source=source)
    lines = [line for page in drop_running_lines(pages, heights) for line in page]
    blocks = lines_to_blocks(lines)
    for block in blocks:
        links.extend(URL_RE.findall(block.text))
    links = list(dict.fromkeys(u.rstrip(".,;)") for u in links))
    return blocks, metadata, links, n_pages


def single_char_share(pages: list[list[Line]]) -> float:
    words = [w["text"] for page in pages for line in page for w in line.words]
    if len(words) < 30:
        return 0.0
    return sum(len(w) == 1 and w.isalnum() for w in words) / len(words)


def read_pages(data: bytes, source: str, limits: dict, engine: str):
    """Lines per page, page heights, link targets, metadata and page count."""
    pdf = open_source(data, source, engine)
    try:
        n_pages = pdf.n_pages
        if n_pages > limits["max_pdf_pages"]:
            raise TooLarge(f"{n_pages} pages, over the limit of {limits['max_pdf_pages']}", source=source)
        deadline = time.monotonic() + limits["max_seconds_per_document"]
        pages, heights, links = [], [], []
        for page in pdf.pages():
            if time.monotonic() > deadline:
                raise TimeLimitExceeded(
                    f"stopped at page {page.number} of {n_pages}: over the limit of "
                    f"{limits['max_seconds_per_document']} s per document", source=source)
            heights.append(page.height)
            if page.error:  # one broken page must not lose the others
                log.warning("%s: page %d unreadable: %s", source, page.number, page.error)
            try:
                pages.append(page_lines(page.words, page.width, page.number))
            except Exception as exc:
                log.warning("%s: page %d layout failed: %s", source, page.number, exc)
                pages.append([])
            links.extend(page.links)
        return pages, heights, links, pdf.metadata, n_pages
    finally:
        pdf.close()
