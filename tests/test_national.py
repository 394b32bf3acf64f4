"""The national peers layer: registry, APBD, IPM, measures, and bad input named by file,
row and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from analysis import config
from analysis.data import national, public
from analysis.data.schema import InputError
from analysis.methods.measures import load_deflator

NDIR = config.project_root() / "data" / "external" / "national"
SHARED = Path("/work/shared/data/public/national")


@pytest.fixture(scope="module")
def nat():
    return national.build_tables({"deflator": load_deflator()}, {})


def test_files_are_verbatim_copies_with_their_readme():
    assert (NDIR / "README.md").is_file()
    if not SHARED.is_dir():
        pytest.skip("shared public folder not on this machine")
    for src in SHARED.rglob("*"):
        if src.is_file():
            assert (NDIR / src.relative_to(SHARED)).read_bytes() == src.read_bytes(), src


def test_registry_keys_batang_and_province(nat):
    reg = nat["pemda"]
    assert reg["region_code"].is_unique
    b = reg.set_index("region_code").loc[config.REGION_BATANG]
    assert b["name"] == "Kab. Batang" and b["province"] == "Jawa Tengah"
    assert b["kode_bps"] == "3325" and b["ipm_status"] == "matched"
    jateng = reg[(reg["province_code"] == "33") & (reg["kind"] != "provinsi")]
    assert len(jateng) == 35
    assert set(reg["provenance"]) == {"public"} and reg["source"].str.len().gt(0).all()


def test_every_kabkota_matched_or_listed_with_reason(nat):
    reg = nat["pemda"]
    kab = reg[reg["kind"] != "provinsi"]
    assert kab["ipm_status"].isin(["matched", "unmatched"]).all()
    un = kab[kab["ipm_status"] == "unmatched"]
    assert un["ipm_note"].str.len().gt(0).all()
    listed = nat["pemda_unmatched"]
    assert set(un["name"]) <= set(listed.loc[listed["side"] == "registry", "name"])
    assert listed["reason"].str.len().gt(0).all()


def test_outturn_equals_audited_lra(nat):
    """Batang's 2021 spending outturn equals the audited LRA total in batang_reference.csv."""
    ref = public.load_region_finance(public.load_reference(config.external_dir()))
    lra = ref[(ref["year"] == 2021) & (ref["stage"] == "realisasi")
              & (ref["indicator_key"] == "belanja_total")]["value_idr"]
    assert len(lra) >= 1
    py = nat["pemda_year"].set_index(["region_code", "year"])
    assert py.loc[(config.REGION_BATANG, 2021), "spending_outturn"] == pytest.approx(
        float(lra.iloc[0]), abs=0.5)


def test_ipm_equals_lppd(nat):
    ref = public.load_reference(config.external_dir())
    lppd = ref[ref["indicator"].str.contains("IPM", na=False)
               & ref["dataset"].str.contains("LPPD", na=False)]
    assert len(lppd) >= 2
    ipm = nat["pemda_ipm"].set_index(["region_code", "year"])["ipm"]
    for _, r in lppd.iterrows():
        assert ipm.loc[(config.REGION_BATANG, int(r["year"]))] == pytest.approx(r["value_num"])


def test_measures_shares_sum_to_one_and_partial_flags(nat):
    py = nat["pemda_year"]
    full = py[py["spending_outturn"] > 0]
    shares = full[[f"share_{g}" for g in national.SHARE_GROUPS]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    assert (full["realisation_rate"] - full["spending_outturn"] / full["spending_budget"]
            ).abs().max() < 1e-12
    last = py.loc[py["spending_outturn"].notna(), "year"].max()
    assert py.loc[(py["year"] == last) & py["spending_outturn"].notna(), "partial"].all()
    low = full["realisation_rate"] < national.PARTIAL_RATE
    assert full.loc[low, "partial"].all()
    # no real change across a partial year
    assert py.loc[py["year"] == last, "dlog_real_spending"].isna().all()
    info = nat["__info__"]
    assert info["dropped_junk_rows"] > 0 and info["partial_pemda_years"]


def test_real_change_uses_the_deflator(nat):
    py = nat["pemda_year"].set_index(["region_code", "year"])
    d = load_deflator().set_index("year")["index"]
    b = py.loc[config.REGION_BATANG]
    want = np.log(b.loc[2022, "spending_outturn"] / d[2022]
                  / (b.loc[2021, "spending_outturn"] / d[2021]))
    assert b.loc[2022, "dlog_real_spending"] == pytest.approx(want)
    assert b.loc[2022, "d_ipm"] == pytest.approx(b.loc[2022, "ipm"] - b.loc[2021, "ipm"])


# -- bad input ---------------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path):
    """A national folder with the code lists, crosswalk, aliases and one small APBD file."""
    d = tmp_path / "external" / "national"
    for sub in ("crosswalk", "bps_ipm_kabkota"):
        shutil.copytree(NDIR / sub, d / sub)
    (d / "djpk_jaga_apbd").mkdir(parents=True)
    for f in ("kode_kabkota.csv", "kode_provinsi.csv"):
        shutil.copy(NDIR / "djpk_jaga_apbd" / f, d / "djpk_jaga_apbd" / f)
    shutil.copy(NDIR / "ipm_aliases.csv", d / "ipm_aliases.csv")
    return tmp_path


def _apbd(path: Path, rows: list[str]) -> None:
    path.write_text("\n".join([",".join(national.APBD_COLUMNS), *rows]) + "\n",
                    encoding="utf-8")


ROWS = [
    "Kab. Batang,Provinsi Jawa Tengah,2021,5. Belanja Daerah,51. Belanja Pegawai,"
    "511. Belanja Pegawai,Anggaran,100",
    "Kab. Batang,Provinsi Jawa Tengah,2021,5. Belanja Daerah,51. Belanja Pegawai,"
    "511. Belanja Pegawai,Realisasi,70",
    "Kab. Batang,Provinsi Jawa Tengah,2021,,,,Anggaran,0",
]


def test_junk_rows_dropped_and_counted(small):
    _apbd(small / "external/national/djpk_jaga_apbd/data_apbd_kabkota_level3-2021.csv", ROWS)
    out = national.build_tables({"deflator": load_deflator()}, {}, data_dir=small)
    info = out["__info__"]
    assert info["files"]["data_apbd_kabkota_level3-2021.csv"] == {"rows": 3, "dropped_junk": 1}
    fin = out["pemda_finance"]
    assert len(fin) == 2 and set(fin["source_row"]) == {2, 3}
    py = out["pemda_year"].set_index(["region_code", "year"]).loc[(config.REGION_BATANG, 2021)]
    assert py["realisation_rate"] == pytest.approx(0.7) and bool(py["partial"])


@pytest.mark.parametrize("row,column", [
    (ROWS[0].replace(",100", ",1.234.567"), "nilai"),
    (ROWS[0].replace("511. Belanja Pegawai,Anggaran", "Belanja Pegawai,Anggaran"),
     "level3coa90"),
    (ROWS[0].replace("Kab. Batang", "Kab. Atlantis"), "namapemda"),
    (ROWS[0].replace(",Anggaran,", ",Pagu,"), "jenis"),
    (ROWS[0].replace(",2021,", ",2020,"), "tahun"),
])
def test_bad_apbd_value_names_file_row_column(small, row, column):
    path = small / "external/national/djpk_jaga_apbd/data_apbd_kabkota_level3-2021.csv"
    _apbd(path, [ROWS[1], row])
    with pytest.raises(InputError) as e:
        national.build_tables({"deflator": load_deflator()}, {}, data_dir=small)
    p = e.value.problems[0]
    assert p.file == str(path) and p.row == 3 and p.column == column
    assert f"row 3, column '{column}'" in str(e.value)


def test_bad_ipm_value_names_file_row(small):
    path = small / "external/national/bps_ipm_kabkota/IPM 2021.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if line.startswith("Batang,"))
    lines[n] = "Batang,68,92"   # a decimal comma splits the value
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _apbd(small / "external/national/djpk_jaga_apbd/data_apbd_kabkota_level3-2021.csv", ROWS)
    with pytest.raises(InputError, match=r"IPM 2021\.csv, row \d+, column 'value'"):
        national.build_tables({"deflator": load_deflator()}, {}, data_dir=small)


def test_without_aliases_names_are_listed_unmatched(small):
    al = small / "external/national/ipm_aliases.csv"
    al.write_text(al.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    _apbd(small / "external/national/djpk_jaga_apbd/data_apbd_kabkota_level3-2021.csv", ROWS)
    out = national.build_tables({"deflator": load_deflator()}, {}, data_dir=small)
    reg = out["pemda"].set_index("region_code")
    assert reg.loc["73.71", "ipm_status"] == "unmatched"      # Kota Makassar ("Makasar")
    assert "no BPS IPM row" in reg.loc["73.71", "ipm_note"]
    un = out["pemda_unmatched"]
    assert "Kota Makasar" in set(un["name"])


def test_missing_national_folder_skips_with_note(tmp_path):
    out = national.build_tables({}, {}, data_dir=tmp_path)
    assert set(out) == {"__info__"} and "not found" in out["__info__"]["skipped"]


def test_build_registers_the_step_and_passes_data_dir(small):
    from analysis import pipeline
    from analysis.data import build

    step = next(s for s in pipeline.STEPS if s.name == "national")
    assert step.func == "analysis.data.national:build_tables" and step.data_dir
    _apbd(small / "external/national/djpk_jaga_apbd/data_apbd_kabkota_level3-2021.csv", ROWS)
    info: dict = {}
    extra = build.run_steps([step], {"deflator": load_deflator()}, {}, [], data_dir=small,
                            info=info)
    assert set(extra) == {"pemda", "pemda_finance", "pemda_ipm", "pemda_unmatched",
                          "pemda_year"}
    assert info["national"]["dropped_junk_rows"] == 1


def test_built_manifest_has_national_counts(public_data_dir):
    # the session's public-only build (tests/conftest.py), so this never depends on (or skips
    # for) whatever the project's own data/processed holds
    from analysis.data import store

    man = store.load_manifest(public_data_dir)
    info = man["derived_info"]["national"]
    assert info["dropped_junk_rows"] == sum(f["dropped_junk"] for f in info["files"].values())
    assert info["dropped_junk_rows"] >= 1
    codes = store.load_table("pemda", public_data_dir)["region_code"]
    assert len(codes) > 500 and codes.is_unique
