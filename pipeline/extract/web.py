"""Web pages: the main text via trafilatura, kept as headings, paragraphs and lists.

trafilatura drops menus, cookie banners, sidebars and footers and returns the
main content as an XML tree; we walk that tree so headings, list items, table
rows and link targets survive as blocks instead of being flattened.

Two repairs on top (see :mod:`.page`): headings trafilatura dropped while
keeping the text under them are put back; and when the main text is a tiny
share of the page's visible text (main-text extraction failed on a page that
does not look like an article, e.g. one made of short lists or table cells), we
walk the page body ourselves, leaving out navigation, headers, footers,
sidebars, forms and cookie banners. The walk also replaces a main text that
came back as one flat block (trafilatura's last resort, menus included) when the
walk holds most of its words. ``metadata["extraction"]`` says which one
("main" or "page-walk") produced the blocks.

trafilatura's recall-first mode is off by default: on the realdocs benchmark it
cut sentences from a news article, and on small pages it picked cookie banners
and footers over the article (``benchmarks/results/extraction.md``).
"""
from __future__ import annotations

import codecs
import logging
import re
from collections import Counter

from charset_normalizer import from_bytes

from ..document import Block
from ..errors import EmptyDocument
from .blocks import normalise_text
from .page import find_furniture, missing_headings, page_walk, restore_headings, visible_text_length

log = logging.getLogger(__name__)
# trafilatura logs a warning for every odd link it meets ("empty link", "missing link
# attribute"): noise to a user reading a batch's progress, so only its errors get through
logging.getLogger("trafilatura").setLevel(logging.ERROR)

_WORD = re.compile(r"\w+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
# Browsers read these labels as windows-1252 (WHATWG Encoding Standard), and pages
# declaring them routinely carry its curly quotes, dashes and euro sign in 0x80-0x9F.
_READ_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "iso_8859-1", "cp819"}

DEFAULT_WEB_OPTIONS = {"favor_recall": False, "page_walk_below_share": 0.05, "page_walk_below_chars": 200,
                       "page_walk_covers": 0.6}


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode with the HTTP or <meta> charset when it works, else UTF-8, else detect it.

    A page declaring a one-byte legacy charset whose bytes are nonetheless valid
    UTF-8 (with some non-ASCII) is read as UTF-8: old CMS templates keep their
    latin-1 meta tag after the content moved to UTF-8, while legacy text almost
    never forms valid UTF-8 sequences by chance.
    """
    candidates = [declared] if declared else []
    match = _META_CHARSET.search(data[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "ignore"))
    if candidates and _single_byte(candidates[0]) and not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    for charset in candidates:
        if charset.strip().lower() in _READ_AS_CP1252:
            candidates.insert(candidates.index(charset), "cp1252")
            break
    for charset in candidates:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        return str(best) if best is not None else data.decode("cp1252", errors="replace")


def _single_byte(charset: str) -> bool:
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return False
    return name.startswith(("cp125", "iso8859", "ascii", "latin", "koi8", "mac-"))


def html_blocks(html: str, source: str, url: str | None = None,
                options: dict | None = None) -> tuple[list[Block], dict, list[str]]:
    """Main-text blocks, metadata (title, date, ...) and link targets of a page."""
    from trafilatura import load_html

    options = {**DEFAULT_WEB_OPTIONS, **(options or {})}
    tree = load_html(html)
    if tree is None:
        raise EmptyDocument("not a readable HTML page", source=source)
    result = _main_text(tree, url, favor_recall=options["favor_recall"])
    method = "main"
    blocks: list[Block] = []
    links: list[str] = []
    if result is not None and result.body is not None:
        for element in result.body:
            _walk(element, blocks, links)
    furniture = None
    if blocks and missing_headings(tree, blocks):
        furniture = find_furniture(tree)
        blocks = restore_headings(tree, blocks, furniture)
    found = sum(len(b.text) for b in blocks)
    visible = visible_text_length(tree)
    too_short = found < options["page_walk_below_chars"] or found < options["page_walk_below_share"] * visible
    flat = len(blocks) == 1 and "\n" in blocks[0].text  # trafilatura's last resort: the page's lines in one block
    if too_short or flat:
        walked, walked_links = page_walk(tree, furniture if furniture is not None else find_furniture(tree))
        if too_short and sum(len(b.text) for b in walked) > found:
            log.info("%s: main text too short (%d of %d visible chars); walking the page body", source, found, visible)
            blocks, links, method = walked, walked_links, "page-walk"
        elif flat and len(walked) > 1 and _covers(walked, blocks, options["page_walk_covers"]):
            log.info("%s: main text came back as one flat block; the page walk keeps its structure", source)
            blocks, links, method = walked, walked_links, "page-walk"
    if not blocks:
        raise EmptyDocument("no main text found in the page", source=source)
    metadata = {k: getattr(result, k) for k in ("title", "author", "date", "sitename", "url", "description", "language")
                if result is not None and getattr(result, k, None)}
    if "title" not in metadata:
        title = tree.findtext(".//title")
        if title and title.strip():
            metadata["title"] = normalise_text(title)
    metadata["extraction"] = method
    return blocks, metadata, list(dict.fromkeys(links))


def _main_text(tree, url: str | None, favor_recall: bool):
    import trafilatura
    from trafilatura.settings import set_date_params

    # A date only from the page's markup (meta tags, <time>, URL), never guessed from a
    # year that happens to be in the text ("Figures for 2023" is not a publication date).
    return trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_links=True, include_formatting=True,
        include_tables=True, include_comments=False, favor_recall=favor_recall,
        date_extraction_params=set_date_params(extensive=False),
    )


def _covers(walked: list[Block], main: list[Block], share: float) -> bool:
    """Whether the walked blocks hold at least ``share`` of the main text's words.

    When trafilatura's extractors all fail it returns the page as one flat block
    of text, menus included; a page walk that holds that text keeps its headings
    and lists and leaves the menus out.
    """
    walked_words = Counter(_WORD.findall(" ".join(b.text for b in walked).casefold()))
    main_words = Counter(_WORD.findall(" ".join(b.text for b in main).casefold()))
    total = sum(main_words.values())
    return bool(total) and sum((main_words & walked_words).values()) >= share * total


def _text(element) -> str:
    """An element's text, with trafilatura's <lb/> line breaks kept as line breaks, not glued words."""
    parts: list[str] = []

    def collect(node) -> None:
        if node.tag == "lb":
            parts.append("\n")
        parts.append(node.text or "")
        for child in node:
            collect(child)
            parts.append(child.tail or "")

    collect(element)
    return "\n".join(line for line in (normalise_text(x) for x in "".join(parts).split("\n")) if line)


def _walk(element, blocks: list[Block], links: list[str]) -> None:
    """Blocks from trafilatura's XML: head, list/item, table/row/cell, p, quote, code."""
    links.extend(ref.get("target") for ref in element.iter("ref") if ref.get("target"))
    tag = element.tag
    if tag == "head":
        rend = element.get("rend") or "h2"
        level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
        blocks.append(Block(_text(element), kind="heading", level=level))
    elif tag == "list":
        for item in element.iterchildren("item"):
            text = _text(item)
            if text:
                blocks.append(Block(text, kind="list_item"))
    elif tag == "table":
        for row in element.iter("row"):
            cells = [_text(cell) for cell in row.iterchildren("cell")]
            if any(cells):
                blocks.append(Block(" | ".join(c for c in cells if c)))
    elif tag in ("p", "quote", "code", "lb"):
        text = _text(element)
        if text:
            blocks.append(Block(text))
    elif tag in ("div", "body"):
        for child in element:
            _walk(child, blocks, links)
    else:
        text = _text(element)
        if text:
            blocks.append(Block(text))
