"""More years of the national APBD files: kab/kota files of 2019 and 2020 in the DJPK/JAGA
layout import with ``python -m analysis import apbd-kabkota``; the peers layer then measures
the 2020 change per pemda against its own trend. The files are made here, in the shape of the
published ones (the 2021 rows of Jawa Tengah with the year and the amounts changed)."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from analysis import config, pipeline
from analysis.data import store
from analysis.data.schema import InputError
from analysis.methods import peers as peer_calc
from analysis.pipeline import import_apbd
from analysis.publish import peers

SRC = (config.project_root() / "data" / "external" / "national" / "djpk_jaga_apbd"
       / "data_apbd_kabkota_level3-2021.csv")
SCALE = {2019: 0.95, 2020: 0.90}
BATANG_2020 = 0.80


def made_file(folder, year: int) -> str:
    """A file of the published shape for ``year``: Jawa Tengah's 2021 rows, scaled."""
    df = pd.read_csv(SRC, dtype=str)
    df = df[df["provinsi"].str.contains("Jawa Tengah")].copy()
    df["tahun"] = str(year)
    scale = np.full(len(df), SCALE[year])
    if year == 2020:
        scale[df["namapemda"].eq("Kab. Batang").to_numpy()] = BATANG_2020
    df["nilai"] = (df["nilai"].astype(float) * scale).round(2).astype(str)
    path = folder / f"apbd-{year}-download.csv"       # any name: the year comes from `tahun`
    df.to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("apbd")
    d = root / "data"
    shutil.copytree(config.project_root() / "data" / "external", d / "external")
    (d / "user").mkdir()
    pipeline.build(d, simulated=False)
    files = [made_file(root, 2019), made_file(root, 2020)]
    rep = import_apbd("apbd-kabkota", files, data_dir=d)
    return d, rep, root


def test_files_land_verbatim_as_user_rows_and_the_build_reads_them(imported):
    d, rep, root = imported
    assert rep.written and [f["year"] for f in rep.files] == [2019, 2020]
    saved = d / "user" / "national" / "data_apbd_kabkota_level3-2020.csv"
    assert saved.read_bytes() == (root / "apbd-2020-download.csv").read_bytes()
    fin = store.load_table("pemda_finance", d)
    fin = fin[fin["region_code"].str.contains(".", regex=False)]     # kab/kota, not provinces
    old = fin[fin["year"] < 2021]
    assert set(old["year"]) == {2019, 2020} and set(old["provenance"]) == {"user"}
    assert old["region_code"].str.startswith("33.").all()
    assert set(fin.loc[fin["year"] >= 2021, "provenance"]) == {"public"}


def test_the_2020_change_against_the_own_trend_follows_the_planted_numbers(imported):
    d, _, _ = imported
    py = store.load_table("pemda_year", d)
    cpi = pd.read_csv(config.project_root() / "data" / "external" / "indonesia"
                      / "deflator_cpi.csv").set_index("year")["inflation_pct"]
    b = py[py["region_code"] == "33.25"].set_index("year")
    expected = math.log(BATANG_2020 / SCALE[2019]) - math.log(1 + cpi[2020] / 100)
    assert b.at[2020, "dlog_real_spending"] == pytest.approx(expected, abs=1e-6)
    ch = peer_calc.change_vs_trend(py).set_index("region_code")
    other = b.loc[(b.index != 2020) & b["dlog_real_spending"].notna()
                  & (b["partial"] == False), "dlog_real_spending"]  # noqa: E712
    assert ch.at["33.25", "trend"] == pytest.approx(other.mean())
    assert ch.at["33.25", "deviation"] == pytest.approx(expected - other.mean())
    assert ch.index[0] == "33.25"     # the deepest fall against trend among the 35


def test_notebook_section_says_what_it_measures(imported):
    d, _, _ = imported
    ctx = peers.validate_params(str(d), "33.25", "province", [2019, 2024], "en")
    data = peers.load(ctx)
    res = peers.change_against_trend(ctx, data["pemda_year"], data["pemda"])
    assert "own trend" in res.text and res.figures and len(res.data) == 35
    ctx2 = peers.validate_params(str(d), "33.25", "province", [2021, 2024], "en")
    data2 = peers.load(ctx2)
    res2 = peers.change_against_trend(ctx2, data2["pemda_year"], data2["pemda"])
    assert "Not measurable yet" in res2.text and "apbd-kabkota" in res2.text


def test_bad_files_are_refused_and_nothing_changes(imported, tmp_path):
    d, _, root = imported
    before = {p: p.read_bytes() for p in (d / "user").rglob("*") if p.is_file()}
    before_proc = (d / "processed" / "manifest.json").read_bytes()
    public_year = tmp_path / "y2021.csv"
    shutil.copy(SRC, public_year)
    with pytest.raises(InputError, match="already in the bundled public"):
        import_apbd("apbd-kabkota", [public_year], data_dir=d)
    bad = pd.read_csv(root / "apbd-2019-download.csv", dtype=str)
    bad.loc[5, "namapemda"] = "Kab. Tidak Ada"
    bad.loc[9, "nilai"] = "satu juta"
    bad_path = tmp_path / "bad-2019.csv"
    bad.to_csv(bad_path, index=False)
    with pytest.raises(InputError) as err:
        import_apbd("apbd-kabkota", [bad_path], data_dir=d)
    where = {(p.row, p.column) for p in err.value.problems}
    assert (11, "nilai") in where                # line 11 = data row 9 (header is line 1)
    out = subprocess.run([sys.executable, "-m", "analysis", "import", "apbd-kabkota",
                          str(bad_path), "--data-dir", str(d)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    assert "bad-2019.csv" in out.stderr
    assert {p: p.read_bytes() for p in (d / "user").rglob("*") if p.is_file()} == before
    assert (d / "processed" / "manifest.json").read_bytes() == before_proc


def test_national_tables_are_reused_while_their_inputs_are_unchanged(imported, monkeypatch):
    """A rebuild whose national inputs are unchanged (e.g. after an OPD import) reuses the
    national tables; an imported APBD year is an input (the import above was not reused)."""
    from analysis.data import national

    d, _, _ = imported
    before = store.load_table("pemda_year", d)

    def not_again(*a, **k):
        raise AssertionError("national tables rebuilt although their inputs are unchanged")

    monkeypatch.setattr(national, "_build_tables", not_again)
    pipeline.build(d, simulated=False, force=True)
    pd.testing.assert_frame_equal(store.load_table("pemda_year", d), before)
    extra = d / "user" / "national" / "data_apbd_kabkota_level3-2019.csv"
    extra.write_bytes(extra.read_bytes() + b"\n")       # an input changed: rebuilt
    with pytest.raises(AssertionError, match="rebuilt although"):
        pipeline.build(d, simulated=False, force=True)
