"""The one document model that flows through every stage.

``extract`` fills a :class:`Document` with text and blocks, ``segment`` adds
:class:`Practice` objects with their sections and place, ``classify`` adds label
scores, and ``export`` turns practices into flat records. Stages talk only
through these objects, so a caller can stop after any stage and inspect them.

Everything here is plain data (dataclasses) with ``to_dict``/``from_dict`` so a
document survives a JSON round trip unchanged; callers may rely on that.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any


def content_hash(data: bytes | str) -> str:
    """SHA-256 hex digest of a source's bytes (text is UTF-8 encoded first)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass
class Block:
    """A run of text with one role: a heading, a paragraph or a list item.

    ``start``/``end`` are character offsets into ``Document.text``; ``page`` is
    1-based for PDFs (None elsewhere); ``bbox`` is (x0, top, x1, bottom) in PDF
    points; ``heading_path`` lists the headings this block sits under.
    """

    text: str
    kind: str = "paragraph"  # heading | paragraph | list_item | separator
    level: int = 0  # heading level, 1 = biggest
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    heading_path: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0


@dataclass
class Place:
    city: str | None = None
    country: str | None = None
    population: str | None = None


@dataclass
class LabelScore:
    label: str
    score: float
    predicted: bool = False


@dataclass
class Practice:
    """One local policy described in a document.

    ``sections`` maps a part name (challenge, solution, takeaways, quote,
    speaker, lede, references, body) to its text. ``labels`` maps a label set
    name (themes, principles, pillar) to scores for every label, highest first.
    ``start``/``end`` are offsets into the document text, ``pages`` the PDF
    pages the practice spans.
    """

    practice_id: str
    text: str
    title: str | None = None
    place: Place = field(default_factory=Place)
    sections: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0
    pages: list[int] = field(default_factory=list)
    heading_path: list[str] = field(default_factory=list)
    labels: dict[str, list[LabelScore]] = field(default_factory=dict)
    explanations: dict[str, Any] = field(default_factory=dict)


@dataclass
class ErrorRecord:
    """Why one input could not be processed; the batch goes on without it."""

    source: str
    stage: str
    reason: str
    code: str = "E000"


@dataclass
class Document:
    doc_id: str
    source: str
    kind: str  # pdf | html | text | markdown | docx
    text: str = ""
    title: str | None = None
    blocks: list[Block] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    pages: int | None = None
    practices: list[Practice] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)

    # -- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        data = dict(data)
        data["blocks"] = [_block_from(b) for b in data.get("blocks", [])]
        data["practices"] = [_practice_from(p) for p in data.get("practices", [])]
        data["errors"] = [ErrorRecord(**e) for e in data.get("errors", [])]
        return cls(**_known(cls, data))


def _known(cls, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _block_from(b: dict[str, Any]) -> Block:
    b = dict(b)
    if b.get("bbox") is not None:
        b["bbox"] = tuple(b["bbox"])
    return Block(**_known(Block, b))


def _practice_from(p: dict[str, Any]) -> Practice:
    p = dict(p)
    p["place"] = Place(**(p.get("place") or {}))
    p["labels"] = {
        name: [LabelScore(**s) for s in scores] for name, scores in (p.get("labels") or {}).items()
    }
    return Practice(**_known(Practice, p))
