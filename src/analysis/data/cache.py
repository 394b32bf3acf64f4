"""The one on-disk cache of computed results (model fits), under ``<data>/interim/``.

A result is stored as a pickle named by a content key: a SHA-256 of what it was computed from
(the panel's values or the processed files' bytes, the parameters of the computation), of the
source of every module in ``analysis.methods`` (``code_digest``; not the word catalog: no
cached result holds words) and of the estimation libraries' versions. A changed input,
estimator or library therefore never reads a stale entry; file times are never used. The folder is the project's own (pickles are only ever read
from there); a damaged entry is recomputed, and a read-only data folder only loses the cache.
Writes are atomic (``store.atomic_write``), so two processes computing the same entry at once
both end with a whole file.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LIBRARIES = ("pyfixest", "statsmodels", "scikit-learn", "numpy", "pandas", "scipy")


def code_files(package: Path | None = None) -> list[Path]:
    """The files whose source is part of every key: every module of ``analysis.methods`` (every
    estimator) under ``package`` (default: this package). Words are not: no fitted table holds
    a sentence (typology and scenario return numbers; ``narrative/sentences.py`` words them
    when they are shown), so editing a caption or a word file never refits a model."""
    pkg = Path(package) if package else Path(__file__).resolve().parents[1]
    return sorted((pkg / "methods").glob("*.py"))


def digest(package: Path | None = None) -> str:
    """SHA-256 of :func:`code_files` and of the versions of the estimation libraries."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    for src in code_files(package):
        h.update(src.name.encode() + b"\0" + src.read_bytes())
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={version(lib)};".encode())
        except PackageNotFoundError:
            h.update(f"{lib}=none;".encode())
    return h.hexdigest()


@cache
def code_digest() -> str:
    """:func:`digest` of this package, once per process."""
    return digest()


def key(*parts: Any) -> str:
    """A content key from ``parts`` (bytes, or anything JSON can write) and ``code_digest``."""
    h = hashlib.sha256(code_digest().encode())
    for p in parts:
        h.update(p if isinstance(p, bytes) else
                 json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def cached(folder: Path, name: str, compute: Callable[[], Any]) -> tuple[Any, dict]:
    """``compute()``, stored as ``folder/<name>.pkl`` (``name`` from :func:`key`); a repeat is a
    file read. Returns the value and ``{"cache": "hit"|"miss", "seconds": ..., "path": ...}``."""
    from analysis.data.store import atomic_write

    t0 = time.perf_counter()
    path = Path(folder) / f"{name}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as f:
                value = pickle.load(f)
            return value, {"cache": "hit", "seconds": time.perf_counter() - t0,
                           "path": str(path)}
        except Exception:  # noqa: BLE001 - a damaged entry is recomputed, never trusted
            path.unlink(missing_ok=True)
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a read-only data folder only loses the cache
    return value, {"cache": "miss", "seconds": time.perf_counter() - t0, "path": str(path)}
