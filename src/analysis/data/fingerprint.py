"""The one content fingerprint of a data folder's processed tables.

:func:`data_fingerprint` hashes what the readers of a data folder read, by content, never by
file times: the renderer keys every report on it (:mod:`analysis.publish.render.hashing`) and
the notebooks key their cached model refits on the fingerprint of the tables a fit reads
(:func:`analysis.publish.explore.refits.data_fingerprint`: ``tables=("panel", "units")``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

from analysis import __version__
from analysis.data.store import atomic_write

# Keys of a build manifest (processed/manifest.json) that say when and from what a build ran,
# not what it produced (the time, the input and code hashes, the build key): left out of its
# content hash, so a rebuild with byte-identical tables re-renders nothing.
VOLATILE_MANIFEST_KEYS = ("built_at", "seconds", "inputs", "code", "libraries", "python",
                          "steps", "build_key")
_RACY_NS = 2_000_000_000   # a file modified this recently is hashed again next time


def _file_content_digest(path: Path) -> str:
    data = path.read_bytes()
    if path.name == "manifest.json" and path.parent.name == "processed":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            obj = json.loads(data)
            if isinstance(obj, dict):
                for k in VOLATILE_MANIFEST_KEYS:
                    obj.pop(k, None)
                if isinstance(obj.get("fits"), dict):
                    # whether the model results are older than the data is content (the pages
                    # say so); when they were fitted is not (a forced rebuild re-renders nothing)
                    obj["fits"] = {k: bool(v.get("current", True)) if isinstance(v, dict)
                                   else v for k, v in obj["fits"].items()}
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
    tables: Iterable[str] | None = None,
) -> str:
    """Content hash of the data under ``data_dir``: the relative name and sha256 of every file
    (a single file is also accepted), plus the package version. When ``data_dir`` has a
    ``processed/`` folder (a project data folder) only that folder is hashed: it is what the
    report templates read. Timestamps are not part of it:
    a file rewritten or touched with the same bytes leaves the fingerprint unchanged. Names
    starting with a dot (locks, staging folders, caches) and folders in ``exclude`` are not
    walked. In ``processed/manifest.json`` the per-build keys ``VOLATILE_MANIFEST_KEYS`` are
    ignored, and of ``fits`` only whether each is current (not when it was fitted).

    ``cache``: a JSON file remembering (size, mtime_ns, sha256) per file, so only files whose
    size or mtime changed are read again (a file modified within the last 2 s is never taken
    from the cache). Without it every file is read.

    ``tables``: only these processed tables (``<name>.parquet`` in the hashed folder), e.g. the
    tables a model fit reads; one that does not exist is hashed as missing."""
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
        wanted = None if tables is None else {f"{t}.parquet" for t in tables}
        for name in sorted(wanted or ()):
            if not (top / name).is_file():
                h.update(f"missing {(top / name).relative_to(root).as_posix()}\n".encode())
        for dirpath, dirnames, filenames in os.walk(top):
            here = Path(dirpath)
            dirnames[:] = [] if wanted is not None else sorted(
                d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in skip)
            for name in sorted(filenames):
                if name.startswith("."):   # analysis.data.locking's lock files, temp files
                    continue
                if wanted is not None and (here != top or name not in wanted):
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
