"""Bilingual labels (Bahasa Indonesia by default, English on request) for every measure and term.

One dictionary, :data:`LABELS`, maps a stable key (the word used in the data, e.g. ``murni``,
``uji_coba``, ``ikm``) to its label in each language of :data:`LANGS`. Reports, figures and
tables take their words from here, so the two languages never drift apart.

>>> label("dlog_budget")
'Perubahan anggaran (log)'
>>> label("dlog_budget", "en")
'Budget change (log)'
"""

from __future__ import annotations

LANGS: tuple[str, ...] = ("id", "en")
"""Supported languages; the first is the default."""

DEFAULT_LANG = LANGS[0]

_MISSING = object()

LABELS: dict[str, dict[str, str]] = {
    # --- words the notebooks need ------------------------------------------------------
    "budget_realisasi": {"id": "Realisasi anggaran", "en": "Actual spending"},
    "dlog_budget_lag1": {"id": "Perubahan anggaran tahun lalu (log)", "en": "Budget change, previous year (log)"},
    "dlog_budget_lag2": {"id": "Perubahan anggaran 2 tahun lalu (log)", "en": "Budget change, 2 years before (log)"},
    "dlog_budget_lag3": {"id": "Perubahan anggaran 3 tahun lalu (log)", "en": "Budget change, 3 years before (log)"},
    "cut_2020_x_post": {"id": "Pemotongan 2020 × sesudah 2020", "en": "2020 cut × after 2020"},
    "log_service_days": {"id": "Waktu layanan (log hari)", "en": "Service time (log days)"},
    "head_changes": {"id": "Pergantian kepala", "en": "Changes of head"},
    "digital_yes": {"id": "Digital", "en": "Digital"},
    "digital_no": {"id": "Non-digital", "en": "Not digital"},
    # --- budget (APBD) -------------------------------------------------------------------
    "budget": {"id": "Anggaran", "en": "Budget"},
    "murni": {"id": "APBD murni", "en": "Original budget (murni)"},
    "perubahan": {"id": "APBD perubahan", "en": "Revised budget (perubahan)"},
    "realisasi": {"id": "Realisasi", "en": "Actual spending (realisasi)"},
    "penunjang": {"id": "Program penunjang (rutin)", "en": "Support programme (routine)"},
    "urusan": {"id": "Program urusan (layanan)", "en": "Service programmes (urusan)"},
    "pegawai": {"id": "Belanja pegawai", "en": "Personnel"},
    "barang_jasa": {"id": "Belanja barang dan jasa", "en": "Goods and services"},
    "modal": {"id": "Belanja modal", "en": "Capital"},
    "hibah_bansos": {"id": "Hibah dan bantuan sosial", "en": "Grants and social aid"},
    "tidak_terduga": {"id": "Belanja tidak terduga", "en": "Contingency"},
    "transfer": {"id": "Belanja transfer", "en": "Transfers"},
    "dlog_budget": {"id": "Perubahan anggaran (log)", "en": "Budget change (log)"},
    "cut_2020": {"id": "Pemotongan anggaran 2020", "en": "2020 budget cut"},
    "realisation_rate": {"id": "Tingkat realisasi", "en": "Realisation rate"},
    "penunjang_share": {"id": "Porsi program penunjang", "en": "Share of support programme"},
    # --- innovation (IID) ----------------------------------------------------------------
    "innovations": {"id": "Jumlah inovasi", "en": "Number of innovations"},
    "innovations_digital": {"id": "Inovasi digital", "en": "Digital innovations"},
    "inisiatif": {"id": "Inisiatif", "en": "Initiative"},
    "uji_coba": {"id": "Uji coba", "en": "Trial"},
    "implementasi": {"id": "Implementasi (penerapan)", "en": "Implementation"},
    "pelayanan_publik": {"id": "Pelayanan publik", "en": "Public service"},
    "tata_kelola": {"id": "Tata kelola pemerintahan daerah", "en": "Local governance"},
    "lainnya": {"id": "Lainnya", "en": "Other"},
    # --- service indicators --------------------------------------------------------------
    "ikm": {"id": "IKM (Indeks Kepuasan Masyarakat)", "en": "IKM (public satisfaction index)"},
    "ombudsman_score": {"id": "Skor kepatuhan Ombudsman", "en": "Ombudsman compliance score"},
    "complaints": {"id": "Jumlah pengaduan", "en": "Complaints"},
    "service_days": {"id": "Waktu layanan (hari)", "en": "Service time (days)"},
    "spm_pct": {"id": "Capaian SPM (%)", "en": "Minimum service standard achieved (%)"},
    "grade_A": {"id": "Sangat Baik", "en": "Very good"},
    "grade_B": {"id": "Baik", "en": "Good"},
    "grade_C": {"id": "Kurang Baik", "en": "Less than good"},
    "grade_D": {"id": "Tidak Baik", "en": "Not good"},
    # --- leadership ----------------------------------------------------------------------
    "acting_share": {"id": "Porsi waktu dipimpin Plt/Pj", "en": "Share of time under acting head"},
    "definitive": {"id": "Kepala definitif", "en": "Definitive head"},
    "acting": {"id": "Plt/Pj (pelaksana tugas)", "en": "Acting head (Plt/Pj)"},
    "rotation": {"id": "Rotasi", "en": "Rotation"},
    # --- provenance ----------------------------------------------------------------------
    "public": {"id": "Data publik", "en": "Public data"},
    "simulated": {"id": "Data simulasi", "en": "Simulated data"},
    "user": {"id": "Data pengguna", "en": "User data"},
    "simulated_banner": {
        "id": "DATA SIMULASI — bukan temuan tentang kantor nyata",
        "en": "SIMULATED DATA — not a finding about any real office",
    },
    # --- generic axis and table words ----------------------------------------------------
    "year": {"id": "Tahun", "en": "Year"},
    "unit": {"id": "OPD", "en": "Unit (OPD)"},
    "stage": {"id": "Tahap", "en": "Stage"},
    "count": {"id": "Jumlah", "en": "Count"},
    "value": {"id": "Nilai", "en": "Value"},
    "term": {"id": "Variabel", "en": "Term"},
    "estimate": {"id": "Estimasi", "en": "Estimate"},
    "estimate_ci": {"id": "Estimasi (interval kepercayaan 95%)", "en": "Estimate (95% CI)"},
    "relative_year": {"id": "Tahun relatif terhadap peristiwa", "en": "Years relative to event"},
    "reference_year": {"id": "Tahun acuan", "en": "Reference year"},
    "n": {"id": "Jumlah responden", "en": "Respondents"},
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise ValueError listing the choices."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of: {', '.join(LANGS)}")
    return lang


def label(key: str, lang: str = DEFAULT_LANG, default: object = _MISSING) -> str:
    """The label of ``key`` in ``lang``.

    An unknown key raises KeyError naming it, unless ``default`` is given (then ``default`` is
    returned; pass ``default=key`` to fall back to the raw key, e.g. for category values that
    have no label).
    """
    check_lang(lang)
    entry = LABELS.get(key)
    if entry is None:
        if default is not _MISSING:
            return default  # type: ignore[return-value]
        raise KeyError(f"no label for key {key!r} (add it to analysis.narrative.labels.LABELS)")
    return entry[lang]


def has_label(key: object) -> bool:
    """Whether ``key`` has a label."""
    return isinstance(key, str) and key in LABELS
