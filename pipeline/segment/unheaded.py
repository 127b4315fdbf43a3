"""Practices and parts of text that carries no part headings, from sentence roles.

The trained sentence-role tagger (:mod:`.role_tagger`, served by :mod:`.served`) gives every sentence a role; a
practice begins at each run of ``title`` sentences, and its parts are the
sentences of each role. Text before the first title that holds no challenge or
solution sentence (a page's introduction) belongs to no practice.
"""
from __future__ import annotations

from ..document import Document, Place, Practice
from .place import find_place, parse_place_line, split_title_place
from .roles import SentenceUnit, practice_starts, sentence_units

SECTION_ROLES = ("challenge", "solution", "takeaways", "quote")


def tag_sentences(doc: Document, tagger) -> tuple[list[SentenceUnit], list[str]]:
    units = sentence_units(doc)
    roles = tagger.predict([units])[0] if units else []
    return units, roles


def practice_runs(units: list[SentenceUnit], roles: list[str], split: bool = True) -> list[tuple[int, int]]:
    """(first, last+1) sentence ranges of the practices."""
    if not units:
        return []
    starts = practice_starts(roles) if split else []
    if not starts or starts[0] > 0 and any(r in ("challenge", "solution") for r in roles[:starts[0]]):
        starts = [0] + starts
    bounds = starts + [len(units)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def practice_from_roles(doc: Document, units: list[SentenceUnit], roles: list[str], index: int) -> Practice:
    start, end = units[0].start, units[-1].end
    blocks = {u.block for u in units}
    practice = Practice(
        practice_id=f"{doc.doc_id}-{index:03d}",
        text=doc.text[start:end],
        start=start,
        end=end,
        pages=sorted({doc.blocks[b].page for b in blocks if doc.blocks[b].page}),
        heading_path=list(doc.blocks[units[0].block].heading_path),
    )
    leading = _run(roles)
    titles = [u.text for u in units[:leading]]
    places, parts = [], {}
    for unit, role in zip(units[leading:], roles[leading:]):
        if role == "place":
            places.append(unit.text)
        elif role in SECTION_ROLES:
            parts.setdefault(role, []).append(unit.text)
        elif role == "references":
            practice.references.append(unit.text)
    title = " ".join(titles) or None
    if title and not places:
        split = split_title_place(title)
        if split:
            title, practice.place = split
    practice.title = title
    if places:
        practice.place = _place_from_line(" ".join(places), practice.text, title)
    practice.sections = {role: " ".join(texts) for role, texts in parts.items()}
    return practice


def _run(roles: list[str]) -> int:
    """Length of the leading run of titles."""
    n = 0
    while n < len(roles) and roles[n] == "title":
        n += 1
    return n


def _place_from_line(line: str, text: str, title: str | None) -> Place:
    parsed = parse_place_line(line)
    if parsed is not None:
        return parsed
    found = find_place(line)
    if found.city or found.country:
        return found
    city, _, country = line.partition(",")
    return Place(city=city.strip() or None, country=country.strip() or None) if country else find_place(text, title)
