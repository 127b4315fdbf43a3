"""Web pages: the main text via trafilatura, kept as headings, paragraphs and lists.

trafilatura drops menus, cookie banners, sidebars and footers and returns the
main content as an XML tree; we walk that tree so headings, list items, table
rows and link targets survive as blocks instead of being flattened.

Main-text extraction sometimes fails on pages that do not look like articles
(a service page that is mostly lists, a page with little prose). So we compare
what it found with the page's visible text: when the main text is a tiny share
of it, we retry with trafilatura's recall-first mode, and when even that finds
almost nothing we walk the page body ourselves, leaving out navigation, headers,
footers, sidebars, forms and cookie banners. ``metadata["extraction"]`` says
which of the three produced the blocks.
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
# Browsers read these labels as windows-1252 (WHATWG Encoding Standard), and pages
# declaring them routinely carry its curly quotes, dashes and euro sign in 0x80-0x9F.
_READ_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "iso_8859-1", "cp819"}

DEFAULT_WEB_OPTIONS = {
    "favor_recall": False, "retry_below_share": 0.1, "page_walk_below_share": 0.05, "page_walk_below_chars": 200,
}


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode with the HTTP or <meta> charset when it works, else UTF-8, else detect it."""
    candidates = [declared] if declared else []
    match = _META_CHARSET.search(data[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "ignore"))
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


def html_blocks(html: str, source: str, url: str | None = None,
                options: dict | None = None) -> tuple[list[Block], dict, list[str]]:
    """Main-text blocks, metadata (title, date, ...) and link targets of a page."""
    from trafilatura import load_html

    options = {**DEFAULT_WEB_OPTIONS, **(options or {})}
    tree = load_html(html)
    if tree is None:
        raise EmptyDocument("not a readable HTML page", source=source)
    visible = visible_text_length(tree)
    result = _main_text(tree, url, favor_recall=options["favor_recall"])
    method = "main"
    if _chars(result) < options["retry_below_share"] * visible and not options["favor_recall"]:
        recall = _main_text(tree, url, favor_recall=True)
        if _chars(recall) > _chars(result):
            result, method = recall, "main-recall"
    blocks: list[Block] = []
    links: list[str] = []
    if result is not None and result.body is not None:
        for element in result.body:
            _walk(element, blocks, links)
    found = sum(len(b.text) for b in blocks)
    if found < options["page_walk_below_chars"] or found < options["page_walk_below_share"] * visible:
        walked, walked_links = page_walk(tree)
        if sum(len(b.text) for b in walked) > found:
            log.info("%s: main text too short (%d of %d visible chars); walking the page body", source, found, visible)
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

    return trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_links=True, include_formatting=True,
        include_tables=True, include_comments=False, favor_recall=favor_recall,
    )


def _chars(result) -> int:
    return len(result.text or "") if result is not None and result.body is not None else 0


def _text(element) -> str:
    return normalise_text("".join(element.itertext()))


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


# -- the page itself, for when main-text extraction finds nothing -----------------

_INVISIBLE = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas")
_FURNITURE_TAGS = ("nav", "header", "footer", "aside", "form", "button", "select", "dialog", "menu")
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog", "menu"}
_FURNITURE_NAMES = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|banner|nav|navbar|navigation|menu|sidebar|side-bar|footer|header|masthead|"
    r"breadcrumbs?|comments?|share|sharing|social|newsletter|subscribe|popup|modal|overlay|ads?|advert\w*|promo\w*|"
    r"related|skip-link|toolbar)(?:$|[\s_-])", re.I)
_INLINE_TAGS = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s", "samp",
                "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "font", "label"}
_MIN_LOOSE_WORDS = 4  # bare text in a <div> becomes a paragraph only when it reads like a sentence, not a label
_BLOCK_TAGS = {"p", "li", "dt", "dd", "blockquote", "pre", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption"}


def visible_text_length(tree) -> int:
    """Characters of text a reader could see in the page body (scripts and styles left out)."""
    body = tree.find(".//body")
    total = 0
    stack = [body if body is not None else tree]
    while stack:
        node = stack.pop()
        total += len((node.text or "").strip())
        for child in node:
            if isinstance(child.tag, str) and child.tag not in _INVISIBLE:
                stack.append(child)
            total += len((child.tail or "").strip())
    return total


def _is_furniture(element) -> bool:
    if element.tag in _INVISIBLE or element.tag in _FURNITURE_TAGS:
        return True
    if (element.get("role") or "").lower() in _FURNITURE_ROLES or element.get("hidden") is not None:
        return True
    if element.get("aria-hidden") == "true":
        return True
    names = f"{element.get('id') or ''} {element.get('class') or ''}"
    return bool(_FURNITURE_NAMES.search(names))


def page_walk(tree) -> tuple[list[Block], list[str]]:
    """Headings, paragraphs, list items and table rows of the page body, furniture left out.

    Starts from the largest ``<main>`` or ``<article>`` when the page has one.
    """
    body = tree.find(".//body")
    root = body if body is not None else tree
    candidates = [e for e in root.iter("main", "article") if not _is_furniture(e)]
    if candidates:
        root = max(candidates, key=lambda e: len(e.text_content()))
    blocks: list[Block] = []
    _page_walk(root, blocks)
    links = [a.get("href") for a in root.iter("a")
             if (a.get("href") or "").startswith(("http", "/")) and not _under_furniture(a, root)]
    return blocks, links


def _under_furniture(element, root) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is root:
            return False
        if _is_furniture(ancestor):
            return True
    return False


def _has_block(element) -> bool:
    return any(isinstance(d.tag, str) and d.tag in _BLOCK_TAGS for d in element.iterdescendants())


def _page_walk(node, blocks: list[Block]) -> None:
    """One block for the node's own inline text, then recurse into block-level children."""
    tag = node.tag
    if tag == "tr" and not _has_block(node):
        cells = [_visible_text(cell) for cell in node if isinstance(cell.tag, str) and not _is_furniture(cell)]
        if any(cells):
            blocks.append(Block(" | ".join(c for c in cells if c)))
        return
    own = _own_text(node)
    if own and (tag in _BLOCK_TAGS or len(own.split()) >= _MIN_LOOSE_WORDS):
        if re.fullmatch(r"h[1-6]", tag):
            blocks.append(Block(own, kind="heading", level=int(tag[1])))
        elif tag in ("li", "dt", "dd"):
            blocks.append(Block(own, kind="list_item"))
        else:
            blocks.append(Block(own))
    for child in node:
        if isinstance(child.tag, str) and not _is_furniture(child) and (child.tag in _BLOCK_TAGS or _has_block(child)):
            _page_walk(child, blocks)


def _own_text(node) -> str:
    """The node's text outside its block-level children: its text, inline children and tails."""
    parts = [node.text or ""]
    for child in node:
        if isinstance(child.tag, str) and not _is_furniture(child) and child.tag not in _BLOCK_TAGS and not _has_block(child):
            text = _visible_text(child)
            parts.append(text if child.tag in _INLINE_TAGS else f" {text} ")
        elif isinstance(child.tag, str) and child.tag not in _INLINE_TAGS:
            parts.append(" ")
        parts.append(child.tail or "")
    return normalise_text(re.sub(r"\s+", " ", "".join(parts)))


def _visible_text(element) -> str:
    parts: list[str] = []

    def collect(node) -> None:
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str) and not _is_furniture(child):
                spacer = "" if child.tag in _INLINE_TAGS else " "
                parts.append(spacer)
                collect(child)
                parts.append(spacer)
            parts.append(child.tail or "")

    collect(element)
    return normalise_text(re.sub(r"\s+", " ", "".join(parts)))
