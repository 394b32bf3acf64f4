"""The Indeks Inovasi Daerah per pemda as the build reads it: ``data/user/national/
iid_pemda.csv`` (written by ``python -m analysis import iid-pemda``, module
:mod:`analysis.data.importers.iid_pemda`) -> table ``pemda_iid`` (provenance ``user``).

Here, not in the importer, so that :mod:`analysis.data.national` reads it without importing
the importers (which import the national module)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data.schema import InputError, Problem

TABLE = "pemda_iid"
USER_FILE = "iid_pemda.csv"
"""The merged import, in ``data/user/national/`` (canonical columns, one row per pemda-year)."""
COLUMNS = ["kode_pemda", "tahun", "skor", "kategori", "jumlah_inovasi", "nama_pemda",
           "source_file", "source_row"]
"""Columns of :data:`USER_FILE`: the documented layout plus where each row came from."""


def to_table(df: pd.DataFrame, label: str) -> pd.DataFrame:
    """Rows of :data:`USER_FILE` -> table ``pemda_iid`` (validated, provenance ``user``)."""
    from analysis.data.schema import validate

    out = pd.DataFrame({
        "region_code": df["kode_pemda"].astype(str),
        "year": pd.to_numeric(df["tahun"]).astype(int),
        "iid_score": pd.to_numeric(df["skor"], errors="coerce").astype(float),
        "category": df["kategori"].astype(str),
        "n_innovations": pd.to_numeric(df["jumlah_inovasi"], errors="coerce").astype(float),
        "name_in_file": df["nama_pemda"].where(df["nama_pemda"].notna(), None),
        "source": [f"user import: Indeks Inovasi Daerah, {f}" for f in df["source_file"]],
        "source_row": pd.to_numeric(df["source_row"]).astype(int),
        "provenance": "user"})
    return validate(out.reset_index(drop=True), TABLE, label)


def read_user_file(path: Path, codes: set[str]) -> pd.DataFrame:
    """The stored :data:`USER_FILE` -> ``pemda_iid`` (the build's reader); a code no longer in
    the registry is an InputError naming the file and line."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputError(TABLE, [Problem(str(path), 1, c, None, "required column is missing")
                                 for c in missing])
    bad = [Problem(str(path), i + 2, "kode_pemda", c, "not a pemda of the JAGA code list")
           for i, c in enumerate(df["kode_pemda"]) if c not in codes]
    if bad:
        raise InputError(TABLE, bad)
    return to_table(df, str(path))
