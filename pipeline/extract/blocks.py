"""Turn a list of blocks into a document's text, with offsets and heading paths.

Every extractor produces :class:`Block` objects in reading order; this module
joins them (a blank line between blocks) and records where each block sits in
the joined text, so later stages can point back into the source.
"""
from __future__ import annotations

import re
import unicodedata

from ..document import Block

LIGATURES = {
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st", "\u00ad": "", "\u200b": "", "\ufeff": "",
}
_LIGATURE_RE = re.compile("|".join(map(re.escape, LIGATURES)))
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalise_text(text: str) -> str:
    """Ligatures split, soft hyphens and zero-width marks dropped, spaces folded."""
    text = unicodedata.normalize("NFC", text)
    text = _LIGATURE_RE.sub(lambda m: LIGATURES[m.group(0)], text)
    return _SPACES_RE.sub(" ", text).strip()


def assemble(blocks: list[Block]) -> tuple[str, list[Block]]:
    """Join blocks into one text; set each block's offsets and heading path."""
    parts: list[str] = []
    out: list[Block] = []
    path: list[tuple[int, str]] = []
    pos = 0
    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.kind == "heading":
            level = block.level or 1
            path = [(lv, t) for lv, t in path if lv < level]
            block.heading_path = [t for _, t in path]
            path.append((level, text))
        else:
            block.heading_path = [t for _, t in path]
        if parts:
            parts.append("\n\n")
            pos += 2
        block.text = text
        block.start, block.end = pos, pos + len(text)
        parts.append(text)
        pos += len(text)
        out.append(block)
    return "".join(parts), out


_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def is_rtl(text: str) -> bool:
    """Mostly Hebrew or Arabic letters: a line or word that reads right to left."""
    letters = sum(ch.isalpha() for ch in text)
    return bool(letters) and len(_RTL.findall(text)) > letters / 2
