"""General performance indicators (LPPD IKK, SPM, Ombudsman, IKU, ...): any name, with unit of
measure, direction and target, imported into the ``indicators`` table with provenance; SPM
achievements imported as service indicators appear there too; bad rows are refused with their
place and nothing already written changes."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from analysis import config, pipeline
from analysis.data import store
from analysis.data.importers.kinds import indicator_key
from analysis.data.schema import InputError
from analysis.pipeline import import_files

EXAMPLES = config.project_root() / "data" / "raw" / "examples"
HEADER = "OPD;Tahun;Jenis;Indikator;Satuan;Arah;Target;Realisasi\n"


@pytest.fixture(scope="module")
def public_data(tmp_path_factory):
    """A data folder built from the public files only (no simulated panel: quick rebuilds)."""
    d = tmp_path_factory.mktemp("ind") / "data"
    shutil.copytree(config.project_root() / "data" / "external", d / "external")
    (d / "user").mkdir()
    pipeline.build(d, simulated=False)
    return d


@pytest.fixture
def data(public_data, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(public_data, d)
    return d


def _snapshot(d):
    return {p.relative_to(d).as_posix(): p.read_bytes()
            for sub in ("user", "processed") for p in sorted((d / sub).rglob("*"))
            if p.is_file()}


def test_example_file_and_spm_service_rows_land_with_direction_target_and_provenance(data):
    import_files("indicators", [EXAMPLES / "indikator_kinerja_contoh.csv"], data_dir=data)
    import_files("service", [EXAMPLES / "layanan_long_2023.csv"], data_dir=data)
    ind = store.load_table("indicators", data).set_index(["entity", "indicator_key"])
    assert len(ind) == 5 and set(ind["provenance"]) == {"user"}
    ktp = ind.loc[("disdukcapil", indicator_key(
        "Contoh Fiktif: Rata-rata waktu penerbitan KTP-el"))]
    assert (ktp["direction"], ktp["target"], ktp["value"], ktp["measure_unit"],
            ktp["framework"], int(ktp["year"])) == ("lower", 1.0, 1.5, "hari", "LPPD IKK", 2023)
    spm_file = ind.loc[("dinkes", "contoh_fiktif_capaian_spm_bidang_kesehatan")]
    assert spm_file["value"] == 95.1 and spm_file["framework"] == "SPM"     # "95,1%" read
    spm_service = ind.loc[("dinsos", "capaian_spm")]                       # from `service`
    assert (spm_service["value"], spm_service["target"], spm_service["direction"]) == (
        97.5, 100.0, "higher")
    assert "layanan_long_2023.csv" in spm_service["source"]


def test_region_wide_rows_and_reimport_is_idempotent(data, tmp_path):
    f = tmp_path / "ikk.csv"
    f.write_text(HEADER + "Kabupaten Batang;2023;LPPD;Angka partisipasi sekolah;%;Naik;;"
                 "\"92,3\"\n", encoding="utf-8")
    import_files("indicators", [f], data_dir=data)
    first = _snapshot(data)["user/indicators.parquet"]
    rep = import_files("indicators", [f], data_dir=data)
    assert _snapshot(data)["user/indicators.parquet"] == first
    assert {c["action"] for c in rep.changes} == {"unchanged"}
    row = store.load_table("indicators", data).iloc[0]
    assert row["unit_id"] is None and row["entity"] == "33.25"
    assert row["target"] != row["target"]          # no target given: missing, not 0
    assert row["value"] == 92.3


@pytest.mark.parametrize("line, column, words", [
    ("Dinas Kesehatan;2023;IKK;Cakupan imunisasi;%;Stabil;100;95", "Arah", "unknown direction"),
    ("Dinas Kesehatan;2023;IKK;Cakupan imunisasi;%;Naik;100;sembilan puluh", "Realisasi",
     "not a number"),
    ("Dinas Kesehatan;2023;Renstra X;Cakupan imunisasi;%;Naik;100;95", "Jenis",
     "unknown framework"),
    ("Dinas Kesehatan;2099;IKK;Cakupan imunisasi;%;Naik;100;95", "Tahun", "2099"),
    ("Dinas Antah Berantah;2023;IKK;Cakupan imunisasi;%;Naik;100;95", "OPD",
     "Dinas Antah Berantah"),
    (";2023;IKK;;%;Naik;100;95", None, "blank"),
])
def test_bad_rows_are_refused_with_their_place_and_nothing_changes(data, tmp_path, line, column,
                                                                   words):
    f = tmp_path / "bad.csv"
    f.write_text(HEADER + line + "\n", encoding="utf-8")
    before = _snapshot(data)
    with pytest.raises(InputError) as err:
        import_files("indicators", [f], data_dir=data)
    text = str(err.value) + " ".join(str(p) for p in err.value.problems)
    assert "bad.csv" in text and words.lower() in text.lower()
    p = err.value.problems[0]
    assert p.row == 2 or str(p.row) == "2"
    if column:
        assert any(q.column == column for q in err.value.problems)
    assert _snapshot(data) == before


def test_conflicting_values_for_one_indicator_are_refused(data, tmp_path):
    f = tmp_path / "twice.csv"
    f.write_text(HEADER + "Dinas Kesehatan;2023;IKK;Cakupan imunisasi;%;Naik;100;95\n"
                 "Dinas Kesehatan;2023;IKK;Cakupan Imunisasi;%;Naik;100;93\n", encoding="utf-8")
    with pytest.raises(InputError, match="conflicting values"):
        import_files("indicators", [f], data_dir=data)


def test_cli_refuses_without_a_traceback(data, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(HEADER + "Dinas Kesehatan;2023;IKK;Cakupan imunisasi;%;Stabil;100;95\n",
                 encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "analysis", "import", "indicators", str(f),
                          "--data-dir", str(data)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and "Traceback" not in out.stderr + out.stdout
    assert "unknown direction" in out.stderr + out.stdout


def test_against_target_follows_the_direction():
    import pandas as pd

    from analysis.methods.indicators import against_target

    df = pd.DataFrame({
        "entity": ["a", "a", "a", "a", "b"], "year": [2023, 2023, 2023, 2022, 2023],
        "framework": ["IKU"] * 5, "indicator": ["up", "down", "no target", "old", "other"],
        "measure_unit": ["%", "hari", "%", "%", "%"],
        "direction": ["higher", "lower", "higher", "higher", "higher"],
        "target": [100.0, 2.0, None, 50.0, 1.0], "value": [95.0, 1.5, 70.0, 60.0, 2.0],
        "provenance": ["user"] * 5, "source": ["x"] * 5})
    out = against_target(df, "a", (2023, 2023)).set_index("indicator")
    assert list(out.index) == ["down", "no target", "up"]
    assert out.loc["up", "achievement_pct"] == 95.0 and not out.loc["up", "met"]
    assert round(out.loc["down", "achievement_pct"], 6) == round(2.0 / 1.5 * 100, 6)
    assert out.loc["down", "met"]
    assert pd.isna(out.loc["no target", "achievement_pct"]) and pd.isna(out.loc["no target",
                                                                                "met"])
    assert against_target(df, "zzz").empty


def _rep(lang, indicators):
    import pandas as pd

    from analysis.publish import opd_report

    empty = pd.DataFrame()
    return opd_report.UnitReport(pd.Series({"unit_id": "dinkes"}), lang, (2016, 2024), empty, empty,
                             empty, empty, empty, empty, set(), 9, indicators)


def test_report_section_shows_indicators_against_targets_escaped(data):
    from analysis.publish import opd_report

    import_files("indicators", [EXAMPLES / "indikator_kinerja_contoh.csv"], data_dir=data)
    ind = store.load_table("indicators", data)
    ind.loc[0, "indicator"] = "<script>alert(1)</script>"
    en = opd_report.indicators_html(_rep("en", ind))
    assert "2 indicators with a target in 2023: 0 met their target, 2 did not" in en
    assert "<script>alert" not in en and "&lt;script&gt;" in en
    assert "higher is better" in en and "97.4" in en and "Achievement (%)" in en
    idn = opd_report.indicators_html(_rep("id", ind))
    assert "semakin tinggi semakin baik" in idn and "97,4" in idn and "Tercapai" in idn
    none = opd_report.indicators_html(_rep("en", None))
    assert "No performance indicators imported" in none


def test_spm_service_rows_alone_make_the_indicators_table(data):
    """Only a service file with an SPM value imported (no indicators file): the SPM row is
    the whole indicators table, with proper types."""
    import_files("service", [EXAMPLES / "layanan_long_2023.csv"], data_dir=data)
    ind = store.load_table("indicators", data)
    assert list(ind["indicator_key"]) == ["capaian_spm"] and int(ind["year"].iloc[0]) == 2023
    assert str(ind["year"].dtype).startswith("int") and ind["value"].iloc[0] == 97.5
