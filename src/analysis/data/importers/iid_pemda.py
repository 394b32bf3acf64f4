"""The Indeks Inovasi Daerah per pemda (``python -m analysis import iid-pemda FILE``).

Kemendagri (BSKDN) scores every pemda's innovation each year: a score, a category ("Sangat
Inovatif", "Inovatif", "Kurang Inovatif", "Tidak Dapat Dinilai") and the number of innovations
reported. No machine-readable national table is published with the project; a researcher who
obtains one (from the IID portal's ranking pages, a BSKDN release or a request) imports it here
as **user** data. The layout (CSV or XLSX, one header row, any column order, extra columns
ignored; ``docs/importing.md``):

==================  =======================================================================
``kode_pemda``      Kemendagri code, with or without the dot: ``33.25`` or ``3325`` (province
                    ``33``). The **only** join key: names are never used to join.
``tahun``           year of the assessment (2015 or later)
``skor``            the IID score (a number, dot or comma for decimals; empty only for
                    "Tidak Dapat Dinilai")
``kategori``        one of :data:`analysis.data.schema.IID_CATEGORIES` (any letter case)
``jumlah_inovasi``  number of innovations reported (a whole number >= 0; may be empty)
``nama_pemda``      optional, kept for reading only (``name_in_file``)
==================  =======================================================================

Flow (as ``apbd-kabkota``): every row is checked (problems name file, row and column; one bad
cell refuses the whole import and nothing is written); the rows are merged with what was
imported before (a new row replaces the earlier row of the same pemda and year); the merged
table is written as ``data/user/national/iid_pemda.csv`` in a staging copy of the data folder
and the processed tables are rebuilt there (the ``national`` step reads it as table
``pemda_iid`` with ``provenance = "user"``); only when that build succeeds are the file and
``processed/`` moved into place, under the data folder's writer lock.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.data.schema import IID_CATEGORIES, InputError, Problem

from analysis.data.iid import COLUMNS, TABLE, USER_FILE, to_table  # noqa: F401 (API)

HEADERS = {
    "kode_pemda": ("kode_pemda", "kodepemda", "kode", "kode_wilayah", "kode_daerah",
                   "kode_kemendagri"),
    "tahun": ("tahun", "year", "tahun_penilaian"),
    "skor": ("skor", "skor_iid", "nilai", "nilai_iid", "indeks", "skor_indeks"),
    "kategori": ("kategori", "predikat", "kategori_iid"),
    "jumlah_inovasi": ("jumlah_inovasi", "jumlah", "total_inovasi", "inovasi"),
    "nama_pemda": ("nama_pemda", "pemda", "nama", "nama_daerah", "daerah"),
}
REQUIRED = ("kode_pemda", "tahun", "skor", "kategori")
_CODE = re.compile(r"^(\d{2})\.?(\d{2})?$")
_DECIMAL = re.compile(r"^-?\d+([.,]\d+)?$")


@dataclass
class IidReport:
    files: list[dict] = field(default_factory=list)
    rows: int = 0
    pemda: int = 0
    years: list[int] = field(default_factory=list)
    replaced: int = 0
    written: bool = False
    dry_run: bool = False

    def format(self) -> str:
        lines = ["Import report: iid-pemda -> table 'pemda_iid' (user/national/"
                 f"{USER_FILE}, provenance user)"]
        for f in self.files:
            lines.append(f"  {f['file']}: {f['rows']} rows, {f['pemda']} pemda, years "
                         f"{', '.join(str(y) for y in f['years'])}")
        lines.append(f"  {self.rows} rows for {self.pemda} pemda; {self.replaced} earlier "
                     "row(s) of the same pemda and year replaced")
        lines.append("  dry run: nothing was written" if self.dry_run else
                     "  written and processed tables rebuilt" if self.written else
                     "  nothing written")
        return "\n".join(lines)


def _key(text: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text or "").strip().lower()).strip("_")


def _header(sheet) -> tuple[int, dict[str, int]] | None:
    """(index of the header row, canonical column -> cell index) in the first 10 rows."""
    alias = {a: k for k, names in HEADERS.items() for a in names}
    for i, row in enumerate(sheet.rows[:10]):
        cols: dict[str, int] = {}
        for c, v in enumerate(row):
            k = alias.get(_key(v))
            if k and k not in cols:
                cols[k] = c
        if "kode_pemda" in cols and "tahun" in cols:
            return i, cols
    return None


def region_code(v: object) -> str | None:
    """``33.25`` / ``3325`` / ``3325.0`` (Excel) -> ``33.25``; ``33`` -> ``33``; else None."""
    from analysis.data.importers.read import cell_text

    m = _CODE.match(cell_text(v).replace(" ", ""))
    if not m:
        return None
    return f"{m.group(1)}.{m.group(2)}" if m.group(2) else m.group(1)


def _number(v: object) -> float | None:
    from analysis.data.importers.read import cell_text

    if isinstance(v, bool):
        raise ValueError
    if isinstance(v, int | float):
        return None if v != v else float(v)
    s = cell_text(v)
    if not s:
        return None
    if not _DECIMAL.match(s):
        raise ValueError
    return float(s.replace(",", "."))


def read_iid(path: Path, codes: set[str], sheet: str | None = None
             ) -> tuple[pd.DataFrame, list[Problem]]:
    """One IID file -> rows of :data:`COLUMNS` and the problems found (file, row, column)."""
    from analysis.data.importers.read import ReadError, cell_text, is_blank, read_file

    try:
        sheets = [s for s in read_file(path, sheet) if not s.is_empty()]
    except ReadError as exc:
        return pd.DataFrame(columns=COLUMNS), [exc.problem]
    if not sheets:
        return pd.DataFrame(columns=COLUMNS), [Problem(path.name, "-", None, None,
                                                       "the file is empty (no data)")]
    rows, problems = [], []
    cats = {_key(c): c for c in IID_CATEGORIES}
    for sh in sheets:
        found = _header(sh)
        if found is None:
            problems.append(Problem(sh.label, "-", None, None,
                                    "no header row with 'kode_pemda' and 'tahun' in the first "
                                    "10 rows (layout: docs/importing.md, 'iid-pemda')"))
            continue
        h, cols = found
        missing = [c for c in REQUIRED if c not in cols]
        if missing:
            problems += [Problem(sh.label, sh.row_numbers[h], c, None,
                                 "required column is missing") for c in missing]
            continue
        for i in range(h + 1, len(sh.rows)):
            row, line = sh.rows[i], sh.row_numbers[i]

            def cell(k, row=row):
                c = cols.get(k)
                return row[c] if c is not None and c < len(row) else None

            if all(is_blank(cell(k)) for k in cols):
                continue
            before = len(problems)
            code = region_code(cell("kode_pemda"))
            if code is None:
                problems.append(Problem(sh.label, line, "kode_pemda", cell("kode_pemda"),
                                        "expected a Kemendagri code like 33.25 or 3325 (a "
                                        "number cell of Excel drops a trailing zero: 33.1 for "
                                        "33.10; store codes as text or without the dot)"))
            elif code not in codes:
                problems.append(Problem(sh.label, line, "kode_pemda", cell("kode_pemda"),
                                        f"code {code} is not a pemda of the JAGA code list "
                                        "(kode_kabkota.csv / kode_provinsi.csv)"))
            try:
                year = _number(cell("tahun"))
                if year is None or not year.is_integer() or not 2015 <= year <= 2100:
                    raise ValueError
            except ValueError:
                year = None
                problems.append(Problem(sh.label, line, "tahun", cell("tahun"),
                                        "expected a year (2015 or later)"))
            cat = cats.get(_key(cell("kategori")))
            if cat is None:
                problems.append(Problem(sh.label, line, "kategori", cell("kategori"),
                                        "expected one of: " + ", ".join(IID_CATEGORIES)))
            try:
                score = _number(cell("skor"))
                if score is not None and score < 0:
                    raise ValueError
                if score is None and cat not in (None, "Tidak Dapat Dinilai"):
                    problems.append(Problem(sh.label, line, "skor", None,
                                            "empty score: only 'Tidak Dapat Dinilai' may have "
                                            "no score"))
            except ValueError:
                problems.append(Problem(sh.label, line, "skor", cell("skor"),
                                        "not a score (a number >= 0, dot or comma for "
                                        "decimals, no thousands separator)"))
                score = None
            try:
                n = _number(cell("jumlah_inovasi"))
                if n is not None and (n < 0 or not n.is_integer()):
                    raise ValueError
            except ValueError:
                problems.append(Problem(sh.label, line, "jumlah_inovasi",
                                        cell("jumlah_inovasi"),
                                        "expected a whole number of innovations >= 0"))
                n = None
            if len(problems) > before:
                continue
            rows.append({"kode_pemda": code, "tahun": int(year), "skor": score,
                         "kategori": cat, "jumlah_inovasi": n,
                         "nama_pemda": cell_text(cell("nama_pemda")) or None,
                         "source_file": sh.label, "source_row": int(line)})
    df = pd.DataFrame(rows, columns=COLUMNS)
    dup = df[df.duplicated(["kode_pemda", "tahun"], keep=False)]
    for (code, year), g in dup.groupby(["kode_pemda", "tahun"]):
        problems.append(Problem(str(g["source_file"].iloc[0]), ", ".join(
            str(r) for r in g["source_row"]), "kode_pemda", code,
            f"the same pemda and year ({year}) on more than one row"))
    return df, problems


def import_iid(files: list[str | Path], data_dir: str | Path | None = None,
               dry_run: bool = False, rebuild=None, sheet: str | None = None) -> IidReport:
    """Import IID tables per pemda (``python -m analysis import iid-pemda``); ``rebuild``: the
    whole build (``analysis.pipeline.build``; needed unless ``dry_run``)."""
    from analysis.data import locking, national
    from analysis.data.importers.apbd import _stage_build_commit
    from analysis.data.importers.commit import rebuild_settings, check_rebuild

    check_rebuild(rebuild, dry_run)
    data_dir = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()
    ndir = national.national_dir(data_dir)
    if not (ndir / national.APBD_DIR).is_dir():
        raise InputError(TABLE, [Problem(str(ndir), "-", None, None,
                                         "the national public files are missing "
                                         "(data/external/national): no pemda code list")])
    codes = set(national.load_registry(ndir)["region_code"])
    report = IidReport(dry_run=dry_run)
    frames, problems = [], []
    for f in files:
        df, probs = read_iid(Path(f), codes, sheet)
        problems += probs
        if len(df):
            frames.append(df)
            report.files.append({"file": str(f), "rows": len(df),
                                 "pemda": int(df["kode_pemda"].nunique()),
                                 "years": sorted(int(y) for y in set(df["tahun"]))})
    new = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    if not problems:
        dup = new[new.duplicated(["kode_pemda", "tahun"], keep=False)]
        problems += [Problem(", ".join(sorted(set(g["source_file"]))), ", ".join(
            str(r) for r in g["source_row"]), "kode_pemda", c,
            f"the same pemda and year ({y}) in two files of one import")
            for (c, y), g in dup.groupby(["kode_pemda", "tahun"])]
    if not problems and new.empty:
        problems.append(Problem(", ".join(str(f) for f in files), "-", None, None,
                                "no data rows found under the header"))
    if problems:
        raise InputError(TABLE, problems)
    to_table(new, "<import>")                     # the canonical schema, before anything else
    target = data_dir / "user" / national.USER_DIR / USER_FILE
    old = (pd.read_csv(target, dtype=str, keep_default_na=False, na_values=[""])
           if target.is_file() else pd.DataFrame(columns=COLUMNS))
    key = old["kode_pemda"].astype(str) + "|" + old["tahun"].astype(str)
    hit = key.isin(set(new["kode_pemda"].astype(str) + "|" + new["tahun"].astype(str)))
    merged = pd.concat([old[~hit], new.astype(object)], ignore_index=True)
    merged = merged.sort_values(["kode_pemda", "tahun"], key=lambda s: s.astype(str))
    report.rows, report.replaced = len(new), int(hit.sum())
    report.pemda = int(new["kode_pemda"].nunique())
    report.years = sorted(int(y) for y in set(new["tahun"]))
    if dry_run:
        return report
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / USER_FILE
        merged.to_csv(staged, index=False)
        with locking.data_lock(data_dir, "import iid-pemda"):
            _stage_build_commit(data_dir, {USER_FILE: staged}, rebuild,
                                rebuild_settings(data_dir))
    report.written = True
    return report
