"""The gazetteer's tables are built once, then read back from the user cache unchanged."""
import pytest

from pipeline.segment import place


@pytest.fixture
def fresh_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for cached in (place._tables, place._index):
        cached.cache_clear()
    yield tmp_path
    for cached in (place._tables, place._index):
        cached.cache_clear()


def test_place_tables_are_cached_and_read_back_unchanged(fresh_tables):
    built_cities, built_countries = place._build_cities()
    cities, countries, _ = place._tables()
    cache = place._tables_file()
    assert cache.is_relative_to(fresh_tables) and cache.exists()
    place._tables.cache_clear()
    cached_cities, cached_countries, keys = place._tables()
    assert cached_cities.as_dict() == built_cities == cities.as_dict()
    assert cached_countries == built_countries == countries
    assert keys == [place.NameIndex.key(name) for name in built_cities]
    found = place.find_place("Tenant desks\n\nSão Paulo, Brazil\n\nThe city opened advice desks for tenants.")
    assert (found.city, found.country) == ("São Paulo", "Brazil")


def test_a_damaged_cache_is_rebuilt(fresh_tables):
    place._tables()
    cache = place._tables_file()
    cache.write_text(cache.read_text(encoding="utf-8")[:5000], encoding="utf-8")   # cut short
    place._tables.cache_clear()
    cities, _, _ = place._tables()
    assert cities.get("Lyon")[0] == "France" and len(cities.names) > 10000
    assert len(cache.read_text(encoding="utf-8")) > 100000     # written again, whole


def test_an_unwritable_cache_folder_is_not_an_error(fresh_tables, monkeypatch):
    blocker = fresh_tables / "hrc-pipeline"
    blocker.write_text("a file where the cache folder would go")
    cities, _, _ = place._tables()
    assert cities.get("Nairobi")[0] == "Kenya"
