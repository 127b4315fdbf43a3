"""Web pages: the main text via trafilatura, kept as headings, paragraphs and lists.

trafilatura drops menus, cookie banners, sidebars and footers and returns the
main content as an XML tree; we walk that tree so headings, list items, table
rows and link targets survive as blocks instead of being flattened.
"""
from __future__ import annotations

import logging
import re

from charset_normalizer import from_bytes

from ..document import Block
from ..errors import EmptyDocument
from .blocks import normalise_text

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode with the HTTP or <meta> charset when it works, else detect it."""
    candidates = [declared] if declared else []
    match = _META_CHARSET.search(data[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "ignore"))
    for charset in candidates:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        return str(best) if best is not None else data.decode("latin-1")


def html_blocks(html: str, source: str, url: str | None = None) -> tuple[list[Block], dict, list[str]]:
    """Main-text blocks, metadata (title, date, ...) and link targets of a page."""
    import trafilatura

    result = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_links=True, include_formatting=True,
        include_tables=True, include_comments=False, favor_recall=True,
    )
    if result is None or result.body is None:
        raise EmptyDocument("no main text found in the page", source=source)
    blocks: list[Block] = []
    links: list[str] = []
    for element in result.body:
        _walk(element, blocks, links)
    metadata = {k: getattr(result, k) for k in ("title", "author", "date", "sitename", "url", "description", "language")
                if getattr(result, k, None)}
    return blocks, metadata, list(dict.fromkeys(links))


def _text(element) -> str:
    return normalise_text("".join(element.itertext()))


def _walk(element, blocks: list[Block], links: list[str]) -> None:
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
