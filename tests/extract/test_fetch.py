"""Fetching: cache, revalidation, per-host limit, retries and caps, against a
local HTTP server on 127.0.0.1 (never the internet)."""
from __future__ import annotations

import http.server
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipeline.config import settings
from pipeline.errors import FetchFailed, TooLarge
from pipeline.extract.fetch import fetch

PAGE = b"<html><head><title>Rent help desk</title></head><body><p>The city opened a rent help desk.</p></body></html>"


class CountingServer:
    """A tiny site: /page (with Last-Modified), /slow, /flaky (503 twice), /big."""

    def __init__(self):
        self.hits: dict[str, int] = {}
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                with outer.lock:
                    outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                    outer.active += 1
                    outer.max_active = max(outer.max_active, outer.active)
                try:
                    self._answer()
                finally:
                    with outer.lock:
                        outer.active -= 1

            def _answer(self):
                if self.path == "/page" and self.headers.get("If-Modified-Since"):
                    self.send_response(304)
                    self.end_headers()
                    return
                if self.path == "/flaky" and outer.hits["/flaky"] <= 2:
                    self.send_response(503)
                    self.end_headers()
                    return
                if self.path.startswith("/slow"):
                    time.sleep(0.3)
                body = b"x" * 5000 if self.path == "/big" else PAGE
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Last-Modified", "Mon, 02 Nov 2026 10:00:00 GMT")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def site():
    server = CountingServer()
    yield server
    server.server.shutdown()


@pytest.fixture
def fetch_settings(tmp_path):
    config = settings()["fetch"]
    config.update(allow_private_hosts=True, retries=0, timeout_seconds=5, backoff_seconds=0.01,
                  cache_dir=str(tmp_path / "cache"), per_host_delay_seconds=0)
    return config


def test_second_fetch_comes_from_the_cache(site, fetch_settings):
    first = fetch(f"{site.base}/page", fetch_settings)
    second = fetch(f"{site.base}/page", fetch_settings)
    assert first.data == second.data == PAGE
    assert second.content_type == "text/html" and second.charset == "utf-8"
    assert site.hits["/page"] == 1


def test_stale_entry_is_revalidated_and_kept_on_304(site, fetch_settings):
    fetch_settings["cache_ttl_hours"] = 0
    fetch(f"{site.base}/page", fetch_settings)
    again = fetch(f"{site.base}/page", fetch_settings)
    assert site.hits["/page"] == 2  # asked again, answered 304 Not Modified
    assert again.data == PAGE


def test_cache_can_be_switched_off(site, fetch_settings):
    fetch_settings["cache"] = False
    fetch(f"{site.base}/page", fetch_settings)
    fetch(f"{site.base}/page", fetch_settings)
    assert site.hits["/page"] == 2


def test_per_host_limit_holds_under_parallel_requests(site, fetch_settings):
    fetch_settings.update(per_host_limit=2, cache=False)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: fetch(f"{site.base}/slow{i}", fetch_settings), range(6)))
    assert all(r.data == PAGE for r in results)
    assert site.max_active == 2


def test_server_errors_are_retried_with_backoff(site, fetch_settings):
    fetch_settings.update(retries=2, cache=False)
    assert fetch(f"{site.base}/flaky", fetch_settings).data == PAGE
    assert site.hits["/flaky"] == 3


def test_retries_run_out_with_a_clear_reason(site, fetch_settings):
    fetch_settings.update(retries=1, cache=False)
    with pytest.raises(FetchFailed, match="failed after 2 attempts.*HTTP 503"):
        fetch(f"{site.base}/flaky", fetch_settings)


def test_size_cap_and_schemes(site, fetch_settings):
    fetch_settings.update(max_bytes=1000, cache=False)
    with pytest.raises(TooLarge, match="over 1000 bytes"):
        fetch(f"{site.base}/big", fetch_settings)
    with pytest.raises(FetchFailed, match="only http and https"):
        fetch("file:///etc/passwd", fetch_settings)
