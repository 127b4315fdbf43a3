import http.server
import threading
from functools import partial

import pytest

from pipeline.config import settings
from pipeline.errors import FetchFailed
from pipeline.extract import extract
from pipeline.extract.web import decode_html
from tests.conftest import EXAMPLES, shared_path

PAGE_LATIN1 = """<html><head><meta charset="iso-8859-1"><title>Conseil des résidents étrangers</title></head>
<body><nav><a href="/">Accueil</a> <a href="/actu">Actualités</a></nav>
<div id="cookie">Nous utilisons des cookies. Accepter</div>
<article><h1>Conseil des résidents étrangers</h1>
<p>Depuis 2019, la ville réunit chaque trimestre un conseil consultatif de résidents étrangers élus par leurs pairs.
Le conseil rend des avis sur la politique d'accueil, les écoles et le logement, et la mairie répond par écrit à chaque avis.</p>
<p>Les membres reçoivent une formation sur le fonctionnement des institutions municipales avant leur première séance,
et leurs avis sont publiés sur le site de la ville avec la réponse de l'administration.</p></article>
<footer>Mentions légales - Plan du site</footer></body></html>"""


def test_example_page_keeps_main_text_headings_lists_and_drops_boilerplate():
    doc = extract(str(EXAMPLES / "welcome-office.html"))
    assert doc.kind == "html"
    assert "A one-stop welcome office for newcomers" in doc.title
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert "The challenge" in headings and "Lessons learned" in headings
    assert any(b.kind == "list_item" and b.text.startswith("Over 4,000 visits") for b in doc.blocks)
    for boilerplate in ("We use cookies", "Accessibility statement", "New bicycle lanes"):
        assert boilerplate not in doc.text
    assert "https://example.org/welcome-office" in doc.links


def test_non_utf8_page_is_decoded(tmp_path):
    path = tmp_path / "conseil.html"
    path.write_bytes(PAGE_LATIN1.encode("iso-8859-1"))
    doc = extract(str(path))
    assert "résidents étrangers élus" in doc.text
    assert "Nous utilisons des cookies" not in doc.text


def test_latin1_label_is_read_as_windows_1252_like_browsers_do():
    data = '<meta charset="iso-8859-1"><p>“Quoted” – 5 €</p>'.encode("cp1252")
    assert "“Quoted” – 5 €" in decode_html(data)


def test_utf8_page_behind_a_stale_latin1_meta_tag_is_read_as_utf8():
    data = '<meta charset="iso-8859-1"><p>Dialogue interculturel à Genève</p>'.encode("utf-8")
    assert "à Genève" in decode_html(data)
    legacy = '<meta charset="iso-8859-1"><p>Dialogue interculturel à Genève</p>'.encode("cp1252")
    assert "à Genève" in decode_html(legacy)


def test_real_article_page_matches_gold_words():
    page = shared_path("realdocs", "html", "rdb-citylab-1.html")
    gold = shared_path("realdocs", "gold", "rdb-citylab-1.txt").read_text(encoding="utf-8").split()
    words = extract(str(page)).text.split()
    overlap = len(set(words) & set(gold)) / len(set(gold))
    assert overlap > 0.9


@pytest.fixture
def local_server(tmp_path, pdf_dir):
    (tmp_path / "page.html").write_bytes(PAGE_LATIN1.encode("iso-8859-1"))
    (tmp_path / "report").write_bytes((pdf_dir / "report.pdf").read_bytes())  # no extension: sniffed

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path == "/loop":
                self.send_response(302)
                self.send_header("Location", "/loop")
                self.end_headers()
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _local_settings():
    config = settings()
    config["fetch"].update(allow_private_hosts=True, retries=0, timeout_seconds=5)
    return config


def test_url_page_and_url_serving_a_pdf(local_server):
    page = extract(f"{local_server}/page.html", _local_settings())
    assert page.kind == "html" and "conseil consultatif" in page.text
    report = extract(f"{local_server}/report", _local_settings())
    assert report.kind == "pdf" and "Challenge addressed" in report.text


def test_url_errors(local_server):
    with pytest.raises(FetchFailed, match="HTTP 404"):
        extract(f"{local_server}/missing.html", _local_settings())
    with pytest.raises(FetchFailed, match="redirects"):
        extract(f"{local_server}/loop", _local_settings())
    with pytest.raises(FetchFailed, match="private address"):
        extract(f"{local_server}/page.html")  # default settings refuse loopback
