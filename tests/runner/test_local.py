"""The local engine: worker processes, input order, the time limit, dying workers, a failing disk."""
from __future__ import annotations

import threading
import time

import psutil
import pytest

from pipeline import batch
from pipeline.errors import OutputFailed
from pipeline.runner.state import RunState
from tests.runner.conftest import fast_settings, read_jsonl, write_slow_page, write_variants


def in_process(sources: list[str], stage: str, options: dict) -> list[dict]:
    """The reference: each input run one after the other in this process."""
    records = []
    for source in sources:
        records.extend(batch.process(source, stage, None, options))
    return records


def sandboxes() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if "pipeline.runner.sandbox" in " ".join(p.cmdline())]


def test_output_keeps_input_order_whatever_finishes_first(tmp_path):
    slow = write_slow_page(tmp_path / "slow.html", paragraphs=5_000)
    sources = [slow] + write_variants(tmp_path / "in", 5)   # the first input finishes last
    options = fast_settings()
    out = tmp_path / "out.jsonl"
    summary = batch.run(sources, out, stage="extract", settings=options, workers=2, quiet=True)
    assert (summary.inputs, summary.succeeded, summary.failed) == (6, 6, 0)
    records = read_jsonl(out)
    assert records == in_process(sources, "extract", options)
    ledger = read_jsonl(tmp_path / "out.jsonl.manifest.jsonl")[1:]
    assert [e["source"] for e in ledger] == sources and all(e["status"] == "ok" for e in ledger)
    assert not sandboxes(), "worker processes outlived the run"


def test_a_document_over_the_time_limit_is_stopped_and_the_batch_goes_on(tmp_path):
    small = write_variants(tmp_path / "in", 2)
    hang = write_slow_page(tmp_path / "endless.html")                 # about a minute of work
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    summary = batch.run([small[0], hang, small[1]], out, stage="extract", workers=1, quiet=True,
                        settings=fast_settings(max_seconds_per_document=2))
    assert time.monotonic() - started < 30
    records = read_jsonl(out)
    assert [r["source"] for r in records] == [small[0], hang, small[1]]
    assert records[1]["record_type"] == "error" and records[1]["code"] == "E009"
    assert records[1]["stage"] == "extract" and "2 s" in records[1]["reason"]
    assert records[0]["record_type"] == records[2]["record_type"] == "document"
    assert (summary.succeeded, summary.failed) == (2, 1)


def test_largest_first_scheduling_keeps_the_output_in_input_order(tmp_path):
    """The big input at the end of the batch is started first (it would otherwise run alone
    after the small ones); the output is still in input order, as if run one by one."""
    small = write_variants(tmp_path / "in", 5)
    big = write_slow_page(tmp_path / "big.html", paragraphs=3_000)
    sources = small + [big]
    options = fast_settings()
    out = tmp_path / "out.jsonl"
    batch.run(sources, out, stage="extract", settings=options, workers=1, quiet=True)
    assert read_jsonl(out) == in_process(sources, "extract", options)


def test_lookahead_hands_out_the_largest_startable_input(tmp_path):
    from pipeline.runner.local import Lookahead, Ordered
    from pipeline.runner.work import Task

    sizes = [10, 30, 20, 500, 40, 900]
    sources = []
    for i, size in enumerate(sizes):
        (tmp_path / f"{i}.txt").write_bytes(b"x" * size)
        sources.append(str(tmp_path / f"{i}.txt"))
    order = Ordered(0, window=4)                  # indexes 0..3 may start until input 0 is out
    ahead = Lookahead(Task(i, s) for i, s in enumerate(sources))
    ahead.fill(order)
    done = lambda i: list(order.add(type("Done", (), {"index": i})()))  # noqa: E731
    assert [ahead.take_largest(order).index for _ in range(4)] == [3, 1, 2, 0]   # 900 is outside the window
    assert ahead.take_largest(order) is None
    done(0)                                        # input 0 is out: the window moves one place
    ahead.fill(order)
    assert ahead.take_largest(order).index == 4 and ahead.take_largest(order) is None
    for i in (1, 2, 3):
        done(i)
    ahead.fill(order)
    assert ahead.take_largest(order).index == 5
    ahead.fill(order)
    assert not ahead


def kill_a_worker_once_busy(state_file, killed: list[int]) -> threading.Thread:
    """Kill -9 the worker once the first document is written (it is then busy with the second)."""
    def killer():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if state_file.exists() and len(state_file.read_text().splitlines()) >= 2:
                for process in sandboxes():
                    killed.append(process.pid)
                    process.kill()
                return
            time.sleep(0.02)
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("retries", [1, 0])
def test_a_worker_killed_mid_document_loses_nothing(tmp_path, retries):
    first, *rest = write_variants(tmp_path / "in", 3)
    sources = [first, write_slow_page(tmp_path / "medium.html", paragraphs=10_000), *rest]
    out = tmp_path / "out.jsonl"
    options = fast_settings(retries_after_worker_crash=retries)
    options["runner"]["window_per_worker"] = 1   # strictly in input order: the kill lands on the second input
    killed: list[int] = []
    thread = kill_a_worker_once_busy(tmp_path / ".out.jsonl.manifest.jsonl", killed)
    summary = batch.run(sources, out, stage="extract", workers=1, quiet=True, settings=options)
    thread.join()
    assert killed, "the worker was never killed"
    records = read_jsonl(out)
    assert [r["source"] for r in records] == sources              # each input exactly once, in order
    if retries:
        assert records == in_process(sources, "extract", options)  # the retry on a fresh worker succeeded
        assert summary.failed == 0
    else:
        assert records[1]["record_type"] == "error" and records[1]["code"] == "E010"
        assert "SIGKILL" in records[1]["reason"]
        assert records[:1] + records[2:] == in_process([first, *rest], "extract", options)


def test_a_failing_disk_stops_the_run_and_the_rerun_finishes_it(tmp_path, monkeypatch):
    sources = write_variants(tmp_path / "in", 6)
    options = fast_settings()
    out = tmp_path / "out.jsonl"
    write = RunState.write
    calls = {"n": 0}

    def failing_write(self, result):
        calls["n"] += 1
        if calls["n"] == 4:
            self._data.write(b'{"record_type": "practice", "half')   # a record cut by the failure
            raise OSError(28, "No space left on device")
        return write(self, result)

    monkeypatch.setattr(RunState, "write", failing_write)
    with pytest.raises(OutputFailed, match="No space left.*run the same command again"):
        batch.run(sources, out, stage="extract", workers=2, quiet=True, settings=options)
    assert not out.exists()
    monkeypatch.setattr(RunState, "write", write)
    summary = batch.run(sources, out, stage="extract", workers=2, quiet=True, settings=options)
    assert summary.resumed == 3 and summary.succeeded == 6
    assert read_jsonl(out) == in_process(sources, "extract", options)
    ledger = read_jsonl(tmp_path / "out.jsonl.manifest.jsonl")[1:]
    assert [e["source"] for e in ledger] == sources
