"""More data slots into the 2020 analysis (issue 21, item 5): a JAGA-layout 2020 kab/kota file
(full-year outturn) replaces the semester-I treatment of exactly the pemda it holds, and an
Indeks Inovasi Daerah table per pemda imports as user data and becomes an exploratory outcome
of notebook 7.0 when present. Every file here is fictional, made in a temporary folder."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest
from _support import fresh_data_dir

from analysis import config, pipeline
from analysis.data import store
from analysis.data.importers import iid_pemda
from analysis.data.schema import InputError
from analysis.methods import national_2020 as nat
from analysis.publish import national_2020 as view
from analysis.publish.explore import Context

ROOT = config.project_root()
SRC = ROOT / "data" / "external" / "national" / "djpk_jaga_apbd" / "data_apbd_kabkota_level3-2021.csv"
EXAMPLE = ROOT / "data" / "raw" / "examples" / "iid_pemda_FICTIONAL.csv"
NOTEBOOK = ROOT / "notebooks" / "7.0-national-2020-cut.ipynb"
# three Jawa Tengah kab/kota with a fictional full-year 2020: their 2021 rows scaled
PLANTED = {"Kab. Batang": ("33.25", 0.85), "Kab. Pekalongan": ("33.26", 0.97),
           "Kota Tegal": ("33.76", 0.92)}


def jaga_2020(folder) -> tuple[str, dict[str, float]]:
    """A file in the published JAGA layout for 2020 holding three kab/kota; and their
    full-year spending outturn (sum of the 5xx Realisasi rows)."""
    df = pd.read_csv(SRC, dtype=str)
    df = df[df["namapemda"].isin(PLANTED) & df["provinsi"].str.contains("Jawa Tengah")].copy()
    df["tahun"] = "2020"
    scale = df["namapemda"].map({k: v[1] for k, v in PLANTED.items()})
    df["nilai"] = (df["nilai"].astype(float) * scale).round(2).astype(str)
    path = folder / "jaga-2020-three-pemda.csv"
    df.to_csv(path, index=False)
    spend = df[df["level3coa90"].str.match(r"^\s*5") & (df["jenis"].str.lower() == "realisasi")]
    totals = spend.assign(v=spend["nilai"].astype(float)).groupby("namapemda")["v"].sum()
    return str(path), {PLANTED[k][0]: float(v) for k, v in totals.items()}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("natimp")
    d = fresh_data_dir(root)
    pipeline.build(d, simulated=False)
    before = store.load_table("pemda_shock_2020", d)
    path, totals = jaga_2020(root)
    pipeline.import_apbd("apbd-kabkota", [path], data_dir=d)
    rep = pipeline.import_iid([EXAMPLE], data_dir=d)
    return d, before, totals, rep


def test_full_year_replaces_semester_1_for_exactly_the_imported_pemda(imported):
    d, before, totals, _ = imported
    shock = store.load_table("pemda_shock_2020", d).set_index("region_code")
    full = shock[shock["shock_measure"] == "full_year"]
    assert set(full.index) == set(totals)
    defl = store.load_table("deflator", d).set_index("year")["index"]
    sikd = store.load_table("pemda_sikd", d)
    o19 = sikd[(sikd["measure"] == "outturn") & (sikd["year"] == 2019)
               & (sikd["group"] == "total")].set_index("region_code")["amount_idr"]
    for code, f20 in totals.items():
        r = shock.loc[code]
        expected = 100 * ((f20 / defl[2020]) / (o19[code] / defl[2019]) - 1)
        assert r["full_real_change"] == pytest.approx(expected)
        assert r["full_2019_source"] == "djpk"
        assert r["treatment_change"] == pytest.approx(expected)
        assert r["cut_depth"] == pytest.approx(-expected / nat.TREATMENT_SCALE)
        assert r["cut_depth"] != pytest.approx(-r["s1_real_change"] / nat.TREATMENT_SCALE)
        assert r["provenance"] == "public+user"
    rest = shock.drop(index=list(totals))
    assert (rest["shock_measure"] == "semester_1").all() and set(rest["provenance"]) == {"public"}
    old = before.set_index("region_code").drop(index=list(totals))
    pd.testing.assert_series_equal(rest["cut_depth"], old["cut_depth"])
    info = store.load_manifest(d)["derived_info"]["national_2020"]
    assert info["treatment_measure"] == {"semester_1": int(rest["cut_depth"].notna().sum()),
                                         "full_year": 3}
    # the user figures are said wherever they travel: pemda_year, the results, the ledger
    py = store.load_table("pemda_year", d)
    assert set(py.loc[py["region_code"].isin(totals), "provenance"]) == {"public+user"}
    res = store.load_table("national_2020_results", d)
    assert set(res["provenance"]) == {"public+user"}
    fnd = store.load_table("findings", d)
    assert set(fnd.loc[fnd["family"] == nat.FAMILY, "provenance"]) == {"public+user"}


def test_the_shock_section_says_which_measure_the_treatment_uses(imported):
    d, before, _, _ = imported
    ctx = Context(str(d), "33.25", nat.YEARS, "en", None, {})
    shock = store.load_table("pemda_shock_2020", d)
    text = view.shock_section(ctx, shock, {}).text
    assert "full-year 2020 outturn of an imported JAGA file (user data)" in text
    assert "This region: full-year 2020 outturn (JAGA import)" in text
    plain = view.shock_section(ctx, before, {}).text
    assert "every kab/kota uses the 2020 semester-I outturn" in plain
    assert "import apbd-kabkota" in plain


def test_shock_table_by_hand_partial_2020_keeps_semester_1():
    pemda = pd.DataFrame({"region_code": ["01.01", "01.02"], "name": ["A", "B"],
                          "kind": ["kabupaten", "kota"], "province_code": ["01", "01"],
                          "province": ["P", "P"]})
    rows = [(c, y, "outturn_s1", "total", v) for c in ("01.01", "01.02")
            for y, v in ((2019, 100.0), (2020, 90.0))]
    rows += [(c, 2019, "outturn", "total", 300.0) for c in ("01.01", "01.02")]
    sikd = pd.DataFrame(rows, columns=["region_code", "year", "measure", "group", "amount_idr"])
    py = pd.DataFrame({"region_code": ["01.01", "01.02", "01.01"], "year": [2020, 2020, 2019],
                       "spending_outturn": [240.0, 240.0, 320.0],
                       "partial": [False, True, False],
                       "provenance": ["public+user", "public+user", "public+user"]})
    defl = pd.DataFrame({"year": range(2016, 2025), "index": [100.0 + 3 * k for k in range(9)]})
    s = nat.shock_table(sikd, py, pemda, defl).set_index("region_code")
    # 01.01: full year 2020 against the imported JAGA 2019 (same source), not DJPK's 300
    assert s.loc["01.01", "shock_measure"] == "full_year"
    assert s.loc["01.01", "full_2019_source"] == "jaga"
    assert s.loc["01.01", "full_real_change"] == pytest.approx(
        100 * ((240 / 112.0) / (320 / 109.0) - 1))
    # 01.02: its 2020 is partial, so semester I stays its treatment
    assert s.loc["01.02", "shock_measure"] == "semester_1"
    assert np.isnan(s.loc["01.02", "full_real_change"])
    assert s.loc["01.02", "cut_depth"] == pytest.approx(-s.loc["01.02", "s1_real_change"] / 10)
    assert s.loc["01.02", "provenance"] == "public"
    assert nat.treatment_counts(s.reset_index()) == {"semester_1": 1, "full_year": 1}


def test_iid_imports_as_user_joined_on_the_code(imported):
    d, _, _, rep = imported
    assert rep.written and rep.rows == 16 and rep.pemda == 4
    iid = store.load_table("pemda_iid", d)
    assert set(iid["provenance"]) == {"user"}
    assert set(iid["region_code"]) == {"33.25", "33.26", "33.24", "33.75"}   # 3326 -> 33.26
    assert (d / "user" / "national" / iid_pemda.USER_FILE).is_file()
    tdd = iid[iid["category"] == "Tidak Dapat Dinilai"]
    assert len(tdd) == 1 and tdd["iid_score"].isna().all()
    assert iid["source"].str.contains("iid_pemda_FICTIONAL.csv").all()
    # never in the confirmatory family
    res = store.load_table("national_2020_results", d)
    assert not res["outcome"].str.contains("iid").any()


def test_a_bad_code_is_refused_naming_row_and_column_and_nothing_is_written(imported, tmp_path):
    d, _, _, _ = imported
    before = {p: p.read_bytes() for p in (d / "user").rglob("*") if p.is_file()}
    manifest = (d / "processed" / "manifest.json").read_bytes()
    bad = tmp_path / "iid_bad.csv"
    bad.write_text("kode_pemda,tahun,skor,kategori,jumlah_inovasi\n"
                   "33.25,2021,55.1,Inovatif,12\n"
                   "99.99,2021,40,Inovatif,3\n"
                   "3x25,2021,40,Inovatif,3\n"
                   "33.26,2021,40,Hebat,-1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        pipeline.import_iid([bad], data_dir=d)
    where = {(p.file, p.row, p.column) for p in err.value.problems}
    assert {("iid_bad.csv", 3, "kode_pemda"), ("iid_bad.csv", 4, "kode_pemda"),
            ("iid_bad.csv", 5, "kategori"), ("iid_bad.csv", 5, "jumlah_inovasi")} <= where
    out = subprocess.run([sys.executable, "-m", "analysis", "import", "iid-pemda", str(bad),
                          "--data-dir", str(d)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    assert "iid_bad.csv, row 3" in out.stderr and "kode_pemda" in out.stderr
    assert {p: p.read_bytes() for p in (d / "user").rglob("*") if p.is_file()} == before
    assert (d / "processed" / "manifest.json").read_bytes() == manifest


def _iid_cell() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c for c in nb.cells if "iid-outcome" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0].source


def _namespace(tables: dict) -> dict:
    from analysis.methods.fit import fit, tidy

    rng = np.random.default_rng(3)
    codes = [f"33.{k:02d}" for k in range(1, 41)]
    data = pd.DataFrame([(c, y) for c in codes for y in range(2016, 2025)],
                        columns=["region_code", "year"])
    depth = dict(zip(codes, rng.normal(0, 1, len(codes)), strict=True))
    data["cut_depth"] = data["region_code"].map(depth)
    data["cut_depth_fall"] = data["cut_depth"] * data["year"].between(2020, 2021)
    data["cut_depth_after"] = data["cut_depth"] * (data["year"] >= 2022)
    data["provenance"] = "public"
    shown: list = []
    return {"ctx": Context(None, "33.25", nat.YEARS, "en", None, {}), "t": tables,
            "data": data, "view": view, "nat": nat, "fit": fit, "tidy": tidy, "pd": pd,
            "display": shown.append, "_shown": shown}


def test_notebook_cell_without_iid_says_how_to_get_it(capsys):
    ns = _namespace({})
    exec(_iid_cell(), ns)
    out = capsys.readouterr().out
    assert "python -m analysis import iid-pemda FILE" in out and "BSKDN" in out
    assert ns["iid"] is None and not ns["_shown"]


@pytest.mark.parametrize("years", [range(2018, 2025), range(2020, 2025)])
def test_notebook_cell_with_iid_fits_the_exploratory_outcomes(years, capsys):
    rng = np.random.default_rng(5)
    codes = [f"33.{k:02d}" for k in range(1, 41)]
    iid = pd.DataFrame([(c, y) for c in codes for y in years], columns=["region_code", "year"])
    iid["iid_score"] = rng.uniform(20, 80, len(iid))
    iid["category"] = "Inovatif"
    iid["n_innovations"] = rng.integers(0, 90, len(iid)).astype(float)
    iid["provenance"] = "user"
    ns = _namespace({"pemda_iid": iid})
    exec(_iid_cell(), ns)
    out = capsys.readouterr().out
    assert "not in the findings ledger" in out and "40 kab/kota" in out
    (table,) = ns["_shown"]
    assert set(table["outcome"]) == set(view.IID_OUTCOMES)
    terms = {"cut_depth_fall", "cut_depth_after"} if min(years) < 2020 else {"cut_depth_after"}
    assert set(table["term"]) == terms
    assert np.isfinite(table["estimate"]).all() and (table["n_clusters"] == 40).all()
    assert set(ns["iid"]["provenance"]) == {"public+user"}
