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
from .model import cached_segmenter
from .unheaded import practice_from_roles, practice_runs, tag_sentences

log = logging.getLogger(__name__)
__all__ = ["segment"]


def segment(doc: Document, settings: dict | None = None, unit: str = "practice", tagger=None) -> Document:
    """Fill ``doc.practices``; ``tagger`` overrides the saved sentence-role tagger."""
    settings = settings or load_settings()
    matcher = HeadingMatcher(settings["section_headings"])
    units = label_units(doc, matcher)
    if not units:
        doc.practices = []
        return doc
    separators = [re.compile(p) for p in settings["separators"]]
    layout = detect(units, separators) if unit == "practice" else None
    if layout is not None and layout.name != "single":
        practices = _from_layout(doc, layout.name, layout.practices, settings)
        layout_name = layout.name
    else:
        tagger = tagger or cached_segmenter()
        if tagger is None:
            practices, layout_name = _from_layout(doc, "single", [units], settings), "single"
        else:
            practices, layout_name = _from_roles(doc, tagger, split=unit == "practice", settings=settings)
            _add_heading_parts(practices, units)
    for i, practice in enumerate(practices, start=1):
        practice.practice_id = f"{doc.doc_id}-{i:03d}"
    doc.practices = practices
    doc.metadata["layout"] = layout_name
    log.debug("%s: layout %s, %d practices", doc.source, layout_name, len(practices))
    return doc


def _from_layout(doc: Document, layout_name: str, groups: list, settings: dict) -> list[Practice]:
    min_words = settings["segment"]["min_practice_words"]
    practices: list[Practice] = []
    for group in groups:
        practice = build_practice(doc, group, layout_name, len(practices) + 1)
        if len(practice.text.split()) >= min_words or len(groups) == 1:
            practices.append(practice)
    return practices


def _from_roles(doc: Document, tagger, split: bool, settings: dict) -> tuple[list[Practice], str]:
    """Practices from the trained sentence roles: several ("paragraphs") or one ("single")."""
    min_words = settings["segment"]["min_practice_words"]
    sentences, roles = tag_sentences(doc, tagger)
    runs = practice_runs(sentences, roles, split=split)
    practices = []
    for a, b in runs:
        practice = practice_from_roles(doc, sentences[a:b], roles[a:b], len(practices) + 1)
        if len(practice.text.split()) >= min_words or len(runs) == 1:
            practices.append(practice)
    if not practices and sentences:
        practices = [practice_from_roles(doc, sentences, roles, 1)]
    return practices, "paragraphs" if len(practices) > 1 else "single"


def _add_heading_parts(practices: list[Practice], units: list) -> None:
    """Where a heading does name a part ("Lessons learned"), its text wins over the tagger."""
    role = None
    by_role: dict[str, list[tuple[int, str]]] = {}
    for unit in units:
        if unit.role:
            role = unit.role
            if unit.inline:
                by_role.setdefault(role, []).append((unit.block.start, unit.inline))
        elif role and unit.block.kind != "heading":
            by_role.setdefault(role, []).append((unit.block.start, unit.block.text))
    for practice in practices:
        for part, texts in by_role.items():
            inside = [text for start, text in texts if practice.start <= start < practice.end]
            if inside:
                practice.sections[part] = "\n".join(inside)
