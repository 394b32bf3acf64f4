"""The corpus of realistic bad (and awkward) inputs: every file is generated here in a temporary
folder and goes through the command line (``python -m analysis ...`` in-process). Each case
asserts the exit code, the message (file, sheet, row, column, value, reason) and that
``data/user`` and ``data/processed`` are byte-identical afterwards. No case may end in a
traceback or in the catch-all "unexpected error" line. Awkward files that can be read
correctly are checked for the numbers they give."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest
from _support import copy_data

from analysis import config
from analysis.cli import main
from analysis.pipeline import import_files

EXAMPLES = config.project_root() / "data" / "raw" / "examples"
HEAD = "Kode Rekening;Uraian;Anggaran;Realisasi"


@pytest.fixture(scope="module")
def built(public_data_dir, tmp_path_factory):
    """Public data, no simulated panel (a rebuild takes a second), one earlier import: a copy
    of the session's public-only build."""
    d = copy_data(public_data_dir, tmp_path_factory.mktemp("corpus") / "data")
    mp = pytest.MonkeyPatch()
    mp.setenv("BATANG_DATA_DIR", str(d))
    mp.setenv("BATANG_REPORTS_DIR", str(d.parent / "reports"))
    import_files("budget", [EXAMPLES / "lra_dinkes_2022.csv"])
    yield d
    mp.undo()


def snapshot(d: Path) -> dict[str, str]:
    files = sorted((d / "processed").iterdir()) + sorted((d / "user").glob("*"))
    return {f"{p.parent.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


def csv(p: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    f = p / name
    f.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return f


def lra(p: Path, *rows: str, title: str = "DINAS SOSIAL\nTAHUN ANGGARAN 2021",
        head: str = HEAD, name: str = "lra.csv") -> Path:
    return csv(p, name, [*title.split("\n"), head,
                         "1.06.01;Program Penunjang Urusan Pemerintahan Daerah;;", *rows])


def xlsx(p: Path, name: str, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(p / name)
    return p / name


def detail(unit: str, scale: float = 1.0) -> list[list]:
    return [[unit], ["TAHUN ANGGARAN 2021"], ["Kode Rekening", "Uraian", "Anggaran"],
            ["1.06.01", "Program Penunjang Urusan Pemerintahan Daerah", None],
            ["5.1.01.01.01.0001", "Belanja Gaji Pokok PNS", 100e6 * scale],
            ["1.06.04", "Program Rehabilitasi Sosial", None],
            ["5.1.02.01.01.0024", "Belanja ATK", 50e6 * scale]]


# ------------------------------------------------------------------- the bad inputs
# each: (files, extra arguments) -> exit code, substrings of the output (all must appear)

def pdf_as_xlsx(p):
    (p / "lra.xlsx").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    return ["budget", str(p / "lra.xlsx")]


def xls_as_xlsx(p):
    (p / "lra.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    return ["budget", str(p / "lra.xlsx")]


def html_as_xlsx(p):
    (p / "lra.xlsx").write_bytes(b"<!DOCTYPE html><html><body><table></table></body></html>")
    return ["budget", str(p / "lra.xlsx")]


def xlsx_as_csv(p):
    f = xlsx(p, "x.xlsx", {"A": detail("DINAS SOSIAL")})
    shutil.move(f, p / "lra.csv")
    return ["budget", str(p / "lra.csv")]


def broken_zip_xlsx(p):
    (p / "lra.xlsx").write_bytes(b"PK\x03\x04" + b"\x14\x00garbage" * 50)
    return ["budget", str(p / "lra.xlsx")]


def huge_cell(p):
    csv(p, "lra.csv", [HEAD, "1.06.01;Program Penunjang;;",
                       '5.1.01.01.01.0001;"' + "x" * 200_000 + ";1;1"])
    return ["budget", str(p / "lra.csv"), "--unit", "dinsos", "--year", "2021"]


def binary_csv(p):
    (p / "lra.csv").write_bytes(b"Kode;Uraian\x00\x00\x01\x02;Anggaran\n")
    return ["budget", str(p / "lra.csv")]


def empty_file(p):
    (p / "lra.csv").write_bytes(b"")
    return ["budget", str(p / "lra.csv")]


def legacy_xls(p):
    (p / "lra.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    return ["budget", str(p / "lra.xls")]


def pdf_extension(p):
    (p / "lra.pdf").write_bytes(b"%PDF-1.4")
    return ["budget", str(p / "lra.pdf")]


def missing_file(p):
    return ["budget", str(p / "tidak_ada.csv")]


def unnamed_summary_sheet(p):
    f = xlsx(p, "apbd.xlsx", {"Dinsos": detail("DINAS SOSIAL"),
                              "Sheet2": detail("DINAS SOSIAL")})
    return ["budget", str(f)]


def formula_without_value(p):
    rows = detail("DINAS SOSIAL")
    rows[4][2] = "=C7*2"
    f = xlsx(p, "apbd.xlsx", {"Dinsos": rows})
    return ["budget", str(f)]


def decimal_commas_extra_cells(p):
    csv(p, "lra.csv", ["DINAS SOSIAL", "TAHUN ANGGARAN 2021", "Kode Rekening,Uraian,Anggaran,"
                       "Realisasi", "1.06.01,Program Penunjang Urusan Pemerintahan Daerah,,",
                       "5.1.01.01.01.0001,Belanja Gaji Pokok PNS,1.000.000,50,900.000,25"])
    return ["budget", str(p / "lra.csv")]


def decimal_commas_same_width(p):
    csv(p, "lra.csv", ["DINAS SOSIAL", "TAHUN ANGGARAN 2021",
                       "Kode Rekening,Uraian,Anggaran,Realisasi,%",
                       "1.06.01,Program Penunjang Urusan Pemerintahan Daerah,,,",
                       "5.1.01.01.01.0001,Belanja Gaji Pokok PNS,1.000.000,50,900.000"])
    return ["budget", str(p / "lra.csv")]


def mixed_conventions(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.500.000.000,00;1.400.000.000,00",
        "5.1.02.01.01.0024;Belanja ATK;3,000,000.00;2.000.000,00")
    return ["budget", str(p / "lra.csv")]


def ambiguous_comma(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;5,000;4,000")
    return ["budget", str(p / "lra.csv")]


def percent_amount(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;97,5%")
    return ["budget", str(p / "lra.csv")]


def juta_amount(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;Rp 5 juta;4.000.000")
    return ["budget", str(p / "lra.csv")]


def miliar_amount(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1,5 M;1.000.000")
    return ["budget", str(p / "lra.csv")]


def year_2099_title(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000",
        title="DINAS SOSIAL\nTAHUN ANGGARAN 2099")
    return ["budget", str(p / "lra.csv")]


def year_2099_flag(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000")
    return ["budget", str(p / "lra.csv"), "--year", "2099"]


def year_2099_column(p):
    csv(p, "lra.csv", ["SKPD;Tahun;Program;Kode Rekening;Uraian;Realisasi",
                       "Dinas Sosial;2021;Program Penunjang Urusan Pemerintahan Daerah;"
                       "5.1.01.01.01.0001;Belanja Gaji;1.000.000",
                       "Dinas Sosial;2099;Program Penunjang Urusan Pemerintahan Daerah;"
                       "5.1.02.01.01.0001;Belanja ATK;1.000.000"])
    return ["budget", str(p / "lra.csv")]


def text_amount(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;satu miliar;900.000")
    return ["budget", str(p / "lra.csv")]


def unknown_unit_flag(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000", title="X\nTAHUN ANGGARAN 2021")
    return ["budget", str(p / "lra.csv"), "--unit", "Dinas Lingkungan Hidop"]


def unknown_unit_column(p):
    csv(p, "lra.csv", ["SKPD;Program;Kode Rekening;Uraian;Realisasi",
                       "Dinas Kesehatn;Program Penunjang;5.1.01.01.01.0001;Belanja Gaji;1.000"])
    return ["budget", str(p / "lra.csv"), "--year", "2021"]


def duplicate_accounts(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000",
        "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000")
    return ["budget", str(p / "lra.csv")]


def no_year(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000", title="DINAS SOSIAL\nLAPORAN")
    return ["budget", str(p / "lra.csv")]


def missing_column(p):
    csv(p, "lra.csv", ["Kode Rekening;Keterangan Lain;Anggaran", "5.1.01;x;1"])
    return ["budget", str(p / "lra.csv")]


def bad_encoding(p):
    (p / "lra.csv").write_bytes(b"Kode Rekening;Uraian;Anggaran\n5.1.01;Belanja \x81\x8d\x90;1\n")
    return ["budget", str(p / "lra.csv")]


def negative_total(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;(1.000.000);900.000")
    return ["budget", str(p / "lra.csv")]


def no_header(p):
    csv(p, "lra.csv", ["catatan rapat", "tidak ada tabel di sini"])
    return ["budget", str(p / "lra.csv")]


def header_only(p):
    csv(p, "lra.csv", [HEAD])
    return ["budget", str(p / "lra.csv"), "--unit", "dinsos", "--year", "2021"]


def no_programme(p):
    csv(p, "lra.csv", ["DINAS SOSIAL", "TAHUN ANGGARAN 2021", HEAD,
                       "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000"])
    return ["budget", str(p / "lra.csv")]


def unknown_account(p):
    lra(p, "5.9.99.01;Belanja Lain;1.000.000;900.000")
    return ["budget", str(p / "lra.csv")]


def service_out_of_range(p):
    csv(p, "s.csv", ["OPD,Tahun,Indikator,Nilai", "Dinas Sosial,2023,IKM,120"])
    return ["service", str(p / "s.csv")]


def service_conflict(p):
    csv(p, "s.csv", ["OPD,Tahun,Indikator,Nilai", "Dinas Sosial,2023,IKM,\"81,2\"",
                     "Dinsos,2023,IKM,\"79,0\""])
    return ["service", str(p / "s.csv")]


def service_unknown_indicator(p):
    csv(p, "s.csv", ["OPD,Tahun,Indikator,Nilai", "Dinas Sosial,2023,Indeks Bahagia,3"])
    return ["service", str(p / "s.csv")]


def service_year_2099(p):
    csv(p, "s.csv", ["OPD,Tahun,Indikator,Nilai", "Dinas Sosial,2099,IKM,\"81,2\""])
    return ["service", str(p / "s.csv")]


def service_mixed_conventions(p):
    csv(p, "s.csv", ["OPD;Tahun;Indikator;Nilai", "Dinas Sosial;2023;IKM;81,25",
                     "Dinas Sosial;2023;Capaian SPM (%);97.50"])
    return ["service", str(p / "s.csv")]


def leadership_2099(p):
    csv(p, "l.csv", ["OPD,Tanggal,Status", "Dinas Sosial,01/07/2099,Plt"])
    return ["leadership", str(p / "l.csv")]


def leadership_unknown_event(p):
    csv(p, "l.csv", ["OPD,Tanggal,Status", "Dinas Sosial,01/07/2024,dipecat"])
    return ["leadership", str(p / "l.csv")]


def leadership_bad_date(p):
    csv(p, "l.csv", ["OPD,Tanggal,Status", "Dinas Sosial,kemarin,Plt"])
    return ["leadership", str(p / "l.csv")]


def innovation_unknown_stage(p):
    csv(p, "i.csv", ["Nama Inovasi,Nomor Registrasi,Dibuat Oleh,Tahapan,Jenis,Bentuk",
                     "SiCepat,33.25-1-1-2022,Dinas Sosial,Selesai,Digital,lainnya"])
    return ["innovations", str(p / "i.csv")]


def innovation_year_2099(p):
    csv(p, "i.csv", ["Nama Inovasi,Nomor Registrasi,Dibuat Oleh,Tahapan,Jenis,Bentuk",
                     "SiCepat,33.25-1-1-2099,Dinas Sosial,Uji Coba,Digital,lainnya"])
    return ["innovations", str(p / "i.csv")]


def sheet_on_csv(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000")
    return ["budget", str(p / "lra.csv"), "--sheet", "Rekap"]


def sheet_not_there(p):
    f = xlsx(p, "apbd.xlsx", {"Dinsos": detail("DINAS SOSIAL")})
    return ["budget", str(f), "--sheet", "Rekap"]


def mapping_not_there(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000")
    return ["budget", str(p / "lra.csv"), "--mapping", "tidak_ada"]


CASES = [
    (pdf_as_xlsx, 1, ["lra.xlsx, row -", "not an .xlsx workbook: the content is a PDF document",
                      "save it as .xlsx"]),
    (xls_as_xlsx, 1, ["lra.xlsx", "Excel 97-2003 (.xls)"]),
    (html_as_xlsx, 1, ["lra.xlsx", "an HTML page"]),
    (xlsx_as_csv, 1, ["lra.csv", "not a CSV text file: the content is a ZIP archive"]),
    (broken_zip_xlsx, 1, ["lra.xlsx", "not a readable .xlsx workbook (BadZipFile"]),
    (huge_cell, 1, ["lra.csv, row 3", "a cell longer than 128 kB"]),
    (binary_csv, 1, ["lra.csv", "not a text file"]),
    (empty_file, 1, ["lra.csv", "the sheet is empty"]),
    (legacy_xls, 1, ["lra.xls", "Excel 97-2003 .xls is not supported"]),
    (pdf_extension, 1, ["lra.pdf", "unsupported file type", "'.pdf'"]),
    (missing_file, 1, ["tidak_ada.csv", "file not found"]),
    (unnamed_summary_sheet, 1, ["apbd.xlsx[Sheet2], row 5", "dinsos 2021 murni",
                                "also in apbd.xlsx[Dinsos]", "summed twice",
                                "--sheet NAME"]),
    (formula_without_value, 1, ["apbd.xlsx[Dinsos], row 5, column 'Anggaran'",
                                "formula saved without its value", "'=C7*2'",
                                "let it calculate"]),
    (decimal_commas_extra_cells, 1, ["lra.csv, row 5", "6 cells but the header has 4",
                                     "decimal commas", "must be quoted"]),
    (decimal_commas_same_width, 1, ["lra.csv, row 5", "the cells of this row are shifted",
                                    "split at its decimal comma"]),
    (mixed_conventions, 1, ["lra.csv, row ", "column 'Anggaran'",
                            "mixed number conventions", "'3,000,000.00'",
                            "'1.500.000.000,00'", "write the whole column one way"]),
    (ambiguous_comma, 1, ["lra.csv, row 5, column 'Anggaran'", "ambiguous number",
                          "'5,000'"]),
    (percent_amount, 1, ["lra.csv, row 5, column 'Realisasi'", "a percentage in an amount "
                         "column", "'97,5%'"]),
    (juta_amount, 1, ["lra.csv, row 5, column 'Anggaran'", "scale word", "'Rp 5 juta'",
                      "5.000.000"]),
    (miliar_amount, 1, ["lra.csv, row 5, column 'Anggaran'", "scale word", "'1,5 M'"]),
    (year_2099_title, 1, ["lra.csv", "year 2099 is outside the years data can cover"]),
    (year_2099_flag, 1, ["--year", "year 2099 is outside"]),
    (year_2099_column, 1, ["lra.csv, row 3, column 'Tahun'", "year 2099 is outside"]),
    (text_amount, 1, ["lra.csv, row 5, column 'Anggaran'", "not a number", "'satu miliar'"]),
    (unknown_unit_flag, 1, ["--unit", "closest known: Dinas Lingkungan Hidup (dlh)"]),
    (unknown_unit_column, 1, ["lra.csv, row 2, column 'SKPD'", "'Dinas Kesehatn'",
                              "Dinas Kesehatan (dinkes)"]),
    (duplicate_accounts, 1, ["lra.csv, row 6, column 'Kode Rekening'", "duplicate of row 5"]),
    (no_year, 1, ["lra.csv", "year unknown"]),
    (missing_column, 1, ["lra.csv, row 1, column 'Uraian'", "required column is missing"]),
    (bad_encoding, 1, ["lra.csv", "unknown text encoding"]),
    (negative_total, 1, ["negative total for dinsos 2021"]),
    (no_header, 1, ["lra.csv", "no header row found"]),
    (header_only, 1, ["lra.csv", "no data rows found under the header"]),
    (no_programme, 1, ["lra.csv, row 4", "programme unknown"]),
    (unknown_account, 1, ["lra.csv, row 5, column 'Kode Rekening'", "spending type unknown",
                          "'5.9.99.01'"]),
    (service_out_of_range, 1, ["s.csv, row 2, column 'Nilai'", "ikm outside its range"]),
    (service_conflict, 1, ["s.csv, row 3", "conflicting value"]),
    (service_unknown_indicator, 1, ["s.csv, row 2, column 'Indikator'", "unknown indicator"]),
    (service_year_2099, 1, ["s.csv, row 2, column 'Tahun'", "year 2099 is outside"]),
    (service_mixed_conventions, 1, ["s.csv, row ", "column 'Nilai'", "mixed number",
                                    "'81,25'", "'97.50'"]),
    (leadership_2099, 1, ["l.csv, row 2, column 'Tanggal'", "year 2099 is outside"]),
    (leadership_unknown_event, 1, ["l.csv, row 2, column 'Status'", "unknown event"]),
    (leadership_bad_date, 1, ["l.csv, row 2, column 'Tanggal'", "not a date", "'kemarin'"]),
    (innovation_unknown_stage, 1, ["i.csv, row 2, column 'Tahapan'", "unknown value"]),
    (innovation_year_2099, 1, ["i.csv, row 2, column 'Nomor Registrasi'",
                               "year 2099 is outside", "'33.25-1-1-2099'"]),
    (sheet_on_csv, 1, ["lra.csv", "--sheet applies to .xlsx workbooks only"]),
    (sheet_not_there, 1, ["apbd.xlsx", "no sheet of that name; sheets: Dinsos"]),
    (mapping_not_there, 2, ["mapping 'tidak_ada' not found"]),
]


@pytest.mark.parametrize("make,code,expect", CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_input_is_refused_with_its_place_and_changes_nothing(built, tmp_path, capsys, make,
                                                                 code, expect):
    before = snapshot(built)
    argv = make(tmp_path)
    rc = main(["import", *argv, "--data-dir", str(built)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert rc == code, text
    missing = [e for e in expect if e not in text]
    assert not missing, text
    assert "Traceback" not in text and "BATANG_DEBUG" not in text
    if code == 1:
        assert "Nothing was imported" in out.err
    assert snapshot(built) == before
    assert not list((built / "interim").glob(".import-*"))


# ------------------------------------------------------------------- read correctly

def test_summary_sheet_next_to_detail_sheets_is_not_summed(built, tmp_path):
    summary = [["REKAPITULASI"], ["TAHUN ANGGARAN 2021"], ["Kode Rekening", "Uraian",
                                                           "Anggaran"],
               ["1.06.01", "Program Penunjang Urusan Pemerintahan Daerah", None],
               ["5.1.01.01.01.0001", "Belanja Gaji Pokok PNS", 400e6],
               ["1.06.04", "Program Rehabilitasi Sosial", None],
               ["5.1.02.01.01.0024", "Belanja ATK", 200e6]]
    f = xlsx(tmp_path, "apbd.xlsx", {"Rekap": summary, "Dinsos": detail("DINAS SOSIAL"),
                                     "Dinkes": detail("DINAS KESEHATAN", 3)})
    rep = import_files("budget", [f], dry_run=True)
    tot = rep.data.groupby("unit_id")["amount_idr"].sum().to_dict()
    assert tot == {"dinsos": 150e6, "dinkes": 450e6}
    assert any("apbd.xlsx[Rekap]: a summary sheet" in n for n in rep.notes)
    assert rep.sheets == ["apbd.xlsx[Dinsos]", "apbd.xlsx[Dinkes]"]


def test_english_column_reads_5000_as_five_thousand(built, tmp_path):
    f = lra(tmp_path, "5.1.01.01.01.0001;Belanja Gaji;3,000,000,000;2,500,000,000",
            "5.1.02.01.01.0024;Belanja ATK;5,000;4,500.50")
    rep = import_files("budget", [f], dry_run=True)
    got = rep.data.groupby("stage")["amount_idr"].sum().to_dict()
    assert got == {"murni": 3_000_005_000.0, "realisasi": 2_500_004_500.5}


def test_programme_level_file_imports_directly(built, tmp_path):
    rep = import_files("budget", [EXAMPLES / "pk_perubahan_dinkes_2020.csv"], dry_run=True)
    assert rep.mapping == "programme_budget"
    d = rep.data.set_index("programme_class")
    assert set(rep.data["stage"]) == {"perubahan"} and set(rep.data["year"]) == {2020}
    assert set(rep.data["spending_type"]) == {"unspecified"}
    assert d.loc["penunjang", "amount_idr"] == 2_790_000_000       # 01 + 02
    assert d.loc["urusan", "amount_idr"] == 10_985_500_000
    # names only, no codes, no title: unit and year from the command
    f = csv(tmp_path, "pk.csv", ["Program;Pagu Perubahan",
                                 "Program Pelayanan Administrasi Perkantoran;100",
                                 "Peningkatan Disiplin Aparatur;50",
                                 "Program Upaya Kesehatan Masyarakat;300", "Jumlah;450"])
    rep2 = import_files("budget", [f], unit="dinkes", year=2019, dry_run=True)
    assert rep2.data.groupby("programme_class")["amount_idr"].sum().to_dict() == {
        "penunjang": 150.0, "urusan": 300.0}


ROUTINE = ["Pelayanan Administrasi Perkantoran", "Peningkatan Sarana dan Prasarana Aparatur",
           "Peningkatan Disiplin Aparatur", "Peningkatan Kapasitas Sumber Daya Aparatur",
           "Peningkatan Pengembangan Sistem Pelaporan Capaian Kinerja dan Keuangan"]


@pytest.mark.parametrize("code", ["1.02.02", "1.02.05", "1.02.06", "1.02.1.02.01.03",
                                  "1.02.1.02.01.19", "1.02.17", None])
@pytest.mark.parametrize("name", ROUTINE)
def test_old_routine_programme_names_are_penunjang_whatever_the_code(code, name, built,
                                                                     tmp_path):
    f = csv(tmp_path, "lra.csv", ["Kode Rekening;Uraian;Realisasi",
                                  f"{code or ''};Program {name};",
                                  "5.2.2.01.01;Belanja ATK;1.000"])
    for year in (2019, 2022):
        rep = import_files("budget", [f], unit="dinkes", year=year, dry_run=True)
        assert set(rep.data["programme_class"]) == {"penunjang"}, (code, year)


@pytest.mark.parametrize("code,year,cls", [
    ("1.02.1.02.01.01", 2019, "penunjang"), ("1.02.1.02.01.06", 2019, "penunjang"),
    ("1.02.1.02.01.15", 2019, "urusan"), ("1.02.02", 2019, "penunjang"),
    ("1.02.05", 2020, "penunjang"), ("1.02.16", 2019, "urusan"),
    ("1.02.01", 2022, "penunjang"), ("1.02.02", 2022, "urusan"),
])
def test_programme_codes_without_names(code, year, cls, built, tmp_path):
    f = csv(tmp_path, "lra.csv", ["Kode Rekening;Uraian;Realisasi", f"{code};Program X;",
                                  "5.2.2.01.01;Belanja ATK;1.000"])
    rep = import_files("budget", [f], unit="dinkes", year=year, dry_run=True)
    assert set(rep.data["programme_class"]) == {cls}


# ------------------------------------------------------------------- other commands

def test_build_with_a_bad_registry_id_names_unit_ids_csv(tmp_path, capsys):
    d = tmp_path / "data"
    shutil.copytree(config.project_root() / "data" / "external", d / "external")
    ids = d / "external" / "batang" / "unit_ids.csv"
    lines = ids.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if ",dinkes," in line)
    lines[row] = lines[row].replace(",dinkes,", ",Dinas Kes!,")
    ids.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc = main(["build", "--no-simulated", "--data-dir", str(d)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert f"unit_ids.csv, row {row + 1}, column 'unit_id'" in err and "'Dinas Kes!'" in err
    assert "batang_units.csv" not in err and "Traceback" not in err
    assert not (d / "processed").exists()


@pytest.fixture
def render_copy(built, tmp_path, monkeypatch):
    d = tmp_path / "data"
    shutil.copytree(built, d)
    monkeypatch.setenv("BATANG_REPORTS_DIR", str(tmp_path / "reports"))
    return d


@pytest.mark.parametrize("table,damage,expect", [
    ("units", "garbage", "processed table 'units' at"),
    ("unit_summary", "garbage", "processed table 'unit_summary' at"),
    ("unit_summary", "delete", "processed table 'unit_summary' not found"),
    ("panel", "truncate", "processed table 'panel' at"),
])
def test_render_refuses_corrupt_or_missing_tables_in_one_line(render_copy, tmp_path, capsys,
                                                              table, damage, expect):
    p = render_copy / "processed" / f"{table}.parquet"
    if damage == "delete":
        p.unlink()
    elif damage == "truncate":
        p.write_bytes(p.read_bytes()[:100])
    else:
        p.write_bytes(b"not parquet at all")
    rc = main(["render", "--data-dir", str(render_copy), "--out", str(tmp_path / "opd"),
               "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and expect in err and err.count("\n") == 1, err
    assert "Traceback" not in err and "run `python -m analysis build`" in err \
        or "rebuild it" in err
    assert not (tmp_path / "opd").exists()


def test_render_with_empty_units_is_refused(render_copy, tmp_path, capsys):
    rc = main(["render", "--units", "", "--data-dir", str(render_copy), "--out",
               str(tmp_path / "opd"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "--units is empty" in err and err.count("\n") == 1
    assert not (tmp_path / "opd").exists()


def test_summary_without_a_build_is_one_line(tmp_path, capsys):
    rc = main(["summary", "--data-dir", str(tmp_path / "nothing")])
    err = capsys.readouterr().err
    assert rc == 2 and "build it with `python -m analysis build`" in err
    assert err.count("\n") == 1


# ------------------------------------------------------------------- issue 23: structure,
# scale words, percentages, workbook shapes, separators, contradictions, indicator files

PK_HEAD = "Kode Program;Program;Pagu Perubahan"
PK_TITLE = ["PEMERINTAH KABUPATEN BATANG - DINAS KESEHATAN", "TAHUN ANGGARAN 2020"]


def pk(p: Path, *rows: str, title: list[str] | None = None, head: str = PK_HEAD,
       name: str = "pk.csv") -> Path:
    return csv(p, name, [*(PK_TITLE if title is None else title), head, *rows])


# a programme-level sheet with named activity (kegiatan) rows under each programme; JUMLAH
# is the file's own total (20.000.000)
PK_ACTIVITIES = ["1.02.01;Program Penunjang Urusan Pemerintahan Daerah;Rp 5.000.000",
                 ";Perencanaan, Penganggaran dan Evaluasi Kinerja;Rp 2.000.000",
                 ";Administrasi Keuangan Perangkat Daerah;Rp 3.000.000",
                 "1.02.16;Program Pemenuhan Upaya Kesehatan;Rp 15.000.000",
                 ";Penyediaan Fasilitas Pelayanan Kesehatan;Rp 15.000.000",
                 ";JUMLAH;Rp 20.000.000"]
PK_NAMES = ["Program Penunjang Urusan Pemerintahan Daerah;Rp 5.000.000",
            "Kegiatan Perencanaan, Penganggaran dan Evaluasi Kinerja;Rp 2.000.000",
            "Kegiatan Administrasi Keuangan Perangkat Daerah;Rp 3.000.000",
            "Program Pemenuhan Upaya Kesehatan;Rp 15.000.000",
            "Penyediaan Fasilitas Pelayanan Kesehatan;Rp 15.000.000", "JUMLAH;Rp 20.000.000"]


def programme_activities_disagree(p):
    rows = list(PK_ACTIVITIES)
    rows[2] = ";Administrasi Keuangan Perangkat Daerah;Rp 4.000.000"
    pk(p, *rows)
    return ["budget", str(p / "pk.csv")]


def programme_total_disagrees(p):
    pk(p, "1.02.01;Program Penunjang Urusan Pemerintahan Daerah;Rp 5.000.000",
       "1.02.02;Program Pemenuhan Upaya Kesehatan;Rp 15.000.000", ";JUMLAH;Rp 25.000.000")
    return ["budget", str(p / "pk.csv")]


def programme_names_total_disagrees(p):
    rows = list(PK_NAMES)
    rows[-1] = "JUMLAH;Rp 21.000.000"
    pk(p, *rows, head="Program;Pagu Perubahan")
    return ["budget", str(p / "pk.csv")]


def account_total_disagrees(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000",
        "5.1.02.01.01.0024;Belanja ATK;500.000;400.000", ";JUMLAH;1.500.000;1.400.000")
    return ["budget", str(p / "lra.csv")]


def codeless_subtotal_disagrees(p):
    lra(p, ";Belanja Pegawai;1.200.000;900.000",
        "5.1.01.01.01.0001;Belanja Gaji Pokok;1.000.000;900.000")
    return ["budget", str(p / "lra.csv")]


def scale_title_vs_header(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000;900",
        title="DINAS SOSIAL\nTAHUN ANGGARAN 2021\n(dalam ribuan rupiah)",
        head="Kode Rekening;Uraian;Anggaran (dalam jutaan rupiah);Realisasi")
    return ["budget", str(p / "lra.csv")]


IND_HEAD = "OPD;Tahun;Indikator;Nilai"


def indicator_three_decimals_percent(p):
    csv(p, "ikk.csv", ["OPD;Tahun;Indikator;Satuan;Nilai",
                       "Dinas Kesehatan;2023;Ibu hamil mendapat pelayanan kesehatan;%;97.125"])
    return ["indicators", str(p / "ikk.csv")]


def indicator_three_decimals_by_name(p):
    csv(p, "ikk.csv", [IND_HEAD, "Dinas Kesehatan;2023;Persentase ibu hamil K4;97.125"])
    return ["indicators", str(p / "ikk.csv")]


def indicator_three_decimals_english_column(p):
    csv(p, "ikk.csv", [IND_HEAD, "Dinas Kesehatan;2023;Persentase ibu hamil K4;97.5",
                       "Dinas Kesehatan;2023;Persentase balita ditimbang;97.125"])
    return ["indicators", str(p / "ikk.csv")]


def indicator_ambiguous_unit(p):
    csv(p, "ikk.csv", [IND_HEAD, "RSUD;2023;Persentase pasien puas;91,5"])
    return ["indicators", str(p / "ikk.csv")]


def indicator_unknown_direction(p):
    csv(p, "ikk.csv", ["OPD;Tahun;Indikator;Arah;Nilai",
                       "Dinas Kesehatan;2023;Persentase ibu hamil K4;ke samping;91,5"])
    return ["indicators", str(p / "ikk.csv")]


def hidden_sheet_other_year(p):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dinsos"
    for r in detail("DINAS SOSIAL"):
        ws.append(r)
    old = wb.create_sheet("Lama")
    for r in detail("DINAS SOSIAL"):
        old.append([str(c).replace("2021", "2020") if isinstance(c, str) else c for c in r])
    old.sheet_state = "hidden"
    wb.save(p / "apbd.xlsx")
    return ["budget", str(p / "apbd.xlsx")]


def very_hidden_sheet_other_unit(p):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dinsos"
    for r in detail("DINAS SOSIAL"):
        ws.append(r)
    other = wb.create_sheet("x")
    for r in detail("DINAS KESEHATAN"):
        other.append(r)
    other.sheet_state = "veryHidden"
    wb.save(p / "apbd.xlsx")
    return ["budget", str(p / "apbd.xlsx")]


def title_year_vs_column(p):
    csv(p, "lra.csv", ["DINAS SOSIAL", "TAHUN ANGGARAN 2022",
                       "Tahun;Program;Kode Rekening;Uraian;Realisasi",
                       "2021;Program Penunjang Urusan Pemerintahan Daerah;5.1.01.01.01.0001;"
                       "Belanja Gaji;1.000.000"])
    return ["budget", str(p / "lra.csv")]


def title_unit_vs_column(p):
    csv(p, "lra.csv", ["DINAS SOSIAL", "TAHUN ANGGARAN 2021",
                       "SKPD;Program;Kode Rekening;Uraian;Realisasi",
                       "Dinas Kesehatan;Program Penunjang Urusan Pemerintahan Daerah;"
                       "5.1.01.01.01.0001;Belanja Gaji;1.000.000"])
    return ["budget", str(p / "lra.csv")]


def service_title_year_vs_column(p):
    csv(p, "s.csv", ["INDIKATOR LAYANAN TAHUN 2022", "OPD;Tahun;Indikator;Nilai",
                     "Dinas Sosial;2023;IKM;81,2"])
    return ["service", str(p / "s.csv")]


def two_anggaran_columns(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;1.100.000",
        head="Kode Rekening;Uraian;Anggaran;Anggaran")
    return ["budget", str(p / "lra.csv")]


def two_realisasi_columns_xlsx(p):
    rows = detail("DINAS SOSIAL")
    rows[2] = ["Kode Rekening", "Uraian", "Realisasi", "Realisasi Anggaran"]
    f = xlsx(p, "apbd.xlsx", {"Dinsos": rows})
    return ["budget", str(f)]


def ambiguous_unit_column(p):
    csv(p, "lra.csv", ["SKPD;Program;Kode Rekening;Uraian;Realisasi",
                       "RSUD;Program Penunjang;5.1.01.01.01.0001;Belanja Gaji;1.000"])
    return ["budget", str(p / "lra.csv"), "--year", "2021"]


def ambiguous_unit_flag(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.000.000;900.000", title="X\nTAHUN ANGGARAN 2021")
    return ["budget", str(p / "lra.csv"), "--unit", "RSUD"]


# awkward files that are read (dry run: exit 0, the data untouched), with what they say

def chart_sheet(p):
    from openpyxl.chart import BarChart, Reference

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dinsos"
    for r in detail("DINAS SOSIAL"):
        ws.append(r)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=3, min_row=5, max_row=7))
    cs = wb.create_chartsheet("Grafik")
    cs.add_chart(chart)
    wb.save(p / "apbd.xlsx")
    return ["budget", str(p / "apbd.xlsx"), "--dry-run"]


def hidden_sheet_same_year(p):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dinsos"
    for r in detail("DINAS SOSIAL"):
        ws.append(r)
    copy = wb.create_sheet("Salinan")
    for r in detail("DINAS SOSIAL"):
        copy.append(r)
    copy.sheet_state = "hidden"
    wb.save(p / "apbd.xlsx")
    return ["budget", str(p / "apbd.xlsx"), "--dry-run"]


def very_hidden_sheet_same_unit(p):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dinsos"
    for r in detail("DINAS SOSIAL"):
        ws.append(r)
    copy = wb.create_sheet("Bantu")
    copy.append(["catatan"])
    copy.sheet_state = "veryHidden"
    wb.save(p / "apbd.xlsx")
    return ["budget", str(p / "apbd.xlsx"), "--dry-run"]


def merged_description_cells(p):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dinsos"
    for r in detail("DINAS SOSIAL"):
        ws.append(r)
    ws.merge_cells("A1:C1")
    ws.merge_cells("A2:C2")
    wb.save(p / "apbd.xlsx")
    return ["budget", str(p / "apbd.xlsx"), "--dry-run"]


TSV = ["DINAS SOSIAL", "TAHUN ANGGARAN 2021", "Kode Rekening\tUraian\tAnggaran\tRealisasi",
       "1.06.01\tProgram Penunjang Urusan Pemerintahan Daerah\t\t",
       "5.1.01.01.01.0001\tBelanja Gaji Pokok PNS\t1.000.000,50\t900.000,25",
       "5.1.02.01.01.0024\tBelanja ATK\t2.500,75\t2.000,5"]


def tab_separated_decimal_commas(p):
    csv(p, "lra.tsv", TSV)
    return ["budget", str(p / "lra.tsv"), "--dry-run"]


def tab_separated_as_csv(p):
    csv(p, "lra.csv", TSV)
    return ["budget", str(p / "lra.csv"), "--dry-run"]


def semicolon_decimal_commas(p):
    csv(p, "lra.csv", [line.replace("\t", ";") for line in TSV])
    return ["budget", str(p / "lra.csv"), "--dry-run"]


SCALES = {"dalam ribuan rupiah": ("(dalam ribuan rupiah)", 1e3),
          "dalam jutaan": ("Dalam Jutaan", 1e6),
          "dalam miliar": ("(dalam miliar rupiah)", 1e9),
          "Rp 000": ("(Rp 000)", 1e3)}


def _scaled(p, phrase):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.500;1.250,5",
        title=f"DINAS SOSIAL\nTAHUN ANGGARAN 2021\n{phrase}")
    return ["budget", str(p / "lra.csv"), "--dry-run"]


def title_ribuan(p):
    return _scaled(p, "LAPORAN REALISASI ANGGARAN (dalam ribuan rupiah)")


def title_jutaan(p):
    return _scaled(p, "Dalam Jutaan Rupiah")


def title_miliar(p):
    return _scaled(p, "(dalam miliar rupiah)")


def header_rp000(p):
    lra(p, "5.1.01.01.01.0001;Belanja Gaji;1.500;1.250,5",
        head="Kode Rekening;Uraian;Anggaran (Rp 000);Realisasi (Rp 000)")
    return ["budget", str(p / "lra.csv"), "--dry-run"]


def programme_with_activities(p):
    pk(p, *PK_ACTIVITIES)
    return ["budget", str(p / "pk.csv"), "--dry-run"]


def programme_names_with_activities(p):
    pk(p, *PK_NAMES, head="Program;Pagu Perubahan")
    return ["budget", str(p / "pk.csv"), "--dry-run"]


def codeless_subtotal_above_accounts(p):
    lra(p, ";Belanja Pegawai;1.000.000;900.000",
        "5.1.01.01.01.0001;Belanja Gaji Pokok;600.000;500.000",
        "5.1.01.01.02.0001;Belanja Tunjangan Keluarga;400.000;400.000",
        ";JUMLAH;1.000.000;900.000")
    return ["budget", str(p / "lra.csv"), "--dry-run"]


def indicator_lppd_as_it_comes(p):
    csv(p, "ikk.csv", [IND_HEAD, "Dinas Kesehatan;2023;Persentase ibu hamil K4;97,125",
                       "Dinas Kependudukan dan Pencatatan Sipil;2023;Rata-rata waktu KTP-el;"
                       "1,5"])
    return ["indicators", str(p / "ikk.csv"), "--dry-run"]


def indicator_joint_units(p):
    csv(p, "ikk.csv", [IND_HEAD, "Satpol PP / BPBD;2023;Persentase gangguan trantib "
                       "tertangani;88,2"])
    return ["indicators", str(p / "ikk.csv"), "--dry-run"]


def indicator_large_count(p):
    csv(p, "ikk.csv", ["OPD;Tahun;Indikator;Satuan;Nilai",
                       "Dinas Kesehatan;2023;Jumlah kunjungan puskesmas;orang;97.125"])
    return ["indicators", str(p / "ikk.csv"), "--dry-run"]


CASES_23 = [
    (programme_activities_disagree, 1, [
        "pk.csv, row 4, column 'Pagu Perubahan'", "'Program Penunjang Urusan Pemerintahan "
        "Daerah' (row 4) has 5.000.000", "activities sum to 6.000.000", "rows 5, 6",
        "which is right"]),
    (programme_total_disagrees, 1, [
        "pk.csv, row 6, column 'Pagu Perubahan'", "the file's own total ('JUMLAH', row 6) is "
        "25.000.000", "programmes read sum to 20.000.000", "rows 4, 5"]),
    (programme_names_total_disagrees, 1, [
        "pk.csv, row 9", "the file's own total ('JUMLAH', row 9) is 21.000.000",
        "sum to 20.000.000"]),
    (account_total_disagrees, 1, [
        "lra.csv, row 7, column 'Realisasi'", "own total ('JUMLAH', row 7) is 1.400.000",
        "accounts read sum to 1.300.000", "rows 5, 6"]),
    (codeless_subtotal_disagrees, 1, [
        "lra.csv, row 5, column 'Anggaran'", "sub-total row 'Belanja Pegawai' (row 5",
        "has 1.200.000", "accounts under it sum to 1.000.000", "rows 6"]),
    (scale_title_vs_header, 1, [
        "lra.csv, row 4, column 'Anggaran (dalam jutaan rupiah)'", "dalam jutaan rupiah",
        "dalam ribuan rupiah", "which scale is right"]),
    (indicator_three_decimals_percent, 1, [
        "ikk.csv, row 2, column 'Nilai'", "'97.125'", "reads as 97,125 %", "write 97,125"]),
    (indicator_three_decimals_by_name, 1, ["ikk.csv, row 2, column 'Nilai'", "'97.125'",
                                           "over 1,000 %"]),
    (indicator_three_decimals_english_column, 1, [
        "ikk.csv, row 3, column 'Nilai'", "'97.125'", "ambiguous number"]),
    (indicator_ambiguous_unit, 1, [
        "ikk.csv, row 2, column 'OPD'", "'RSUD'", "ambiguous unit name",
        "RSUD Kabupaten Batang (rsud-batang)", "RSUD Limpung (rsud-limpung)"]),
    (indicator_unknown_direction, 1, ["ikk.csv, row 2, column 'Arah'", "'ke samping'",
                                      "unknown direction"]),
    (hidden_sheet_other_year, 1, ["apbd.xlsx[Lama]", "a hidden sheet holds data of another",
                                  "dinsos 2020", "visible sheets (dinsos 2021)",
                                  "--sheet 'Lama'"]),
    (very_hidden_sheet_other_unit, 1, ["apbd.xlsx[x]", "a very hidden sheet", "dinkes 2021",
                                       "(dinsos 2021)"]),
    (title_year_vs_column, 1, ["lra.csv, row 4, column 'Tahun'", "the year column says 2021",
                               "'TAHUN ANGGARAN 2022'", "which one is right"]),
    (title_unit_vs_column, 1, ["lra.csv, row 4, column 'SKPD'", "names dinkes",
                               "the title says 'DINAS SOSIAL' (dinsos)"]),
    (service_title_year_vs_column, 1, ["s.csv, row 3, column 'Tahun'", "says 2023",
                                       "'INDIKATOR LAYANAN TAHUN 2022'"]),
    (two_anggaran_columns, 1, ["lra.csv, row 3, column 'Anggaran'", "two columns mean the "
                               "same (murni)", "'Anggaran' (column C) and 'Anggaran' "
                               "(column D)", "delete or rename one"]),
    (two_realisasi_columns_xlsx, 1, ["apbd.xlsx[Dinsos], row 3", "two columns mean the same "
                                     "(realisasi)", "'Realisasi' (column C)",
                                     "'Realisasi Anggaran' (column D)"]),
    (ambiguous_unit_column, 1, ["lra.csv, row 2, column 'SKPD'", "'RSUD'",
                                "ambiguous unit name", "(rsud-batang)", "(rsud-limpung)"]),
    (ambiguous_unit_flag, 1, ["--unit", "'RSUD'", "(rsud-batang)", "(rsud-limpung)"]),
    (chart_sheet, 0, ["apbd.xlsx[Grafik]: a chart sheet (no cells), skipped",
                      "dry run: nothing was written"]),
    (hidden_sheet_same_year, 0, ["apbd.xlsx[Salinan]: a hidden sheet, not read",
                                "--sheet 'Salinan'"]),
    (very_hidden_sheet_same_unit, 0, ["apbd.xlsx[Bantu]: a very hidden sheet, not read"]),
    (merged_description_cells, 0, ["dinsos 2021: added"]),
    (tab_separated_decimal_commas, 0, ["rows kept: 2", "dinsos 2021: added"]),
    (tab_separated_as_csv, 0, ["rows kept: 2", "dinsos 2021: added"]),
    (semicolon_decimal_commas, 0, ["rows kept: 2", "dinsos 2021: added"]),
    (title_ribuan, 0, ["column 'Anggaran' in thousands of rupiah", "dalam ribuan rupiah",
                       "multiplied by 1.000"]),
    (title_jutaan, 0, ["in millions of rupiah", "Dalam Jutaan", "multiplied by 1.000.000"]),
    (title_miliar, 0, ["in billions of rupiah", "dalam miliar", "multiplied by "
                       "1.000.000.000"]),
    (header_rp000, 0, ["column 'Anggaran (Rp 000)' in thousands of rupiah", "'Rp 000'"]),
    (programme_with_activities, 0, ["2 programme rows", "3 activity (kegiatan) rows"]),
    (programme_names_with_activities, 0, ["2 programme rows", "3 activity (kegiatan) rows"]),
    (codeless_subtotal_above_accounts, 0, ["rows kept: 2", "dinsos 2021: added"]),
    (indicator_lppd_as_it_comes, 0, ["rows kept: 2", "dinkes 2023: added"]),
    (indicator_joint_units, 0, ["'Satpol PP / BPBD' names several units (bpbd, satpolpp)",
                                "kept as a region-level row"]),
    (indicator_large_count, 0, ["rows kept: 1"]),
]


@pytest.mark.parametrize("make,code,expect", CASES_23, ids=[c[0].__name__ for c in CASES_23])
def test_issue_23_inputs_refused_or_read_and_data_unchanged(built, tmp_path, capsys, make,
                                                            code, expect):
    test_bad_input_is_refused_with_its_place_and_changes_nothing(built, tmp_path, capsys, make,
                                                                 code, expect)


def test_corpus_holds_at_least_80_inputs():
    assert len(CASES) + len(CASES_23) >= 80


# the numbers the awkward files give

def _total(rep, by="stage"):
    return rep.data.groupby(by)["amount_idr"].sum().to_dict()


@pytest.mark.parametrize("phrase", list(SCALES))
def test_scale_words_are_applied(built, tmp_path, phrase):
    text, factor = SCALES[phrase]
    f = lra(tmp_path, "5.1.01.01.01.0001;Belanja Gaji;1.500;1.250,5",
            title=f"DINAS SOSIAL\nTAHUN ANGGARAN 2021\nLRA {text}")
    rep = import_files("budget", [f], dry_run=True)
    assert _total(rep) == {"murni": 1500 * factor, "realisasi": 1250.5 * factor}
    assert any("multiplied by" in n for n in rep.notes), rep.notes


def test_programme_activities_are_not_counted_as_programmes(built, tmp_path):
    for rows, head in ((PK_ACTIVITIES, PK_HEAD), (PK_NAMES, "Program;Pagu Perubahan")):
        f = pk(tmp_path, *rows, head=head)
        rep = import_files("budget", [f], dry_run=True)
        assert rep.data["amount_idr"].sum() == 20_000_000     # the file's own JUMLAH
        assert rep.data.groupby("programme_class")["amount_idr"].sum().to_dict() == {
            "penunjang": 5_000_000, "urusan": 15_000_000}


def test_programme_without_amount_takes_its_activities(built, tmp_path):
    f = pk(tmp_path, "1.02.01;Program Penunjang Urusan Pemerintahan Daerah;",
           "1.02.01.2.01;Perencanaan, Penganggaran dan Evaluasi;Rp 2.000.000",
           "1.02.01.2.01.0001;Penyusunan Dokumen Perencanaan;Rp 2.000.000",
           "1.02.02;Program Pemenuhan Upaya Kesehatan;",
           "1.02.02.2.02;Penyediaan Layanan Kesehatan;Rp 7.000.000", ";JUMLAH;Rp 9.000.000")
    rep = import_files("budget", [f], dry_run=True)
    assert rep.data["amount_idr"].sum() == 9_000_000


def test_codeless_subtotal_is_not_added_to_its_accounts(built, tmp_path):
    argv = codeless_subtotal_above_accounts(tmp_path)
    rep = import_files("budget", [argv[1]], dry_run=True)
    assert _total(rep) == {"murni": 1_000_000, "realisasi": 900_000}


@pytest.mark.parametrize("make", [tab_separated_decimal_commas, tab_separated_as_csv,
                                  semicolon_decimal_commas])
def test_separated_files_with_decimal_commas(built, tmp_path, make):
    rep = import_files("budget", [make(tmp_path)[1]], dry_run=True)
    assert _total(rep) == {"murni": 1_002_501.25, "realisasi": 902_000.75}


def test_chart_and_hidden_sheets_do_not_add(built, tmp_path):
    for make in (chart_sheet, hidden_sheet_same_year):
        d = tmp_path / make.__name__
        d.mkdir()
        rep = import_files("budget", [make(d)[1]], dry_run=True)
        assert rep.sheets == ["apbd.xlsx[Dinsos]"]
        assert rep.data["amount_idr"].sum() == 150e6


def test_lppd_file_without_direction_or_target_gives_no_verdict(built, tmp_path):
    from analysis.methods.indicators import against_target

    rep = import_files("indicators", [indicator_lppd_as_it_comes(tmp_path)[1]], dry_run=True)
    d = rep.data.set_index("unit_id")
    assert d.loc["dinkes", "value"] == 97.125
    assert d["direction"].isna().all() and d["target"].isna().all()
    assert d["measure_unit"].isna().all()
    t = against_target(rep.data.assign(target=100.0))   # a target but still no direction
    assert t["met"].isna().all() and t["achievement_pct"].isna().all()


def test_joint_units_are_a_region_level_row(built, tmp_path):
    rep = import_files("indicators", [indicator_joint_units(tmp_path)[1]], dry_run=True)
    r = rep.data.iloc[0]
    assert r["unit_id"] is None or r["unit_id"] != r["unit_id"]
    assert r["entity"] == "33.25" and "joint units: Satpol PP / BPBD" in r["source"]
