"""DJPK 2018-2020 tables (pemda_sikd) and the Maksikeuda LKPD indices (pemda_lkpd): Batang's
published figures to the rupiah, every kab/kota present, the account map sums, zeros read as
missing, and bad cells named by file, sheet, row and column."""

from __future__ import annotations

import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis import config
from analysis.data import lkpd_indices, national, national_sikd
from analysis.data.schema import InputError

NDIR = config.project_root() / "data" / "external" / "national"
BATANG = config.REGION_BATANG


@pytest.fixture(scope="module")
def registry():
    return national.load_registry(NDIR)


@pytest.fixture(scope="module")
def sikd(registry):
    return national_sikd.load(NDIR, registry)


@pytest.fixture(scope="module")
def lkpd(registry):
    return lkpd_indices.load(NDIR, registry)


def _amount(tab, year, measure, group):
    hit = tab[(tab["region_code"] == BATANG) & (tab["year"] == year)
              & (tab["measure"] == measure) & (tab["group"] == group)]
    assert len(hit) == 1
    return float(hit["amount_idr"].iloc[0])


# values from data/external/national/djpk_sikd_2018_2020/PROVENANCE.md
@pytest.mark.parametrize("year,measure,group,want", [
    (2018, "budget_murni", "total", 1_705_149_533_749),
    (2018, "outturn", "total", 1_687_215_725_890),
    (2018, "outturn", "modal", 163_400_979_708),
    (2019, "budget_murni", "total", 1_821_466_358_456),
    (2019, "budget_murni", "modal", 211_896_339_565),
    (2019, "outturn", "total", 1_755_066_560_019),
    (2019, "outturn", "modal", 211_778_239_648),
    (2019, "outturn_s1", "total", 526_729_131_721),
    (2020, "budget_murni", "total", 1_890_617_425_977),
    (2020, "budget_murni", "modal", 209_842_807_724),
    (2020, "outturn_s1", "total", 549_835_844_000),
    (2020, "outturn_s1", "btt", 7_680_800_000),
])
def test_batang_to_the_rupiah(sikd, year, measure, group, want):
    assert _amount(sikd[0], year, measure, group) == pytest.approx(want, abs=0.5)


def test_batang_keys_and_jenis(sikd):
    tab = sikd[0]
    b = tab[tab["region_code"] == BATANG]
    assert set(b["djpk_code"]) == {"11.03"} and set(b["djpk_no"]) == {181}
    o19 = b[(b["year"] == 2019) & (b["measure"] == "outturn")]
    assert set(o19["jenis_data"]) == {"15 perda"}
    assert set(b.loc[b["release"] == "2020A1V4200708", "measure"]) == {"budget_murni"}
    assert set(b["provenance"]) == {"public"}
    t18 = b[(b["year"] == 2018) & (b["measure"] == "outturn") & (b["group"] == "total")].iloc[0]
    assert t18["source_cells"] == "GC23" and t18["source_row"] == 23   # transposed: column GC
    t19 = b[(b["year"] == 2019) & (b["measure"] == "outturn") & (b["group"] == "total")].iloc[0]
    assert t19["source_cells"] == f"V{t19['source_row']}"
    assert t19["source"].endswith("2019R1V1200907.xlsx") and "f73d081" in t19["source"]


def test_every_kabkota_every_year_measure(sikd, registry):
    tab = sikd[0]
    kab = set(registry.loc[registry["kind"] != "provinsi", "region_code"])
    prov = set(registry.loc[registry["kind"] == "provinsi", "region_code"])
    assert len(kab) == 508
    for (year, measure), g in tab.groupby(["year", "measure"]):
        assert set(g["region_code"]) == kab | prov, (year, measure)
        assert (g.groupby("region_code").size() == 8).all()     # 7 groups + total
    assert set(tab.groupby(["year", "measure"]).size().index) == {
        (2018, "budget_murni"), (2018, "outturn"), (2019, "budget_murni"), (2019, "outturn"),
        (2019, "outturn_s1"), (2020, "budget_murni"), (2020, "outturn_s1")}


def test_mapped_groups_sum_to_published_total(sikd):
    tab, _, info = sikd
    key = ["region_code", "year", "measure"]
    tot = tab[tab["group"] == "total"].set_index(key)["amount_idr"]
    parts = tab[tab["group"] != "total"].groupby(key)["amount_idr"].sum()
    diff = (parts - tot).abs()
    assert len(diff) == 542 * 7
    assert (diff <= 1.0).all(), diff[diff > 1.0].head()
    assert info["sum_check_exceptions"] == 0 and info["sum_check_cases"] == 542 * 7


def test_map_is_a_table_with_reasons():
    mp = pd.read_csv(NDIR / national_sikd.MAP_FILE, dtype=str, keep_default_na=False)
    amounts = mp[mp["role"] == "amount"]
    assert set(amounts["group"]) == set(national.SHARE_GROUPS) | {"total"}
    assert mp["reason"].str.len().gt(10).all()
    layouts = {v[0] for v in {**national_sikd.FILES, **national_sikd.EARLIER_2020}.values()}
    for lay in layouts:
        sub = mp[mp["layout"] == lay]
        assert (sub["group"] == "total").sum() == 1 and (sub["role"] == "no").sum() == 1, lay


def test_release_comparison_in_info(sikd):
    rel = sikd[2]["releases_2020_vs_latest"]
    assert set(rel) == {"2020A1V1200407", "2020A1V2200428", "2020A1V3200506"}
    for r in rel.values():
        assert r["pemda_compared"] == 542 and r["pemda_total_differs"] >= 0
    assert sikd[2]["jenis_data_2019_outturn"]["14 audited"] > 400


def test_no_to_code_map_must_agree():
    a = pd.DataFrame({"no": [1, 2], "djpk_code": ["01.00", "01.01"], "source_row": [8, 9]})
    b = a.assign(djpk_code=["01.00", "01.02"])
    with pytest.raises(InputError, match="No. -> code map differs"):
        national_sikd.code_map({national_sikd.CODE_FILES[0]: a,
                                national_sikd.CODE_FILES[1]: b}, NDIR)


def _corrupt(tmp_path, name, cell, value):
    src = NDIR / national_sikd.SIKD_DIR / name
    dst = tmp_path / name
    shutil.copy(src, dst)
    wb = openpyxl.load_workbook(dst)
    sheet = {**national_sikd.FILES, **national_sikd.EARLIER_2020}[name][1]
    wb[sheet][cell] = value
    wb.save(dst)
    return dst, sheet


def _read(path, name):
    layout, sheet = national_sikd.FILES[name][:2]
    mp = national_sikd.load_map(NDIR)
    return national_sikd.read_file(path, layout, sheet, mp[mp["layout"] == layout])


@pytest.mark.parametrize("cell,value,row,col,rule", [
    ("AJ188", "211.778.239.648", 188, "AJ", "expected a number"),      # Batang's modal
    ("AJ7", "523. Belanja Lainnya", 7, "AJ", "header moved or renamed"),
    ("D188", 16, 188, "D", "Jenis Data code"),
])
def test_bad_cell_names_file_sheet_row_column(tmp_path, cell, value, row, col, rule):
    name = "2019R1V1200907.xlsx"
    path, sheet = _corrupt(tmp_path, name, cell, value)
    with pytest.raises(InputError) as e:
        _read(path, name)
    p = e.value.problems[0]
    assert str(path) in p.file and f"sheet {sheet}" in p.file
    assert p.row == row and p.column == col and rule in p.rule
    assert f"row {row}, column '{col}'" in str(e.value)


# -- LKPD indices --------------------------------------------------------------------------------


def test_lkpd_batang_solvabilitas_anggaran_2021(lkpd):
    tab = lkpd[0].set_index(["region_code", "year", "indicator"])
    assert tab.loc[(BATANG, 2021, "solvabilitas_anggaran"), "value"] == pytest.approx(
        1.254664666, abs=1e-9)
    assert tab.loc[(BATANG, 2021, "solvabilitas_anggaran"), "indicator_name"] == \
        "Solvabilitas Anggaran"


def test_lkpd_every_pemda_year_indicator(lkpd, registry):
    tab, um, info = lkpd
    assert set(tab["region_code"]) == set(registry["region_code"])     # 508 kab/kota + 34 prov
    assert tab.groupby("year")["region_code"].nunique().eq(542).all()
    assert set(tab["year"]) == set(range(2016, 2025))
    assert tab["indicator"].nunique() == 13
    assert set(um["name"]) == {"PAPUA BARAT DAYA", "PAPUA PEGUNUNGAN", "PAPUA SELATAN",
                               "PAPUA TENGAH"}
    assert um["reason"].str.contains("2022").all() and set(um["side"]) == {"lkpd"}


def test_lkpd_zero_as_missing_counted(lkpd):
    tab, _, info = lkpd
    ind = pd.read_csv(NDIR / lkpd_indices.INDICATORS_FILE, dtype=str)
    no_zero = set(ind.loc[ind["zero_is_missing"] == "true", "key"])
    assert not ((tab["value"] == 0) & tab["indicator"].isin(no_zero)).any()
    miss = tab[tab["missing_reason"] == lkpd_indices.MISSING_ZERO]
    assert miss["value"].isna().all() and len(miss) > 0
    assert sum(info["zero_read_as_missing"].values()) == len(miss)
    assert info["zero_read_as_missing"]["komitmen_mempertahankan_layanan"] > 0
    kept = tab[(tab["value"] == 0)]
    assert set(kept["indicator"]) <= set(ind.loc[ind["zero_is_missing"] == "false", "key"])


def _small_lkpd(tmp_path, corrupt=None):
    """A small copy of data.xlsx (INFO, PARAMETER and the first INDIKATOR rows) in tmp."""
    src = openpyxl.load_workbook(NDIR / lkpd_indices.LKPD_DIR / lkpd_indices.LKPD_FILE,
                                 read_only=True, data_only=True)
    d = tmp_path / "national"
    (d / lkpd_indices.LKPD_DIR).mkdir(parents=True)
    for f in (lkpd_indices.INDICATORS_FILE, lkpd_indices.ALIASES_FILE):
        shutil.copy(NDIR / f, d / f)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, n in (("INFO", None), ("PARAMETER", None), ("INDIKATOR", 200)):
        ws = wb.create_sheet(sheet)
        for r in src[sheet].iter_rows(values_only=True, max_row=n):
            ws.append(list(r))
    if corrupt:
        wb[corrupt[0]][corrupt[1]] = corrupt[2]
    wb.save(d / lkpd_indices.LKPD_DIR / lkpd_indices.LKPD_FILE)
    return d


def test_lkpd_small_copy_reads(tmp_path, registry):
    tab, _, _ = lkpd_indices.load(_small_lkpd(tmp_path), registry)
    assert len(tab) == 199 and tab["source_row"].min() == 2


@pytest.mark.parametrize("cell,value,col,rule", [
    ("D57", "1,25", "D", "expected a number"),
    ("C57", "Rasio Baru", "C", "indicator not in"),
    ("D1", "VALUE", "D", "header moved or renamed"),
])
def test_lkpd_bad_cell_names_file_sheet_row_column(tmp_path, registry, cell, value, col, rule):
    d = _small_lkpd(tmp_path, ("INDIKATOR", cell, value))
    with pytest.raises(InputError) as e:
        lkpd_indices.load(d, registry)
    p = e.value.problems[0]
    assert "data.xlsx" in p.file and "sheet INDIKATOR" in p.file
    assert p.row == int(cell[1:]) and p.column == col and rule in p.rule


def test_national_build_carries_the_new_tables_and_info():
    from analysis.methods.measures import load_deflator

    out = national.build_tables({"deflator": load_deflator()}, {})
    assert {"pemda_sikd", "pemda_lkpd"} <= set(out)
    info = out["__info__"]
    assert info["sikd"]["sum_check_exceptions"] == 0
    assert "releases_2020_vs_latest" in info["sikd"]
    assert "zero_read_as_missing" in info["lkpd"]
    um = out["pemda_unmatched"]
    assert {"lkpd"} <= set(um["side"]) and um["reason"].str.len().gt(0).all()
    assert np.isfinite(out["pemda_sikd"]["amount_idr"]).all()
