"""Fetching URLs politely and safely.

Only http(s); a timeout, a byte cap and a redirect cap on every request;
retries with back-off on connection errors and 5xx answers. Private and
link-local addresses are refused unless ``allow_private_hosts`` is set (tests
set it to serve pages from 127.0.0.1).
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import requests

from ..errors import FetchFailed, TooLarge

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
    """GET a URL with the caps in ``settings`` (the ``fetch`` section)."""
    session = requests.Session()
    session.max_redirects = settings["max_redirects"]
    headers = {"User-Agent": settings["user_agent"]}
    attempts = settings["retries"] + 1
    last_error: Exception | None = None
    for attempt in range(attempts):
        _check_host(url, settings["allow_private_hosts"])
        try:
            with session.get(url, headers=headers, timeout=settings["timeout_seconds"], stream=True) as response:
                for hop in response.history + [response]:
                    _check_host(hop.url, settings["allow_private_hosts"])
                if response.status_code >= 500:
                    raise FetchFailed(f"HTTP {response.status_code}", source=url)
                if response.status_code >= 400:
                    raise FetchFailed(f"HTTP {response.status_code}", source=url)  # not retried
                chunks, size = [], 0
                for chunk in response.iter_content(65536):
                    size += len(chunk)
                    if size > settings["max_bytes"]:
                        raise TooLarge(f"response over {settings['max_bytes']} bytes", source=url)
                    chunks.append(chunk)
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                return Fetched(response.url, b"".join(chunks), content_type, response.encoding
                               if "charset" in response.headers.get("Content-Type", "").lower() else None)
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
