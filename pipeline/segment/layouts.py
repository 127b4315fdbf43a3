"""Find the practices in a document, by the layout its features show.

Three layouts are recognised from the document itself, never from its name:

* **headed report** — practices whose parts carry headings ("Challenge
  addressed", "Context", "Solution proposed", "Takeaways" ...); a practice starts
  at the title line just before its first problem/solution heading;
* **digest** — items split by rules of asterisks or dashes, each with a
  headline, a "City (population) | Tag - Tag" line, a lede and a quote;
* **single** — anything else is read as one practice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..document import Block, Document, Place, Practice
from .place import find_place, parse_place_line, split_title_place

URL_LINE = re.compile(r"^(\s*(\d{1,2}\)\s*)?[a-z]?https?://\S+\s*)+$", re.I)
WRAPPED_END = re.compile(r"\b(of|for|and|the|to|in|on|with|a|an|by|from|at|de|del|la)$", re.I)
REFERENCE_LINE = re.compile(r"^\s*\d{1,2}\)\s*\S")
PLACE_LINE = re.compile(r"^(?P<city>[^()|]{2,80}?)\s*\((?P<population>[^()]{1,40})\)\s*\|\s*(?P<tags>.+)$")
QUOTE_RE = re.compile(r"^\s*[«“\"](?P<quote>.+?)[»”\"]\s*$", re.S)
START_ROLES = ("challenge", "solution")


@dataclass
class Unit:
    """A block with the section role its heading names (if it is one)."""

    block: Block
    role: str | None = None  # the role a heading announces
    inline: str | None = None  # text after "Heading:" on the same line


@dataclass
class Layout:
    name: str
    practices: list[list[Unit]] = field(default_factory=list)


class HeadingMatcher:
    """Recognises section headings from the configured variants."""

    def __init__(self, variants: dict[str, list[str]]):
        self._whole = {role: re.compile(r"^(?:%s)\s*:?$" % "|".join(v), re.I) for role, v in variants.items()}
        self._inline = {role: re.compile(r"^(?:%s)\s*:\s*(?P<rest>\S.*)$" % "|".join(v), re.I | re.S)
                        for role, v in variants.items()}

    def role(self, text: str) -> tuple[str | None, str | None]:
        text = text.strip()
        if len(text) <= 60:
            for role, pattern in self._whole.items():
                if pattern.match(text):
                    return role, None
        for role, pattern in self._inline.items():
            match = pattern.match(text)
            if match:
                return role, match.group("rest")
        return None, None


def label_units(doc: Document, matcher: HeadingMatcher) -> list[Unit]:
    """Blocks with their heading roles; a heading split over two blocks
    ("Challenge" / "addressed") is joined first."""
    units: list[Unit] = []
    blocks = doc.blocks
    i = 0
    while i < len(blocks):
        block = blocks[i]
        role, inline = matcher.role(block.text)
        if i + 1 < len(blocks) and len(block.text) < 30 and len(blocks[i + 1].text) < 30:
            joined_role, _ = matcher.role(block.text + " " + blocks[i + 1].text)
            if joined_role and (role is None or len(blocks[i + 1].text.split()) == 1):
                merged = Block(block.text + " " + blocks[i + 1].text, kind="heading", page=block.page,
                               start=block.start, end=blocks[i + 1].end, heading_path=block.heading_path)
                units.append(Unit(merged, joined_role))
                i += 2
                continue
        units.append(Unit(block, role, inline))
        i += 1
    return units


def detect(units: list[Unit], separators: list[re.Pattern]) -> Layout:
    roles = [u.role for u in units if u.role and u.inline is None]
    if roles.count("challenge") + roles.count("solution") >= 2 and "solution" in roles:
        return Layout("headed_report", _split_headed(units))
    separated = [i for i, u in enumerate(units) if any(p.match(u.block.text.strip()) for p in separators)]
    if separated and sum(bool(PLACE_LINE.match(u.block.text)) for u in units) >= 1:
        return Layout("digest", _split_on(units, separated))
    return Layout("single", [units])


def _split_headed(units: list[Unit]) -> list[list[Unit]]:
    """A practice starts at the title line before a problem/solution heading
    that follows a part of the previous practice."""
    starts: list[int] = []
    seen_since_start: set[str] = set()
    for i, unit in enumerate(units):
        if unit.role in START_ROLES and unit.inline is None:
            if not starts or unit.role in seen_since_start or "takeaways" in seen_since_start \
                    or (unit.role == "challenge" and "solution" in seen_since_start):
                starts.append(_title_index(units, i, starts[-1] if starts else -1))
                seen_since_start = set()
            seen_since_start.add(unit.role)
        elif unit.role and unit.inline is None:
            seen_since_start.add(unit.role)
    bounds = starts + [len(units)]
    return [units[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def _title_index(units: list[Unit], heading_at: int, floor: int) -> int:
    """The unit just before the heading that is not a URL, reference or heading."""
    j = heading_at - 1
    while j > floor and (URL_LINE.match(units[j].block.text) or units[j].role):
        j -= 1
    if j <= floor:
        return heading_at
    # a place line under its own title line: "Equity in budgets" / "Montgomery County, United States"
    if j - 1 > floor and parse_place_line(units[j].block.text) and not units[j - 1].role \
            and not URL_LINE.match(units[j - 1].block.text) and len(units[j - 1].block.text.split()) <= 25:
        j -= 1
    # a title wrapped over two lines: the first part ends on a function word
    if j - 1 > floor and WRAPPED_END.search(units[j - 1].block.text) and len(units[j - 1].block.text.split()) < 12:
        return j - 1
    return j


def _split_on(units: list[Unit], separators: list[int]) -> list[list[Unit]]:
    bounds = [-1] + separators + [len(units)]
    return [units[a + 1:b] for a, b in zip(bounds, bounds[1:]) if b - a > 1]


# -- building practices -------------------------------------------------------


def build_practice(doc: Document, units: list[Unit], layout: str, index: int) -> Practice:
    start, end = units[0].block.start, units[-1].block.end
    practice = Practice(
        practice_id=f"{doc.doc_id}-{index:03d}",
        text=doc.text[start:end],
        start=start,
        end=end,
        pages=sorted({u.block.page for u in units if u.block.page}),
        heading_path=list(units[0].block.heading_path),
    )
    if layout == "headed_report":
        _fill_headed(practice, units)
    elif layout == "digest":
        _fill_digest(practice, units)
    else:
        _fill_single(practice, units, doc)
    practice.references = list(dict.fromkeys(
        u.rstrip(".,;)") for u in re.findall(r"https?://[^\s<>\"«»]+", practice.text)))
    if not practice.place.city and not practice.place.country:
        practice.place = find_place(practice.text, practice.title)
    return practice


def _fill_headed(practice: Practice, units: list[Unit]) -> None:
    first = units[0]
    if first.role is None and len(units) > 1 and units[1].role is None \
            and WRAPPED_END.search(first.block.text):
        joined = Block(first.block.text + " " + units[1].block.text, page=first.block.page)
        units = [Unit(joined)] + units[2:]
        first = units[0]
    rest = units
    if first.role is None:
        split = split_title_place(first.block.text)
        if split:
            practice.title, practice.place = split
        else:
            practice.title = first.block.text
        rest = units[1:]
        place = parse_place_line(rest[0].block.text) if rest and rest[0].role is None else None
        if place is not None:
            practice.place = place
            rest = rest[1:]
    role = None
    parts: dict[str, list[str]] = {}
    for unit in rest:
        if unit.role:
            role = unit.role
            if unit.inline:
                parts.setdefault(role, []).append(unit.inline)
            continue
        text = unit.block.text
        if URL_LINE.match(text) or REFERENCE_LINE.match(text) and "http" in text:
            parts.setdefault("references", []).append(text)
            continue
        if role == "references":
            parts.setdefault("references", []).append(text)
        elif role:
            parts.setdefault(role, []).append(text)
    practice.sections = {k: "\n".join(v) for k, v in parts.items()}


def _fill_digest(practice: Practice, units: list[Unit]) -> None:
    texts = [u.block.text for u in units]
    place_at = next((i for i, t in enumerate(texts) if PLACE_LINE.match(t)), None)
    if place_at:  # the headline is the line before the place line; what precedes it is page furniture
        texts = texts[place_at - 1:]
    practice.title = texts[0]
    rest = texts[1:]
    if rest and PLACE_LINE.match(rest[0]):
        match = PLACE_LINE.match(rest[0])
        practice.place = Place(city=match.group("city").strip(), population=match.group("population").strip())
        practice.tags = [t.strip() for t in re.split(r"\s+[-–—]\s+", match.group("tags")) if t.strip()]
        rest = rest[1:]
    sections: dict[str, str] = {}
    for i, text in enumerate(rest):
        quote = QUOTE_RE.match(text)
        if quote and "quote" not in sections:
            sections["quote"] = quote.group("quote").strip()
            if i + 1 < len(rest) and len(rest[i + 1].split()) <= 15 and not QUOTE_RE.match(rest[i + 1]):
                sections["speaker"] = rest[i + 1].strip()
        elif "lede" not in sections and not quote:
            sections["lede"] = text
    practice.sections = sections
    found = find_place(practice.text, practice.place.city)
    if practice.place.city:
        practice.place.country = found.country


def _fill_single(practice: Practice, units: list[Unit], doc: Document) -> None:
    headings = [u for u in units if u.block.kind == "heading"]
    practice.title = doc.title or (headings[0].block.text if headings else None)
    role = None
    parts: dict[str, list[str]] = {}
    for unit in units:
        if unit.role:
            role = unit.role
            if unit.inline:
                parts.setdefault(role, []).append(unit.inline)
        elif role:
            parts.setdefault(role, []).append(unit.block.text)
    practice.sections = {k: "\n".join(v) for k, v in parts.items()}
    if "lede" not in practice.sections and not parts:
        practice.sections["body"] = practice.text
