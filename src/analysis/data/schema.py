"""Canonical tables: their columns, types and rules, and the validation that names the
file, row and column of every problem.

Every table carries ``region_code`` (Kemendagri code, e.g. "33.25") and ``provenance``
(``public``, ``simulated`` or ``user``); public rows also carry ``source``. The processed
Parquet files in ``data/processed/`` are exactly these tables (one file per table).

Validation is done with pandera (lazy, so all problems are collected), and its failure cases
are turned into :class:`InputError` with one readable line per problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

PROVENANCE = ["public", "simulated", "user"]
STAGES = ["murni", "perubahan", "realisasi"]
PROGRAMME_CLASSES = ["penunjang", "urusan"]
SPENDING_TYPES = ["pegawai", "barang_jasa", "modal", "hibah_bansos", "tidak_terduga", "transfer"]
# Programme-level budget files give amounts per programme without account rows: their
# spending type is not known (user rows only; never simulated).
SPENDING_TYPE_UNSPECIFIED = "unspecified"
UNIT_KINDS = [
    "sekretariat", "inspektorat", "dinas", "badan", "lembaga", "rsud",
    "kecamatan", "kelurahan", "bumd",
]
INNOVATION_STAGES = ["inisiatif", "uji_coba", "implementasi"]
INNOVATION_FORMS = ["pelayanan_publik", "tata_kelola", "lainnya"]
ATTRIBUTIONS = ["opd", "kecamatan", "bumd", "unattributed"]
SERVICE_INDICATORS = [
    "ikm",                # IKM 25-100 from SKM responses (PermenPANRB 14/2017)
    "ombudsman_score",    # Ombudsman compliance score 0-100
    "complaints",         # complaints received in the year (count)
    "service_days",       # mean service completion time in days
    "spm_pct",            # minimum service standard (SPM) achievement, percent
]
LEADERSHIP_EVENTS = ["definitive", "acting", "rotation"]
# General performance indicators (LPPD IKK, SPM, Ombudsman, IKU, ...): any name, with its unit,
# direction and target (table ``indicators``). Never simulated: user rows, plus the SPM
# achievements of the ``service`` table in this form (``build.service_indicator_rows``).
INDICATOR_DIRECTIONS = ["higher", "lower"]   # "higher is better" or "lower is better"
INDICATOR_FRAMEWORKS = ["LPPD IKK", "SPM", "Ombudsman", "IKU", "SAKIP", "other"]
SKM_ELEMENTS = [f"u{i}" for i in range(1, 10)]
PEMDA_KINDS = ["kabupaten", "kota", "provinsi"]
IPM_STATUS = ["matched", "unmatched", "not_applicable"]
# coa90 level-3 spending accounts grouped as the peers measures use them; revenue (4xx) and
# financing (6xx) accounts keep their level-1 group.
ACCOUNT_GROUPS = ["pegawai", "barang_jasa", "modal", "hibah_bansos", "btt", "transfer",
                  "lainnya", "pendapatan", "pembiayaan"]
# DJPK 2018-2020 tables (analysis.data.national_sikd): measures and the coa90 groups + total.
SIKD_MEASURES = ["budget_murni", "outturn", "outturn_s1"]
# Indeks Inovasi Daerah (Kemendagri/BSKDN) categories of a pemda's yearly score (user import
# ``iid-pemda``, table ``pemda_iid``).
IID_CATEGORIES = ["Sangat Inovatif", "Inovatif", "Kurang Inovatif", "Tidak Dapat Dinilai"]
SIKD_GROUPS = ["pegawai", "barang_jasa", "modal", "hibah_bansos", "btt", "transfer", "lainnya",
               "total"]

_str = pa.Column(str)
_str_null = pa.Column(str, nullable=True)
_prov = pa.Column(str, pa.Check.isin(PROVENANCE))
_region = pa.Column(str, pa.Check.str_matches(r"^\d{2}(\.\d{2})?$|^sim\.\d{3}$"))
_year = pa.Column(int, pa.Check.in_range(1990, 2100))


def _nonneg_float(nullable: bool = False) -> pa.Column:
    return pa.Column(float, pa.Check.ge(0), nullable=nullable, coerce=True)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "units": pa.DataFrameSchema(
        {
            "region_code": _region,
            "unit_id": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9][a-z0-9-]{1,40}$")),
            "name": _str,
            "abbreviation": _str_null,
            "kind": pa.Column(str, pa.Check.isin(UNIT_KINDS)),
            "sector": _str,
            "front_line": pa.Column(bool),
            "is_opd": pa.Column(bool),
            "kemendagri_code": _str_null,
            "provenance": _prov,
            "source": _str_null,
        },
        unique=["region_code", "unit_id"],
        strict=True,
    ),
    "region_finance": pa.DataFrameSchema(
        {
            "region_code": _region,
            "year": _year,
            "stage": pa.Column(str, pa.Check.isin(STAGES)),
            "document": _str,
            "indicator": _str,
            "indicator_key": _str_null,
            "value_idr": pa.Column(float, coerce=True),
            "precision": pa.Column(str, pa.Check.isin(["exact", "rounded", "derived"])),
            "source": _str,
            "source_date": _str_null,
            "note": _str_null,
            "provenance": _prov,
        },
        strict=True,
    ),
    "budget": pa.DataFrameSchema(
        {
            "region_code": _region,
            "unit_id": _str,
            "year": _year,
            "stage": pa.Column(str, pa.Check.isin(STAGES)),
            "programme_class": pa.Column(str, pa.Check.isin(PROGRAMME_CLASSES)),
            "spending_type": pa.Column(str, pa.Check.isin(
                [*SPENDING_TYPES, SPENDING_TYPE_UNSPECIFIED])),
            "amount_idr": _nonneg_float(),
            "provenance": _prov,
            "source": _str_null,
        },
        unique=["region_code", "unit_id", "year", "stage", "programme_class", "spending_type"],
        strict=True,
    ),
    "innovations": pa.DataFrameSchema(
        {
            "region_code": _region,
            "innovation_id": _str,
            "unit_id": _str_null,
            "attribution": pa.Column(str, pa.Check.isin(ATTRIBUTIONS)),
            "submitted_by": _str_null,
            "name": _str,
            "stage": pa.Column(str, pa.Check.isin(INNOVATION_STAGES)),
            "form": pa.Column(str, pa.Check.isin(INNOVATION_FORMS)),
            "digital": pa.Column(bool),
            "initiator": _str_null,
            "affair": _str_null,
            "trial_date": pa.Column("datetime64[ns]", nullable=True, coerce=True),
            "implementation_date": pa.Column("datetime64[ns]", nullable=True, coerce=True),
            "maturity": _nonneg_float(nullable=True),
            "reporting_year": _year,
            "duplicate_group": _str_null,
            "is_duplicate": pa.Column(bool),
            "provenance": _prov,
            "source": _str_null,
        },
        unique=["region_code", "innovation_id"],
        strict=True,
    ),
    "service": pa.DataFrameSchema(
        {
            "region_code": _region,
            "unit_id": _str_null,
            "entity": _str,
            "year": _year,
            "indicator": pa.Column(str, pa.Check.isin(SERVICE_INDICATORS)),
            "value": pa.Column(float, coerce=True),
            "measure": _str,
            "n": pa.Column("Int64", nullable=True, coerce=True),
            "provenance": _prov,
            "source": _str_null,
        },
        unique=["region_code", "entity", "year", "indicator", "provenance"],
        strict=True,
    ),
    "indicators": pa.DataFrameSchema(
        {
            "region_code": _region,
            "unit_id": _str_null,                 # null: a region-wide indicator
            "entity": _str,                       # the unit id, or the region code
            "year": _year,
            "indicator": _str,                    # the name as the source writes it
            "indicator_key": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]{1,80}$")),
            "framework": pa.Column(str, pa.Check.isin(INDICATOR_FRAMEWORKS)),
            "measure_unit": _str_null,            # "%", "hari", "orang", "indeks", ...
            "direction": pa.Column(str, pa.Check.isin(INDICATOR_DIRECTIONS), nullable=True),
            "target": pa.Column(float, nullable=True, coerce=True),
            "value": pa.Column(float, coerce=True),
            "provenance": _prov,
            "source": _str_null,
        },
        unique=["region_code", "entity", "year", "framework", "indicator_key", "provenance"],
        strict=True,
    ),
    "skm_responses": pa.DataFrameSchema(
        {
            "region_code": _region,
            "unit_id": _str,
            "year": _year,
            "respondent": pa.Column(int, pa.Check.ge(0)),
            **{u: pa.Column(int, pa.Check.in_range(1, 4)) for u in SKM_ELEMENTS},
            "provenance": _prov,
        },
        unique=["region_code", "unit_id", "year", "respondent"],
        strict=True,
    ),
    "leadership": pa.DataFrameSchema(
        {
            "region_code": _region,
            "unit_id": _str,
            "date": pa.Column("datetime64[ns]", coerce=True),
            "event": pa.Column(str, pa.Check.isin(LEADERSHIP_EVENTS)),
            "provenance": _prov,
            "source": _str_null,
        },
        unique=["region_code", "unit_id", "date", "event"],
        strict=True,
    ),
    "reference": pa.DataFrameSchema(
        {
            "region_code": _region,
            "dataset": _str,
            "entity": _str,
            "year": _year,
            "indicator": _str,
            "value": _str_null,
            "value_num": pa.Column(float, nullable=True, coerce=True),
            "unit": _str_null,
            "source": _str,
            "source_date": _str_null,
            "note": _str_null,
            "row": pa.Column(int),
            "provenance": _prov,
        },
        strict=True,
    ),
    # National peers layer (analysis.data.national): one row per pemda, per pemda-year-account,
    # per pemda-year. Public rows only (user rows when a researcher imports more years).
    "pemda": pa.DataFrameSchema(
        {
            "region_code": _region,
            "name": _str,
            "kind": pa.Column(str, pa.Check.isin(PEMDA_KINDS)),
            "province_code": pa.Column(str, pa.Check.str_matches(r"^\d{2}$")),
            "province": _str,
            "jaga_code": _str,
            "kode_bps": _str_null,
            "bps_name": _str_null,
            "ipm_status": pa.Column(str, pa.Check.isin(IPM_STATUS)),
            "ipm_note": _str_null,
            "provenance": _prov,
            "source": _str,
        },
        unique=["region_code"],
        strict=True,
    ),
    "pemda_finance": pa.DataFrameSchema(
        {
            "region_code": _region,
            "year": _year,
            "account_code": pa.Column(str, pa.Check.str_matches(r"^[4-6]\d{2}$")),
            "account": _str,
            "account_group": pa.Column(str, pa.Check.isin(ACCOUNT_GROUPS)),
            "jenis": pa.Column(str, pa.Check.isin(["anggaran", "realisasi"])),
            "amount_idr": pa.Column(float, coerce=True),
            "provenance": _prov,
            "source": _str,
            "source_row": pa.Column(int, pa.Check.ge(2)),
        },
        unique=["region_code", "year", "account_code", "jenis"],
        strict=True,
    ),
    "pemda_ipm": pa.DataFrameSchema(
        {
            "region_code": _region,
            "year": _year,
            "ipm": pa.Column(float, pa.Check.in_range(0, 100), nullable=True, coerce=True),
            "bps_name": _str,
            "bps_province": _str,
            "provenance": _prov,
            "source": _str,
            "source_row": pa.Column(int, pa.Check.ge(1)),
        },
        unique=["region_code", "year"],
        strict=True,
    ),
    # DJPK 2018-2020 (analysis.data.national_sikd): pemda x year x measure x group, long.
    "pemda_sikd": pa.DataFrameSchema(
        {
            "region_code": _region,
            "djpk_code": pa.Column(str, pa.Check.str_matches(r"^\d{2}\.\d{2}$")),
            "djpk_no": pa.Column(int, pa.Check.ge(1)),
            "year": pa.Column(int, pa.Check.in_range(2018, 2020)),
            "measure": pa.Column(str, pa.Check.isin(SIKD_MEASURES)),
            "group": pa.Column(str, pa.Check.isin(SIKD_GROUPS)),
            "amount_idr": pa.Column(float, nullable=True, coerce=True),
            "jenis_data": _str,
            "release": _str,
            "source": _str,
            "source_sheet": _str,
            "source_row": pa.Column(int, pa.Check.ge(1)),
            "source_cells": _str,
            "provenance": _prov,
        },
        unique=["region_code", "year", "measure", "group"],
        strict=True,
    ),
    # Indeks Inovasi Daerah per pemda and year: user data only (``import iid-pemda``; kept in
    # data/user/national/iid_pemda.csv, read by analysis.data.national).
    "pemda_iid": pa.DataFrameSchema(
        {
            "region_code": _region,
            "year": pa.Column(int, pa.Check.in_range(2015, 2100)),
            "iid_score": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
            "category": pa.Column(str, pa.Check.isin(IID_CATEGORIES)),
            "n_innovations": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
            "name_in_file": _str_null,
            "source": _str,
            "source_row": pa.Column(int, pa.Check.ge(1)),
            "provenance": _prov,
        },
        unique=["region_code", "year"],
        strict=True,
    ),
    # Maksikeuda LKPD indices (analysis.data.lkpd_indices): pemda x year x indicator, long.
    "pemda_lkpd": pa.DataFrameSchema(
        {
            "region_code": _region,
            "year": _year,
            "indicator": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$")),
            "indicator_name": _str,
            "value": pa.Column(float, nullable=True, coerce=True),
            "missing_reason": _str,
            "lkpd_name": _str,
            "source": _str,
            "source_sheet": _str,
            "source_row": pa.Column(int, pa.Check.ge(2)),
            "provenance": _prov,
        },
        unique=["region_code", "year", "indicator"],
        strict=True,
    ),
}

TABLES = list(SCHEMAS)

# Columns that must exist in every table: checked before anything else so the message is clear.
REQUIRED_EVERYWHERE = ["region_code", "provenance"]


@dataclass
class Problem:
    file: str
    row: object
    column: str | None
    value: object
    rule: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: {self.rule}{shown}"


@dataclass
class InputError(ValueError):
    """Bad input. ``problems`` lists every problem found, each with file, row and column."""

    table: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{len(self.problems)} problem(s) in table '{self.table}':"
        lines = [str(p) for p in self.problems[:25]]
        more = len(self.problems) - len(lines)
        tail = [f"... and {more} more"] if more > 0 else []
        return "\n".join([head, *("  - " + line for line in lines), *tail])


def _rule_text(check: object) -> str:
    text = str(check)
    replacements = {
        "column_in_dataframe": "required column is missing",
        "column_in_schema": "unexpected column (not part of the table)",
        "not_nullable": "value is missing (the column does not allow blanks)",
        "field_uniqueness": "duplicate key",
        "multiple_fields_uniqueness": "duplicate key",
    }
    for k, v in replacements.items():
        if k in text:
            return v
    m = re.search(r"'(\w+)'", text)
    if text.startswith("dtype(") or "coerce" in text:
        return f"wrong type: expected {m.group(1) if m else text}"
    return f"rule broken: {text}"


_ID_NUMBER = re.compile(r"^\s*(Rp\.?\s*)?\(?-?\d{1,3}(\.\d{3})+(,\d+)?\)?\s*$|^\s*-?\d+,\d+\s*$")


def _explain(problem: Problem) -> Problem:
    """Say what an Indonesian-formatted number is instead of a bare type error."""
    if problem.rule.startswith("wrong type") and isinstance(problem.value, str) \
            and _ID_NUMBER.match(problem.value):
        problem.rule = ("Indonesian-formatted number in a numeric column (dots for thousands, "
                        "comma for decimals); convert it or import the file with "
                        "`python -m analysis import`")
    return problem


def validate(df: pd.DataFrame, table: str, file: str = "<generated>",
             row_label=None) -> pd.DataFrame:
    """Validate ``df`` against the canonical schema of ``table`` and return the coerced frame.

    ``row_label`` maps a DataFrame index value to the row shown to the user (by default the
    index itself; loaders of CSV files set the index to the file's line number).
    Raises :class:`InputError` listing every problem with file, row, column and rule.
    """
    if table not in SCHEMAS:
        raise KeyError(f"unknown table {table!r}; known: {', '.join(TABLES)}")
    schema = SCHEMAS[table]
    if df.empty:
        raise InputError(table, [Problem(file, "-", None, None, "no data rows (empty input)")])
    missing = [c for c in schema.columns if c not in df.columns]
    if missing:
        raise InputError(table, [Problem(file, "header", c, None, "required column is missing")
                                 for c in missing])
    label = row_label or (lambda i: i)
    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        problems: list[Problem] = []
        seen: set[tuple] = set()
        dups: dict[object, dict] = {}
        fc = exc.failure_cases
        for rec in fc.to_dict("records"):
            idx = rec.get("index")
            row = "-" if idx is None or (isinstance(idx, float) and pd.isna(idx)) else label(idx)
            col = rec.get("column")
            val = rec.get("failure_case")
            col = None if _isna(col) else col
            if isinstance(val, str) and val.startswith("TypeError("):
                continue  # a consequence of a type problem already reported for this column
            rule = _rule_text(rec.get("check"))
            if rule == "duplicate key":
                dups.setdefault(row, {})[col] = val
                continue
            key = (row, col)
            if key in seen and col is not None:
                continue  # one problem per cell is enough
            seen.add(key)
            problems.append(_explain(Problem(file, row, col, None if _isna(val) else val, rule)))
        for row, cells in dups.items():
            problems.append(Problem(file, row, "+".join(cells), tuple(cells.values()),
                                    "duplicate key (another row has the same key)"))
        raise InputError(table, problems) from None
    except SchemaError as exc:  # pragma: no cover - lazy mode normally collects
        raise InputError(table, [Problem(file, "-", None, None, str(exc))]) from None


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def empty(table: str) -> pd.DataFrame:
    """An empty frame with the table's columns (for sources that contribute nothing)."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in SCHEMAS[table].columns})
