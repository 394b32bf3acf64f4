"""Numbers, percentages and Rupiah (analysis.narrative.fmt) and labels (analysis.narrative.labels)."""

import math

import pandas as pd
import pytest

from analysis.narrative import fmt
from analysis.narrative.fmt import number, percent, rupiah, rupiah_axis_formatter, rupiah_unit_label
from analysis.narrative.labels import LABELS, LANGS, check_lang, label

M = "\u2212"  # the minus sign used for negatives


@pytest.mark.parametrize("x, id_, en", [
    (1_234_000_000, "Rp 1,23 miliar", "IDR 1.23 billion"),
    (1_875_000_000_000, "Rp 1,88 triliun", "IDR 1.88 trillion"),
    (950_000_000, "Rp 950,00 juta", "IDR 950.00 million"),
    (12_345, "Rp 12.345", "IDR 12,345"),
    (12_345.5, "Rp 12.346", "IDR 12,346"),
    (0, "Rp 0", "IDR 0"),
    (-1_234_000_000, f"{M}Rp 1,23 miliar", f"{M}IDR 1.23 billion"),
    (1_235_000_000, "Rp 1,24 miliar", "IDR 1.24 billion"),          # half-up
    (999_999_000_000, "Rp 1,00 triliun", "IDR 1.00 trillion"),     # scale after rounding
    (999_999.6, "Rp 1,00 juta", "IDR 1.00 million"),
    (-0.4, "Rp 0", "IDR 0"),                                        # no −0
    (2_500_000_000_000_000, "Rp 2.500,00 triliun", "IDR 2,500.00 trillion"),
])
def test_rupiah(x, id_, en):
    assert rupiah(x) == id_
    assert rupiah(x, "en") == en


def test_rupiah_digits_and_missing():
    assert rupiah(1_234_567_890, digits=1) == "Rp 1,2 miliar"
    assert rupiah(1_234_567_890, "en", digits=3) == "IDR 1.235 billion"
    for missing in (None, float("nan"), pd.NA):
        assert rupiah(missing) == "–"


@pytest.mark.parametrize("x, digits, id_, en", [
    (1234.56, 2, "1.234,56", "1,234.56"),
    (1234567.891, 2, "1.234.567,89", "1,234,567.89"),
    (1.005, 2, "1,01", "1.01"),            # half-up on the written value
    (2.5, 0, "3", "3"),
    (-1234.5, 1, f"{M}1.234,5", f"{M}1,234.5"),
    (-0.004, 2, "0,00", "0.00"),
    (0, 2, "0,00", "0.00"),
    (7, 0, "7", "7"),
])
def test_number(x, digits, id_, en):
    assert number(x, "id", digits) == id_
    assert number(x, "en", digits) == en


def test_number_missing_and_infinite():
    assert number(None) == "–" and number(float("nan"), "en") == "–"
    assert number(math.inf) == "∞" and number(-math.inf) == f"{M}∞"


@pytest.mark.parametrize("x, id_, en", [
    (-0.123, f"{M}12,3%", f"{M}12.3%"),
    (0.5, "50,0%", "50.0%"),
    (0.12345, "12,3%", "12.3%"),
    (0.00049, "0,0%", "0.0%"),
    (0, "0,0%", "0.0%"),
    (None, "–", "–"),
    (float("nan"), "–", "–"),
])
def test_percent(x, id_, en):
    assert percent(x) == id_
    assert percent(x, "en") == en


def test_percent_points_and_digits():
    assert percent(87.25, fraction=False) == "87,3%"
    assert percent(0.87254, "en", digits=2) == "87.25%"


def test_axis_formatter():
    f = rupiah_axis_formatter("id", "miliar")
    assert [f(v, 0) for v in (0, 5e8, 2e9, 1.5e12, -1e9)] == ["0", "0,5", "2", "1.500", f"{M}1"]
    g = rupiah_axis_formatter("en", "billion")
    assert g(1.5e12, 0) == "1,500" and g(2.25e9, 0) == "2.25"
    assert rupiah_axis_formatter("id", "triliun")(1.5e12, 0) == "1,5"
    assert rupiah_unit_label("id") == "Rp miliar" and rupiah_unit_label("en", "juta") == "IDR million"
    with pytest.raises(ValueError, match="unknown Rupiah unit"):
        rupiah_axis_formatter("id", "ribu")


def test_unknown_language():
    with pytest.raises(ValueError, match=r"unknown language 'xx'; use one of: id, en"):
        number(1, "xx")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        check_lang("fr")


def test_round_half_up():
    assert str(fmt.round_half_up(64.995, 2)) == "65.00"
    assert str(fmt.round_half_up(-2.5, 0)) == "-3"


# --- labels ----------------------------------------------------------------------------------
REQUIRED_KEYS = [
    "budget", "murni", "perubahan", "realisasi", "penunjang", "urusan",
    "pegawai", "barang_jasa", "modal", "hibah_bansos", "tidak_terduga", "transfer",
    "dlog_budget", "cut_2020", "realisation_rate", "penunjang_share",
    "innovations", "innovations_digital", "inisiatif", "uji_coba", "implementasi",
    "pelayanan_publik", "tata_kelola", "lainnya",
    "ikm", "ombudsman_score", "complaints", "service_days", "spm_pct", "acting_share",
    "definitive", "acting", "rotation", "public", "simulated", "user", "simulated_banner",
]


def test_every_label_has_both_languages():
    assert LANGS == ("id", "en")
    for key, entry in LABELS.items():
        assert set(entry) == set(LANGS), key
        for lang in LANGS:
            assert isinstance(entry[lang], str) and entry[lang].strip(), (key, lang)


def test_required_keys_and_schema_vocabularies_have_labels():
    from analysis.data import schema

    vocab = (schema.STAGES + schema.PROGRAMME_CLASSES + schema.SPENDING_TYPES
             + schema.INNOVATION_STAGES + schema.INNOVATION_FORMS + schema.SERVICE_INDICATORS
             + schema.LEADERSHIP_EVENTS + schema.PROVENANCE)
    missing = [k for k in REQUIRED_KEYS + vocab if k not in LABELS]
    assert not missing


def test_label_values():
    assert label("dlog_budget") == "Perubahan anggaran (log)"
    assert label("dlog_budget", "en") == "Budget change (log)"
    assert label("simulated_banner") == "DATA SIMULASI — bukan temuan tentang kantor nyata"
    assert label("simulated_banner", "en") == "SIMULATED DATA — not a finding about any real office"


def test_unknown_key_and_language():
    with pytest.raises(KeyError, match="no_such_key"):
        label("no_such_key")
    assert label("no_such_key", default="no_such_key") == "no_such_key"
    with pytest.raises(ValueError, match="unknown language 'xx'; use one of: id, en"):
        label("budget", "xx")
