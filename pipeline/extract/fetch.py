"""Fetching URLs politely and safely.

Only http(s); a timeout, a byte cap and a redirect cap on every request;
retries with back-off on connection errors and 5xx answers. Private and
link-local addresses are refused unless ``allow_private_hosts`` is set (tests
set it to serve pages from 127.0.0.1). Pages are kept in an on-disk cache
(:mod:`.fetch_cache`) and each host gets at most ``per_host_limit`` requests at
once across all worker processes (:mod:`.host_slots`).
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..errors import FetchFailed, TooLarge
from .fetch_cache import CacheEntry, FetchCache, default_cache_dir
from .host_slots import host_slot

log = logging.getLogger(__name__)


@dataclass
class Fetched:
    url: str
    data: bytes
    content_type: str
    charset: str | None


def _check_host(url: str, allow_private: bool) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        raise FetchFailed(f"only http and https URLs are fetched, not {parsed.scheme!r}", source=url)
    if not parsed.hostname:
        raise FetchFailed("URL has no host", source=url)
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 80)
    except socket.gaierror as exc:
        raise FetchFailed(f"cannot resolve host {parsed.hostname}: {exc}", source=url) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            raise FetchFailed(f"refusing private address {address} (use --allow-private-hosts)", source=url)


def fetch(url: str, settings: dict) -> Fetched:
    """GET a URL with the caps in ``settings`` (the ``fetch`` section), through the cache."""
    cache = FetchCache.from_settings(settings)
    cached = cache.get(url)
    if cached is not None and cache.is_fresh(cached):
        log.debug("cache hit %s", url)
        return Fetched(cached.final_url, cached.data, cached.content_type, cached.charset)
    _check_host(url, settings["allow_private_hosts"])
    host = urlparse(url).hostname or ""
    lock_folder = Path(settings.get("cache_dir") or default_cache_dir()) / ".hosts"
    try:
        with host_slot(host, lock_folder, int(settings.get("per_host_limit", 2)),
                       float(settings.get("per_host_delay_seconds", 0)), float(settings["timeout_seconds"]) * 3):
            result = _download(url, settings, cached)
    except TimeoutError as exc:
        raise FetchFailed(str(exc), source=url) from exc
    if result is None:  # 304 Not Modified: the stale copy is still right
        cache.touch(cached)
        return Fetched(cached.final_url, cached.data, cached.content_type, cached.charset)
    fetched, etag, last_modified = result
    cache.put(CacheEntry(url=url, final_url=fetched.url, content_type=fetched.content_type, charset=fetched.charset,
                         etag=etag, last_modified=last_modified, fetched_at=time.time(), data=fetched.data))
    return fetched


def _download(url: str, settings: dict, stale: CacheEntry | None):
    """(Fetched, etag, last_modified), or None when a stale copy is still valid."""
    import requests   # here, not at the top: a batch of local files never pays its import

    session = requests.Session()
    session.max_redirects = settings["max_redirects"]
    headers = {"User-Agent": settings["user_agent"]}
    if stale is not None and stale.etag:
        headers["If-None-Match"] = stale.etag
    if stale is not None and stale.last_modified:
        headers["If-Modified-Since"] = stale.last_modified
    attempts = settings["retries"] + 1
    last_error: Exception | None = None
    for attempt in range(attempts):  # the caller checked the host; redirect hops are checked here
        try:
            with session.get(url, headers=headers, timeout=settings["timeout_seconds"], stream=True) as response:
                for hop in response.history + [response]:
                    _check_host(hop.url, settings["allow_private_hosts"])
                if response.status_code == 304 and stale is not None:
                    return None
                if response.status_code >= 400:  # 5xx is retried below, 4xx is not
                    raise FetchFailed(f"HTTP {response.status_code}", source=url)
                chunks, size = [], 0
                for chunk in response.iter_content(65536):
                    size += len(chunk)
                    if size > settings["max_bytes"]:
                        raise TooLarge(f"response over {settings['max_bytes']} bytes", source=url)
                    chunks.append(chunk)
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                charset = response.encoding if "charset" in response.headers.get("Content-Type", "").lower() else None
                fetched = Fetched(response.url, b"".join(chunks), content_type, charset)
                return fetched, response.headers.get("ETag"), response.headers.get("Last-Modified")
        except requests.TooManyRedirects as exc:
            raise FetchFailed(f"more than {settings['max_redirects']} redirects", source=url) from exc
        except FetchFailed as exc:
            if not str(exc).startswith("HTTP 5"):
                raise
            last_error = exc
        except requests.RequestException as exc:
            last_error = exc
        if attempt + 1 < attempts:
            time.sleep(settings["backoff_seconds"] * (2 ** attempt))
    raise FetchFailed(f"failed after {attempts} attempts: {last_error}", source=url)
