"""The per-OPD reports (``render``, ``make reports``): the template, the output folder and the
unit loader of the ``opd`` kind (:mod:`analysis.publish.render.kinds`).

The units are the OPD rows of ``processed/units.parquet``, with the index columns of
:func:`analysis.publish.opd_report.index_summary` and the simulated banner when the build says the
data are simulated. Before anything runs, :func:`check_report_tables` refuses a data folder
whose tables the template reads are missing or unreadable (one line, not 44 failed reports)."""

from __future__ import annotations

import json
from pathlib import Path

from analysis import config
from analysis.publish.index import UnitTable


def default_template() -> Path:
    """The per-OPD report template (``--template``'s default)."""
    return config.notebooks_dir() / "reports" / "opd_report.ipynb"


def default_out_dir() -> Path:
    """``reports/opd/`` (``--out``'s default)."""
    return config.reports_dir() / "opd"


# Processed tables the report template reads, with the columns the index page needs.
REPORT_TABLES = {"units": ["unit_id", "name", "is_opd"],
                 "unit_summary": ["unit_id", "cut_2020_pct"],
                 "panel": ["unit_id", "year"], "regency_year": ["year"],
                 "innovations": [], "leadership": [], "service": []}


def check_report_tables(data_dir: str | None = None) -> None:
    """Refuse to start a render (FileNotFoundError, one line) when a table the reports read is
    missing, unreadable or lacks its key columns, instead of failing every report."""
    import pyarrow.parquet as pq

    base = config.processed_dir(data_dir)
    for name, cols in REPORT_TABLES.items():
        path = base / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"processed table '{name}' not found at {path}; the "
                                    "reports need it: run `python -m analysis build`")
        try:
            have = set(pq.read_schema(path).names)
        except Exception as exc:  # ArrowInvalid, OSError: truncated or not Parquet
            raise FileNotFoundError(
                f"processed table '{name}' at {path} is unreadable ({type(exc).__name__}); "
                "rebuild it with `python -m analysis build`") from None
        missing = [c for c in cols if c not in have]
        if missing:
            raise FileNotFoundError(
                f"processed table '{name}' at {path} lacks column(s) {', '.join(missing)}; "
                "rebuild it with `python -m analysis build`")


def load_opd_units(lang: str = "id", data_dir: str | None = None) -> UnitTable:
    """Default unit list and registry: OPD rows of ``processed/units.parquet``, with the
    per-unit summary columns of the index page (``analysis.publish.opd_report.index_summary``)."""
    import pandas as pd

    from analysis.publish import opd_report

    path = config.processed_dir(data_dir) / "units.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"units table not found: {path} (run `python -m analysis build`)")
    check_report_tables(data_dir)
    units = pd.read_parquet(path, columns=["unit_id", "name", "is_opd"])
    units = units[units["is_opd"].astype(bool)]
    names = {str(u): str(n) for u, n in zip(units["unit_id"], units["name"], strict=True)}
    banner = None
    try:
        built = json.loads(
            (config.processed_dir(data_dir) / "manifest.json").read_text(encoding="utf-8"))
        from analysis.data.build import fits_note
        from analysis.narrative.catalog import text

        if built.get("simulated"):
            banner = text("index.banner", lang)
        older = fits_note(built)
        if older:   # an import deferred the refits and the reports were rendered --no-refit
            banner = " ".join(filter(None, [text("models_older", lang, **older), banner]))
    except (OSError, ValueError):
        pass
    return UnitTable(names=names, banner=banner, summary=opd_report.index_summary(data_dir, lang))
