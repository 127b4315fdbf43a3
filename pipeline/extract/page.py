"""Reading a web page's own structure, for when main-text extraction misses something.

trafilatura finds the main text of most pages, but now and then it drops the
headings of a section it kept, or finds nothing on a page that is mostly lists.
These helpers read the parsed page directly: which elements are furniture
(menus, banners, sidebars, footers, forms, cookie notices), how much visible text
the page has, a structured walk of the body, and putting dropped headings back.
"""
from __future__ import annotations

import re

from ..document import Block
from .blocks import normalise_text

_INVISIBLE = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas"}
_FURNITURE_TAGS = {"nav", "header", "footer", "aside", "form", "button", "select", "dialog", "menu", "textarea"}
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog", "menu"}
_FURNITURE_NAMES = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|banner|nav|navbar|navigation|menu|sidebar|footer|header|masthead|"
    r"breadcrumbs?|comments?|share|sharing|social|newsletter|subscribe|popup|modal|overlay|ads?|advert\w*|"
    r"promo\w*|related|skip-link|toolbar)(?:$|[\s_-])", re.I)
# Names that mark a content wrapper even beside a furniture word ("content-with-sidebar",
# "main-column has-comments"), as Readability.js does, when the element holds a fair share
# of the page; a small "related-content" box stays furniture.
_CONTENT_NAMES = re.compile(r"article|body|column|content|main|post|entry|story|text", re.I)
_CONTENT_MIN_SHARE = 0.2
# An element holding this share of the page's text is the page, not furniture: ASP.NET
# sites wrap the whole body in a <form>, themes put "has-sidebar" on the content wrapper.
_FURNITURE_MAX_SHARE = 0.5
_INLINE_TAGS = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s",
                "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "font", "label"}
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_CONTENT_TAGS = ("p", "li", "dd", "blockquote", "pre", "td", "figcaption")
_BLOCK_TAGS = {"p", "li", "dt", "dd", "blockquote", "pre", "tr", "figcaption", *_HEADING_TAGS}
_MIN_LOOSE_WORDS = 4  # bare text in a <div> becomes a paragraph only when it reads like a sentence, not a label
_HEADING_CONTAINER_DEPTH = 2  # a heading and its text share a parent or grandparent
_MATCH_CHARS = 60  # a heading's following text is recognised among the blocks by its first characters


def _body(tree):
    body = tree.find(".//body")
    return body if body is not None else tree


def visible_text_length(tree) -> int:
    """Characters of text a reader could see in the page body (scripts and styles left out)."""
    body = _body(tree)
    return _visible_lengths(body)[body]


def _visible_lengths(root) -> dict:
    """Visible characters under every element of ``root`` (its text, descendants and their tails)."""
    lengths: dict = {}
    order = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(child for child in node if isinstance(child.tag, str) and child.tag not in _INVISIBLE)
    for node in reversed(order):  # children before parents
        total = len((node.text or "").strip())
        for child in node:
            total += lengths.get(child, 0) + len((child.tail or "").strip())
        lengths[node] = total
    return lengths


def _looks_like_furniture(element) -> bool:
    if element.tag in _FURNITURE_TAGS:
        return True
    if (element.get("role") or "").lower() in _FURNITURE_ROLES:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    return bool(_FURNITURE_NAMES.search(_names(element)))


def _article_header(element) -> bool:
    """An article's own header (title, byline, date), as in ``<article><header class="entry-header">``."""
    is_header = element.tag == "header" or re.search(r"(?:^|[\s_-])header(?:$|[\s_-])", _names(element), re.I)
    return bool(is_header) and any(a.tag in ("article", "main") for a in element.iterancestors())


def _names(element) -> str:
    return f"{element.get('id') or ''} {element.get('class') or ''}"


def find_furniture(tree) -> set:
    """Elements to leave out: invisible ones, and menus, banners, sidebars, footers, forms.

    An element that holds most of the page's text is never furniture, whatever its name.
    """
    body = _body(tree)
    lengths = _visible_lengths(body)
    page_chars = max(lengths[body], 1)
    found = set()
    for element in body.iter():
        if not isinstance(element.tag, str) or element is body:
            continue
        if element.tag in _INVISIBLE:
            found.add(element)
        elif _looks_like_furniture(element) and not _article_header(element):
            share = lengths.get(element, 0) / page_chars
            if share < _FURNITURE_MAX_SHARE and not (share >= _CONTENT_MIN_SHARE and _CONTENT_NAMES.search(_names(element))):
                found.add(element)
    return found


def hidden(element, furniture: set, root=None) -> bool:
    """Whether ``element`` or an ancestor (below ``root``) is furniture."""
    if element in furniture:
        return True
    for ancestor in element.iterancestors():
        if ancestor is root:
            return False
        if ancestor in furniture:
            return True
    return False


def visible_text(element, furniture: set) -> str:
    """The element's text with furniture inside it left out, whitespace folded."""
    parts: list[str] = []

    def collect(node) -> None:
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str) and child not in furniture:
                spacer = "" if child.tag in _INLINE_TAGS else " "
                parts.append(spacer)
                collect(child)
                parts.append(spacer)
            parts.append(child.tail or "")

    collect(element)
    return normalise_text(re.sub(r"\s+", " ", "".join(parts)))


def missing_headings(tree, blocks: list[Block]) -> bool:
    """Whether the page has a heading whose text is not among the blocks (a cheap check first)."""
    have = _known_headings(blocks)
    return any(_key(h.text_content()) not in have for h in _body(tree).iter(*_HEADING_TAGS) if h.text_content().strip())


def _known_headings(blocks: list[Block]) -> set[str]:
    return {_key(b.text) for b in blocks if b.kind == "heading"}


def restore_headings(tree, blocks: list[Block], furniture: set) -> list[Block]:
    """Put back page headings that introduce extracted text but were dropped with the furniture.

    trafilatura sometimes keeps a section's paragraphs but not its <h1>-<h6>
    (often on pages without <article> or <main>). A heading comes back only when
    the very next text after it in the page, with nothing in between, is one of
    the extracted blocks; so headings of menus, sidebars, teaser carousels and
    footers stay out. The page's <h1> comes back too: the segmenter reads a
    practice's title from the line before its first section heading.
    """
    state = _HeadingRestorer(blocks, furniture)
    state.visit(_body(tree))
    if not state.insert_before:
        return blocks
    out: list[Block] = []
    for i, block in enumerate(blocks):
        out.extend(state.insert_before.get(i, []))
        out.append(block)
    return out


class _HeadingRestorer:
    """Walks the page in reading order, holding the headings not yet followed by text."""

    def __init__(self, blocks: list[Block], furniture: set):
        self.blocks, self.furniture = blocks, furniture
        self.have = _known_headings(blocks)
        self.pending: list[tuple] = []  # (level, text, element), levels increasing
        self.insert_before: dict[int, list[Block]] = {}
        self.cursor = 0

    def visit(self, node) -> None:
        if node.tag in _HEADING_TAGS:
            self.heading(node)
        elif node.tag in _CONTENT_TAGS:
            self.content(node)
        else:
            if (node.text or "").strip():
                self.pending = []  # loose text between a heading and the content: not its heading
            for child in node:
                if isinstance(child.tag, str) and child not in self.furniture:
                    self.visit(child)
                if (child.tail or "").strip():
                    self.pending = []

    def heading(self, element) -> None:
        text = visible_text(element, self.furniture)
        if not text:
            return
        if _key(text) in self.have:
            self.pending = []
            return
        level = int(element.tag[1])
        self.pending = [(lv, t, e) for lv, t, e in self.pending if lv < level] + [(level, text, element)]

    def content(self, element) -> None:
        text = visible_text(element, self.furniture)
        if not text or not self.pending:
            return
        key = _key(text)[:_MATCH_CHARS]
        match = next((i for i in range(self.cursor, len(self.blocks))
                      if self.blocks[i].kind != "heading" and _key(self.blocks[i].text).startswith(key)), None)
        near = [(lv, t) for lv, t, heading in self.pending if _shares_container(heading, element)]
        if match is not None and near:
            self.insert_before.setdefault(match, []).extend(Block(t, kind="heading", level=lv) for lv, t in near)
            self.have.update(_key(t) for _, t in near)
            self.cursor = match + 1
        self.pending = []


def _shares_container(heading, content) -> bool:
    """Whether a close ancestor of the heading also holds the content (a section, not a teaser box)."""
    container = heading
    for _ in range(_HEADING_CONTAINER_DEPTH):
        container = container.getparent()
        if container is None:
            return False
        if any(ancestor is container for ancestor in content.iterancestors()):
            return True
    return False


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def page_walk(tree, furniture: set) -> tuple[list[Block], list[str]]:
    """Headings, paragraphs, list items and table rows of the page body, furniture left out.

    Starts from the largest ``<main>`` or ``<article>`` when the page has one.
    """
    root = _body(tree)
    candidates = [e for e in root.iter("main", "article") if not hidden(e, furniture)]
    if candidates:
        root = max(candidates, key=lambda e: len(e.text_content()))
    blocks: list[Block] = []
    _walk_node(root, blocks, furniture)
    links = [a.get("href") for a in root.iter("a")
             if (a.get("href") or "").startswith(("http://", "https://")) and not hidden(a, furniture, root)]
    return blocks, links


def _has_block(element) -> bool:
    return any(isinstance(d.tag, str) and d.tag in _BLOCK_TAGS for d in element.iterdescendants())


def _walk_node(node, blocks: list[Block], furniture: set) -> None:
    """One block for the node's own inline text, then the same for its block-level children."""
    tag = node.tag
    if tag == "tr" and not _has_block(node):
        cells = [visible_text(cell, furniture) for cell in node if isinstance(cell.tag, str) and cell not in furniture]
        if any(cells):
            blocks.append(Block(" | ".join(c for c in cells if c)))
        return
    own = _own_text(node, furniture)
    if own and (tag in _BLOCK_TAGS or len(own.split()) >= _MIN_LOOSE_WORDS):
        if tag in _HEADING_TAGS:
            blocks.append(Block(own, kind="heading", level=int(tag[1])))
        elif tag in ("li", "dt", "dd"):
            blocks.append(Block(own, kind="list_item"))
        else:
            blocks.append(Block(own))
    for child in node:
        if isinstance(child.tag, str) and child not in furniture and (child.tag in _BLOCK_TAGS or _has_block(child)):
            _walk_node(child, blocks, furniture)


def _own_text(node, furniture: set) -> str:
    """The node's text outside its block-level children: its text, inline children and tails."""
    parts = [node.text or ""]
    for child in node:
        if isinstance(child.tag, str) and child not in furniture:
            if child.tag not in _BLOCK_TAGS and not _has_block(child):
                text = visible_text(child, furniture)
                parts.append(text if child.tag in _INLINE_TAGS else f" {text} ")
            elif child.tag not in _INLINE_TAGS:
                parts.append(" ")
        parts.append(child.tail or "")
    return normalise_text(re.sub(r"\s+", " ", "".join(parts)))
