"""Reading and writing the processed tables (``data/processed/*.parquet``), and the one
atomic file write every writer of the project uses (``atomic_write``).

Writing is all-or-nothing: every table goes to a temporary sibling folder first, and only when
all of them are written does that folder replace ``processed/``. A failed build therefore
leaves the previous processed data exactly as it was.

Every processed Parquet file names the package, Python and library versions that made it, in
its schema metadata (``VERSIONS_KEY``; :func:`table_versions` reads it without reading rows).
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
VERSIONS_KEY = b"batang"
"""The key of a processed Parquet file's schema metadata that holds, as JSON, the package,
Python and library versions that made it (:func:`write_processed`, :func:`table_versions`)."""


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


def _write_parquet(df: pd.DataFrame, path: Path, stamp: bytes) -> None:
    """``df.to_parquet(path, index=False)`` as pandas does it with pyarrow (same schema, same
    ``pandas`` metadata, ``df.attrs`` kept, snappy), plus ``stamp`` under :data:`VERSIONS_KEY`
    in the file's schema metadata. ``pandas.read_parquet`` ignores the extra key."""
    import warnings

    import pyarrow as pa
    import pyarrow.parquet as pq

    with warnings.catch_warnings():   # as pandas: pyarrow reads .values of tz-aware columns
        warnings.filterwarnings("ignore", r"(Series|DatetimeIndex)\.values returning an "
                                "ndarray that drops timezone information")
        table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    if df.attrs:
        meta[b"PANDAS_ATTRS"] = json.dumps(df.attrs).encode()
    meta[VERSIONS_KEY] = stamp
    pq.write_table(table.replace_schema_metadata(meta), path, compression="snappy")


def write_processed(tables: dict[str, pd.DataFrame], json_files: dict[str, object],
                    out_dir: Path, record_outputs: str | None = None,
                    made_with: dict | None = None) -> None:
    """Write ``tables`` as Parquet and ``json_files`` as JSON into ``out_dir``, atomically.

    Every Parquet file names what made it: ``made_with`` (default
    :func:`analysis.data.versions.made_with`: package, Python and library versions) is stored
    as JSON in its schema metadata under :data:`VERSIONS_KEY` (:func:`table_versions` reads
    it).

    ``record_outputs``: the name of one of ``json_files`` (a dict, written last) that gets an
    ``"outputs"`` entry, ``{file name: sha256}`` of every other file written."""
    from analysis.data import versions

    stamp = json.dumps(versions.made_with() if made_with is None else made_with,
                       sort_keys=True).encode()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".processed-new-", dir=out_dir.parent))
    tmp.chmod(0o755)
    try:
        for name, df in tables.items():
            _write_parquet(df, tmp / f"{name}.parquet", stamp)
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


def table_versions(name: str, data_dir: Path | str | None = None) -> dict:
    """What made processed table ``name``: ``{"package", "package_version", "python",
    "libraries": {library: version}}``, read from the Parquet file's schema metadata (the
    footer only, no rows). A table written before the files carried it raises
    :class:`NotBuiltError` saying to rebuild."""
    path = processed_path(data_dir) / f"{name}.parquet"
    if not path.is_file():
        raise NotBuiltError(
            f"processed table '{name}' not found at {path}; build it with "
            "`python -m analysis build` (or `make data`)")
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(VERSIONS_KEY)
    if raw is None:
        raise NotBuiltError(
            f"{path} does not record the versions that made it (written by an older "
            "build); rebuild with `python -m analysis build --force`")
    return json.loads(raw)


def load_json(name: str, data_dir: Path | str | None = None) -> dict:
    path = processed_path(data_dir) / name
    if not path.is_file():
        raise NotBuiltError(f"{path} not found; build it with `python -m analysis build`")
    return json.loads(path.read_text(encoding="utf-8"))


def load_manifest(data_dir: Path | str | None = None) -> dict:
    return load_json(MANIFEST, data_dir)
