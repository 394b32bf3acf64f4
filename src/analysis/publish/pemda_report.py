"""The per-pemda peer reports (``render --kind pemda``, ``make peers``): the template, report
ids (the Kemendagri code without the dot), the units table with the index page's columns, and
the report heading. The analysis itself is :mod:`analysis.methods.peers`."""

from __future__ import annotations

import re

import pandas as pd

from analysis.data import store
from analysis.narrative.catalog import text
from analysis.publish import markup, national_2020
from analysis.publish.explore import Context, ParameterError
from analysis.publish.index import UnitTable


def pemda_template():
    """The per-pemda peer report template."""
    from analysis import config

    return config.notebooks_dir() / "reports" / "pemda_report.ipynb"


def unit_id_of(region_code: str) -> str:
    """Report id of a kab/kota: its Kemendagri code without the dot (``33.25`` -> ``3325``)."""
    return str(region_code).replace(".", "")


def region_of(unit_id: str) -> str:
    """Kemendagri code of a report id (``3325`` -> ``33.25``); anything else is refused."""
    if not re.fullmatch(r"\d{4}", str(unit_id)):
        raise ParameterError(f"unit_id must be a 4-digit Kemendagri kab/kota code like 3325; "
                             f"got {unit_id!r}")
    return f"{unit_id[:2]}.{unit_id[2:]}"


def pemda_units(lang: str = "id", data_dir: str | None = None) -> UnitTable:
    """Units of the pemda reports (``render --kind pemda``): every kab/kota with APBD data,
    with the index columns province, IPM and realisation rate of its last complete year."""
    try:
        reg = store.load_table("pemda", data_dir)
        py = store.load_table("pemda_year", data_dir)
    except store.NotBuiltError as exc:
        raise FileNotFoundError(str(exc)) from None
    reg = reg[reg["kind"] != "provinsi"]
    have = set(py.loc[py["spending_outturn"].notna(), "region_code"])
    reg = reg[reg["region_code"].isin(have)].sort_values("region_code")
    names = {unit_id_of(c): str(n) for c, n in zip(reg["region_code"], reg["name"], strict=True)}
    ok = py[(py["partial"] == False) & py["spending_outturn"].notna()]  # noqa: E712
    last = ok.sort_values("year").groupby("region_code").tail(1).set_index("region_code")
    ipm = py.dropna(subset=["ipm"]).sort_values("year").groupby("region_code").tail(1) \
        .set_index("region_code")
    prov = text("peers.pemda.province", lang)
    cut = national_2020.index_column(data_dir)
    # the columns say their year; where kab/kota differ (a late report), the column says
    # "latest" with the range and a year column beside gives each row's year
    ipm_col, ipm_year = _year_heads("IPM", "IPM",
                                    ipm.loc[ipm.index.isin(reg["region_code"]), "year"], lang)
    real_col, real_year = _year_heads(text("peers.measure.realisation_rate", lang) + " (%)",
                                      text("index.realisation_short", lang),
                                      last.loc[last.index.isin(reg["region_code"]), "year"],
                                      lang)
    summary = {}
    for code, uid in zip(reg["region_code"], map(unit_id_of, reg["region_code"]), strict=True):
        summary[uid] = {
            prov: str(reg.loc[reg["region_code"] == code, "province"].iloc[0]),
            ipm_col: float(ipm.at[code, "ipm"]) if code in ipm.index else None,
            **({ipm_year: int(ipm.at[code, "year"]) if code in ipm.index else None}
               if ipm_year else {}),
            real_col:
                round(float(last.at[code, "realisation_rate"]) * 100, 1)
                if code in last.index else None,
            **({real_year: int(last.at[code, "year"]) if code in last.index else None}
               if real_year else {}),
            **({text("national2020.index.s1_change", lang): cut.get(code)} if cut else {}),
        }
    return UnitTable(names=names, banner=None, summary=summary, filter_column=prov)


def _year_heads(name: str, short: str, years: pd.Series, lang: str
                ) -> tuple[str, str | None]:
    """A column heading that states its year ("IPM 2024"), or, when rows come from different
    years, "IPM, latest 2022–2024" and the heading of a year column beside it ("IPM year",
    ``short`` naming the measure)."""
    ys = sorted({int(y) for y in years.dropna()})
    if not ys:
        return name, None
    if len(ys) == 1:
        return f"{name} {ys[0]}", None
    return (text("index.latest_years", lang, name=name, y0=ys[0], y1=ys[-1]),
            text("index.year_of", lang, name=short))


def report_title_html(ctx: Context, reg: pd.DataFrame) -> str:
    """Heading of a pemda report: name and province (escaped), and what the data are."""
    row = reg.loc[reg["region_code"] == ctx.region].iloc[0]
    sub = ctx.t("peers.pemda.title.kemendagri_code_real_public",
                province=row['province'], region=ctx.region, span=ctx.span)
    return str(markup.heading(row["name"], sub))
