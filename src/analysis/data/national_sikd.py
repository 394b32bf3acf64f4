"""DJPK's own 2018-2020 APBD tables ("Data APBD", SIKD) for every pemda -> table ``pemda_sikd``.

Input: ``data/external/national/djpk_sikd_2018_2020/*.xlsx``, verbatim copies of DJPK Kemenkeu's
published spreadsheets (via GitHub ``vincentanutama/apbn`` @f73d081; see that folder's
``PROVENANCE.md``), read as published: no sheet is re-saved or re-typed.

How they are read
    Every file has a *layout* (:data:`FILES`). Each layout's header cells are listed in the
    repo table ``data/external/national/sikd_coa90_map.csv`` (``layout, cell, header, role,
    group, reason``): the reader takes the value at the cell's column (or, for the transposed
    2018 outturn, the cell's row), after checking that the cell still holds ``header`` (spaces
    collapsed). A moved or renamed column stops the build with file, sheet, row and column.
    ``role`` says what the column is: ``no`` (the ``No.`` column), ``code`` (the DJPK pemda code,
    e.g. Batang ``11.03``), ``jenis`` (data status), ``amount`` (rupiah, summed into ``group``).

Chart of accounts
    The files use Permendagri 13/2006 (belanja tidak langsung / langsung). The map gives each
    account its coa90 group of the 2021+ JAGA files (:data:`analysis.data.national.SHARE_GROUPS`):
    pegawai = BTL pegawai + BL pegawai, barang_jasa, modal, hibah_bansos = hibah + bansos, btt,
    transfer = bagi hasil + bantuan keuangan, lainnya = bunga + subsidi + belanja lainnya.
    ``total`` is "Belanja Daerah" as published; the build info counts the pemda-year-measures
    whose groups do not sum to it within 1 rupiah.

Keys
    Pemda are joined on the ``No.`` column and the DJPK code, never on names. The code is in
    2019R1 and 2019R5 only: their ``No. -> code`` maps must be identical, and every other file
    gets its codes through ``No.``. The code is the JAGA ``kodepemda`` of the registry
    (``pemda.jaga_code``), which gives the Kemendagri ``region_code``.

Measures
    ``budget_murni`` (APBD ringkasan A1 2018, 2019, 2020; for 2020 the latest of four releases,
    the earlier ones compared to it in the build info), ``outturn`` (full-year LRA R1 2018,
    2019) and ``outturn_s1`` (semester I, R5 2019, 2020). ``jenis_data``: 2019R1 "Jenis Data"
    (``"14 audited"`` ...), 2018R1 row 5 (``"audited"`` / ``"perda"``), 2020R5 "Sumber Data"
    (``"LRA Semester I"`` or ``"LRA Bulan Juni"``, as published); empty elsewhere.
    ``source_row`` is the spreadsheet row (1-based) of the pemda, or for the transposed 2018R1
    the row of the group's first account; ``source_cells`` lists the exact cells summed
    (``"V188+AE188"``, ``"GC25+GC34"``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from analysis.data.schema import InputError, Problem, validate

SIKD_DIR = "djpk_sikd_2018_2020"
MAP_FILE = "sikd_coa90_map.csv"
SOURCE = "DJPK Kemenkeu, Data APBD (via GitHub vincentanutama/apbn @f73d081), {file}"
GROUPS = ["pegawai", "barang_jasa", "modal", "hibah_bansos", "btt", "transfer", "lainnya"]
MEASURES = ["budget_murni", "outturn", "outturn_s1"]
TOLERANCE_IDR = 1.0

# file -> (layout in the map, sheet, year, measure). Layouts are "row" tables (one row per
# pemda) except r1_2018 (one column per pemda, from column E).
FILES = {
    "2018A1V3200910.xlsx": ("a1_2018", "APBD 2018", 2018, "budget_murni"),
    "2018R1V5200910.xlsx": ("r1_2018", "LRA 2018", 2018, "outturn"),
    "2019A1V3200910.xlsx": ("a1_2019", "APBD 2019", 2019, "budget_murni"),
    "2019R1V1200907.xlsx": ("r1_2019", "Sheet1", 2019, "outturn"),
    "2019R5V3200709.xlsx": ("r5_2019", "RealAPBD2019", 2019, "outturn_s1"),
    "2020A1V4200708.xlsx": ("a1_2020", "APBD 2020", 2020, "budget_murni"),
    "2020R5V1200804.xlsx": ("r5_2020", "LRA Semester I 2020", 2020, "outturn_s1"),
}
# earlier releases of the 2020 budget: read the same way, compared to the latest, not kept
EARLIER_2020 = {
    "2020A1V1200407.xlsx": ("a1_2020v1", "APBD 2020", 2020, "budget_murni"),
    "2020A1V2200428.xlsx": ("a1_2020", "APBD 2020", 2020, "budget_murni"),
    "2020A1V3200506.xlsx": ("a1_2020", "APBD 2020", 2020, "budget_murni"),
}
LATEST_2020 = "2020A1V4200708.xlsx"
CODE_FILES = ("2019R1V1200907.xlsx", "2019R5V3200709.xlsx")
TRANSPOSED = {"r1_2018": {"first_col": 5, "jenis_row": 5}}
JENIS_2019 = {12: "12 desember", 13: "13 unaudited", 14: "14 audited", 15: "15 perda"}
JENIS_2018 = {"Audited": "audited", "Perda": "perda"}
ROLES = {"no", "code", "jenis", "amount", "label"}


def _norm(v) -> str:
    return re.sub(r"\s+", " ", "" if v is None else str(v)).strip()


def _split(cell: str) -> tuple[str, int]:
    m = re.fullmatch(r"([A-Z]{1,3})(\d+)", cell)
    if not m:
        raise ValueError(cell)
    return m.group(1), int(m.group(2))


def load_map(ndir: Path) -> pd.DataFrame:
    path = ndir / MAP_FILE
    if not path.is_file():
        raise InputError("pemda_sikd", [Problem(str(path), "-", None, None, "file not found")])
    m = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = ["layout", "cell", "header", "role", "group", "reason"]
    missing = [c for c in need if c not in m.columns]
    problems = [Problem(str(path), 1, c, None, "required column is missing") for c in missing]
    if not missing:
        for i, r in m.iterrows():
            line = i + 2
            if not re.fullmatch(r"[A-Z]{1,3}\d+", r["cell"]):
                problems.append(Problem(str(path), line, "cell", r["cell"],
                                        "expected a cell like 'T5'"))
            if r["role"] not in ROLES:
                problems.append(Problem(str(path), line, "role", r["role"],
                                        f"expected one of {sorted(ROLES)}"))
            if r["role"] == "amount" and r["group"] not in [*GROUPS, "total"]:
                problems.append(Problem(str(path), line, "group", r["group"],
                                        f"expected one of {GROUPS + ['total']}"))
            if not r["reason"].strip():
                problems.append(Problem(str(path), line, "reason", None,
                                        "every row needs a reason"))
    if problems:
        raise InputError("pemda_sikd", problems)
    return m


def _amount(v, where: tuple) -> tuple[float | None, Problem | None]:
    """A published amount: a number, a blank cell (read as 0 and counted) or DJPK's '-' (not
    available: NaN, counted)."""
    if v is None:
        return 0.0, None
    if isinstance(v, str) and v.strip() == "-":
        return np.nan, None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None, Problem(*where, v, "expected a number (full rupiah)")
    if not np.isfinite(v):
        return None, Problem(*where, v, "not a finite number")
    return float(v), None


def read_file(path: Path, layout: str, sheet: str, spec: pd.DataFrame) -> pd.DataFrame:
    """One DJPK workbook -> rows (no, code, jenis, group, amount, source_row, source_cells).

    ``spec`` is the layout's rows of the map. Raises :class:`InputError` naming file, sheet,
    row and column for a moved header, a non-numeric amount or a bad ``No.``."""
    wb = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    where_file = f"{path} [sheet {sheet}]"
    if sheet not in wb.sheetnames:
        raise InputError("pemda_sikd", [Problem(str(path), "-", None, ", ".join(wb.sheetnames),
                                                f"sheet {sheet!r} not found")])
    grid = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    wb.close()

    def cell(r: int, c: int):
        return grid[r - 1][c - 1] if r - 1 < len(grid) and c - 1 < len(grid[r - 1]) else None

    problems = []
    for _, s in spec.iterrows():
        col, row = _split(s["cell"])
        got = _norm(cell(row, column_index_from_string(col)))
        if layout in TRANSPOSED and s["role"] == "amount":
            code = ".".join(str(v) for v in grid[row - 1][:3] if v is not None)
            got = f"{code} {got}".strip()
        if got != _norm(s["header"]):
            problems.append(Problem(where_file, row, col, got,
                                    f"header moved or renamed: expected {s['header']!r} "
                                    f"({MAP_FILE}, layout {layout})"))
    if problems:
        raise InputError("pemda_sikd", problems)
    amounts = spec[spec["role"] == "amount"]
    if layout in TRANSPOSED:
        return _read_transposed(grid, spec, amounts, layout, where_file)
    return _read_rows(grid, spec, amounts, where_file)


def _read_rows(grid, spec, amounts, where_file) -> pd.DataFrame:
    role = {r: _split(c) for r, c in zip(spec["role"], spec["cell"], strict=True)
            if r in ("no", "code", "jenis")}
    first = max(_split(c)[1] for c in spec["cell"]) + 1
    no_c = column_index_from_string(role["no"][0])
    cols = [(column_index_from_string(_split(c)[0]), _split(c)[0], g)
            for c, g in zip(amounts["cell"], amounts["group"], strict=True)]
    rows, problems, seen, blanks, dashes = [], [], set(), 0, 0
    ended = False
    for r in range(first, len(grid) + 1):
        line = grid[r - 1]
        no = line[no_c - 1] if no_c - 1 < len(line) else None
        if no is None or (isinstance(no, str) and not no.strip()):
            ended = True
            continue
        if ended:
            continue    # footnotes ("Keterangan: ...") after the blank row
        if isinstance(no, bool) or not isinstance(no, int) or no in seen:
            problems.append(Problem(where_file, r, role["no"][0], no,
                                    "No. appears twice" if no in seen else
                                    "expected the integer No."))
            continue
        seen.add(no)
        code = _norm(line[column_index_from_string(role["code"][0]) - 1]) if "code" in role else ""
        if "code" in role and not re.fullmatch(r"\d{2}\.\d{2}", code):
            problems.append(Problem(where_file, r, role["code"][0], code,
                                    "expected a DJPK pemda code like '11.03'"))
        jenis = ""
        if "jenis" in role:
            jc = role["jenis"][0]
            raw = line[column_index_from_string(jc) - 1]
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                jenis = JENIS_2019.get(int(raw), "")
                if not jenis:
                    problems.append(Problem(where_file, r, jc, raw,
                                            f"Jenis Data code not in {sorted(JENIS_2019)}"))
            else:
                jenis = _norm(raw)
                if not jenis:
                    problems.append(Problem(where_file, r, jc, raw, "empty data status"))
        sums: dict[str, list] = {}
        for ci, letter, g in cols:
            raw = line[ci - 1] if ci - 1 < len(line) else None
            blanks += raw is None
            dashes += isinstance(raw, str) and raw.strip() == "-"
            v, p = _amount(raw, (where_file, r, letter))
            if p:
                problems.append(p)
                continue
            acc = sums.setdefault(g, [0.0, []])
            acc[0] += v
            acc[1].append(f"{letter}{r}")
        for g, (v, cells) in sums.items():
            rows.append((no, code, jenis, g, v, r, "+".join(cells)))
    return _amount_frame(rows, problems, blanks, dashes)


def _amount_frame(rows: list, problems: list, blanks: int, dashes: int) -> pd.DataFrame:
    """The amounts a reader collected, or one InputError listing every bad cell; the counts
    of blank and "-" cells ride along in ``attrs`` (the build info reports them)."""
    if problems:
        raise InputError("pemda_sikd", problems)
    out = pd.DataFrame(rows, columns=["no", "djpk_code", "jenis_data", "group", "amount_idr",
                                      "source_row", "source_cells"])
    out.attrs["blank_amount_cells"] = int(blanks)
    out.attrs["dash_amount_cells"] = int(dashes)
    return out


def _read_transposed(grid, spec, amounts, layout, where_file) -> pd.DataFrame:
    t = TRANSPOSED[layout]
    no_row = _split(spec.loc[spec["role"] == "no", "cell"].iloc[0])[1]
    accounts = [(_split(c)[1], g) for c, g in zip(amounts["cell"], amounts["group"], strict=True)]
    rows, problems, seen, blanks, dashes = [], [], set(), 0, 0
    for c in range(t["first_col"], len(grid[no_row - 1]) + 1):
        letter = get_column_letter(c)
        no = grid[no_row - 1][c - 1]
        if no is None:
            continue
        if isinstance(no, bool) or not isinstance(no, int) or no in seen:
            problems.append(Problem(where_file, no_row, letter, no,
                                    "No. appears twice" if no in seen else
                                    "expected the integer No."))
            continue
        seen.add(no)
        raw = _norm(grid[t["jenis_row"] - 1][c - 1])
        jenis = JENIS_2018.get(raw)
        if jenis is None:
            problems.append(Problem(where_file, t["jenis_row"], letter, raw,
                                    f"expected one of {sorted(JENIS_2018)}"))
        sums: dict[str, list] = {}
        for r, g in accounts:
            blanks += grid[r - 1][c - 1] is None
            dashes += isinstance(grid[r - 1][c - 1], str) and grid[r - 1][c - 1].strip() == "-"
            v, p = _amount(grid[r - 1][c - 1], (where_file, r, letter))
            if p:
                problems.append(p)
                continue
            acc = sums.setdefault(g, [0.0, [], r])
            acc[0] += v
            acc[1].append(f"{letter}{r}")
        for g, (v, cells, r0) in sums.items():
            rows.append((no, "", jenis or "", g, v, r0, "+".join(cells)))
    return _amount_frame(rows, problems, blanks, dashes)


def code_map(frames: dict[str, pd.DataFrame], ndir: Path) -> dict[int, str]:
    """``No. -> DJPK code`` from the files that carry both; they must agree."""
    maps = {f: dict(zip(d["no"], d["djpk_code"], strict=True))
            for f, d in frames.items() if f in CODE_FILES}
    if not maps:
        raise InputError("pemda_sikd", [Problem(str(ndir / SIKD_DIR), "-", None, None,
                                                f"none of {CODE_FILES} present: no DJPK codes")])
    ref_file, ref = next(iter(maps.items()))
    problems = []
    for f, m in maps.items():
        rows = frames[f].groupby("no")["source_row"].first()
        for no in sorted(set(m) | set(ref)):
            if m.get(no) != ref.get(no):
                problems.append(Problem(str(ndir / SIKD_DIR / f), rows.get(no, "-"), "Kode",
                                        m.get(no), f"No. {no} has code {ref.get(no)!r} in "
                                                   f"{ref_file}: the No. -> code map differs"))
    codes = pd.Series(ref)
    for no in codes[codes.duplicated(keep=False)].index:
        problems.append(Problem(str(ndir / SIKD_DIR / ref_file), "-", "Kode", ref[no],
                                "the same DJPK code for two No."))
    if problems:
        raise InputError("pemda_sikd", problems)
    return ref


def _spec(mp: pd.DataFrame, layout: str, path: Path) -> pd.DataFrame:
    spec = mp[mp["layout"] == layout]
    if spec.empty or (spec["role"] == "no").sum() != 1:
        raise InputError("pemda_sikd", [Problem(str(path), "-", None, layout,
                                                f"layout needs rows in {MAP_FILE} with one 'no'")])
    return spec


def load(ndir: Path, registry: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict] | None:
    """``(pemda_sikd, unmatched, info)``, or None when the folder is absent."""
    import time

    folder = ndir / SIKD_DIR
    if not folder.is_dir():
        return None
    t0 = time.perf_counter()
    mp = load_map(ndir)
    frames, meta = {}, {}
    for f, (layout, sheet, year, measure) in {**FILES, **EARLIER_2020}.items():
        path = folder / f
        if not path.is_file():
            if f in FILES:
                raise InputError("pemda_sikd", [Problem(str(path), "-", None, None,
                                                        "file not found")])
            continue
        df = read_file(path, layout, sheet, _spec(mp, layout, path))
        frames[f] = df
        meta[f] = (sheet, year, measure)
    read_s = time.perf_counter() - t0
    codes = code_map(frames, ndir)
    info: dict = {"read_seconds": round(read_s, 2),
                  "blank_amount_cells_read_as_0": {f: d.attrs.get("blank_amount_cells", 0)
                                                   for f, d in frames.items()},
                  "dash_amount_cells_read_as_missing": {
                      f: d.attrs.get("dash_amount_cells", 0) for f, d in frames.items()
                      if d.attrs.get("dash_amount_cells", 0)}}

    # 2020 releases vs the latest
    latest = frames[LATEST_2020]
    lt = latest[latest["group"] == "total"].set_index("no")["amount_idr"]
    rel = {}
    for f in EARLIER_2020:
        if f not in frames:
            continue
        e = frames[f]
        et = e[e["group"] == "total"].set_index("no")["amount_idr"]
        both = lt.index.intersection(et.index)
        d = (et[both] - lt[both]).abs()
        diff = d[d > TOLERANCE_IDR]
        top = diff.idxmax() if len(diff) else None
        rel[Path(f).stem] = {
            "pemda_compared": int(len(both)),
            "pemda_total_differs": int(len(diff)),
            "largest_abs_diff_idr": float(diff.max()) if len(diff) else 0.0,
            "largest_diff_djpk_code": codes.get(top, "") if top is not None else "",
            "only_in_latest": int(len(lt.index.difference(et.index))),
            "only_in_release": int(len(et.index.difference(lt.index)))}
    info["releases_2020_vs_latest"] = rel

    jaga = dict(zip(registry["jaga_code"], registry["region_code"], strict=True))
    out, unmatched, problems = [], [], []
    for f in FILES:
        df = frames[f].copy()
        sheet, year, measure = meta[f]
        known = df["no"].map(codes)
        for no, row in df.loc[known.isna(), ["no", "source_row"]].drop_duplicates("no").values:
            problems.append(Problem(f"{folder / f} [sheet {sheet}]", row, "No.", no,
                                    f"No. not in the No. -> code map of {CODE_FILES}"))
        df["djpk_code"] = known
        df["region_code"] = df["djpk_code"].map(jaga)
        df["year"], df["measure"], df["release"] = year, measure, Path(f).stem
        df["source"], df["source_sheet"] = SOURCE.format(file=f), sheet
        out.append(df)
    if problems:
        raise InputError("pemda_sikd", problems)
    allr = pd.concat(out, ignore_index=True)
    miss = allr["region_code"].isna()
    if miss.any():
        um = allr[miss].drop_duplicates(["djpk_code"])
        unmatched = pd.DataFrame({
            "side": "sikd", "province": "", "name": "DJPK code " + um["djpk_code"],
            "reason": "DJPK code not in the JAGA code lists (kode_kabkota.csv / "
                      "kode_provinsi.csv)",
            "years": "", "source": um["source"], "source_row": um["source_row"].astype(int)})
    else:
        unmatched = pd.DataFrame(columns=["side", "province", "name", "reason", "years",
                                          "source", "source_row"])
    allr = allr[~miss]
    table = pd.DataFrame({
        "region_code": allr["region_code"].astype(str), "djpk_code": allr["djpk_code"],
        "djpk_no": allr["no"].astype(int), "year": allr["year"].astype(int),
        "measure": allr["measure"], "group": allr["group"],
        "amount_idr": allr["amount_idr"].astype(float), "jenis_data": allr["jenis_data"],
        "release": allr["release"], "source": allr["source"],
        "source_sheet": allr["source_sheet"], "source_row": allr["source_row"].astype(int),
        "source_cells": allr["source_cells"], "provenance": "public"})
    table = validate(table.reset_index(drop=True), "pemda_sikd", f"{SIKD_DIR}/*.xlsx")
    info.update(sum_check(table))
    info["rows"] = int(len(table))
    info["pemda_by_year_measure"] = {
        f"{y} {m}": int(n) for (y, m), n in
        table.groupby(["year", "measure"])["region_code"].nunique().items()}
    info["unmatched_codes"] = int(len(unmatched))
    if "2019R1V1200907" in set(table["release"]):
        j = table[(table["release"] == "2019R1V1200907") & (table["group"] == "total")]
        info["jenis_data_2019_outturn"] = {k: int(v) for k, v in
                                           j["jenis_data"].value_counts().sort_index().items()}
    return table, unmatched, info


def sum_check(table: pd.DataFrame) -> dict:
    """Mapped groups vs the published total (Belanja Daerah), per pemda-year-measure."""
    key = ["region_code", "year", "measure"]
    tot = table[table["group"] == "total"].set_index(key)["amount_idr"]
    parts = table[table["group"] != "total"].groupby(key)["amount_idr"].sum()
    d = (parts - tot).dropna()
    bad = d[d.abs() > TOLERANCE_IDR]
    return {"sum_check_tolerance_idr": TOLERANCE_IDR,
            "sum_check_cases": int(len(d)),
            "sum_check_exceptions": int(len(bad)),
            "sum_check_exception_list": [
                {"region_code": k[0], "year": int(k[1]), "measure": k[2],
                 "groups_minus_total_idr": round(float(v), 2)}
                for k, v in bad.sort_values(key=abs, ascending=False).head(20).items()]}
