"""Inputs for the runner tests, made from the project's example documents.

Most runner tests stop at ``extract`` or ``segment``: worker processes then
start in a second and the tests stay fast; the end-to-end tests classify.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import settings
from tests.conftest import EXAMPLES


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:   # not splitlines(): U+2028 may sit inside a record
        return [json.loads(line) for line in handle]


def fast_settings(**limits) -> dict:
    """Default settings with the given ``limits`` changed."""
    options = settings()
    options["limits"].update(limits)
    return options


def write_variants(folder: Path, count: int) -> list[str]:
    """``count`` distinct text documents: the example digest with a numbered preface.

    Distinct content means distinct doc ids, so a duplicated or dropped document
    shows in the output."""
    base = (EXAMPLES / "riverside-digest.txt").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"digest-{i:03d}.txt"
        path.write_text(f"Riverside digest, issue {i}\n\n{base}", encoding="utf-8")
        paths.append(str(path))
    return paths


def write_slow_page(path: Path, paragraphs: int = 200_000) -> str:
    """A 14 MB web page of short paragraphs: extraction takes about a minute on one core."""
    body = "".join(f"<p>Paragraph {i}: tenants in Lyon, France asked the city for help with rents.</p>"
                   for i in range(paragraphs))
    path.write_text(f"<html><head><title>Long page</title></head><body>{body}</body></html>", encoding="utf-8")
    return str(path)


@pytest.fixture
def variants(tmp_path) -> list[str]:
    return write_variants(tmp_path / "in", 8)
