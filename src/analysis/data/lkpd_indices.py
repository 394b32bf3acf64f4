"""Maksikeuda financial condition and performance indices from audited LKPD, 2016-2024 ->
table ``pemda_lkpd``.

Input: ``data/external/national/maksikeuda_lkpd_indices/data.xlsx`` (verbatim copy of GitHub
``maksi-ugm/maksikeuda`` @8831bc5, a dashboard of Magister Akuntansi FEB UGM built from
BPK-audited LKPD; see that folder's ``PROVENANCE.md``). Sheets read: ``INFO`` (PEMDA, KLASTER,
TINGKAT), ``PARAMETER`` (INDIKATOR, ...) and ``INDIKATOR`` (PEMDA, TAHUN, INDIKATOR, NILAI).

Repo tables (project curation, one reason per row):

- ``lkpd_indicators.csv``: ``key, name, zero_is_missing, better, reason``. The dashboard stores
  a missing value as 0. Where the indicator's formula (PARAMETER ``RUMUS``) cannot give 0, a 0
  is read as missing (NaN, ``missing_reason`` says so). Where 0 is a real value (the two
  min-max indices, the Tusi score) it is kept, except that a pemda-year whose 13 indicators are
  all 0 is missing for every indicator. Both are counted in the build info.
- ``lkpd_aliases.csv``: ``tingkat, lkpd_name, region_code, registry_name, reason`` for the
  names that differ from the registry's (JAGA code lists).

Names join the registry by (level, name key): INFO's ``TINGKAT`` gives the level
(Kabupaten / Kota / Provinsi), so "BATANG" (kabupaten) and a city of the same name never
collide; kota names lose their "KOTA " prefix; the key is upper case letters and digits only.
Names that match nothing go to ``pemda_unmatched`` (side ``lkpd``) with the reason.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from analysis.data.schema import InputError, Problem, validate

LKPD_DIR = "maksikeuda_lkpd_indices"
LKPD_FILE = "data.xlsx"
INDICATORS_FILE = "lkpd_indicators.csv"
ALIASES_FILE = "lkpd_aliases.csv"
SOURCE = ("Dashboard Indeks Maksikeuda (Magister Akuntansi FEB UGM) from BPK-audited LKPD, "
          "GitHub maksi-ugm/maksikeuda @8831bc5, data.xlsx")
HEADERS = {"INFO": ["PEMDA", "KLASTER", "TINGKAT"],
           "PARAMETER": ["INDIKATOR", "DEFINISI", "NILAI_HARAPAN", "RUMUS", "JENIS"],
           "INDIKATOR": ["PEMDA", "TAHUN", "INDIKATOR", "NILAI"]}
LEVELS = {"Kabupaten": "kabupaten", "Kota": "kota", "Provinsi": "provinsi"}
COLS = "ABCDE"
MISSING_ZERO = "stored as 0; the indicator cannot be 0"
MISSING_ALL_ZERO = "all indicators of the pemda-year stored as 0"


def _key(s) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(s).upper())


def _registry_key(name: str) -> str:
    return _key(re.sub(r"^(Kab\.?|Kota|Provinsi)\s+", "", str(name).strip()))


def _lkpd_key(name: str, level: str) -> str:
    n = str(name).strip()
    if level == "Kota":
        n = re.sub(r"^KOTA\s+", "", n, flags=re.I)
    return _key(n)


def _csv(path: Path, need: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("pemda_lkpd", [Problem(str(path), "-", None, None, "file not found")])
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise InputError("pemda_lkpd", [Problem(str(path), 1, c, None,
                                                "required column is missing") for c in miss])
    df.index = pd.RangeIndex(2, len(df) + 2)
    return df


def load_indicators(ndir: Path) -> pd.DataFrame:
    path = ndir / INDICATORS_FILE
    df = _csv(path, ["key", "name", "zero_is_missing", "better", "reason"])
    problems = []
    for i, r in df.iterrows():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", r["key"]):
            problems.append(Problem(str(path), i, "key", r["key"], "expected a snake_case key"))
        if r["zero_is_missing"] not in ("true", "false"):
            problems.append(Problem(str(path), i, "zero_is_missing", r["zero_is_missing"],
                                    "expected true or false"))
        if r["better"] not in ("higher", "lower", "closer_to_1"):
            problems.append(Problem(str(path), i, "better", r["better"],
                                    "expected higher, lower or closer_to_1"))
        if not r["reason"].strip():
            problems.append(Problem(str(path), i, "reason", None, "every row needs a reason"))
    if problems:
        raise InputError("pemda_lkpd", problems)
    return df


def read_workbook(path: Path) -> dict[str, list[tuple]]:
    """The three sheets as lists of rows (row 1 = header, checked)."""
    wb = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    out, problems = {}, []
    for sheet, head in HEADERS.items():
        if sheet not in wb.sheetnames:
            problems.append(Problem(str(path), "-", None, ", ".join(wb.sheetnames),
                                    f"sheet {sheet!r} not found"))
            continue
        rows = list(wb[sheet].iter_rows(values_only=True, max_col=len(head)))
        got = [str(v).strip() if v is not None else "" for v in (rows[0] if rows else [])]
        for j, h in enumerate(head):
            if j >= len(got) or got[j] != h:
                problems.append(Problem(f"{path} [sheet {sheet}]", 1, COLS[j],
                                        got[j] if j < len(got) else None,
                                        f"header moved or renamed: expected {h!r}"))
        out[sheet] = rows
    wb.close()
    if problems:
        raise InputError("pemda_lkpd", problems)
    return out


def match_names(info: list[tuple], names: set[str], registry: pd.DataFrame,
                aliases: pd.DataFrame, path: Path) -> tuple[dict[str, str], list[dict]]:
    """Stripped PEMDA name -> region_code by (level, key) or alias; the unmatched with reasons.

    ``names``: the names of INDIKATOR. Their level is INFO's TINGKAT (same stripped name), or
    the alias's ``tingkat`` for a name INFO spells differently."""
    idx: dict[tuple, list[str]] = {}
    for kind, name, code in zip(registry["kind"], registry["name"], registry["region_code"],
                                strict=True):
        idx.setdefault((kind, _registry_key(name)), []).append(code)
    known = set(registry["region_code"])
    alias, alias_level, problems = {}, {}, []
    for i, a in aliases.iterrows():
        if a["region_code"] not in known:
            problems.append(Problem(str(path.parent.parent / ALIASES_FILE), i, "region_code",
                                    a["region_code"], "not a registry region_code"))
        if a["tingkat"] not in LEVELS:
            problems.append(Problem(str(path.parent.parent / ALIASES_FILE), i, "tingkat",
                                    a["tingkat"], f"expected one of {sorted(LEVELS)}"))
        alias[(a["tingkat"], _key(a["lkpd_name"]))] = a["region_code"]
        alias_level[_key(a["lkpd_name"])] = a["tingkat"]
    level_of, info_row = {}, {}
    for n, row in enumerate(info[1:], start=2):
        if row[0] is None:
            continue
        if row[2] not in LEVELS:
            problems.append(Problem(f"{path} [sheet INFO]", n, "C", row[2],
                                    f"TINGKAT not in {sorted(LEVELS)}"))
        level_of[str(row[0]).strip()] = row[2]
        info_row[str(row[0]).strip()] = n
    if problems:
        raise InputError("pemda_lkpd", problems)
    codes, unmatched = {}, []
    for name in sorted(set(level_of) | set(names)):
        level = level_of.get(name) or alias_level.get(_key(name))
        src = (f"{LKPD_DIR}/{LKPD_FILE} [sheet INFO]" if name in info_row else
               f"{LKPD_DIR}/{LKPD_FILE} [sheet INDIKATOR]")
        if level is None:
            unmatched.append({"side": "lkpd", "province": "", "name": name,
                              "reason": f"name in INDIKATOR but not in INFO nor in "
                                        f"{ALIASES_FILE} (no level)",
                              "years": "", "source": src, "source_row": 0})
            continue
        a = alias.get((level, _key(name)))
        hits = [a] if a else idx.get((LEVELS[level], _lkpd_key(name, level)), [])
        if len(hits) == 1:
            codes[name] = hits[0]
            continue
        reason = (f"no {LEVELS[level]} of that name in the JAGA code lists nor in "
                  f"{ALIASES_FILE}" if not hits else f"ambiguous: {', '.join(hits)}")
        if level == "Provinsi" and _key(name).startswith("PAPUA"):
            reason += " (province created in 2022, not in the 34-province JAGA list)"
        if name not in names:
            reason += "; no rows in INDIKATOR"
        unmatched.append({"side": "lkpd", "province": "", "name": name, "reason": reason,
                          "years": "", "source": src, "source_row": info_row.get(name, 0)})
    return codes, unmatched


def load(ndir: Path, registry: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict] | None:
    """``(pemda_lkpd, unmatched, info)``, or None when the folder is absent."""
    path = ndir / LKPD_DIR / LKPD_FILE
    if not path.parent.is_dir():
        return None
    if not path.is_file():
        raise InputError("pemda_lkpd", [Problem(str(path), "-", None, None, "file not found")])
    ind = load_indicators(ndir)
    aliases = _csv(ndir / ALIASES_FILE, ["tingkat", "lkpd_name", "region_code", "registry_name",
                                         "reason"])
    t0 = time.perf_counter()
    sheets = read_workbook(path)
    read_s = time.perf_counter() - t0
    params = {str(r[0]).strip() for r in sheets["PARAMETER"][1:] if r[0] is not None}
    key_of = dict(zip(ind["name"], ind["key"], strict=True))
    problems = [Problem(str(ndir / INDICATORS_FILE), "-", "name", p,
                        "PARAMETER indicator not in the indicators table")
                for p in sorted(params - set(key_of))]
    where = f"{path} [sheet INDIKATOR]"
    rows = []
    for n, r in enumerate(sheets["INDIKATOR"][1:], start=2):
        if all(v is None for v in r):
            continue
        name, year, indicator, value = (list(r) + [None] * 4)[:4]
        if str(indicator).strip() not in key_of:
            problems.append(Problem(where, n, "C", indicator,
                                    f"indicator not in {INDICATORS_FILE}"))
            continue
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            problems.append(Problem(where, n, "B", year, "expected a year (integer)"))
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            problems.append(Problem(where, n, "D", value, "expected a number"))
            continue
        rows.append((str(name), year, str(indicator).strip(), float(value), n))
    if problems:
        raise InputError("pemda_lkpd", problems)
    df = pd.DataFrame(rows, columns=["lkpd_name", "year", "indicator_name", "value", "source_row"])
    df["indicator"] = df["indicator_name"].map(key_of)
    df["lkpd_name"] = df["lkpd_name"].str.strip()
    codes, unmatched = match_names(sheets["INFO"], set(df["lkpd_name"]), registry, aliases, path)
    df["region_code"] = df["lkpd_name"].map(codes)
    first_row = df.groupby("lkpd_name")["source_row"].min()
    for u in unmatched:
        if not u["source_row"]:
            u["source_row"] = int(first_row.get(u["name"], 0))
    um_years = df[df["region_code"].isna()].groupby("lkpd_name")["year"].agg(
        lambda s: ",".join(str(y) for y in sorted(set(s))))
    for u in unmatched:
        u["years"] = um_years.get(u["name"], "")
    n_unmatched_rows = int(df["region_code"].isna().sum())
    n_unmatched_zero = int((df["region_code"].isna() & (df["value"] == 0)).sum())
    df = df[df["region_code"].notna()].copy()

    # zeros: per indicator rule, then whole pemda-years of zeros
    zmiss = dict(zip(ind["key"], ind["zero_is_missing"] == "true", strict=True))
    zero = df["value"] == 0
    all_zero = df.assign(z=zero).groupby(["region_code", "year"])["z"].transform("all")
    rule = zero & df["indicator"].map(zmiss)
    df["missing_reason"] = np.where(all_zero, MISSING_ALL_ZERO,
                                    np.where(rule, MISSING_ZERO, ""))
    df.loc[df["missing_reason"] != "", "value"] = np.nan
    table = pd.DataFrame({
        "region_code": df["region_code"], "year": df["year"].astype(int),
        "indicator": df["indicator"], "indicator_name": df["indicator_name"],
        "value": df["value"].astype(float), "missing_reason": df["missing_reason"],
        "lkpd_name": df["lkpd_name"], "source": SOURCE, "source_sheet": "INDIKATOR",
        "source_row": df["source_row"].astype(int), "provenance": "public"}).reset_index(drop=True)
    dup = table.duplicated(["region_code", "year", "indicator"], keep=False)
    if dup.any():
        raise InputError("pemda_lkpd", [
            Problem(where, r, "A", nm, "two PEMDA names give the same pemda-year-indicator "
                                       "(check the aliases)")
            for r, nm in zip(table.loc[dup, "source_row"], table.loc[dup, "lkpd_name"],
                             strict=True)][:50])
    table = validate(table, "pemda_lkpd", f"{LKPD_DIR}/{LKPD_FILE}")
    per = table.groupby("indicator")["missing_reason"]
    info = {
        "read_seconds": round(read_s, 2),
        "rows": int(len(table)),
        "pemda": int(table["region_code"].nunique()),
        "years": sorted(int(y) for y in table["year"].unique()),
        "names_unmatched": [u["name"] for u in unmatched],
        "rows_of_unmatched_names": n_unmatched_rows,
        "zero_values_in_unmatched_rows": n_unmatched_zero,
        "zero_read_as_missing": {k: int(v) for k, v in
                                 per.apply(lambda s: (s == MISSING_ZERO).sum()).items()},
        "zero_pemda_years_all_indicators": int(
            table[table["missing_reason"] == MISSING_ALL_ZERO][["region_code", "year"]]
            .drop_duplicates().shape[0]),
        "zero_kept_as_value": {k: int(v) for k, v in
                               table[table["value"] == 0].groupby("indicator").size().items()},
    }
    return table, pd.DataFrame(unmatched), info
