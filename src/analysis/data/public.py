"""Loaders for the public reference data of a region (``data/external/<region>/``).

The files are copied verbatim from ``shared/data/public`` (see their README for sources);
two small files are the project's own curation and say so:

- ``unit_ids.csv``: a stable slug id, kind, sector and front-line flag for every entity of
  ``batang_units.csv`` (the front-line flag marks units that run public-facing services and
  hence SKM surveys; it is a project judgement, not a published list).
- ``unit_aliases.csv``: names as written in public sources (IID accounts, Ombudsman releases)
  mapped to unit ids, with the attribution of innovation profiles.

Every row these loaders return carries ``provenance = "public"`` and the ``source`` of its
row in the original file. Row numbers in errors count the header as row 1, as a spreadsheet
shows them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config
from analysis.data.schema import InputError, Problem, validate

UNITS_FILE = "batang_units.csv"
UNIT_IDS_FILE = "unit_ids.csv"
ALIASES_FILE = "unit_aliases.csv"
REFERENCE_FILE = "batang_reference.csv"
INNOVATIONS_FILE = "batang_innovation_profiles_iid2021.csv"

OPD_KINDS = {"sekretariat", "inspektorat", "dinas", "badan", "lembaga", "rsud", "kecamatan"}

# dataset of batang_reference.csv -> budget stage
STAGE_OF_DATASET = {
    "APBD": "murni",
    "APBD (Raperda)": "murni",
    "APBD-P": "perubahan",
    "APBD-P (DPRD approval)": "perubahan",
    "APBD-P (after Governor evaluation)": "perubahan",
    "APBD-P (proposal)": "perubahan",
    "LRA realisasi": "realisasi",
}
# Preference when one (year, stage) has several documents: the enacted one over drafts.
DOCUMENT_RANK = {
    "APBD": 0, "APBD-P": 0, "LRA realisasi": 0,
    "APBD-P (after Governor evaluation)": 1, "APBD-P (DPRD approval)": 1,
    "APBD (Raperda)": 2, "APBD-P (proposal)": 3,
}
IDR_MULTIPLIER = {"IDR": 1.0, "IDR billion": 1e9, "IDR trillion": 1e12}

# Canonical keys for the indicators the analysis uses. "belanja_total" is total spending
# including transfers to villages (SIPD APBD layout: "Belanja daerah (total)"; LRA layout:
# "Jumlah belanja dan transfer", because the LRA shows village transfers outside belanja).
INDICATOR_KEYS = {
    "Belanja daerah (total)": "belanja_total",
    "Belanja daerah (total) - derived": "belanja_total",
    "Jumlah belanja dan transfer": "belanja_total",
    "Pendapatan daerah (total)": "pendapatan_total",
    "Jumlah pendapatan": "pendapatan_total",
    "Realisasi pendapatan daerah": "pendapatan_total",
    "Pendapatan Asli Daerah (PAD)": "pad",
    "Pendapatan Asli Daerah": "pad",
    "Realisasi PAD": "pad",
    "Belanja pegawai": "belanja_pegawai",
    "Belanja modal": "belanja_modal",
    "Jumlah belanja modal": "belanja_modal",
    "Belanja tidak terduga": "belanja_tidak_terduga",
    "Belanja tak terduga": "belanja_tidak_terduga",
}
PRECISION_RANK = {"exact": 0, "derived": 1, "rounded": 2}

STAGE_MAP = {"implementasi": "implementasi", "uji coba": "uji_coba", "inisiatif": "inisiatif"}
FORM_MAP = {
    "inovasi pelayanan publik": "pelayanan_publik",
    "inovasi tata kelola pemerintahan daerah": "tata_kelola",
    "inovasi daerah lainnya sesuai dengan urusan pemerintahan yang menjadi kewenangan daerah":
        "lainnya",
}
DIGITAL_MAP = {"digital": True, "non digital": False}


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"public data file not found: {path}")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as exc:
        raise InputError("csv", [Problem(str(path), "-", None, None,
                                         f"not UTF-8 text ({exc.reason})")]) from None
    if df.empty:
        raise InputError("csv", [Problem(str(path), "-", None, None, "no data rows")])
    df.index = pd.RangeIndex(2, len(df) + 2)  # spreadsheet row numbers, header = row 1
    return df


def _require(df: pd.DataFrame, cols: list[str], path: Path, table: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(table, [Problem(str(path), 1, c, None, "required column is missing")
                                 for c in missing])


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(config.project_root()))
    except ValueError:
        return str(path)


def load_aliases(ext: Path | None = None) -> pd.DataFrame:
    ext = ext or config.external_dir()
    path = ext / ALIASES_FILE
    df = _read_csv(path)
    _require(df, ["alias", "unit_id", "attribution"], path, "aliases")
    dup = df[df["alias"].duplicated(keep=False)]
    if not dup.empty:
        raise InputError("aliases", [Problem(str(path), i, "alias", a, "alias listed twice")
                                     for i, a in dup["alias"].items()])
    return df


def load_units(ext: Path | None = None, region_code: str = config.REGION_BATANG) -> pd.DataFrame:
    """The unit registry: every entity of ``batang_units.csv`` except the regency itself."""
    ext = ext or config.external_dir()
    src_path, ids_path = ext / UNITS_FILE, ext / UNIT_IDS_FILE
    src = _read_csv(src_path)
    ids = _read_csv(ids_path)
    _require(src, ["category", "full_name", "abbreviation", "code", "source"], src_path, "units")
    _require(ids, ["full_name", "unit_id", "kind", "sector", "front_line"], ids_path, "units")
    src = src[src["category"] != "Kabupaten"]
    merged = src.reset_index(names="_row").merge(ids.reset_index(names="_idrow"),
                                                 on="full_name", how="left", indicator=True)
    unmapped = merged[merged["_merge"] == "left_only"]
    if not unmapped.empty:
        raise InputError("units", [
            Problem(str(src_path), r["_row"], "full_name", r["full_name"],
                    f"unit has no id in {UNIT_IDS_FILE}") for _, r in unmapped.iterrows()])
    extra = set(ids["full_name"]) - set(src["full_name"])
    if extra:
        rows = ids[ids["full_name"].isin(extra)]
        raise InputError("units", [
            Problem(str(ids_path), i, "full_name", n, f"name not found in {UNITS_FILE}")
            for i, n in rows["full_name"].items()])
    out = pd.DataFrame({
        "region_code": region_code,
        "unit_id": merged["unit_id"],
        "name": merged["full_name"],
        "abbreviation": merged["abbreviation"],
        "kind": merged["kind"],
        "sector": merged["sector"],
        "front_line": merged["front_line"].str.lower().map({"true": True, "false": False}),
        "is_opd": merged["kind"].isin(OPD_KINDS),
        "kemendagri_code": merged["code"],
        "provenance": "public",
        "source": merged["source"],
    })
    out.index = merged["_row"].to_numpy()
    try:
        return validate(out, "units", str(src_path)).reset_index(drop=True)
    except InputError as exc:
        # unit_id, kind, sector and front_line come from unit_ids.csv: name that file and row
        idrow = dict(zip(merged["_row"], merged["_idrow"], strict=True))
        hint = {"unit_id": "; an id is lower-case letters, digits and '-' (e.g. dinkes)"}
        probs = []
        for p in exc.problems:
            if p.column in ("unit_id", "kind", "sector", "front_line") and p.row in idrow:
                p = Problem(str(ids_path), int(idrow[p.row]), p.column, p.value,
                            p.rule + hint.get(p.column, ""))
            probs.append(p)
        raise InputError("units", probs) from None


def load_reference(ext: Path | None = None) -> pd.DataFrame:
    """All rows of ``batang_reference.csv``, with a numeric ``value_num`` where the value is a
    number (categories such as 'zona kuning' keep ``value`` only)."""
    ext = ext or config.external_dir()
    path = ext / REFERENCE_FILE
    df = _read_csv(path)
    cols = ["dataset", "entity", "year", "indicator", "value", "unit", "source", "source_date",
            "note"]
    _require(df, cols, path, "reference")
    df = df[cols].copy()
    bad_year = ~df["year"].str.fullmatch(r"\d{4}")
    if bad_year.any():
        raise InputError("reference", [Problem(str(path), i, "year", v, "year is not a 4-digit "
                                               "number") for i, v in df.loc[bad_year, "year"].items()])
    df["year"] = df["year"].astype(int)
    df["value_num"] = pd.to_numeric(df["value"], errors="coerce")
    df["region_code"] = config.REGION_BATANG
    df["provenance"] = "public"
    df["row"] = df.index
    return df


def load_region_finance(reference: pd.DataFrame, file: str = REFERENCE_FILE) -> pd.DataFrame:
    """APBD (murni, perubahan) and LRA (realisasi) money rows, converted to rupiah."""
    money = reference[reference["dataset"].isin(list(STAGE_OF_DATASET))
                      & reference["unit"].isin(list(IDR_MULTIPLIER))]
    bad = money[money["value_num"].isna()]
    if not bad.empty:
        raise InputError("region_finance", [Problem(file, r["row"], "value", r["value"],
                                                    "money value is not a number")
                                            for _, r in bad.iterrows()])
    derived = (money["indicator"].str.contains("derived", case=False)
               | money["note"].fillna("").str.contains("sum of", case=False))
    precision = np.where(money["unit"] != "IDR", "rounded", np.where(derived, "derived", "exact"))
    out = pd.DataFrame({
        "region_code": money["region_code"],
        "year": money["year"],
        "stage": money["dataset"].map(STAGE_OF_DATASET),
        "document": money["dataset"],
        "indicator": money["indicator"],
        "indicator_key": money["indicator"].map(INDICATOR_KEYS),
        "value_idr": money["value_num"] * money["unit"].map(IDR_MULTIPLIER),
        "precision": precision,
        "source": money["source"],
        "source_date": money["source_date"],
        "note": money["note"],
        "provenance": "public",
    }, index=money.index)
    return validate(out, "region_finance", file).reset_index(drop=True)


def calibration_targets(region_finance: pd.DataFrame) -> pd.DataFrame:
    """One real total-spending figure per (year, stage): the enacted document before drafts,
    exact figures before derived ones before rounded ones. Columns: year, stage, value_idr,
    document, precision, source."""
    t = region_finance[region_finance["indicator_key"] == "belanja_total"].copy()
    t["_p"] = t["precision"].map(PRECISION_RANK)
    t["_d"] = t["document"].map(DOCUMENT_RANK).fillna(9)
    t = t.sort_values(["year", "stage", "_d", "_p"]).drop_duplicates(["year", "stage"])
    return t[["year", "stage", "value_idr", "document", "precision", "source"]].reset_index(
        drop=True)


def _map_values(df: pd.DataFrame, col: str, mapping: dict, path: str, table: str) -> pd.Series:
    mapped = df[col].str.strip().str.lower().map(mapping)
    bad = mapped.isna()
    if bad.any():
        raise InputError(table, [Problem(path, i, col, v, f"unknown value; expected one of "
                                         f"{sorted(set(mapping))}")
                                 for i, v in df.loc[bad, col].items()])
    return mapped


def load_innovations(ext: Path | None = None, aliases: pd.DataFrame | None = None,
                     region_code: str = config.REGION_BATANG) -> pd.DataFrame:
    """The regency's Indeks Inovasi Daerah 2021 innovation profiles, one row each.

    OPD names are normalised to unit ids through ``unit_aliases.csv``; profiles under
    unattributed accounts keep ``unit_id`` empty (attribution ``unattributed``), the water
    utility is attributed ``bumd`` and kecamatan ``kecamatan``. Of each near-duplicate pair
    (``possible_duplicate_group``) the profile under the unattributed account is flagged
    ``is_duplicate`` so counts can drop it; nothing is deleted.
    """
    ext = ext or config.external_dir()
    aliases = load_aliases(ext) if aliases is None else aliases
    path = ext / INNOVATIONS_FILE
    spath = _rel(path)
    df = _read_csv(path)
    _require(df, ["innovation_name", "registration_no", "created_by_as_printed",
                  "opd_normalized", "tahapan", "inisiator", "jenis", "bentuk", "urusan",
                  "ujicoba_date", "implementasi_date", "kematangan",
                  "possible_duplicate_group", "source"], path, "innovations")
    amap = aliases.set_index("alias")
    known = df["opd_normalized"].isin(amap.index)
    if not known.all():
        raise InputError("innovations", [
            Problem(spath, i, "opd_normalized", v, f"OPD name not in {ALIASES_FILE}")
            for i, v in df.loc[~known, "opd_normalized"].items()])
    unit_id = df["opd_normalized"].map(amap["unit_id"])
    attribution = df["opd_normalized"].map(amap["attribution"])
    reg = df["registration_no"].str.strip()
    valid_reg = reg.str.fullmatch(r"\d{2}\.\d{2}-[\d-]+") & ~reg.duplicated(keep=False)
    innovation_id = np.where(valid_reg, "iid2021-" + reg,
                             "iid2021-row" + pd.Series(df.index, index=df.index).astype(str))
    group = df["possible_duplicate_group"]
    is_dup = group.notna() & (attribution == "unattributed")
    maturity = pd.to_numeric(df["kematangan"], errors="coerce")
    bad = maturity.isna() & df["kematangan"].notna()
    if bad.any():
        raise InputError("innovations", [Problem(spath, i, "kematangan", v, "not a number")
                                         for i, v in df.loc[bad, "kematangan"].items()])
    out = pd.DataFrame({
        "region_code": region_code,
        "innovation_id": innovation_id,
        "unit_id": unit_id,
        "attribution": attribution,
        "submitted_by": df["created_by_as_printed"],
        "name": df["innovation_name"],
        "stage": _map_values(df, "tahapan", STAGE_MAP, spath, "innovations"),
        "form": _map_values(df, "bentuk", FORM_MAP, spath, "innovations"),
        "digital": _map_values(df, "jenis", DIGITAL_MAP, spath, "innovations").astype(bool),
        "initiator": df["inisiator"],
        "affair": df["urusan"],
        "trial_date": pd.to_datetime(df["ujicoba_date"], errors="coerce"),
        "implementation_date": pd.to_datetime(df["implementasi_date"], errors="coerce"),
        "maturity": maturity,
        "reporting_year": 2021,
        "duplicate_group": group,
        "is_duplicate": is_dup.astype(bool),
        "provenance": "public",
        "source": df["source"],
    }, index=df.index)
    for col in ("trial_date", "implementation_date"):
        raw = df["ujicoba_date" if col == "trial_date" else "implementasi_date"]
        bad = out[col].isna() & raw.notna()
        if bad.any():
            raise InputError("innovations", [Problem(spath, i, raw.name, v, "not a date "
                                                     "(YYYY-MM-DD)") for i, v in raw[bad].items()])
    return validate(out, "innovations", spath).reset_index(drop=True)


def load_public_service(reference: pd.DataFrame, aliases: pd.DataFrame,
                        file: str = REFERENCE_FILE) -> pd.DataFrame:
    """Numeric Ombudsman compliance scores as service-indicator rows. Category-only values
    (e.g. 'zona kuning' 2016) stay in the reference table. Regency-level rows keep
    ``unit_id`` empty; puskesmas are attributed to Dinas Kesehatan with their own entity."""
    om = reference[(reference["dataset"] == "Ombudsman kepatuhan")
                   & reference["value_num"].notna()]
    amap = aliases.set_index("alias")["unit_id"]
    regional = om["entity"].str.startswith("Kabupaten ")
    unknown = ~regional & ~om["entity"].isin(amap.index)
    if unknown.any():
        raise InputError("service", [Problem(file, r["row"], "entity", r["entity"],
                                             f"entity not in {ALIASES_FILE}")
                                     for _, r in om[unknown].iterrows()])
    out = pd.DataFrame({
        "region_code": om["region_code"],
        "unit_id": om["entity"].map(amap).where(~regional),
        "entity": om["entity"],
        "year": om["year"],
        "indicator": "ombudsman_score",
        "value": om["value_num"],
        "measure": "score 0-100",
        "n": pd.array([pd.NA] * len(om), dtype="Int64"),
        "provenance": "public",
        "source": om["source"],
    }, index=om.index)
    return validate(out, "service", file).reset_index(drop=True)


def load_deflator(path=None, data_dir=None) -> pd.DataFrame:
    """CPI deflator: year, inflation_pct, index (first year = 100), source, provenance.
    Default file: ``<data>/external/indonesia/deflator_cpi.csv`` (replace it to use another
    deflator)."""
    base = Path(data_dir) if data_dir else config.data_dir()
    path = Path(path) if path else base / "external" / "indonesia" / "deflator_cpi.csv"
    d = pd.read_csv(path).sort_values("year")
    d["index"] = 100 * (1 + d["inflation_pct"] / 100).cumprod() / (1 + d["inflation_pct"].iloc[0]
                                                                    / 100)
    d["provenance"] = "public"
    return d[["year", "inflation_pct", "index", "source", "provenance"]]
