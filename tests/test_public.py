"""Public data: loaded counts and totals match the source files; every row keeps its source."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import config
from analysis.data import public

EXT = config.external_dir()


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(EXT / name)


def test_units_cover_every_entity_but_the_regency():
    src = raw(public.UNITS_FILE)
    units = public.load_units()
    assert len(units) == (src["category"] != "Kabupaten").sum()
    assert set(units["name"]) == set(src.loc[src["category"] != "Kabupaten", "full_name"])
    # 29 OPDs and 15 kecamatan are the units of the panel and the reports
    opd = units[units["is_opd"]]
    assert (opd["kind"] != "kecamatan").sum() == 29
    assert (opd["kind"] == "kecamatan").sum() == 15
    assert units["unit_id"].is_unique
    assert units["source"].notna().all() and (units["provenance"] == "public").all()


def test_kecamatan_keep_their_kemendagri_codes():
    units = public.load_units().set_index("unit_id")
    assert units.loc["kec-wonotunggal", "kemendagri_code"] == "33.25.01"
    assert units.loc["kec-banyuputih", "kemendagri_code"] == "33.25.15"


def test_region_finance_totals_match_the_source_rows():
    ref = public.load_reference()
    fin = public.load_region_finance(ref)
    src = raw(public.REFERENCE_FILE)
    assert len(ref) == len(src)
    money = src[src["dataset"].isin(list(public.STAGE_OF_DATASET))
                & src["unit"].isin(list(public.IDR_MULTIPLIER))]
    assert len(fin) == len(money)
    # the exact rupiah figures survive to the last rupiah
    row = fin[(fin["year"] == 2022) & (fin["stage"] == "murni")
              & (fin["indicator"] == "Belanja daerah (total)")]
    assert row["value_idr"].item() == 1_829_304_856_259
    # rounded figures are converted and say so
    r21 = fin[(fin["year"] == 2021) & (fin["document"] == "APBD (Raperda)")
              & (fin["indicator"] == "Belanja daerah (total)")]
    assert r21["value_idr"].item() == pytest.approx(1.871e12)
    assert r21["precision"].item() == "rounded"
    assert fin["source"].notna().all() and (fin["provenance"] == "public").all()


def test_calibration_targets_pick_one_real_total_per_year_and_stage():
    t = public.calibration_targets(public.load_region_finance(public.load_reference()))
    assert not t.duplicated(["year", "stage"]).any()
    got = {(r.year, r.stage): r.value_idr for r in t.itertuples()}
    assert got[(2020, "realisasi")] == pytest.approx(1_662_512_932_221.19)  # LRA, incl. transfers
    assert got[(2022, "perubahan")] == pytest.approx(1_958_746_736_810.77)
    assert got[(2024, "murni")] == 1_956_534_612_233  # derived in the source, said so
    assert {y for y, _ in got} >= set(range(2019, 2025))


def test_innovation_profiles_are_all_kept_and_attributed():
    src = raw(public.INNOVATIONS_FILE)
    inn = public.load_innovations()
    assert len(inn) == len(src) == 98
    assert inn["innovation_id"].is_unique
    counts = inn["attribution"].value_counts().to_dict()
    assert counts == {"opd": 82, "unattributed": 9, "bumd": 4, "kecamatan": 3}
    # five near-duplicate pairs: the unattributed copy is flagged, nothing is dropped
    assert inn["duplicate_group"].nunique() == 5
    assert inn["is_duplicate"].sum() == 5
    assert (inn.loc[inn["is_duplicate"], "attribution"] == "unattributed").all()
    assert inn.loc[inn["attribution"] == "bumd", "unit_id"].eq("pdam").all()
    assert inn.loc[inn["attribution"] == "unattributed", "unit_id"].isna().all()
    # counts by stage and digital match the source file
    assert (inn["stage"] == "implementasi").sum() == (src["tahapan"] == "Implementasi").sum()
    assert inn["digital"].sum() == (src["jenis"] == "Digital").sum()
    assert inn["maturity"].sum() == pytest.approx(src["kematangan"].sum())
    assert inn["source"].notna().all()


def test_ombudsman_scores_are_public_service_rows_with_sources():
    ref = public.load_reference()
    svc = public.load_public_service(ref, public.load_aliases())
    src = raw(public.REFERENCE_FILE)
    numeric = src[(src["dataset"] == "Ombudsman kepatuhan")
                  & pd.to_numeric(src["value"], errors="coerce").notna()]
    assert len(svc) == len(numeric)
    assert svc["value"].sum() == pytest.approx(pd.to_numeric(numeric["value"]).sum())
    dukcapil = svc[svc["unit_id"] == "disdukcapil"]
    assert dukcapil["value"].item() == pytest.approx(93.77)
    assert svc.loc[svc["entity"] == "Kabupaten Batang", "unit_id"].isna().all()
    assert svc["source"].notna().all()
