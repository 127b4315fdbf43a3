"""An on-disk cache of fetched pages, so re-running a batch does not hit the
same sites again.

Entries are keyed by the SHA-256 of the requested URL and hold the body plus a
small JSON header (final URL, content type, charset, validators, time). A fresh
entry (younger than ``cache_ttl_hours``) is used as is; a stale one is
revalidated with ``If-None-Match`` / ``If-Modified-Since`` when the site gave
validators. Writes are atomic, so a crash never leaves a half-written entry.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import user_cache_dir
from ..records import atomic_path


def default_cache_dir() -> Path:
    return user_cache_dir() / "http"


@dataclass
class CacheEntry:
    url: str
    final_url: str
    content_type: str
    charset: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: float
    data: bytes = b""

    def age_hours(self) -> float:
        return (time.time() - self.fetched_at) / 3600


class FetchCache:
    """Cache folder for one settings ``fetch`` section; ``None`` folder = off."""

    def __init__(self, folder: str | Path | None, ttl_hours: float):
        self.folder = Path(folder) if folder else None
        self.ttl_hours = ttl_hours

    @classmethod
    def from_settings(cls, settings: dict) -> "FetchCache":
        if not settings.get("cache", True):
            return cls(None, 0)
        return cls(settings.get("cache_dir") or default_cache_dir(), float(settings.get("cache_ttl_hours", 24)))

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        base = self.folder / key[:2] / key
        return base.with_suffix(".json"), base.with_suffix(".body")

    def get(self, url: str) -> CacheEntry | None:
        """The stored entry for ``url`` (fresh or stale), or None."""
        if self.folder is None:
            return None
        header_path, body_path = self._paths(url)
        try:
            header = json.loads(header_path.read_text(encoding="utf-8"))
            entry = CacheEntry(**header)
            entry.data = body_path.read_bytes()
        except (OSError, ValueError, TypeError):
            return None
        return entry

    def is_fresh(self, entry: CacheEntry) -> bool:
        return entry.age_hours() < self.ttl_hours

    def put(self, entry: CacheEntry) -> None:
        if self.folder is None:
            return
        header_path, body_path = self._paths(entry.url)
        header_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(body_path) as tmp:
            Path(tmp).write_bytes(entry.data)
        header = {k: v for k, v in asdict(entry).items() if k != "data"}
        with atomic_path(header_path) as tmp:
            Path(tmp).write_text(json.dumps(header), encoding="utf-8")

    def touch(self, entry: CacheEntry) -> None:
        """Mark a revalidated entry fresh again."""
        entry.fetched_at = time.time()
        self.put(entry)
