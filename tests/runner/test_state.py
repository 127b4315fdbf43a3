"""Resumable runs: kill -9 mid-run and run again; cut files; stale or foreign manifests."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from pipeline import batch
from pipeline.errors import OutputFailed
from pipeline.runner.state import RunState
from tests.conftest import EXAMPLES, ROOT
from tests.runner.conftest import fast_settings, read_jsonl, write_variants


def hrc(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *args]


def test_kill_9_mid_run_then_the_same_command_finishes_it(tmp_path):
    inputs = [str(EXAMPLES), *write_variants(tmp_path / "in", 40)]
    whole, resumed = tmp_path / "whole.jsonl", tmp_path / "resumed.jsonl"
    done = subprocess.run(hrc("classify", *inputs, "-o", str(whole), "--workers", "1", "-q"),
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    command = hrc("classify", *inputs, "-o", str(resumed), "--workers", "2", "-q")
    run = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    manifest = tmp_path / ".resumed.jsonl.manifest.jsonl"
    deadline = time.monotonic() + 240
    while not (manifest.exists() and len(manifest.read_text().splitlines()) > 6):
        assert run.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    workers = psutil.Process(run.pid).children()
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert not resumed.exists(), "an interrupted run left an output file"
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "worker processes outlived their killed parent"
    written = len(manifest.read_text().splitlines()) - 1
    assert 6 <= written < 43

    # the same command (but one worker, and not quiet, to read the summary): worker count is not part of a run
    again = subprocess.run(command[:-3] + ["--workers", "1"], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"43 inputs ({written} from an interrupted run)" in again.stderr
    assert resumed.read_bytes() == whole.read_bytes()
    ledger = read_jsonl(tmp_path / "resumed.jsonl.manifest.jsonl")[1:]
    assert [e["index"] for e in ledger] == list(range(43))
    assert not manifest.exists() and not (tmp_path / ".resumed.jsonl.partial").exists()


def interrupt_after(monkeypatch, count: int) -> None:
    """Make the output fail after ``count`` documents, as a full disk or a crash would."""
    write, calls = RunState.write, {"n": 0}

    def failing(self, result):
        calls["n"] += 1
        if calls["n"] > count:
            raise OSError(5, "Input/output error")
        return write(self, result)

    monkeypatch.setattr(RunState, "write", failing)


@pytest.fixture
def interrupted(tmp_path, monkeypatch):
    """Six inputs, an uninterrupted output, and a run of the same inputs stopped after three."""
    sources = write_variants(tmp_path / "in", 6)
    options = fast_settings()
    batch.run(sources, tmp_path / "whole.jsonl", stage="extract", workers=1, quiet=True, settings=options)
    with monkeypatch.context() as patch:
        interrupt_after(patch, 3)
        with pytest.raises(OutputFailed):
            batch.run(sources, tmp_path / "out.jsonl", stage="extract", workers=1, quiet=True, settings=options)
    return sources, options


def test_cut_files_are_trimmed_back_to_the_last_whole_document(tmp_path, interrupted):
    sources, options = interrupted
    with open(tmp_path / ".out.jsonl.partial", "ab") as partial:
        partial.write(b'{"record_type": "document", "te')               # a record cut mid-way
    with open(tmp_path / ".out.jsonl.manifest.jsonl", "a") as manifest:
        manifest.write('{"index": 3, "source": ')                       # a manifest line cut mid-way
    summary = batch.run(sources, tmp_path / "out.jsonl", stage="extract", workers=1, quiet=True, settings=options)
    assert summary.resumed == 3
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()


def test_a_file_changed_since_the_crash_is_redone(tmp_path, interrupted):
    sources, options = interrupted
    with open(sources[1], "a", encoding="utf-8") as handle:
        handle.write("\nA late correction from the editors.\n")
    summary = batch.run(sources, tmp_path / "out.jsonl", stage="extract", workers=1, quiet=True, settings=options)
    assert summary.resumed == 1
    records = read_jsonl(tmp_path / "out.jsonl")
    assert "late correction" in records[1]["text"]
    assert [r["source"] for r in records] == sources


def test_another_command_does_not_resume_this_ones_files(tmp_path, interrupted):
    sources, options = interrupted
    summary = batch.run(sources[::-1], tmp_path / "out.jsonl", stage="extract", workers=1, quiet=True,
                        settings=options)
    assert summary.resumed == 0
    assert [r["source"] for r in read_jsonl(tmp_path / "out.jsonl")] == sources[::-1]


def test_no_resume_starts_afresh(tmp_path, interrupted):
    sources, options = interrupted
    summary = batch.run(sources, tmp_path / "out.jsonl", stage="extract", workers=1, quiet=True,
                        settings=options, resume=False)
    assert summary.resumed == 0
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
