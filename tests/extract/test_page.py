from pathlib import Path

from trafilatura import load_html

from pipeline.document import Block
from pipeline.extract.page import find_furniture, page_walk, restore_headings, visible_text_length

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "html"


def _tree(html: str):
    return load_html(html)


def test_page_walk_keeps_the_article_and_leaves_out_furniture():
    tree = _tree((FIXTURES / "city-news.html").read_text(encoding="utf-8"))
    blocks, links = page_walk(tree, find_furniture(tree))
    text = "\n".join(b.text for b in blocks)
    assert blocks[0].kind == "heading" and blocks[0].text.startswith("Tenants and city open")
    assert "forty beds, hot meals and a laundry" in text
    for furniture in ("uses cookies", "Culture and leisure", "Most read", "Finally!", "© 2024"):
        assert furniture not in text
    assert links == ["https://portalder.example/housing/shelter-volunteers"]


def test_a_form_wrapping_the_whole_page_is_not_furniture():
    # ASP.NET-style page: everything sits inside one <form>; a real search form stays furniture
    html = ("<html><body><form id='aspnetForm'><div class='search'><form><input></form></div>"
            "<h1>Night buses</h1><p>From June the night bus network runs every twenty minutes on Fridays and "
            "Saturdays, and every forty minutes on the other nights of the week.</p>"
            "<ul><li>Line N1 to the hospital</li><li>Line N4 to the harbour</li></ul></form></body></html>")
    tree = _tree(html)
    blocks, _ = page_walk(tree, find_furniture(tree))
    assert [b.kind for b in blocks] == ["heading", "paragraph", "list_item", "list_item"]


def test_restored_heading_needs_its_text_right_after_it_and_in_the_same_section():
    html = ("<html><body><div class='teasers'><div><h3>Other story</h3></div></div>"
            "<div id='text'><h2>Results</h2><p>Waiting times fell by half in the first year of the scheme.</p>"
            "<h2>Costs</h2><span>Updated</span><p>The scheme cost the city 40,000 euros a year.</p></div></body></html>")
    tree = _tree(html)
    blocks = [Block("Waiting times fell by half in the first year of the scheme."),
              Block("The scheme cost the city 40,000 euros a year.")]
    restored = restore_headings(tree, blocks, find_furniture(tree))
    assert [(b.kind, b.text) for b in restored] == [
        ("heading", "Results"), ("paragraph", blocks[0].text), ("paragraph", blocks[1].text)]


def test_visible_text_leaves_out_scripts_and_styles():
    tree = _tree("<html><head><title>T</title></head><body><script>var x = 1;</script>"
                 "<style>p {color: red}</style><p>Twelve chars</p></body></html>")
    assert visible_text_length(tree) == len("Twelve chars")


def test_content_wrapper_named_after_its_sidebar_is_kept_but_a_related_box_is_not():
    article = " ".join(["The city council approved a plan to open three more public bathhouses next year."] * 4)
    html = (f"<html><body><div class='site-nav'>{'Home News Sport Weather Culture ' * 8}</div>"
            f"<div class='content-with-sidebar-wrp'><h1>More bathhouses</h1><p>{article}</p>"
            "<div class='related-content'><p>Read also: swimming pool prices rise</p></div></div>"
            f"<div class='footer'>{'Contact Privacy Imprint Jobs ' * 8}</div></body></html>")
    tree = _tree(html)
    text = "\n".join(b.text for b in page_walk(tree, find_furniture(tree))[0])
    assert "More bathhouses" in text and "public bathhouses" in text
    assert "Read also" not in text and "Weather" not in text and "Imprint" not in text


def test_an_articles_own_header_is_not_page_furniture():
    html = ("<html><body><header class='site-header'><a href='/'>City of Eastbrook</a></header>"
            "<article><header class='entry-header'><h1>Rent advice in five languages</h1></header>"
            "<p>The housing office now answers questions about rent increases in five languages, by phone "
            "and at the counter.</p></article></body></html>")
    tree = _tree(html)
    blocks, _ = page_walk(tree, find_furniture(tree))
    assert [(b.kind, b.text) for b in blocks][0] == ("heading", "Rent advice in five languages")
    assert "City of Eastbrook" not in " ".join(b.text for b in blocks)
