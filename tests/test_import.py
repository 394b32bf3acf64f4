"""Importing the regency's own files: realistic and malformed CSV/XLSX files give the expected
rows or the expected error (file, sheet, row, column, value, reason), and a failed import
leaves the user and processed data exactly as they were."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from _support import copy_data

from analysis import config, pipeline
from analysis.data import public, store
from analysis.data.importers.read import NotANumber, parse_date, parse_number
from analysis.data.schema import InputError
from analysis.pipeline import import_files
from analysis.pipeline import register_import_cli as register_cli

EXAMPLES = config.project_root() / "data" / "raw" / "examples"
IID = "batang_innovation_profiles_iid2021.csv"


# ------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def built(built_data_dir, tmp_path_factory):
    """A copy of the session's default build (public + simulated) for the tests that must
    fail (and for dry runs)."""
    d = copy_data(built_data_dir, tmp_path_factory.mktemp("built") / "data")
    mp = pytest.MonkeyPatch()
    mp.setenv("BATANG_DATA_DIR", str(d))
    yield d
    mp.undo()


def snapshot(d: Path) -> dict[str, str]:
    files = sorted((d / "processed").iterdir()) + sorted((d / "user").glob("*"))
    return {f"{p.parent.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


def write_csv(path: Path, rows: list[list], sep: str = ";", encoding: str = "utf-8") -> Path:
    text = "\n".join(sep.join("" if v is None else str(v) for v in r) for r in rows) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


HEADER = ["Kode Rekening", "Uraian", "Anggaran", "Anggaran Setelah Perubahan", "Realisasi", "%"]


def lra_rows(amount_text: str = "1.000.000.000,00") -> list[list]:
    return [
        ["LAPORAN REALISASI ANGGARAN", None, None, None, None, None],
        ["DINAS LINGKUNGAN HIDUP", None, None, None, None, None],
        ["TAHUN ANGGARAN 2021", None, None, None, None, None],
        HEADER,
        ["1.11.01", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA",
         "Rp 1.500.000.000,00", "1.400.000.000,00", "1.350.000.000,00", "96,43"],
        ["5.1.01", "Belanja Pegawai", "Rp 1.000.000.000,00", "900.000.000,00",
         "880.000.000,00", "97,78"],
        ["5.1.01.01.01.0001", "Belanja Gaji Pokok PNS", amount_text, "900.000.000,00",
         "880.000.000,00", "97,78"],
        ["5.1.02.01.01.0024", "Belanja Alat Tulis Kantor", "500.000.000,00", "500.000.000,00",
         "470.000.000,00", "94,00"],
        ["1.11.03", "PROGRAM PENGENDALIAN PENCEMARAN DAN/ATAU KERUSAKAN LINGKUNGAN HIDUP",
         "800.000.000,00", "700.000.000,00", "650.000.000,00", "92,86"],
        ["5.2.02.05.01.0001", "Belanja Modal Peralatan Laboratorium", "800.000.000,00",
         "700.000.000,00", "(650.000.000,00)", "-92,86"],
        ["5.2.02.05.01.0002", "Belanja Modal Alat Ukur", "0", "0", "1.300.000.000", "-"],
        [None, "JUMLAH BELANJA", "2.300.000.000,00", "2.100.000.000,00", "2.000.000.000,00",
         "95,24"],
    ]


def budget_workbook(path: Path) -> Path:
    """Two OPD sheets with a merged title, a two-row merged header, a column-number row and
    a total row; one empty sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dinkes"
    for name, year, scale in [("Dinkes", 2021, 1), ("DPUPR", 2021, 3)]:
        ws = ws if name == "Dinkes" else wb.create_sheet(name)
        ws.append([f"RINCIAN APBD TAHUN ANGGARAN {year}"])
        ws.merge_cells("A1:E1")
        ws.append([])
        ws.append(["Kode Rekening", "Uraian", "Anggaran", None, "Realisasi"])
        ws.append([None, None, "Sebelum Perubahan", "Setelah Perubahan", None])
        ws.merge_cells("A3:A4")
        ws.merge_cells("B3:B4")
        ws.merge_cells("C3:D3")
        ws.merge_cells("E3:E4")
        ws.append([1, 2, 3, 4, 5])
        ws.append(["1.02.01", "Program Penunjang Urusan Pemerintahan Daerah", None, None, None])
        ws.append(["5.1.01.01.01.0001", "Belanja Gaji Pokok PNS", 100e6 * scale,
                   110e6 * scale, 105e6 * scale])
        ws.append(["1.02.02", "Program Pemenuhan Upaya Kesehatan", None, None, None])
        ws.append(["5.1.02.01.01.0026", "Belanja Obat-Obatan", "Rp 50.000.000,00",
                   "60.000.000,00", "55.500.000,50"])
        # the file's own total (checked against the accounts read)
        ws.append([None, "Jumlah", 100e6 * scale + 50e6, 110e6 * scale + 60e6,
                   105e6 * scale + 55_500_000.5])
    wb.create_sheet("Sheet3")
    wb.save(path)
    return path


# ------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("text,value", [
    ("1.234.567.890,50", 1234567890.5), ("Rp 1.234", 1234.0), ("Rp. 1.234.000", 1234000.0),
    ("(1.234,5)", -1234.5), ("-1.000", -1000.0), ("-", 0.0), ("1234,5", 1234.5),
    ("1,234,567.50", 1234567.5), ("12.5", 12.5), ("", None), (7.0, 7.0), ("96,43%", 96.43),
])
def test_indonesian_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["satu juta", "1.2.3,4,5", "12abc"])
def test_text_is_not_a_number(text):
    with pytest.raises(NotANumber):
        parse_number(text)


def test_indonesian_dates():
    assert str(parse_date("1 Juli 2024")) == "2024-07-01"
    assert str(parse_date("03/01/2019")) == "2019-01-03"
    assert str(parse_date("2021-08-22")) == "2021-08-22"


# ------------------------------------------------------------------------------- budget


@pytest.mark.slow   # the import rebuilds and refits the models on the changed panel (~30 s)
def test_lra_csv_lands_replaces_simulated_idempotent_and_failures_change_nothing(
        data_dir, monkeypatch):
    rep = import_files("budget", [EXAMPLES / "lra_dinkes_2022.csv"])
    assert rep.written and rep.subtotal_rows == 9 and rep.rows_kept == 6
    user = pd.read_parquet(data_dir / "user" / "budget.parquet")
    assert set(user["provenance"]) == {"user"} and set(user["unit_id"]) == {"dinkes"}
    cell = user.set_index(["stage", "programme_class", "spending_type"])["amount_idr"]
    assert cell["murni", "penunjang", "pegawai"] == 8.9e9
    assert cell["realisasi", "penunjang", "barang_jasa"] == pytest.approx(175_250_000.50)
    assert cell["realisasi", "urusan", "barang_jasa"] == 3.345e9   # (5.000.000) netted
    assert cell["perubahan", "urusan", "modal"] == 1.2e9
    assert user["amount_idr"].groupby(user["stage"]).sum()["realisasi"] == \
        pytest.approx(13_490_750_000.50)   # = the file's JUMLAH row, counted once
    # the rebuilt processed tables: user rows replace the simulated unit-year, nothing else
    b = store.load_table("budget", data_dir)
    assert set(b[(b.unit_id == "dinkes") & (b.year == 2022)]["provenance"]) == {"user"}
    assert set(b[(b.unit_id == "dinkes") & (b.year == 2021)]["provenance"]) == {"simulated"}
    panel = store.load_table("panel", data_dir)
    row = panel[(panel.unit_id == "dinkes") & (panel.year == 2022)].iloc[0]
    assert row["provenance_budget"] == "user"
    assert row["budget_realisasi"] == pytest.approx(13_490_750_000.50)
    # re-importing the same file changes nothing
    before = snapshot(data_dir)
    again = import_files("budget", [EXAMPLES / "lra_dinkes_2022.csv"])
    assert [c["action"] for c in again.changes] == ["unchanged"]
    assert snapshot(data_dir) == before
    # a rebuild that fails leaves the user table and the processed tables as they were
    calls = []

    def broken(*a, **k):
        calls.append(a)
        raise InputError("budget", [])

    monkeypatch.setattr(pipeline, "build", broken)
    with pytest.raises(InputError):
        import_files("leadership", [EXAMPLES / "pimpinan_opd.csv"])
    assert calls and snapshot(data_dir) == before
    assert not (data_dir / "user" / "leadership.parquet").exists()
    assert not list((data_dir / "interim").glob(".import-*"))


def test_xlsx_merged_headers_many_sheets(built, tmp_path):
    path = budget_workbook(tmp_path / "apbd_2021.xlsx")
    rep = import_files("budget", [path], dry_run=True)
    assert rep.sheets == ["apbd_2021.xlsx[Dinkes]", "apbd_2021.xlsx[DPUPR]"]
    assert any("Sheet3" in n and "empty" in n for n in rep.notes)
    df = rep.data.set_index(["unit_id", "stage", "programme_class"])["amount_idr"]
    assert df["dinkes", "murni", "penunjang"] == 100e6
    assert df["dpupr", "perubahan", "penunjang"] == 330e6
    assert df["dinkes", "realisasi", "urusan"] == 55_500_000.5
    assert set(rep.data["year"]) == {2021}
    assert rep.subtotal_rows == 2 * 3   # two programme rows and one total row per sheet
    assert {c["unit_id"] for c in rep.changes} == {"dinkes", "dpupr"}


def test_unit_per_row_and_old_programme_names(built, tmp_path):
    f = write_csv(tmp_path / "lra_2019.csv", [
        ["SKPD", "Program", "Kode Rekening", "Uraian", "Realisasi"],
        ["Dinas Sosial", "Program Pelayanan Administrasi Perkantoran", "5.2.2.01.01",
         "Belanja ATK", "10.000.000"],
        ["Dinsos", "Program Pemberdayaan Fakir Miskin", "5.2.3.01.01", "Belanja Modal",
         "20.000.000"],
        ["Dinas Sosial", "Program Pemberdayaan Fakir Miskin", "", "Belanja Hibah Barang",
         "5.000.000"],
        ["Dinas Sosial", "Program Pemberdayaan Fakir Miskin", "4.1.2.01", "Retribusi",
         "1.000.000"],
    ], sep=",")
    rep = import_files("budget", [f], year=2019, dry_run=True)
    got = rep.data.set_index(["programme_class", "spending_type"])["amount_idr"].to_dict()
    assert got == {("penunjang", "barang_jasa"): 1e7, ("urusan", "modal"): 2e7,
                   ("urusan", "hibah_bansos"): 5e6}
    assert set(rep.data["stage"]) == {"realisasi"} and rep.non_spending_rows == 1


# ------------------------------------------------------------------------------- failures


def _missing_column(p):
    rows = lra_rows()
    rows[3] = ["Kode Rekening", "Keterangan Lain", "Anggaran", "Anggaran Setelah Perubahan",
               "Realisasi", "%"]
    return write_csv(p / "lra.csv", [r[:1] + r[2:] for r in rows]), {}


def _text_amount(p):
    return write_csv(p / "lra.csv", lra_rows("satu miliar")), {}


def _unknown_opd(p):
    rows = lra_rows()
    rows[1] = ["X", None, None, None, None, None]
    return write_csv(p / "lra.csv", rows), {"unit": "Dinas Lingkungan Hidop"}


def _duplicate_rows(p):
    rows = lra_rows()
    rows.insert(8, list(rows[7]))
    return write_csv(p / "lra.csv", rows), {}


def _empty_sheet(p):
    wb = openpyxl.Workbook()
    wb.active.title = "Kosong"
    wb.save(p / "kosong.xlsx")
    return p / "kosong.xlsx", {}


def _wrong_encoding(p):
    f = p / "lra.csv"
    f.write_bytes(b"Kode Rekening;Uraian;Anggaran\n5.1.01;Belanja \x81\x8d\x90;1\n")
    return f, {}


def _no_year(p):
    rows = lra_rows()
    rows[2] = ["LAPORAN", None, None, None, None, None]
    return write_csv(p / "lra.csv", rows), {}


@pytest.mark.parametrize("make,where,reason", [
    (_missing_column, ("lra.csv", 4, "Uraian"), "required column is missing"),
    (_text_amount, ("lra.csv", 7, "Anggaran"), "not a number"),
    (_unknown_opd, ("--unit", "-", None), "closest known: Dinas Lingkungan Hidup (dlh)"),
    (_duplicate_rows, ("lra.csv", 9, "Kode Rekening"), "duplicate of row 8"),
    (_empty_sheet, ("kosong.xlsx[Kosong]", "-", None), "empty"),
    (_wrong_encoding, ("lra.csv", "-", None), "unknown text encoding"),
    (_no_year, ("lra.csv", 6, None), "year unknown"),
], ids=["missing-column", "text-amount", "unknown-opd", "duplicates", "empty-sheet",
        "encoding", "no-year"])
def test_bad_budget_files_are_rejected_and_change_nothing(built, tmp_path, make, where,
                                                          reason):
    before = snapshot(built)
    path, kw = make(tmp_path)
    with pytest.raises(InputError) as exc:
        import_files("budget", [path], **kw)
    probs = exc.value.problems
    hit = [p for p in probs if (p.file, p.row) == where[:2] and reason in p.rule]
    assert hit, [str(p) for p in probs]
    if where[2]:
        assert hit[0].column == where[2]
    assert exc.value.report.problems and "REJECTED" in exc.value.report.format()
    assert snapshot(built) == before


def test_unknown_unit_in_rows_is_reported_with_suggestions(built, tmp_path):
    f = write_csv(tmp_path / "ikm.csv", [["OPD", "Tahun", "Indikator", "Nilai"],
                                         ["Dinas Kesehatn", "2023", "IKM", "80,1"],
                                         ["Dinas Sosial", "2023", "Indeks Bahagia", "3"]],
                  sep=",")
    with pytest.raises(InputError) as exc:
        import_files("service", [f])
    rep = exc.value.report
    assert "Dinas Kesehatan (dinkes)" in rep.unknown_units["Dinas Kesehatn"]
    p = {(x.row, x.column): x for x in exc.value.problems}
    assert p[2, "OPD"].value == "Dinas Kesehatn"
    assert "unknown indicator" in p[3, "Indikator"].rule


# ------------------------------------------------------------------------------- other kinds


def test_real_iid_profiles_import_like_the_public_loader(built):
    ext = built / "external" / "batang"
    rep = import_files("innovations", [ext / IID], year=2021, dry_run=True)
    pub = public.load_innovations(ext)
    cols = [c for c in pub.columns if c not in ("innovation_id", "provenance", "source")]
    pd.testing.assert_frame_equal(rep.data[cols].reset_index(drop=True),
                                  pub[cols].reset_index(drop=True), check_dtype=False)
    assert rep.data["innovation_id"].str.startswith("user-").all()
    assert rep.data["innovation_id"].is_unique and set(rep.data["provenance"]) == {"user"}
    # created_by alone (account labels and handles) gives the same units
    raw = pd.read_csv(ext / IID).drop(columns=["opd_normalized"])
    raw.to_csv(built.parent / "iid.csv", index=False)
    rep2 = import_files("innovations", [built.parent / "iid.csv"], year=2021, dry_run=True)
    assert rep2.data["unit_id"].fillna("-").tolist() == pub["unit_id"].fillna("-").tolist()


def test_iid_export_duplicates_are_flagged_not_dropped(built, tmp_path):
    f = write_csv(tmp_path / "iid.csv", [
        ["Nama Inovasi", "Nomor Registrasi", "Dibuat Oleh", "Tahapan", "Jenis", "Bentuk"],
        ["SiCepat", "33.25-1-1-2022", "Dinas Kesehatan ( dinkes.batang )", "Uji Coba",
         "Digital", "Inovasi pelayanan publik"],
        ["Si Cepat!", "33.25-1-2-2022", "Dinkes", "Implementasi", "Digital",
         "Inovasi pelayanan publik"],
        ["Lain", "33.25-1-2-2022", "Dinas Sosial", "Inisiatif", "Non Digital", "lainnya"],
    ], sep=",")
    rep = import_files("innovations", [f], dry_run=True)
    d = rep.data
    assert d["is_duplicate"].tolist() == [False, True, True]
    assert set(d["reporting_year"]) == {2022}      # from the registration numbers
    assert len(rep.duplicates) == 2 and len(d) == 3


def test_skm_invalid_answers_are_counted_and_cp1252_is_warned(built, tmp_path):
    rows = ["No;Unit Layanan;Periode;U1;U2;U3;U4;U5;U6;U7;U8;U9;Saran"]
    for i in range(1, 6):
        rows.append(f"{i};Disdukcapil;Semester I 2023;3;3;4;4;3;3;4;3;3;Pelayanan cepat \u2013 ok")
    rows.append("6;Disdukcapil;Semester I 2023;3;;4;4;3;3;4;3;3;")
    rows.append("7;Disdukcapil;2023;5;3;0;4;3;3;4;3;3;")
    rows.append(";;;;;;;;;;;;")
    f = tmp_path / "skm.csv"
    f.write_bytes("\n".join(rows).encode("cp1252"))
    rep = import_files("skm", [f], dry_run=True)
    assert rep.rows_read == 7 and rep.rows_kept == 5
    assert rep.invalid_answers == 3 and rep.respondents_dropped == 2
    assert any("Windows-1252" in w for w in rep.warnings)
    assert rep.data["respondent"].tolist() == [0, 1, 2, 3, 4]
    assert any("ikm.py rule" in n for n in rep.notes)


def test_service_wide_and_long_and_leadership_words(built):
    wide = import_files("service", [EXAMPLES / "layanan_wide_2023.csv"], dry_run=True)
    assert wide.mapping == "service_wide" and wide.blank_values == 4
    d = wide.data.set_index(["unit_id", "indicator"])["value"]
    assert d["disdukcapil", "ikm"] == 86.42 and d["rsud-batang", "complaints"] == 41
    assert set(wide.data["provenance"]) == {"user"} and set(wide.data["year"]) == {2023}
    long = import_files("service", [EXAMPLES / "layanan_long_2023.csv"], dry_run=True)
    assert long.mapping == "service_long" and len(long.data) == 3
    lead = import_files("leadership", [EXAMPLES / "pimpinan_opd.csv"], dry_run=True)
    assert lead.data["event"].tolist() == ["definitive", "acting", "rotation"]
    assert lead.data["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-01-03", "2024-07-01", "2024-07-01"]


# ------------------------------------------------------------------------------- command


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_command_dry_run_and_rejection(built, tmp_path, capsys):
    before = snapshot(built)
    assert run_cli(["import", "skm", str(EXAMPLES / "skm_disdukcapil_2023.csv"),
                    "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "respondents dropped (any invalid answer): 2" in out
    assert "disdukcapil 2023: added" in out and "dry run: nothing was written" in out
    bad, _ = _text_amount(tmp_path)
    assert run_cli(["import", "budget", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "lra.csv, row 7, column 'Anggaran'" in err and "Nothing was imported" in err
    assert snapshot(built) == before
