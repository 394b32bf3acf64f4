"""Reading and writing the processed tables (``data/processed/*.parquet``), and the one
atomic file write every writer of the project uses (``atomic_write``).

Writing is all-or-nothing: every table goes to a temporary sibling folder first, and only when
all of them are written does that folder replace ``processed/``. A failed build therefore
leaves the previous processed data exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import config

if TYPE_CHECKING:   # imported where a table is read or written (reading a manifest needs none)
    import pandas as pd

MANIFEST = "manifest.json"


def _write_all(fh, data: bytes, path: Path) -> None:
    """Write ``data`` to the open temp file for ``path`` (a seam for the interruption test)."""
    fh.write(data)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``path`` via a temp file in the same folder and ``os.replace``: readers see the old
    file or the new one, never half of one. A leftover ``.<name>.*.tmp`` (hard kill) is removed
    by the next render (``render._clean_stale_tmp``)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_all(fh, data, path)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class NotBuiltError(FileNotFoundError):
    """The processed data has not been built (or lacks a table)."""


def write_processed(tables: dict[str, pd.DataFrame], json_files: dict[str, object],
                    out_dir: Path, record_outputs: str | None = None) -> None:
    """Write ``tables`` as Parquet and ``json_files`` as JSON into ``out_dir``, atomically.

    ``record_outputs``: the name of one of ``json_files`` (a dict, written last) that gets an
    ``"outputs"`` entry, ``{file name: sha256}`` of every other file written."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".processed-new-", dir=out_dir.parent))
    tmp.chmod(0o755)
    try:
        for name, df in tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        last = [n for n in json_files if n == record_outputs]
        for name in [n for n in json_files if n != record_outputs] + last:
            obj = json_files[name]
            if name == record_outputs:
                obj["outputs"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                                  for p in sorted(tmp.iterdir())}
            (tmp / name).write_text(json.dumps(obj, indent=2, sort_keys=True, default=str),
                                    encoding="utf-8")
        old = None
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=".processed-old-", dir=out_dir.parent))
            os.rmdir(old)
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def processed_path(data_dir: Path | str | None = None) -> Path:
    return config.processed_dir(data_dir)


def load_table(name: str, data_dir: Path | str | None = None,
               filters: list | None = None) -> pd.DataFrame:
    """Read one processed table. ``filters`` are pyarrow filters, e.g.
    ``[("unit_id", "==", "dinkes")]``, so a report reads only its slice."""
    path = processed_path(data_dir) / f"{name}.parquet"
    if not path.is_file():
        raise NotBuiltError(
            f"processed table '{name}' not found at {path}; build it with "
            "`python -m analysis build` (or `make data`)")
    import pandas as pd

    return pd.read_parquet(path, filters=filters)


def load_json(name: str, data_dir: Path | str | None = None) -> dict:
    path = processed_path(data_dir) / name
    if not path.is_file():
        raise NotBuiltError(f"{path} not found; build it with `python -m analysis build`")
    return json.loads(path.read_text(encoding="utf-8"))


def load_manifest(data_dir: Path | str | None = None) -> dict:
    return load_json(MANIFEST, data_dir)
