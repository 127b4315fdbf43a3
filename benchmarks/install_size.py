"""Disk size of the default install and of the optional ``[embeddings]`` extra.

Usage: python benchmarks/install_size.py

Walks the installed dependency closure of ``pyproject.toml`` (the packages must
be installed) and adds up the files each distribution records. Writes
``benchmarks/results/install_size.{json,md}``.
"""
from __future__ import annotations

import json
import re
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def closure(requirements: list[str], seen: dict | None = None) -> dict:
    """Installed distributions needed by ``requirements`` (extras' own extras left out)."""
    seen = {} if seen is None else seen
    for requirement in requirements:
        name = re.split(r"[<>=!~;\[ ]", requirement.strip())[0].lower().replace("_", "-")
        if not name or name in seen or "extra ==" in requirement:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            seen[name] = None
            continue
        seen[name] = dist
        closure([r for r in (dist.requires or []) if "extra ==" not in r], seen)
    return seen


def megabytes(dists: dict) -> float:
    total = 0
    for dist in filter(None, dists.values()):
        for file in dist.files or []:
            try:
                total += dist.locate_file(file).stat().st_size
            except OSError:
                pass
    return round(total / 1e6, 1)


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = closure(project["dependencies"])
    extra = {k: v for k, v in closure(project["optional-dependencies"]["embeddings"], dict(base)).items()
             if k not in base}
    missing = sorted(k for k, v in {**base, **extra}.items() if v is None)
    largest = sorted(((megabytes({k: v}), k) for k, v in base.items() if v), reverse=True)[:8]
    result = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "python": sys.version.split()[0],
              "default_mb": megabytes(base), "default_packages": sum(v is not None for v in base.values()),
              "embeddings_extra_mb": megabytes(extra), "largest_default": {k: mb for mb, k in largest},
              "not_installed": missing}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "install_size.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# Install size", "", f"Measured {result['date']}, Python {result['python']}, from the installed "
             "files of the dependency closure (`python benchmarks/install_size.py`).", "",
             "| install | size on disk |", "|---|---|",
             f"| default (`pip install .`, {result['default_packages']} packages) | {result['default_mb']:.0f} MB |",
             f"| `[embeddings]` extra on top (PyTorch CPU, transformers, MiniLM) | {result['embeddings_extra_mb']:.0f} MB |",
             "", "Largest default packages: " + ", ".join(f"{k} {mb:.0f} MB" for k, mb in result["largest_default"].items()),
             ""]
    if missing:
        lines.append("Not counted (not installed here; platform or Python-version markers): " + ", ".join(missing))
    (RESULTS / "install_size.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
