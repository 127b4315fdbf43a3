"""Options every batch command shares: workers, and --allow-private-hosts for URLs."""
import http.server
import subprocess
import sys
import threading

import pytest

from tests.conftest import EXAMPLES, ROOT


@pytest.fixture
def local_site():
    """The example web page served on 127.0.0.1 (a private address `hrc` refuses by default)."""
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(EXAMPLES), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/welcome-office.html"
    server.shutdown()


def hrc(*args):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_private_hosts_are_refused_unless_allowed(tmp_path, local_site):
    refused = hrc("extract", local_site, "-o", str(tmp_path / "a.jsonl"), "--workers", "1")
    assert refused.returncode == 1
    assert "[E008]" in refused.stderr and "--allow-private-hosts" in refused.stderr
    allowed = hrc("extract", local_site, "-o", str(tmp_path / "b.jsonl"), "--workers", "1", "-q",
                  "--allow-private-hosts")
    assert allowed.returncode == 0, allowed.stderr
    assert "welcome" in (tmp_path / "b.jsonl").read_text(encoding="utf-8").lower()


def test_workers_must_be_positive(tmp_path):
    assert hrc("extract", str(EXAMPLES), "-o", str(tmp_path / "x.jsonl"), "--workers", "0").returncode == 2
