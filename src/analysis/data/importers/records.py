"""Innovation profiles (IID), SKM survey answers, service indicators, leadership events and
general performance indicators: rows of ``innovations``, ``skm_responses``, ``service``,
``leadership`` and ``indicators``."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

from analysis.data.importers.mapping import load_toml
from analysis.data.importers.read import (
    NotANumber,
    cell_text,
    find_year,
    is_blank,
    norm,
    parse_date,
    parse_number,
)
from analysis.data.importers.report import Report
from analysis.data.importers.rows import (
    Context,
    Part,
    _header,
    column_styles,
    data_rows,
    resolve_unit,
    row_unit,
    row_year,
    sheet_unit,
    sheet_year,
    year_rule,
)
from analysis.data import skm
from analysis.data.schema import SKM_ELEMENTS

# --------------------------------------------------------------------------------------------
# innovations

_REG = re.compile(r"^\d{2}\.\d{2}-[\d-]+$")


def _value_map(ctx: Context, name: str) -> dict:
    return {norm(k): v for k, v in ctx.mapping.section("values").get(name, {}).items()}


def _mapped(ctx: Context, part: Part, row: int, cells: dict, canon: str, table: dict):
    raw = cells.get(canon)
    key = norm(raw)
    if key in table:
        return True, table[key]
    ctx.report.problem(part.sheet.label, row, _header(part, canon), cell_text(raw) or None,
                       "blank value" if is_blank(raw) else
                       f"unknown value; expected one of {sorted(set(table))}")
    return False, None


def convert_innovations(parts: list[Part], ctx: Context) -> pd.DataFrame:
    rep = ctx.report
    stage_map, form_map = _value_map(ctx, "stage"), _value_map(ctx, "form")
    digital_map = _value_map(ctx, "digital")
    recs = []
    for part in parts:
        label = part.sheet.label
        year_default = sheet_year(part, ctx)
        unit_default = sheet_unit(part, ctx)
        for rno, cells in data_rows(part):
            rep.rows_read += 1
            n0 = len(rep.problems)
            name = cell_text(cells.get("name"))
            if not name:
                rep.problem(label, rno, _header(part, "name"), None, "innovation name is blank")
            created = cell_text(cells.get("created_by"))
            unit_text = cell_text(cells.get("unit")) or created
            uid, attribution = None, None
            if unit_text:
                col = _header(part, "unit") if cell_text(cells.get("unit")) else \
                    _header(part, "created_by")
                ok, uid, attribution = resolve_unit(ctx, part, rno, col, unit_text)
            elif unit_default:
                uid = unit_default
                m = ctx.resolver.resolve(uid)
                attribution = m.attribution if m else "opd"
            else:
                rep.problem(label, rno, _header(part, "created_by"), None,
                            "unit unknown: the row names no OPD and no --unit was given")
            _, stage = _mapped(ctx, part, rno, cells, "stage", stage_map)
            _, form = _mapped(ctx, part, rno, cells, "form", form_map)
            _, digital = _mapped(ctx, part, rno, cells, "digital", digital_map)
            dates = {}
            for canon in ("trial_date", "implementation_date"):
                try:
                    d = parse_date(cells.get(canon))
                    dates[canon] = pd.Timestamp(d) if d else pd.NaT
                except ValueError:
                    rep.problem(label, rno, _header(part, canon), cell_text(cells.get(canon)),
                                "not a date (YYYY-MM-DD, DD/MM/YYYY or '22 Agustus 2021')")
            try:
                maturity = parse_number(cells.get("maturity"))
                if maturity is not None and maturity < 0:
                    rep.problem(label, rno, _header(part, "maturity"), maturity,
                                "maturity score below 0")
            except NotANumber as exc:
                maturity = None
                rep.problem(label, rno, _header(part, "maturity"),
                            cell_text(cells.get("maturity")), exc.rule)
            reg = cell_text(cells.get("registration_no"))
            reg_year = find_year(reg.rsplit("-", 1)[-1]) if _REG.match(reg) else None
            if is_blank(cells.get("year")) and ctx.year is None and reg_year:
                year = reg_year
                if year_rule(reg_year):
                    rep.problem(label, rno, _header(part, "registration_no"), reg,
                                year_rule(reg_year))
                    year = None
            else:
                year = row_year(ctx, part, rno, cells, year_default or reg_year)
            if len(rep.problems) > n0:
                continue
            src = cell_text(cells.get("source"))
            recs.append({
                "row": rno, "label": label, "reg": reg if _REG.match(reg) else None,
                "region_code": ctx.region, "unit_id": uid, "attribution": attribution,
                "submitted_by": created or unit_text or None, "name": name, "stage": stage,
                "form": form, "digital": bool(digital),
                "initiator": cell_text(cells.get("initiator")) or None,
                "affair": cell_text(cells.get("affair")) or None,
                "trial_date": dates["trial_date"],
                "implementation_date": dates["implementation_date"],
                "maturity": maturity, "reporting_year": year,
                "duplicate_group": cell_text(cells.get("duplicate_group")) or None,
                "provenance": "user",
                "source": f"user import: {label} row {rno}" + (f"; {src}" if src else ""),
            })
    rep.rows_kept = len(recs)
    if not recs:
        return pd.DataFrame()
    df = pd.DataFrame(recs)
    _flag_duplicates(df, rep)
    df["innovation_id"] = _innovation_ids(df)
    return df[["region_code", "innovation_id", "unit_id", "attribution", "submitted_by", "name",
               "stage", "form", "digital", "initiator", "affair", "trial_date",
               "implementation_date", "maturity", "reporting_year", "duplicate_group",
               "is_duplicate", "provenance", "source"]]


def _flag_duplicates(df: pd.DataFrame, rep: Report) -> None:
    """Duplicates are kept and flagged (``is_duplicate``), never deleted:

    * a ``duplicate_group`` given in the file: the profile under an unattributed account is
      the duplicate (the rule of ``public.load_innovations``);
    * a registration number repeated: every occurrence after the first;
    * the same name (case and punctuation ignored) twice in the same unit (or the same
      unattributed account): every occurrence after the first;
    * the same name under an unattributed account and under a unit: the unattributed one.
    """
    where = df["label"] + " row " + df["row"].astype(str)
    is_dup = df["duplicate_group"].notna() & (df["attribution"] == "unattributed")
    group = df["duplicate_group"].copy()
    nname = df["name"].map(lambda s: norm(s).replace(" ", ""))
    owner = df["unit_id"].fillna("~" + df["submitted_by"].fillna(""))
    for key, col, what in ((df["reg"], "reg", "registration number"),
                           (owner + "|" + nname, "name", "same name in the same unit")):
        valid = key.notna()
        rep_mask = valid & key.duplicated(keep="first")
        for k in key[rep_mask].unique():
            idx = key.index[key == k]
            rep.duplicates.append(f"{what} {df.loc[idx[0], 'reg'] if col == 'reg' else df.loc[idx[0], 'name']!r}: "
                                  + ", ".join(where[idx]))
            group[idx] = group[idx].fillna(f"{col}:{k}")
        is_dup |= rep_mask
    unattr = df["attribution"] == "unattributed"
    attributed_names = set(nname[~unattr])
    cross = unattr & nname.isin(attributed_names)
    for i in df.index[cross]:
        others = df.index[(nname == nname[i]) & ~unattr]
        rep.duplicates.append(f"{df.loc[i, 'name']!r} under an unattributed account and under "
                              f"{', '.join(sorted(set(df.loc[others, 'unit_id'])))}: "
                              f"{where[i]} flagged")
        group[[i, *others]] = group[[i, *others]].fillna(f"name:{nname[i]}")
    df["is_duplicate"] = (is_dup | cross).astype(bool)
    df["duplicate_group"] = group


def _innovation_ids(df: pd.DataFrame) -> pd.Series:
    """``user-<registration number>`` when the number is valid and occurs once; otherwise
    ``user-<year>-<hash of unit/account and name>`` (numbered when repeated). Deterministic,
    so re-importing a file gives the same ids."""
    reg_once = df["reg"].notna() & ~df["reg"].duplicated(keep=False)
    ids = []
    seen: dict[str, int] = {}
    for i, r in df.iterrows():
        if reg_once[i]:
            ids.append(f"user-{r['reg']}")
            continue
        basis = f"{r['unit_id'] or r['submitted_by']}|{norm(r['name'])}"
        h = hashlib.sha1(basis.encode()).hexdigest()[:10]
        base = f"user-{r['reporting_year']}-{h}"
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return pd.Series(ids, index=df.index)


# --------------------------------------------------------------------------------------------
# SKM responses


def _answer(v: object) -> int | None:
    try:
        x = parse_number(v)
    except NotANumber:
        return None
    if x is None or x not in (1.0, 2.0, 3.0, 4.0):
        return None
    return int(x)


def convert_skm(parts: list[Part], ctx: Context) -> pd.DataFrame:
    """Rule: an answer that is blank or not 1, 2, 3 or 4 is invalid. ``skm_responses`` stores
    whole respondents with nine valid answers (the schema has no missing answers), so a
    respondent with any invalid answer is left out of the table; every invalid answer and
    every such respondent is counted in the report. The report also gives each unit-year's
    IKM by the rule of ``ikm.py`` (invalid answers missing for their element only, all
    respondents kept; the index itself is :func:`analysis.data.skm.index_from_responses`)
    next to the IKM of the stored respondents, so the effect of the rule is visible."""
    rep = ctx.report
    kept, raw = [], []
    for part in parts:
        label = part.sheet.label
        unit_default, year_default = sheet_unit(part, ctx), sheet_year(part, ctx)
        for rno, cells in data_rows(part):
            if all(is_blank(cells.get(u)) for u in SKM_ELEMENTS):
                continue   # a row with no answers at all is not a respondent
            rep.rows_read += 1
            n0 = len(rep.problems)
            uid = row_unit(ctx, part, rno, cells, unit_default, "OPD / Unit Layanan")
            year = row_year(ctx, part, rno, cells, year_default)
            if len(rep.problems) > n0 or uid is None or year is None:
                continue
            answers = {u: _answer(cells.get(u)) for u in SKM_ELEMENTS}
            bad = [u for u, a in answers.items() if a is None]
            rep.invalid_answers += len(bad)
            resp = cell_text(cells.get("respondent")) or None
            raw.append({"region_code": ctx.region, "unit_id": uid, "year": year,
                        **{u: (np.nan if a is None else a) for u, a in answers.items()}})
            if bad:
                rep.respondents_dropped += 1
                continue
            kept.append({"region_code": ctx.region, "unit_id": uid, "year": year,
                         "_resp": resp, "_where": f"{label} row {rno}", **answers})
    rep.rows_kept = len(kept)
    if raw:
        _ikm_note(pd.DataFrame(raw), pd.DataFrame(kept), rep)
    if not kept:
        return pd.DataFrame()
    df = pd.DataFrame(kept)
    has_id = df["_resp"].notna()
    dup = has_id & df.duplicated(["unit_id", "year", "_resp"], keep=False)
    for _, g in df[dup].groupby(["unit_id", "year", "_resp"]):
        rep.duplicates.append(f"respondent {g['_resp'].iloc[0]!r} of {g['unit_id'].iloc[0]} "
                              f"{g['year'].iloc[0]} appears {len(g)} times: "
                              + ", ".join(g["_where"]) + " (all kept as separate respondents)")
    df["respondent"] = df.groupby(["unit_id", "year"]).cumcount()
    df["provenance"] = "user"
    return df[["region_code", "unit_id", "year", "respondent", *SKM_ELEMENTS, "provenance"]]


def _ikm_note(raw: pd.DataFrame, kept: pd.DataFrame, rep: Report) -> None:
    try:
        by_rule = skm.index_from_responses(raw).set_index(["unit_id", "year"])
    except ValueError as exc:
        rep.notes.append(f"IKM by the ikm.py rule not computable: {exc}")
        return
    stored = (skm.index_from_responses(kept).set_index(["unit_id", "year"])
              if not kept.empty else pd.DataFrame(columns=["ikm_rounded", "n"]))
    for (uid, year), r in by_rule.iterrows():
        s = stored["ikm_rounded"].get((uid, year), float("nan"))
        n = stored["n"].get((uid, year), 0)
        rep.notes.append(f"{uid} {year}: IKM {r['ikm_rounded']:.2f} from {int(r['n'])} "
                         f"respondents ({int(r['n_invalid'])} invalid answers as missing, "
                         f"ikm.py rule); {s:.2f} from the {int(n)} stored respondents")


# --------------------------------------------------------------------------------------------
# service indicators


def indicator_tables(ctx: Context) -> tuple[dict[str, str], dict[str, dict]]:
    raw = ctx.mapping.raw
    if "indicators" not in raw and raw.get("indicators_from"):
        raw, _ = load_toml(raw["indicators_from"])
    names = raw.get("indicators", {})
    syn = {}
    for canon, lst in names.items():
        for n in [canon, *lst]:
            syn.setdefault(norm(n), canon)
    return syn, raw.get("indicator_info", {})


def convert_service(parts: list[Part], ctx: Context) -> pd.DataFrame:
    rep = ctx.report
    syn, info = indicator_tables(ctx)
    wide = bool(ctx.mapping.raw.get("wide"))
    recs = []
    for part in parts:
        label = part.sheet.label
        unit_default, year_default = sheet_unit(part, ctx), sheet_year(part, ctx)
        ind_cols = {k.removeprefix("ind:"): k for k in part.loc.columns if k.startswith("ind:")}
        if wide and not ind_cols:
            rep.problem(label, part.sheet.row_numbers[part.loc.header_rows[-1]], None, None,
                        "no indicator column found (expected e.g. IKM, Nilai Kepatuhan "
                        "Ombudsman, Jumlah Pengaduan, Waktu Layanan (hari), Capaian SPM (%))")
            continue
        srows = list(data_rows(part))
        keys = ([k for k in ind_cols.values()] if wide else ["value"])
        styles = {_header(part, k): st for k, st in
                  column_styles(part, srows, keys, rep).items()}
        for rno, cells in srows:
            rep.rows_read += 1
            n0 = len(rep.problems)
            uid = row_unit(ctx, part, rno, cells, unit_default, "OPD")
            year = row_year(ctx, part, rno, cells, year_default)
            n = None
            if not is_blank(cells.get("n")):
                try:
                    n = parse_number(cells.get("n"))
                except NotANumber as exc:
                    rep.problem(label, rno, _header(part, "n"), cell_text(cells.get("n")),
                                exc.rule)
            if wide:
                pairs = [(canon, cells.get(key), _header(part, key))
                         for canon, key in ind_cols.items()]
            else:
                itext = cell_text(cells.get("indicator"))
                canon = syn.get(norm(itext))
                if canon is None:
                    rep.problem(label, rno, _header(part, "indicator"), itext or None,
                                "unknown indicator; known: " + ", ".join(
                                    f"{k} ({v[0]})" for k, v in
                                    ctx.mapping.raw.get("indicators", {}).items()))
                pairs = [(canon, cells.get("value"), _header(part, "value"))]
            if len(rep.problems) > n0:
                continue
            for canon, raw_v, col in pairs:
                try:
                    v = parse_number(raw_v, style=styles.get(col))
                except NotANumber as exc:
                    rep.problem(label, rno, col, cell_text(raw_v), exc.rule)
                    continue
                if v is None:
                    rep.blank_values += 1
                    continue
                rule = info.get(canon, {})
                lo, hi = rule.get("min"), rule.get("max")
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    rep.problem(label, rno, col, v, f"{canon} outside its range "
                                f"{lo if lo is not None else ''}-{hi if hi is not None else ''}")
                    continue
                if rule.get("integer") and not float(v).is_integer():
                    rep.problem(label, rno, col, v, f"{canon} must be a whole number")
                    continue
                recs.append({"region_code": ctx.region, "unit_id": uid, "entity": uid,
                             "year": year, "indicator": canon, "value": float(v),
                             "measure": rule.get("measure", ""), "n": n,
                             "provenance": "user", "source": f"user import: {label}",
                             "_where": f"{label} row {rno}"})
            rep.rows_kept += 1
    if not recs:
        return pd.DataFrame()
    df = pd.DataFrame(recs)
    df = _keep_once_or_refuse(
        df, ["unit_id", "year", "indicator"], ["value"], rep,
        same=lambda g: (f"{g['unit_id'].iloc[0]} {g['year'].iloc[0]} "
                        f"{g['indicator'].iloc[0]} given twice with the same value"),
        conflict=lambda r: (r["indicator"], r["value"],
                            f"conflicting value for {r['unit_id']} {r['year']} "
                            f"{r['indicator']}"))
    df["n"] = pd.array(df["n"], dtype="Int64")
    return df.drop(columns="_where")


def _keep_once_or_refuse(df: pd.DataFrame, keys: list[str], values: list[str], rep: Report,
                         same, conflict) -> pd.DataFrame:
    """Rows sharing ``keys``: kept once (listed as a duplicate, ``same(group)`` words) when
    their ``values`` agree; otherwise every later row is a problem at its own place
    (``conflict(row)`` gives column, value and words)."""
    dup = df.duplicated(keys, keep=False)
    drop = pd.Series(False, index=df.index)
    for _, g in df[dup].groupby(keys):
        if g[values].astype(str).nunique().max() == 1:
            rep.duplicates.append(f"{same(g)}: {', '.join(g['_where'])} (kept once)")
            drop[g.index[1:]] = True
            continue
        first = g.iloc[0]["_where"]
        for _, r in g.iloc[1:].iterrows():
            lab, _, row = r["_where"].rpartition(" row ")
            column, value, words = conflict(r)
            rep.problem(lab, row, column, value, f"{words} (also given in {first})")
    return df[~drop]


# --------------------------------------------------------------------------------------------
# leadership


def _event(text: str, table: dict) -> str | None:
    n = norm(text)
    if n in table:
        return table[n]
    words = n.split()
    for i in range(len(words)):
        for j in (3, 2, 1):
            if " ".join(words[i:i + j]) in table:
                return table[" ".join(words[i:i + j])]
    return None


def convert_leadership(parts: list[Part], ctx: Context) -> pd.DataFrame:
    rep = ctx.report
    table = _value_map(ctx, "event")
    recs = []
    for part in parts:
        label = part.sheet.label
        for rno, cells in data_rows(part):
            rep.rows_read += 1
            n0 = len(rep.problems)
            ok, uid, _ = resolve_unit(ctx, part, rno, _header(part, "unit"), cells.get("unit"))
            try:
                d = parse_date(cells.get("date"))
                if d is None:
                    rep.problem(label, rno, _header(part, "date"), None, "date is blank")
                elif year_rule(d.year):
                    rep.problem(label, rno, _header(part, "date"), cell_text(cells.get("date")),
                                year_rule(d.year))
            except ValueError:
                d = None
                rep.problem(label, rno, _header(part, "date"), cell_text(cells.get("date")),
                            "not a date (YYYY-MM-DD, DD/MM/YYYY or '1 Juli 2024')")
            etext = cell_text(cells.get("event"))
            event = _event(etext, table)
            if event is None:
                rep.problem(label, rno, _header(part, "event"), etext or None,
                            "unknown event; use definitif, Plt / Pj / pelaksana tugas, or "
                            "rotasi / mutasi")
            if len(rep.problems) > n0 or uid is None:
                continue
            recs.append({"region_code": ctx.region, "unit_id": uid, "date": pd.Timestamp(d),
                         "event": event, "provenance": "user",
                         "source": f"user import: {label} row {rno}",
                         "_where": f"{label} row {rno}"})
    if not recs:
        return pd.DataFrame()
    df = pd.DataFrame(recs)
    keys = ["unit_id", "date", "event"]
    dup = df.duplicated(keys, keep="first")
    for i in df.index[dup]:
        first = df[(df[keys] == df.loc[i, keys]).all(axis=1)].iloc[0]["_where"]
        rep.duplicates.append(f"{df.loc[i, '_where']} repeats {first} (kept once)")
    df = df[~dup]
    rep.rows_kept = len(df)
    return df.drop(columns="_where")


# --------------------------------------------------------------------------------------------
# general indicators (LPPD IKK, SPM, Ombudsman, IKU, ...)


def indicator_key(name: str) -> str:
    """A stable id for an indicator name: ascii lower case, words joined by ``_`` (80 chars)."""
    import unicodedata

    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return (re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "indicator")[:80]


# A unit cell naming the regency itself: a region-wide indicator (no unit).
REGION_WORDS = {"kabupaten", "kabupaten batang", "pemerintah kabupaten batang", "pemkab",
                "pemkab batang", "pemda", "pemerintah daerah", "daerah", "region"}


PERCENT_MAX = 1000.0
_PERCENT_NAME = re.compile(r"^(persentase|presentase|prosentase|proporsi|cakupan|capaian|"
                           r"tingkat|rasio)\b|%")


def _is_percent(measure_unit: str | None, name: str) -> bool:
    """Whether an indicator's values are percentages: its Satuan says % (or persen), or it has
    no Satuan and its name says so ("Persentase ...", "Cakupan ...", "... (%)")."""
    if measure_unit:
        return norm(measure_unit) in {"%", "persen", "percent", "prosentase", "persentase"}
    return bool(_PERCENT_NAME.search(norm(name)))


_JOINT = re.compile(r"\s*(?:/|&|\+|;|,|\bdan\b)\s*", re.I)


def _joint_units(ctx: Context, value: object) -> list[str]:
    """The unit ids of a cell naming several units jointly ("Satpol PP / BPBD"); empty when
    the cell names one unit (or is not such a list)."""
    text = cell_text(value)
    if not text or ctx.resolver.resolve(text) is not None:
        return []
    parts = [p for p in _JOINT.split(text) if p.strip()]
    if len(parts) < 2:
        return []
    ids = []
    for p in parts:
        m = ctx.resolver.resolve(p)
        if m is None or m.unit_id is None or ctx.resolver.ambiguous(p):
            return []
        ids.append(m.unit_id)
    return sorted(set(ids)) if len(set(ids)) > 1 else []


def convert_indicators(parts: list[Part], ctx: Context) -> pd.DataFrame:
    rep = ctx.report
    directions, frameworks = _value_map(ctx, "direction"), _value_map(ctx, "framework")
    recs = []
    for part in parts:
        label = part.sheet.label
        unit_default, year_default = sheet_unit(part, ctx), sheet_year(part, ctx)
        srows = list(data_rows(part))
        styles = {_header(part, k): st for k, st in
                  column_styles(part, srows, ["target", "value"], rep).items()}
        for rno, cells in srows:
            rep.rows_read += 1
            n0 = len(rep.problems)
            joint = _joint_units(ctx, cells.get("unit"))
            if norm(cell_text(cells.get("unit"))) in REGION_WORDS:
                uid = None                  # region-wide: entity is the region code
            elif joint:
                uid = None                  # several units jointly: kept at region level
                rep.notes.append(f"{label} row {rno}: {cell_text(cells.get('unit'))!r} names "
                                 f"several units ({', '.join(joint)}): kept as a region-level "
                                 "row (the source column says which units)")
            else:
                uid = row_unit(ctx, part, rno, cells, unit_default, "OPD, or Kabupaten")
            year = row_year(ctx, part, rno, cells, year_default)
            name = cell_text(cells.get("indicator")).strip()
            if not name:
                rep.problem(label, rno, _header(part, "indicator"), None, "indicator name is blank")
            elif len(name) > 300:
                rep.problem(label, rno, _header(part, "indicator"), name[:60] + "...",
                            "indicator name longer than 300 characters: is this the right column?")
            dtext = cell_text(cells.get("direction"))
            direction = _event(dtext, directions) if dtext else None
            if direction is None and dtext:
                rep.problem(label, rno, _header(part, "direction"), dtext or None,
                            "unknown direction; write 'naik' / 'semakin tinggi semakin baik' "
                            "(higher is better) or 'turun' / 'semakin rendah semakin baik' "
                            "(lower is better)")
            ftext = cell_text(cells.get("framework"))
            framework = _event(ftext, frameworks) if ftext else "other"
            if framework is None:
                rep.problem(label, rno, _header(part, "framework"), ftext,
                            "unknown framework; use LPPD IKK, SPM, Ombudsman, IKU, SAKIP or "
                            "lainnya (or leave it blank)")
            nums = {}
            for col in ("target", "value"):
                raw_v = cells.get(col)
                try:
                    nums[col] = parse_number(raw_v, style=styles.get(_header(part, col)))
                except NotANumber as exc:
                    rep.problem(label, rno, _header(part, col), cell_text(raw_v), exc.rule)
            if "value" in nums and nums["value"] is None:
                rep.blank_values += 1
                continue
            if len(rep.problems) > n0:
                continue
            unit_text = cell_text(cells.get("measure_unit")).strip() or None
            if unit_text is None and any("%" in cell_text(cells.get(c)) for c in
                                         ("target", "value")):
                unit_text = "%"
            if _is_percent(unit_text, name):
                for col in ("target", "value"):
                    v = nums.get(col)
                    if v is not None and abs(v) > PERCENT_MAX:
                        rep.problem(label, rno, _header(part, col),
                                    cell_text(cells.get(col)),
                                    f"reads as {v:,.0f} %, over {PERCENT_MAX:,.0f} % for a "
                                    "percentage (three digits after a dot are thousands in "
                                    "the Indonesian way: write 97,125 for ninety-seven and a "
                                    "bit, or give the indicator's Satuan if it is not %)")
                if len(rep.problems) > n0:
                    continue
            source = cell_text(cells.get("source")).strip()
            if joint:
                source = (f"{source}; " if source else "") + "joint units: " + \
                    cell_text(cells.get("unit"))
            recs.append({"region_code": ctx.region, "unit_id": uid,
                         "entity": uid if uid is not None else ctx.region, "year": year,
                         "indicator": name, "indicator_key": indicator_key(name),
                         "framework": framework, "measure_unit": unit_text,
                         "direction": direction, "target": nums.get("target"),
                         "value": float(nums["value"]), "provenance": "user",
                         "source": (f"{source} (user import: {label})" if source
                                    else f"user import: {label}"),
                         "_where": f"{label} row {rno}"})
            rep.rows_kept += 1
    if not recs:
        return pd.DataFrame()
    df = pd.DataFrame(recs)
    df = _keep_once_or_refuse(
        df, ["entity", "year", "framework", "indicator_key"],
        ["value", "target", "direction", "measure_unit"], rep,
        same=lambda g: (f"{g['entity'].iloc[0]} {g['year'].iloc[0]} "
                        f"'{g['indicator'].iloc[0]}' given twice with the same values"),
        conflict=lambda r: ("indicator", r["indicator"],
                            f"conflicting values for {r['entity']} {r['year']} "
                            f"'{r['indicator']}'"))
    df["target"] = df["target"].astype(float)
    return df.drop(columns="_where")
