"""Hostile input: every file gives an error record or a result, never a crash, a hang or a loss.

A generated fuzz corpus goes through ``hrc classify`` with workers and a time
limit; property-based tests (hypothesis) throw random, mutated and mis-encoded
bytes at the per-document function itself.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from pipeline import batch
from pipeline.config import SCHEMA_FILE
from pipeline.runner.work import Task, run_document
from tests.fixtures.hostile import SENTENCE, build_corpus
from tests.fixtures.make_pdfs import report
from tests.runner.conftest import fast_settings, read_jsonl

VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
SUFFIXES = [".pdf", ".html", ".txt", ".md", ".docx"]
ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "shift_jis", "koi8-r"]
FUZZ = hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                           derandomize=True)


def test_the_fuzz_corpus_gives_one_answer_per_file(tmp_path):
    described = build_corpus(tmp_path / "corpus")
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    summary = batch.run([str(tmp_path / "corpus")], out, stage="classify", workers=2, quiet=True,
                        settings=fast_settings(max_seconds_per_document=20))
    assert time.monotonic() - started < 240
    ledger = read_jsonl(tmp_path / "out.jsonl.manifest.jsonl")[1:]
    names = [Path(e["source"]).name for e in ledger]
    assert sorted(names) == sorted(described) and len(names) == len(set(names))     # none lost, none twice
    assert summary.inputs == summary.succeeded + summary.failed == len(described)
    records = read_jsonl(out)
    for record in records:
        VALIDATOR.validate(record)
    by_name = {}
    for record in records:
        by_name.setdefault(Path(record["source"]).name, []).append(record)
    for entry in ledger:
        got = by_name.get(Path(entry["source"]).name, [])
        assert len(got) == entry["records"]
        assert (entry["status"] == "error") == any(r["record_type"] == "error" for r in got)
    code = {n: rs[0]["code"] for n, rs in by_name.items() if rs[0]["record_type"] == "error"}
    assert code["empty.pdf"] == code["empty.html"] == code["whitespace.txt"] == "E003"
    assert code["random.pdf"] == code["truncated-head.pdf"] == code["header-only.pdf"] == "E004"
    assert code["random.docx"] == "E004"
    assert "E999" not in code.values(), {n: c for n, c in code.items() if c == "E999"}
    assert by_name["broken-xref.pdf"][0]["record_type"] == "practice"    # pdfminer rebuilds the xref
    assert by_name["mixed-encodings.txt"][0]["record_type"] == "practice"


def check(result, task: Task) -> None:
    assert result.index == task.index and result.source == task.source
    assert result.status in ("ok", "error")
    if result.status == "error":
        [record] = result.records
        assert record["code"] != "E999", record
    for record in result.records:
        VALIDATOR.validate(record)


@pytest.fixture(scope="module")
def options():
    return fast_settings()


@pytest.fixture(scope="module")
def good_pdf(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    report(path)
    return path.read_bytes()


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_under_any_name(data, suffix, options):
    task = Task(0, f"random{suffix}", data)
    check(run_document(task, "segment", None, options), task)


@FUZZ
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=8), st.integers(0, 16)),
                      min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.floats(0, 1)))
def test_mutated_pdfs(good_pdf, edits, cut, options):
    data = bytearray(good_pdf)
    for where, insert, delete in edits:                 # overwrite, insert and delete bytes anywhere
        at = int(where * len(data))
        data[at:at + delete] = insert
    if cut is not None:
        data = data[: int(cut * len(data))]
    task = Task(1, "mutated.pdf", bytes(data))
    check(run_document(task, "segment", None, options), task)


html_tree = st.recursive(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60),
    lambda children: st.builds(lambda tag, kids: f"<{tag}>{''.join(kids)}</{tag}>",
                               st.sampled_from(["div", "p", "b", "table", "td", "li", "h1", "span", "script"]),
                               st.lists(children, max_size=4)),
    max_leaves=30)


@FUZZ
@given(body=html_tree, encoding=st.sampled_from(ENCODINGS), declared=st.sampled_from([None, *ENCODINGS]),
       depth=st.integers(0, 5000))
def test_html_in_any_encoding_and_any_depth(body, encoding, declared, depth, options):
    meta = f"<meta charset='{declared}'>" if declared else ""
    page = f"<html><head>{meta}</head><body>{'<div>' * depth}<p>{SENTENCE}</p>{body}{'</div>' * depth}</body></html>"
    task = Task(2, "page.html", page.encode(encoding, errors="replace"))
    check(run_document(task, "segment", None, options), task)


@FUZZ
@given(text=st.text(max_size=3000), encoding=st.sampled_from(ENCODINGS), suffix=st.sampled_from([".txt", ".md"]))
def test_text_in_any_encoding(text, encoding, suffix, options):
    task = Task(3, f"notes{suffix}", (SENTENCE + text).encode(encoding, errors="replace"))
    check(run_document(task, "segment", None, options), task)
