"""Word .docx files: paragraphs, headings (by style) and list items, read from the XML."""
from __future__ import annotations

import io
import zipfile

from lxml import etree

from ..document import Block
from ..errors import CorruptFile
from .blocks import normalise_text

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_blocks(data: bytes, source: str) -> list[Block]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = etree.fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise CorruptFile(f"unreadable .docx: {exc}", source=source) from exc
    blocks: list[Block] = []
    for para in root.iter(f"{W}p"):
        text = normalise_text("".join(t.text or "" for t in para.iter(f"{W}t")))
        if not text:
            continue
        style = para.find(f"{W}pPr/{W}pStyle")
        style_name = (style.get(f"{W}val") if style is not None else "") or ""
        if style_name.lower().startswith(("heading", "title")):
            digits = "".join(ch for ch in style_name if ch.isdigit())
            blocks.append(Block(text, kind="heading", level=int(digits) if digits else 1))
        elif para.find(f"{W}pPr/{W}numPr") is not None or style_name.lower().startswith("list"):
            blocks.append(Block(text, kind="list_item"))
        else:
            blocks.append(Block(text))
    return blocks
