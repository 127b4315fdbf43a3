"""Plain text and Markdown: paragraphs, Markdown headings and bullets."""
from __future__ import annotations

import re

from ..document import Block
from .blocks import normalise_text

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET_RE = re.compile(r"^\s*(?:[•▪●◦‣∙·\-*–]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")


def text_blocks(text: str) -> list[Block]:
    """Split text on blank lines; ``#`` lines become headings, bullet lines list items."""
    blocks: list[Block] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for chunk in re.split(r"\n\s*\n", text):
        lines = [normalise_text(line) for line in chunk.split("\n")]
        lines = [line for line in lines if line]
        paragraph: list[str] = []

        def flush() -> None:
            if paragraph:
                blocks.append(Block(" ".join(paragraph)))
                paragraph.clear()

        for line in lines:
            heading = _MD_HEADING.match(line)
            if heading:
                flush()
                blocks.append(Block(heading.group(2), kind="heading", level=len(heading.group(1))))
            elif BULLET_RE.match(line) and not re.match(r"^\d{1,2}\)\s*https?://", line):
                flush()
                blocks.append(Block(line, kind="list_item"))
            elif blocks and blocks[-1].kind == "list_item" and not paragraph and line[:1].islower():
                blocks[-1].text += " " + line  # a bullet wrapped onto the next line
            else:
                paragraph.append(line)
        flush()
    return blocks
