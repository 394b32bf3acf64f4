"""Content hashes: the incremental rules of the renderer (docs/rendering.md, *Incremental
rules*).

A report is re-rendered only when its :func:`content_hash` changes: the template's bytes, the
unit's parameters, its title, the :func:`data_fingerprint` of the processed tables it reads,
and the package (:func:`package_digest`: its version and the content of its own files) with
:data:`RENDERER_VERSION`. Everything is judged by content, never by file times."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.data.store import atomic_write

RENDERER_VERSION = "1"
"""Part of every content hash: bump when the HTML conversion changes, to re-render all."""

FINGERPRINT_CACHE = ".data-fingerprint.json"
"""In the output folder: (size, mtime_ns, sha256) of every data file last hashed, so an
unchanged file is not read again; a file whose size or mtime differs is re-hashed."""

# Keys of a build manifest (processed/manifest.json) that say when and from what a build ran,
# not what it produced (the time, the input and code hashes, the build key): left out of its
# content hash, so a rebuild with byte-identical tables re-renders nothing.
VOLATILE_MANIFEST_KEYS = ("built_at", "seconds", "inputs", "code", "libraries", "steps",
                          "build_key")
_RACY_NS = 2_000_000_000   # a file modified this recently is hashed again next time


def _file_content_digest(path: Path) -> str:
    data = path.read_bytes()
    if path.name == "manifest.json" and path.parent.name == "processed":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            obj = json.loads(data)
            if isinstance(obj, dict):
                for k in VOLATILE_MANIFEST_KEYS:
                    obj.pop(k, None)
                data = json.dumps(obj, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def _load_fp_cache(cache: Path | None) -> dict:
    if cache is None:
        return {}
    try:
        obj = json.loads(Path(cache).read_text(encoding="utf-8"))
        return obj.get("files", {}) if obj.get("version") == 1 else {}
    except (OSError, ValueError, AttributeError):
        return {}


def data_fingerprint(
    data_dir: str | os.PathLike | None,
    exclude: Iterable[Path] = (),
    cache: str | os.PathLike | None = None,
) -> str:
    """Content hash of the data under ``data_dir``: the relative name and sha256 of every file
    (a single file is also accepted), plus the package version. When ``data_dir`` has a
    ``processed/`` folder (a project data folder) only that folder is hashed: it is what the
    report templates read. Timestamps are not part of it:
    a file rewritten or touched with the same bytes leaves the fingerprint unchanged. Names
    starting with a dot (locks, staging folders, caches) and folders in ``exclude`` are not
    walked. In ``processed/manifest.json`` the per-build keys ``VOLATILE_MANIFEST_KEYS`` are
    ignored.

    ``cache``: a JSON file remembering (size, mtime_ns, sha256) per file, so only files whose
    size or mtime changed are read again (a file modified within the last 2 s is never taken
    from the cache). Without it every file is read."""
    h = hashlib.sha256(f"analysis {__version__}\n".encode())
    if not data_dir:
        h.update(b"no data_dir\n")
        return h.hexdigest()
    root = Path(data_dir).expanduser().resolve()
    skip = {Path(p).resolve() for p in exclude}
    old = _load_fp_cache(cache)
    new: dict[str, list] = {}
    now = time.time_ns()

    def digest(p: Path) -> str | None:
        try:
            st = p.stat()
        except OSError:
            return None
        key = str(p)
        hit = old.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            d = hit[2]
        else:
            try:
                d = _file_content_digest(p)
            except OSError:
                return None
        if now - st.st_mtime_ns > _RACY_NS:
            new[key] = [st.st_size, st.st_mtime_ns, d]
        return d

    if root.is_file():
        d = digest(root)
        h.update(f"{root.name}\0{d}\n".encode())
    elif root.is_dir():
        # A project data folder: the templates read its processed tables only (analysis.data.store),
        # so raw, external, user and interim files (inputs of the build, caches) are not data
        # of a report; a new input changes a report only through the build.
        top = root / "processed"
        if not top.is_dir() or top.resolve() in skip:
            top = root
        for dirpath, dirnames, filenames in os.walk(top):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                 and (here / d).resolve() not in skip)
            for name in sorted(filenames):
                if name.startswith("."):   # analysis.data.locking's lock files, temp files
                    continue
                p = here / name
                d = digest(p)
                if d is None:
                    continue
                rel = p.relative_to(root).as_posix()
                h.update(f"{rel}\0{d}\n".encode())
    else:
        h.update(f"missing {root}\n".encode())
    if cache is not None and new != old:
        with contextlib.suppress(OSError):
            atomic_write(Path(cache), json.dumps({"version": 1, "files": new}, sort_keys=True))
    return h.hexdigest()


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
