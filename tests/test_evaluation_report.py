"""Evaluation reports: terminal table, Markdown with PNG plots, self-contained HTML."""
import subprocess
import sys

import pytest

from pipeline.evaluate import evaluate
from pipeline.evaluation_report import terminal_table, write_report

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(default_model):
    return evaluate(model=default_model)


def test_terminal_table_lists_headline_and_per_label_figures(report):
    table = terminal_table(report)
    assert "themes micro-F1" in table and "pillar accuracy" in table
    assert "access_to_justice" in table and "by world region" in table and "segmentation: unheaded" in table and "part accuracy" in table


def test_markdown_report_with_plots(tmp_path, report):
    path = write_report(report, tmp_path / "eval.md")
    text = path.read_text(encoding="utf-8")
    folder = tmp_path / "eval_files"
    for name in ("themes_f1.png", "principles_f1.png", "themes_confusion.png", "pillar_confusion.png", "reliability.png"):
        assert (folder / name).read_bytes().startswith(PNG)
        assert f"eval_files/{name}" in text
    assert "| `migration` |" in text and "## By world region" in text


def test_html_report_stands_alone(tmp_path, report):
    text = write_report(report, tmp_path / "eval.html").read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and text.count("data:image/png;base64,") == 6
    assert "<table>" in text and not (tmp_path / "eval_files").exists()
    with pytest.raises(ValueError, match=".md or .html"):
        write_report(report, tmp_path / "eval.pdf")


def test_hrc_evaluate_command(tmp_path):
    out = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "evaluate", "-o", str(out),
                             "--json", str(tmp_path / "r.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "themes micro-F1" in result.stdout and out.exists() and (tmp_path / "r.json").exists()
