"""The served form's building blocks reproduce scikit-learn's TF-IDF, and its file holds no pickle."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer, strip_accents_unicode

from pipeline.errors import ModelError
from pipeline.served import Rows, TfidfTable, WordAnalyzer, read_served, rows_from_counts, strip_accents, \
    vectorizer_terms, write_served

TEXTS = [
    "In Medellín, Colombia, the city opened night shelters and a housing-first programme for rough sleepers.",
    "Barcelona's council adopted a protocol against evictions; tenants meet a mediator within a week.",
    "São Paulo trains municipal staff in human rights, with modules on racism and on disability access.",
    "Residents of Gwangju vote on part of the district budget in open neighbourhood assemblies.",
    "The café of the community centre in Zürich hires refugees, who learn German on the job.",
    "",
    "1234 5678",
]


@pytest.mark.parametrize("options", [
    dict(ngram_range=(1, 2), strip_accents="unicode", token_pattern=r"(?u)\b[^\W\d_][\w'-]+\b"),
    dict(ngram_range=(1, 1), strip_accents=None, token_pattern=r"(?u)\b\w\w+\b"),
])
def test_tfidf_table_matches_sklearn(options):
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options).fit(TEXTS[:5] * 2)
    analyzer = WordAnalyzer(options["token_pattern"], options["ngram_range"], True, bool(options["strip_accents"]))
    table = TfidfTable(vectorizer_terms(vectorizer), vectorizer.idf_, analyzer)
    unseen = TEXTS + ["Evictions in MEDELLÍN fell after the protocol; the council's café closed."]
    expected = vectorizer.transform(unseen).toarray()
    rows = table.transform(unseen)
    dense = rows.dot(np.eye(rows.shape[1], dtype=np.float32))
    assert rows.shape == expected.shape
    np.testing.assert_allclose(dense, expected, atol=1e-6)
    assert not dense[5].any() and not dense[6].any()          # empty and digits-only texts: zero rows


def test_rows_dot_and_hstack_match_dense_arithmetic():
    left = rows_from_counts([{0: 1.0, 3: 2.0}, {}, {1: 0.5}], 4)
    right = rows_from_counts([{}, {1: 3.0}, {0: 1.0}], 2)
    both = left.hstack(right)
    dense = np.array([[1, 0, 0, 2, 0, 0], [0, 0, 0, 0, 0, 3], [0, 0.5, 0, 0, 1, 0]], dtype=np.float32)
    weights = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_allclose(both.dot(weights), dense @ weights)
    assert Rows(np.zeros(3, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, np.float32), 6) \
        .dot(weights).shape == (2, 2)


@pytest.mark.parametrize("text", ["Málaga", "Zürich façade", "Œuvre ﬁnale ™", "İstanbul", "plain ascii", "Łódź"])
def test_accent_stripping_matches_sklearn(text):
    assert strip_accents(text) == strip_accents_unicode(text)


def test_served_file_round_trips_and_refuses_damage(tmp_path):
    path = tmp_path / "served.npz"
    write_served(path, {"terms": ["budget", "vote"]}, {"idf": np.array([1.5, 2.0], dtype=np.float32)})
    meta, arrays = read_served(path)
    assert meta["terms"] == ["budget", "vote"] and arrays["idf"].tolist() == [1.5, 2.0]
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ModelError, match="cannot read"):
        read_served(path)


def test_served_file_with_a_pickled_array_is_refused(tmp_path):
    """An object array can only be stored as a pickle; reading one would run code, so it is an error."""
    path = tmp_path / "served.npz"
    header = np.frombuffer(b'{"format": 1}', dtype=np.uint8)
    np.savez(path, __meta__=header, evil=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ModelError, match="cannot read"):
        read_served(path)
