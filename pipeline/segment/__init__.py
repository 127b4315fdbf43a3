"""Stage 2: Document -> Document with practices, their parts and their place.

``segment(doc)`` recognises the document's layout from its features (section
headings, separator rules, place lines), splits it into practices and fills
each practice's title, place and sections. ``unit="document"`` skips the split
and reads the whole text as one practice.
"""
from __future__ import annotations

import logging
import re

from ..config import settings as load_settings
from ..document import Document, Practice
from .layouts import HeadingMatcher, build_practice, detect, label_units

log = logging.getLogger(__name__)
__all__ = ["segment"]


def segment(doc: Document, settings: dict | None = None, unit: str = "practice") -> Document:
    settings = settings or load_settings()
    matcher = HeadingMatcher(settings["section_headings"])
    units = label_units(doc, matcher)
    if not units:
        doc.practices = []
        return doc
    if unit == "document":
        layout_name, groups = "single", [units]
    else:
        separators = [re.compile(p) for p in settings["separators"]]
        layout = detect(units, separators)
        layout_name, groups = layout.name, layout.practices
    min_words = settings["segment"]["min_practice_words"]
    practices: list[Practice] = []
    for group in groups:
        practice = build_practice(doc, group, layout_name, len(practices) + 1)
        if len(practice.text.split()) >= min_words or len(groups) == 1:
            practices.append(practice)
    for i, practice in enumerate(practices, start=1):
        practice.practice_id = f"{doc.doc_id}-{i:03d}"
    doc.practices = practices
    doc.metadata["layout"] = layout_name
    log.debug("%s: layout %s, %d practices", doc.source, layout_name, len(practices))
    return doc
