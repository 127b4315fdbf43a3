"""Stage 1: any source (PDF, web page, text, Markdown, .docx, URL, stdin) -> Document.

``extract(source)`` is the one entry point. It raises a
:class:`~pipeline.errors.PipelineError` subclass with a clear reason for input it
cannot read; the batch runner turns that into an error record.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from ..config import settings as load_settings
from ..document import Document, content_hash
from ..errors import EmptyDocument, InputNotFound, TooLarge, UnsupportedInput
from .blocks import assemble
from .fetch import fetch
from .text import text_blocks
from .web import decode_html

log = logging.getLogger(__name__)

SUFFIX_KINDS = {
    ".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html",
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".docx": "docx",
}
__all__ = ["extract", "is_url", "SUFFIX_KINDS"]


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def sniff_kind(data: bytes, hint: str | None) -> str:
    """Trust the bytes over the name: a PDF served as HTML is still a PDF."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and hint == "docx":
        return "docx"
    lowered = head[:512].lower()
    if hint in (None, "text") and (lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered):
        return "html"
    return hint or "text"


def extract(source: str, settings: dict | None = None, data: bytes | None = None) -> Document:
    """Read ``source`` (a path, an http(s) URL, or ``-`` for stdin) into a Document."""
    settings = settings or load_settings()
    limits = settings["limits"]
    declared_charset = None
    url = None
    if data is not None:
        hint = SUFFIX_KINDS.get(Path(source).suffix.lower())
    elif source == "-":
        data, hint = sys.stdin.buffer.read(), "text"
    elif is_url(source):
        fetched = fetch(source, settings["fetch"])
        data, url, declared_charset = fetched.data, fetched.url, fetched.charset
        hint = ("pdf" if fetched.content_type == "application/pdf"
                else "html" if "html" in fetched.content_type
                else "text" if fetched.content_type.startswith("text/") else None)
    else:
        path = Path(source)
        if not path.exists():
            raise InputNotFound("no such file", source=source)
        if path.is_dir():
            raise UnsupportedInput("is a folder; pass it to classify, which recurses", source=source)
        hint = SUFFIX_KINDS.get(path.suffix.lower())
        if hint is None:
            raise UnsupportedInput(f"unsupported file type {path.suffix or '(none)'}", source=source)
        size = path.stat().st_size
        if size > limits["max_file_mb"] * 1_000_000:
            raise TooLarge(f"{size / 1e6:.1f} MB, over the limit of {limits['max_file_mb']} MB", source=source)
        data = path.read_bytes()
    if not data or not data.strip():
        raise EmptyDocument("empty input", source=source)
    kind = sniff_kind(data, hint)
    doc = Document(doc_id=content_hash(data)[:16], source=source, kind=kind, content_hash=content_hash(data))
    # The PDF and web libraries load on first use: a batch's parent process never reads a document.
    if kind == "pdf":
        from .pdf import extract_pdf

        blocks, metadata, links, pages = extract_pdf(data, source, limits, settings.get("pdf"))
        doc.pages = pages
    elif kind == "html":
        from .web import html_blocks

        blocks, metadata, links = html_blocks(decode_html(data, declared_charset), source, url=url,
                                              options=settings.get("web"))
    elif kind == "docx":
        from .docx import docx_blocks

        blocks, metadata, links = docx_blocks(data, source), {}, []
    else:
        blocks, metadata, links = text_blocks(decode_html(data, declared_charset)), {}, []
    doc.text, doc.blocks = assemble(blocks)
    if not doc.text.strip():
        raise EmptyDocument("no text found", source=source)
    doc.metadata = metadata
    if url:
        doc.metadata["final_url"] = url
    doc.links = links
    doc.title = metadata.get("title") or next((b.text for b in doc.blocks if b.kind == "heading"), None)
    log.debug("extracted %s: %d blocks, %d chars", source, len(doc.blocks), len(doc.text))
    return doc
