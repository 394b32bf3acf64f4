"""Content hashes: the incremental rules of the renderer (docs/rendering.md, *Incremental
rules*).

A report is re-rendered only when its :func:`content_hash` changes: the template's bytes, the
unit's parameters, its title, the :func:`data_fingerprint` of the processed tables it reads
(:mod:`analysis.data.fingerprint`, the package's one data fingerprint),
and the package (:func:`package_digest`: its version and the content of its own files) with
:data:`RENDERER_VERSION`. Everything is judged by content, never by file times."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.data.fingerprint import data_fingerprint  # noqa: F401 (the reports' data key)

RENDERER_VERSION = "1"
"""Part of every content hash: bump when the HTML conversion changes, to re-render all."""

FINGERPRINT_CACHE = ".data-fingerprint.json"
"""In the output folder: (size, mtime_ns, sha256) of every data file last hashed, so an
unchanged file is not read again; a file whose size or mtime differs is re-hashed."""

PACKAGE_FILES = ("*.py", "*.toml", "*.j2", "*.css", "*.js", "*.mplstyle")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""``src/analysis``: the folder whose files :func:`package_digest` hashes."""


def package_digest() -> str:
    """SHA-256 of the package's own files (code, word catalog, templates, style): a report
    re-renders when anything it is made with changed, not only when the version is bumped.
    About 100 small files; computed once per process."""
    global _PACKAGE_DIGEST
    if _PACKAGE_DIGEST is None:
        h = hashlib.sha256(__version__.encode())
        for pattern in PACKAGE_FILES:
            for f in sorted(PACKAGE_ROOT.rglob(pattern)):
                if "__pycache__" not in f.parts:
                    h.update(f.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0")
                    h.update(hashlib.sha256(f.read_bytes()).digest())
        _PACKAGE_DIGEST = h.hexdigest()
    return _PACKAGE_DIGEST


_PACKAGE_DIGEST: str | None = None


def content_hash(
    template_bytes: bytes, parameters: Mapping[str, Any], fingerprint: str, title: str | None = None
) -> str:
    """The incremental key of one report (see docs/rendering.md)."""
    payload = {
        "renderer": RENDERER_VERSION,
        "package": package_digest(),
        "template": hashlib.sha256(template_bytes).hexdigest(),
        "parameters": parameters,
        "data": fingerprint,
        "title": title,
    }
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_sidecar(path: Path) -> str | None:
    """The content hash a report was rendered from (its ``<uid>.hash`` file), or None."""
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
