"""The national peers layer: real budgets and IPM of every kabupaten/kota (and province).

Inputs (verbatim copies, see ``data/external/national/README.md`` for sources and commits):

- ``djpk_jaga_apbd/data_apbd_{kabkota,provinsi}_level3-<year>.csv``: DJPK APBD budget
  (``Anggaran``) and outturn (``Realisasi``) per pemda, year and coa90 level-3 account, via
  KPK's JAGA platform; ``kode_kabkota.csv`` / ``kode_provinsi.csv`` give each JAGA name its
  Kemendagri code (Batang ``3325`` -> region code ``33.25``).
- ``bps_ipm_kabkota/IPM <year>.csv``: BPS IPM by kab/kota (names only, grouped under
  upper-case province rows).
- ``crosswalk/bps_kemendagri_{kabkota,provinsi}.csv``: BPS <-> Kemendagri codes.
- ``ipm_aliases.csv``: the project's own curation (one reason per row) for the few IPM names
  and provinces the crosswalk does not spell the same way.

Researchers can add kab/kota APBD files of other years in the same layout with
``python -m analysis import apbd-kabkota FILE``; they land in ``data/user/national/`` and are
read here with ``provenance = "user"``.

The build step :func:`build_tables` (the step ``national`` of ``analysis.pipeline.STEPS``) writes:

``pemda``           registry: region_code, name, kind, province, JAGA and BPS codes, IPM match
``pemda_finance``   region_code, year, account_code, jenis (anggaran|realisasi), amount_idr
``pemda_ipm``       region_code, year, ipm
``pemda_unmatched`` every name that could not be joined, with the reason
``pemda_year``      the measures per pemda-year (see :data:`DEFINITIONS`)
``pemda_sikd``, ``pemda_lkpd``: DJPK 2018-2020, LKPD indices 2016-2024 (national_sikd, lkpd_indices)
``pemda_iid``       Indeks Inovasi Daerah per pemda-year, only when a researcher imported it
                    (``import iid-pemda``; user/national/iid_pemda.csv, provenance user)

Every row carries ``provenance`` and ``source`` (file) and, for rows read from a file,
``source_row`` (line number, header = line 1). Rows without an account code (a handful in
2023 and 2025) and province rows without a value (2018, 2019) are dropped and counted in the
build manifest (``derived_info``). Bad values raise :class:`~analysis.data.schema.InputError`
naming the file, line and column.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config
from analysis.data.schema import InputError, Problem, validate

NATIONAL_DIR = "national"
APBD_DIR = "djpk_jaga_apbd"
IPM_DIR = "bps_ipm_kabkota"
CROSSWALK_DIR = "crosswalk"
ALIASES_FILE = "ipm_aliases.csv"
USER_DIR = "national"        # data/user/national/: imported APBD files of other years

APBD_PATTERN = re.compile(r"^data_apbd_(kabkota|provinsi)_level3-(\d{4})\.csv$")
IPM_PATTERN = re.compile(r"^IPM (\d{4})\.csv$")
APBD_COLUMNS = ["namapemda", "provinsi", "tahun", "level1coa90", "level2coa90", "level3coa90",
                "jenis", "nilai"]

SOURCE_APBD = ("DJPK Portal Data APBD via KPK JAGA (GitHub BetaUliansyah/jaga-apbd-scraper "
               "@0300cce), {file}")
SOURCE_IPM = ("BPS, [Metode Baru] Indeks Pembangunan Manusia menurut kabupaten/kota (via GitHub "
              "tauradavin/uas-visdat-2026 @6f82eeb), {file}")
SOURCE_REGISTRY = ("JAGA kode_kabkota.csv / kode_provinsi.csv (jaga-apbd-scraper @0300cce); "
                   "BPS-Kemendagri crosswalk (zakiego/Kode-Wilayah-Administrasi-Indonesia-"
                   "Relasi-BPS-Kemendagri @8d5e83e)")

# coa90 level-3 spending accounts -> group used by the measures. Revenue (4xx) is
# "pendapatan", financing (6xx) "pembiayaan".
SPENDING_GROUP = {
    "511": "pegawai", "512": "barang_jasa", "513": "lainnya", "514": "lainnya",
    "515": "hibah_bansos", "516": "hibah_bansos", "519": "lainnya", "520": "modal", "531": "btt",
    "541": "transfer", "542": "transfer",
}
SHARE_GROUPS = ["pegawai", "barang_jasa", "modal", "hibah_bansos", "btt", "transfer",
                "lainnya"]

# A pemda-year whose spending outturn is under this fraction of its budget is flagged as
# partial (incomplete reporting); a year whose median pemda is under it is partial as a whole
# (2025 was scraped in August 2025).
PARTIAL_RATE = 0.80

DEFINITIONS = {
    "spending_budget": "sum of the coa90 5xx accounts (belanja + transfers), jenis Anggaran "
                       "(the budget last filed: not a clean murni series)",
    "spending_outturn": "the same, jenis Realisasi",
    "realisation_rate": "spending_outturn / spending_budget",
    "share_<group>": "share of spending_outturn by group: pegawai 511, barang_jasa 512, "
                     "modal 520, hibah_bansos 515+516, btt 531, transfer 541+542, "
                     "lainnya 513+514+519 (bunga, subsidi, belanja lainnya)",
    "real_outturn": "spending_outturn / CPI index x 100 (data/external/indonesia/"
                    "deflator_cpi.csv)",
    "dlog_real_spending": "log(real_outturn_t) - log(real_outturn_t-1); NaN when either year "
                          "is partial, missing, or outside the deflator",
    "ipm": "BPS IPM (metode baru) of the year",
    "d_ipm": "ipm_t - ipm_t-1 (points)",
    "partial": f"year with median realisation rate < {PARTIAL_RATE:.0%} over pemda, or a "
               f"pemda-year whose own rate is < {PARTIAL_RATE:.0%}",
}


def national_dir(data_dir: Path | str | None = None) -> Path:
    base = Path(data_dir) if data_dir else config.data_dir()
    return base / "external" / NATIONAL_DIR


def _key(s: str) -> str:
    """Name key for joins: upper case, letters and digits only ("Sawah Lunto" = "SAWAHLUNTO")."""
    return re.sub(r"[^A-Z0-9]", "", str(s).upper())


def _dotted(code: str) -> str:
    code = str(code).strip()
    return f"{code[:2]}.{code[2:]}" if len(code) == 4 else code


# ---------------------------------------------------------------------------------------------
# registry


def load_registry(ndir: Path) -> pd.DataFrame:
    """One row per pemda of the JAGA code lists, keyed by Kemendagri region code."""
    kab_file = ndir / APBD_DIR / "kode_kabkota.csv"
    prov_file = ndir / APBD_DIR / "kode_provinsi.csv"
    cw_file = ndir / CROSSWALK_DIR / "bps_kemendagri_kabkota.csv"
    kab = _read_csv(kab_file, ["kodepemda", "namapemda", "kodeprovinsi", "kodekabkota",
                               "provinsi"])
    prov = _read_csv(prov_file, ["kodepemda", "namapemda", "kodeprovinsi", "provinsi"])
    cw = _read_csv(cw_file, ["kode_bps", "nama_bps", "kode_dagri", "nama_dagri"])
    problems = [Problem(str(kab_file), i, "kodekabkota", v, "expected a 4-digit Kemendagri code")
                for i, v in kab["kodekabkota"].items() if not re.fullmatch(r"\d{4}", str(v))]
    problems += [Problem(str(prov_file), i, "kodeprovinsi", v, "expected a 2-digit code")
                 for i, v in prov["kodeprovinsi"].items() if not re.fullmatch(r"\d{2}", str(v))]
    if problems:
        raise InputError("pemda", problems)
    cw_by_dagri = cw.drop_duplicates("kode_dagri").set_index("kode_dagri")
    rows = []
    for line, r in kab.iterrows():
        code = r["kodekabkota"]
        hit = cw_by_dagri.loc[code] if code in cw_by_dagri.index else None
        kind = "kota" if str(r["namapemda"]).startswith("Kota ") else "kabupaten"
        rows.append({
            "region_code": _dotted(code), "name": r["namapemda"], "kind": kind,
            "province_code": code[:2], "province": _strip_prov(r["provinsi"]),
            "jaga_code": r["kodepemda"],
            "kode_bps": None if hit is None else hit["kode_bps"],
            "bps_name": None if hit is None else hit["nama_bps"],
            "_line": line, "_file": kab_file.name})
    for line, r in prov.iterrows():
        rows.append({
            "region_code": r["kodeprovinsi"], "name": r["namapemda"], "kind": "provinsi",
            "province_code": r["kodeprovinsi"], "province": _strip_prov(r["provinsi"]),
            "jaga_code": r["kodepemda"], "kode_bps": None, "bps_name": None,
            "_line": line, "_file": prov_file.name})
    reg = pd.DataFrame(rows)
    reg["ipm_status"] = np.where(reg["kind"] == "provinsi", "not_applicable", "unmatched")
    reg["ipm_note"] = None
    reg["provenance"] = "public"
    reg["source"] = SOURCE_REGISTRY
    return reg


def _strip_prov(s: str) -> str:
    return re.sub(r"^Provinsi\s+", "", str(s)).strip()


def _read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(path.stem, [Problem(str(path), "-", None, None, "file not found")])
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(path.stem, [Problem(str(path), 1, c, None, "required column is missing")
                                     for c in missing])
    df.index = pd.RangeIndex(2, len(df) + 2)   # line numbers: header is line 1
    return df


# ---------------------------------------------------------------------------------------------
# APBD budget and outturn


def apbd_files(ndir: Path, user_dir: Path | None = None) -> list[tuple[Path, str, int, str]]:
    """(path, level, year, provenance) of every APBD file; a user file of a year replaces
    nothing public (a year present in both is an error)."""
    out = []
    for path in sorted((ndir / APBD_DIR).glob("data_apbd_*.csv")):
        m = APBD_PATTERN.match(path.name)
        if m:
            out.append((path, m.group(1), int(m.group(2)), "public"))
    if user_dir is not None and user_dir.is_dir():
        have = {(lv, y) for _, lv, y, _ in out}
        for path in sorted(user_dir.glob("data_apbd_*.csv")):
            m = APBD_PATTERN.match(path.name)
            if not m:
                continue
            if (m.group(1), int(m.group(2))) in have:
                raise InputError("pemda_finance", [Problem(
                    str(path), "-", None, None,
                    f"{m.group(1)} {m.group(2)} is already in the public files; remove one")])
            out.append((path, m.group(1), int(m.group(2)), "user"))
    return out


def read_apbd_file(path: Path, level: str, year: int, registry: pd.DataFrame,
                   provenance: str = "public") -> tuple[pd.DataFrame, dict]:
    """One APBD file -> canonical ``pemda_finance`` rows (validated) and its counts."""
    df = _read_csv(Path(path), APBD_COLUMNS)
    n_in = len(df)
    junk = df["level3coa90"].isna() | df["nilai"].isna()
    df = df[~junk]
    problems: list[Problem] = []
    code = df["level3coa90"].str.extract(r"^\s*(\d{3})\.", expand=False)
    for i in df.index[code.isna() | ~code.fillna("").str[:1].isin(["4", "5", "6"])]:
        problems.append(Problem(str(path), i, "level3coa90", df.at[i, "level3coa90"],
                                "expected a coa90 level-3 account like '511. Belanja Pegawai'"))
    amount = pd.to_numeric(df["nilai"], errors="coerce")
    for i in df.index[amount.isna()]:
        problems.append(Problem(str(path), i, "nilai", df.at[i, "nilai"],
                                "not a number (full rupiah, dot for decimals)"))
    tahun = pd.to_numeric(df["tahun"], errors="coerce")
    for i in df.index[tahun != year]:
        problems.append(Problem(str(path), i, "tahun", df.at[i, "tahun"],
                                f"year differs from the file name ({year})"))
    jenis = df["jenis"].str.strip().str.lower()
    for i in df.index[~jenis.isin(["anggaran", "realisasi"])]:
        problems.append(Problem(str(path), i, "jenis", df.at[i, "jenis"],
                                "expected 'Anggaran' or 'Realisasi'"))
    kinds = {"provinsi"} if level == "provinsi" else {"kabupaten", "kota"}
    reg = registry[registry["kind"].isin(kinds)]
    lookup = dict(zip(zip(reg["name"].map(_key), reg["province"].map(_key), strict=True),
                      reg["region_code"], strict=True))
    pairs = df[["namapemda", "provinsi"]].drop_duplicates()   # ~500 names, ~20,000 rows
    code_of = {(n, p): lookup.get((_key(n), _key(_strip_prov(p))))
               for n, p in zip(pairs["namapemda"], pairs["provinsi"], strict=True)}
    region = pd.Series([code_of[(n, p)] for n, p in zip(df["namapemda"], df["provinsi"],
                                                         strict=True)],
                       index=df.index, dtype=object)
    for i in df.index[region.isna()]:
        problems.append(Problem(str(path), i, "namapemda", df.at[i, "namapemda"],
                                "pemda not in the JAGA code list (kode_kabkota.csv / "
                                "kode_provinsi.csv) for this province"))
    if problems:
        raise InputError("pemda_finance", problems)
    acc = code.astype(str)
    out = pd.DataFrame({
        "region_code": region.astype(str),
        "year": year,
        "account_code": acc,
        "account": df["level3coa90"].str.replace(r"^\s*\d{3}\.\s*", "", regex=True).str.strip(),
        "account_group": [SPENDING_GROUP.get(c, "pendapatan" if c[0] == "4" else
                                             "pembiayaan" if c[0] == "6" else "") for c in acc],
        "jenis": jenis,
        "amount_idr": amount.astype(float),
        "provenance": provenance,
        "source": SOURCE_APBD.format(file=Path(path).name),
        "source_row": df.index.astype(int),
    }, index=df.index)
    bad = out["account_group"] == ""
    if bad.any():
        raise InputError("pemda_finance", [
            Problem(str(path), i, "level3coa90", df.at[i, "level3coa90"],
                    "5xx account not in the coa90 spending list (511-516, 519, 520, 531, 541, 542)")
            for i in out.index[bad]])
    out = validate(out, "pemda_finance", str(path))
    return out.reset_index(drop=True), {"rows": n_in, "dropped_junk": int(junk.sum())}


def flag_partial(finance: pd.DataFrame) -> pd.DataFrame:
    """Per pemda-year: spending budget, outturn, rate and the partial flag with its reason."""
    sp = finance[finance["account_code"].str.startswith("5")]
    tot = sp.pivot_table(index=["region_code", "year"], columns="jenis", values="amount_idr",
                         aggfunc="sum").reindex(columns=["anggaran", "realisasi"])
    tot.columns = ["spending_budget", "spending_outturn"]
    tot["realisation_rate"] = tot["spending_outturn"] / tot["spending_budget"]
    tot = tot.reset_index()
    med = tot.groupby("year")["realisation_rate"].median()
    year_partial = tot["year"].map(med < PARTIAL_RATE)
    own = tot["realisation_rate"] < PARTIAL_RATE
    tot["partial"] = year_partial | own
    tot["partial_note"] = np.select(
        [year_partial, own],
        [tot["year"].map(lambda y: f"partial year: median realisation rate {med[y]:.0%} over "
                                   "pemda (reporting incomplete)"),
         tot["realisation_rate"].map(lambda r: f"outturn {r:.0%} of budget: likely incomplete "
                                               "reporting")],
        default="")
    return tot


# ---------------------------------------------------------------------------------------------
# IPM


def read_ipm_file(path: Path, year: int) -> pd.DataFrame:
    """One raw BPS export -> rows (line, province, name, ipm); '-' is missing."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    problems = []
    if len(lines) < 4 or not any(str(year) in c for c in lines[2]):
        problems.append(Problem(str(path), 3, None, ",".join(lines[2]) if len(lines) > 2 else None,
                                f"expected the BPS header with the year {year} on line 3"))
    rows = []
    prov = None
    for n, cells in enumerate(lines[3:], start=4):
        if not cells or not "".join(cells).strip():
            continue
        if len(cells) != 2:
            problems.append(Problem(str(path), n, "value", ",".join(cells),
                                    f"expected 2 fields (name,value), found {len(cells)}: a "
                                    "decimal comma or an unquoted comma in the name"))
            continue
        name, value = cells[0].strip(), cells[1].strip()
        if not name:
            problems.append(Problem(str(path), n, "name", None, "empty name"))
            continue
        if name == "INDONESIA":
            continue
        if name.upper() == name and any(ch.isalpha() for ch in name):
            prov = name
            continue
        if prov is None:
            problems.append(Problem(str(path), n, "name", name,
                                    "kab/kota row before any province row"))
            continue
        if value in ("-", ""):
            ipm = np.nan
        else:
            try:
                ipm = float(value)
            except ValueError:
                problems.append(Problem(str(path), n, "value", value,
                                        "not a number (dot for decimals, '-' for missing)"))
                continue
            if not 0 < ipm <= 100:
                problems.append(Problem(str(path), n, "value", value, "IPM outside 0-100"))
                continue
        rows.append((n, prov, name, ipm))
    if problems:
        raise InputError("pemda_ipm", problems)
    return pd.DataFrame(rows, columns=["source_row", "bps_province", "bps_name", "ipm"])


def match_ipm(ipm_rows: pd.DataFrame, ndir: Path) -> pd.DataFrame:
    """Add ``kode_bps`` (or a reason in ``unmatched``) to IPM rows: province by name (or alias),
    kab/kota by (BPS province, kota or not, name key), "A / B" names by either part, then the
    curated aliases."""
    cw = _read_csv(ndir / CROSSWALK_DIR / "bps_kemendagri_kabkota.csv",
                   ["kode_bps", "nama_bps", "kode_dagri"])
    cwp = _read_csv(ndir / CROSSWALK_DIR / "bps_kemendagri_provinsi.csv",
                    ["kode_bps", "nama_bps"])
    al = _read_csv(ndir / ALIASES_FILE, ["kind", "ipm_province", "ipm_name", "kode_bps", "note"])
    prov_code = {_key(n): c for n, c in zip(cwp["nama_bps"], cwp["kode_bps"], strict=True)}
    for _, a in al[al["kind"] == "province"].iterrows():
        prov_code[_key(a["ipm_province"])] = a["kode_bps"]
    name_alias = {(_key(a["ipm_province"]), _key(a["ipm_name"])): a["kode_bps"]
                  for _, a in al[al["kind"] == "kabkota"].iterrows()}
    cw = cw.assign(_prov=cw["kode_bps"].str[:2], _kota=cw["kode_bps"].str[2] == "7",
                   _k=cw["nama_bps"].map(_key))
    index: dict[tuple, list[str]] = {}
    for p, kota, k, code in zip(cw["_prov"], cw["_kota"], cw["_k"], cw["kode_bps"], strict=True):
        index.setdefault((p, bool(kota), k), []).append(code)
    codes, reasons = [], []
    for prov, name in zip(ipm_rows["bps_province"], ipm_rows["bps_name"], strict=True):
        pc = prov_code.get(_key(prov))
        alias = name_alias.get((_key(prov), _key(name)))
        if alias:
            codes.append(alias)
            reasons.append("")
            continue
        if pc is None:
            codes.append(None)
            reasons.append(f"province {prov!r} not in the crosswalk nor in {ALIASES_FILE}")
            continue
        kota = name.startswith("Kota ")
        bare = name[5:] if kota else name
        hits = []
        for part in bare.split("/"):
            hits += index.get((pc, kota, _key(part)), [])
        hits = sorted(set(hits))
        if len(hits) == 1:
            codes.append(hits[0])
            reasons.append("")
        else:
            codes.append(None)
            reasons.append("no crosswalk name matches" if not hits else
                           f"ambiguous: crosswalk codes {', '.join(hits)}")
    out = ipm_rows.copy()
    out["kode_bps"] = codes
    out["unmatched"] = reasons
    dagri = dict(zip(cw["kode_bps"], cw["kode_dagri"], strict=True))
    out["region_code"] = out["kode_bps"].map(lambda c: _dotted(dagri[c]) if c in dagri else None)
    return out


def load_ipm(ndir: Path, registry: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``pemda_ipm`` (validated) and the IPM names that match no registry pemda."""
    frames = []
    for path in sorted((ndir / IPM_DIR).glob("IPM *.csv")):
        m = IPM_PATTERN.match(path.name)
        if not m:
            continue
        year = int(m.group(1))
        rows = match_ipm(read_ipm_file(path, year), ndir)
        rows["year"] = year
        rows["file"] = path.name
        frames.append(rows)
    if not frames:
        return pd.DataFrame(), pd.DataFrame()
    allr = pd.concat(frames, ignore_index=True)
    known = set(registry["region_code"])
    no_code = allr["region_code"].isna()
    not_reg = ~no_code & ~allr["region_code"].isin(known)
    allr.loc[not_reg, "unmatched"] = "Kemendagri code not in the JAGA pemda list (no APBD data)"
    unmatched = allr[no_code | not_reg]
    ok = allr[~no_code & ~not_reg].copy()
    # New Papua provinces (2022-): a kabupaten appears under the old and the new province, one
    # copy often '-'. Keep the non-missing value; two different values are an error.
    ok = ok.sort_values(["region_code", "year", "ipm"], na_position="last")
    conflict = ok.dropna(subset=["ipm"]).groupby(["region_code", "year"])["ipm"].nunique() > 1
    if conflict.any():
        bad = ok.set_index(["region_code", "year"]).loc[conflict[conflict].index]
        raise InputError("pemda_ipm", [Problem(f, r, "value", v, "the same kab/kota has two "
                                               "different IPM values in this file")
                                       for f, r, v in zip(bad["file"], bad["source_row"],
                                                          bad["ipm"], strict=True)])
    ok = ok.drop_duplicates(["region_code", "year"], keep="first")
    ipm = pd.DataFrame({
        "region_code": ok["region_code"], "year": ok["year"].astype(int), "ipm": ok["ipm"],
        "bps_name": ok["bps_name"], "bps_province": ok["bps_province"], "provenance": "public",
        "source": ok["file"].map(lambda f: SOURCE_IPM.format(file=f)),
        "source_row": ok["source_row"].astype(int)}).reset_index(drop=True)
    ipm = validate(ipm, "pemda_ipm", f"{IPM_DIR}/IPM <year>.csv")
    um = unmatched.assign(side="bps_ipm", source=unmatched["file"].map(
        lambda f: f"{IPM_DIR}/{f}"))[["side", "bps_province", "bps_name", "year", "source",
                                      "source_row", "unmatched"]]
    um = (um.groupby(["side", "bps_province", "bps_name", "unmatched"], as_index=False)
          .agg(years=("year", lambda s: ",".join(str(y) for y in sorted(set(s)))),
               source=("source", "first"), source_row=("source_row", "first")))
    return ipm, um.rename(columns={"bps_province": "province", "bps_name": "name",
                                   "unmatched": "reason"})


# ---------------------------------------------------------------------------------------------
# measures


def pemda_measures(finance: pd.DataFrame, ipm: pd.DataFrame, registry: pd.DataFrame,
                   deflator: pd.DataFrame | None) -> pd.DataFrame:
    """Per pemda-year: the measures of :data:`DEFINITIONS` on the complete pemda x year grid
    (a missing year is a row of NaN, never interpolated)."""
    tot = flag_partial(finance)
    sp = finance[(finance["jenis"] == "realisasi") & finance["account_code"].str.startswith("5")]
    by = sp.pivot_table(index=["region_code", "year"], columns="account_group",
                        values="amount_idr", aggfunc="sum").reindex(columns=SHARE_GROUPS)
    by = by.fillna(0.0).reset_index()
    m = tot.merge(by, on=["region_code", "year"], how="left")
    for g in SHARE_GROUPS:
        m[f"share_{g}"] = m[g] / m["spending_outturn"]
    m = m.drop(columns=SHARE_GROUPS)
    years = sorted(set(m["year"]) | set(ipm["year"] if not ipm.empty else []))
    kab = registry[["region_code"]]
    grid = kab.merge(pd.DataFrame({"year": years}), how="cross")
    m = grid.merge(m, on=["region_code", "year"], how="left")
    if not ipm.empty:
        m = m.merge(ipm[["region_code", "year", "ipm"]], on=["region_code", "year"], how="left")
    else:
        m["ipm"] = np.nan
    m = m.sort_values(["region_code", "year"]).reset_index(drop=True)
    if deflator is not None and not deflator.empty:
        idx = m["year"].map(deflator.set_index("year")["index"])
        m["real_outturn"] = m["spending_outturn"] / idx * 100
    else:
        m["real_outturn"] = np.nan
    g = m.groupby("region_code")
    prev_real = g["real_outturn"].shift(1)
    prev_partial = g["partial"].shift(1)
    ok = (m["partial"] == False) & (prev_partial == False)  # noqa: E712 (NaN is not False)
    with np.errstate(divide="ignore", invalid="ignore"):
        dl = np.log(m["real_outturn"] / prev_real)
    m["dlog_real_spending"] = dl.where(ok & (m["real_outturn"] > 0) & (prev_real > 0))
    m["d_ipm"] = m["ipm"] - g["ipm"].shift(1)
    m["partial"] = m["partial"].astype("boolean")
    m["partial_note"] = m["partial_note"].fillna("")
    info = registry.set_index("region_code")[["name", "kind", "province_code", "province"]]
    m = m.join(info, on="region_code")
    m["provenance"] = m["region_code"].map(
        finance.groupby("region_code")["provenance"].agg(lambda s: "+".join(sorted(set(s)))))
    m["provenance"] = m["provenance"].fillna("public")
    return m


# ---------------------------------------------------------------------------------------------
# build step


def _input_key(ndir: Path, user_dir: Path, deflator) -> str:
    """Content key of the national tables: every file they read (national public files,
    imported APBD years), the deflator's values and the source of this module."""
    import hashlib

    from analysis.data import cache

    h = hashlib.sha256(Path(__file__).read_bytes())
    for mod in ("national_sikd.py", "lkpd_indices.py",     # the readers called from here
                "iid.py", "schema.py"):
        h.update(hashlib.sha256((Path(__file__).parent / mod).read_bytes()).digest())
    for folder in (ndir, user_dir):
        if folder.is_dir():
            for f in sorted(folder.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    h.update(f.relative_to(folder).as_posix().encode())
                    h.update(hashlib.sha256(f.read_bytes()).digest())
    if deflator is not None:
        h.update(pd.util.hash_pandas_object(deflator, index=False).to_numpy().tobytes())
    return cache.key("national", h.hexdigest())


def build_tables(tables: dict, truth: dict, data_dir: Path | str | None = None) -> dict:
    """Derived build step: the national tables, or nothing when the folder is absent.

    The tables depend only on the national files, the imported APBD years and the deflator, so
    they are cached by the content of those (``data.cache``): an import of an OPD file or a
    re-seeded simulation reuses them instead of re-reading ~100,000 APBD rows (about 5 s)."""
    ndir = national_dir(data_dir)
    if not (ndir / APBD_DIR).is_dir():
        return {"__info__": {"skipped": f"{ndir} not found: no peers tables"}}
    from analysis.data import cache

    user_dir = (Path(data_dir) if data_dir else config.data_dir()) / "user" / USER_DIR
    key = _input_key(ndir, user_dir, tables.get("deflator"))
    out, _ = cache.cached(config.fit_cache_dir(), f"national-{key}",
                          lambda: _build_tables(tables, ndir, user_dir))
    return out


def _build_tables(tables: dict, ndir: Path, user_dir: Path) -> dict:
    registry = load_registry(ndir)
    frames, counts = [], {}
    for path, level, year, prov in apbd_files(ndir, user_dir):
        df, c = read_apbd_file(path, level, year, registry, prov)
        frames.append(df)
        counts[path.name] = c
    finance = pd.concat(frames, ignore_index=True)
    ipm, unmatched_ipm = load_ipm(ndir, registry)
    matched = set(ipm["region_code"]) if not ipm.empty else set()
    kabkota = registry["kind"] != "provinsi"
    registry.loc[kabkota & registry["region_code"].isin(matched), "ipm_status"] = "matched"
    miss = kabkota & ~registry["region_code"].isin(matched)
    registry.loc[miss, "ipm_note"] = [
        "no BPS IPM row matches" + (f" (crosswalk BPS {c} {n})" if c else
                                    " (Kemendagri code not in the crosswalk)")
        for c, n in zip(registry.loc[miss, "kode_bps"].fillna(""),
                        registry.loc[miss, "bps_name"].fillna(""), strict=True)]
    unmatched_reg = registry.loc[miss].assign(
        side="registry", source=registry.loc[miss, "_file"], years="",
        reason=registry.loc[miss, "ipm_note"])[
        ["side", "province", "name", "reason", "years", "source", "_line"]].rename(
        columns={"_line": "source_row"})
    registry = validate(registry.drop(columns=["_line", "_file"]), "pemda",
                        f"{APBD_DIR}/kode_kabkota.csv")
    extra_tables, extra_info, extra_unmatched = _read_2016_2020(ndir, registry)
    iid = _read_iid(user_dir, registry)
    if iid is not None:
        extra_tables["pemda_iid"] = iid
    extra_info["iid"] = ({"rows": int(len(iid)), "pemda": int(iid["region_code"].nunique()),
                          "years": sorted(int(y) for y in set(iid["year"]))}
                         if iid is not None else {"skipped": "no user/national/iid_pemda.csv "
                                                             "(import iid-pemda)"})
    unmatched = pd.concat([unmatched_reg, unmatched_ipm, *extra_unmatched], ignore_index=True)
    unmatched["provenance"] = "public"
    measures = pemda_measures(finance, ipm, registry, tables.get("deflator"))
    part = measures[measures["partial"] == True]  # noqa: E712
    info = {
        "files": counts,
        "dropped_junk_rows": int(sum(c["dropped_junk"] for c in counts.values())),
        "pemda": int(len(registry)),
        "kabkota_ipm_matched": int((registry["ipm_status"] == "matched").sum()),
        "kabkota_ipm_unmatched": int((registry["ipm_status"] == "unmatched").sum()),
        "ipm_names_unmatched": int(len(unmatched_ipm)),
        "partial_pemda_years": {str(y): int(n) for y, n in part.groupby("year").size().items()},
        **extra_info,
    }
    return {"pemda": registry.reset_index(drop=True), "pemda_finance": finance,
            "pemda_ipm": ipm, "pemda_unmatched": unmatched, "pemda_year": measures,
            **extra_tables, "__info__": info}


def _read_iid(user_dir: Path, registry: pd.DataFrame) -> pd.DataFrame | None:
    """``pemda_iid``: the Indeks Inovasi Daerah per pemda a researcher imported
    (``import iid-pemda``; read by :mod:`analysis.data.iid`), or None."""
    from analysis.data import iid

    path = user_dir / iid.USER_FILE
    if not path.is_file():
        return None
    return iid.read_user_file(path, set(registry["region_code"]))


def _read_2016_2020(ndir: Path, registry: pd.DataFrame) -> tuple[dict, dict, list]:
    """``pemda_sikd`` (DJPK 2018-2020, :mod:`analysis.data.national_sikd`) and ``pemda_lkpd``
    (Maksikeuda LKPD indices 2016-2024, :mod:`analysis.data.lkpd_indices`), each only when its
    folder is present; their build info under ``sikd`` / ``lkpd``."""
    from analysis.data import lkpd_indices, national_sikd

    tables, info, unmatched = {}, {}, []
    for name, key, mod in (("pemda_sikd", "sikd", national_sikd),
                           ("pemda_lkpd", "lkpd", lkpd_indices)):
        got = mod.load(ndir, registry)
        if got is None:
            info[key] = {"skipped": "folder not found"}
            continue
        tables[name], um, info[key] = got
        if len(um):
            unmatched.append(um)
    return tables, info, unmatched
