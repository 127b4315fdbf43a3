"""`hrc report`: one self-contained HTML page, checked in a real headless browser
(Debian's chromium): the screenshot is not blank and the console stays silent."""
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from pipeline import batch
from pipeline.records import read_jsonl
from pipeline.report import report
from tests.conftest import EXAMPLES

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0", "--window-size=1280,2400"]


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    out = folder / "run.jsonl"
    batch.run([str(EXAMPLES / "riverside-digest.txt"), str(EXAMPLES / "welcome-office.html"),
               str(folder / "missing.pdf")], out, quiet=True)
    return out


@pytest.fixture(scope="module")
def page(run_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert report(run_file, out) == sum(r["record_type"] == "practice" for r in read_jsonl(run_file))
    return out


class Resources(HTMLParser):
    """Every URL the page would load (scripts, styles, images, frames)."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "embed") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link":
            self.urls.append(attrs.get("href"))


def test_page_is_self_contained_and_shows_every_practice(page, run_file):
    text = page.read_text(encoding="utf-8")
    parser = Resources()
    parser.feed(text)
    assert parser.urls == []
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text) and "@import" not in text
    assert text.count("<svg") >= 5, "label counts, country heatmap and score histograms are drawn"
    records = read_jsonl(run_file)
    for record in [r for r in records if r["record_type"] == "practice"]:
        assert record["title"].replace("'", "&#x27;") in text
        for section in record["sections"].values():
            assert section.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&#x27;")[:60] in text
    assert "Inputs that failed" in text and "missing.pdf" in text
    assert "Themes by country" in text and "Themes by document" in text and "least certain" in text


def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium): browser check skipped")
    return path


def render(url, screenshot, profile):
    result = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={screenshot}",
                             url], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def is_blank(png) -> bool:
    from PIL import Image

    image = Image.open(png).convert("RGB").resize((320, 600))
    colours = image.getcolors(maxcolors=1 << 16) or []
    background = max(colours)[0] if colours else 0
    return len(colours) < 20 or background > 0.97 * image.width * image.height


def test_browser_renders_the_report_without_console_errors(page, tmp_path):
    console = render(page.as_uri(), tmp_path / "report.png", tmp_path / "profile")
    assert console == [], console
    assert not is_blank(tmp_path / "report.png")


def test_the_browser_check_catches_errors_and_blank_pages(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>missingFunction();</script></body></html>")
    console = render(broken.as_uri(), tmp_path / "broken.png", tmp_path / "profile")
    assert any("Uncaught ReferenceError: missingFunction is not defined" in line for line in console)
    assert is_blank(tmp_path / "broken.png")
