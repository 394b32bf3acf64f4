"""One converter per kind of file: located sheets -> rows of a canonical table.

Each converter reads the cells the mapping names, resolves units and years, applies the rules
of its kind (stated in ``docs/importing.md`` and below), records every rejected cell as a
:class:`~analysis.data.schema.Problem` in the report, and returns the canonical rows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.methods import ikm
from analysis.data.importers.mapping import Located, Mapping, load_toml
from analysis.data.importers.read import (
    NotANumber,
    Sheet,
    cell_text,
    column_style,
    find_year,
    is_blank,
    norm,
    parse_date,
    parse_number,
)
from analysis.data.importers.report import Report
from analysis.data.importers.units import UnitResolver
from analysis.data.schema import SKM_ELEMENTS, SPENDING_TYPE_UNSPECIFIED, STAGES


@dataclass
class Context:
    resolver: UnitResolver
    region: str
    unit: str | None        # unit id from --unit (already resolved)
    year: int | None        # --year
    report: Report
    mapping: Mapping


@dataclass
class Part:
    """One located sheet."""

    sheet: Sheet
    loc: Located


def data_rows(part: Part) -> Iterator[tuple[int, dict]]:
    """(spreadsheet row number, {canonical: raw cell}) for each non-blank data row. A row of
    column numbers under the header (1, 2, 3, ...) is skipped."""
    sheet, loc = part.sheet, part.loc
    for i in range(loc.first_data, len(sheet.rows)):
        row = sheet.rows[i]
        cells = {k: (row[c] if c < len(row) else None) for k, c in loc.columns.items()}
        values = [v for v in row if not is_blank(v)]
        if not values:
            continue
        texts = [cell_text(v) for v in values]
        if len(texts) >= 3 and all(t.isdigit() for t in texts) and \
                [int(t) for t in texts] == list(range(int(texts[0]), int(texts[0]) + len(texts))) \
                and int(texts[0]) <= 1:
            continue
        if all(is_blank(v) for v in cells.values()):
            continue
        yield sheet.row_numbers[i], cells


def _header(part: Part, canon: str) -> str:
    return part.loc.headers.get(canon, canon)


# --------------------------------------------------------------------------------------------
# units and years


def sheet_unit(part: Part, ctx: Context) -> str | None:
    """--unit, else a unit named in the title rows, else the sheet name if it names a unit."""
    if ctx.unit:
        return ctx.unit
    for line in part.loc.title:
        uid = ctx.resolver.find_in(line)
        if uid:
            return uid
    if part.sheet.name:
        m = ctx.resolver.resolve(part.sheet.name)
        if m and m.unit_id:
            return m.unit_id
    return None


def sheet_year(part: Part, ctx: Context) -> int | None:
    """--year, else a year in the title rows ("TAHUN ANGGARAN 2022"), the sheet name, or the
    file name (only when exactly one year appears there)."""
    if ctx.year:
        return ctx.year
    for line in part.loc.title:
        m = re.search(r"(?:tahun|ta|t\.a\.?)\s*(?:anggaran\s*)?(19[9]\d|20\d\d)", line, re.I)
        if m:
            return int(m[1])
    for text in (part.sheet.name, part.sheet.file.stem):
        if text and find_year(text):
            return find_year(text)
    return None


def resolve_unit(ctx: Context, part: Part, row: int, column: str, value: object
                 ) -> tuple[bool, str | None, str | None]:
    """(ok, unit_id, attribution) of a unit cell; an unknown name is a problem with
    suggestions."""
    text = cell_text(value)
    m = ctx.resolver.resolve(text)
    if m is None:
        sug = ctx.resolver.suggest(text)
        ctx.report.unknown_units.setdefault(text, sug)
        ctx.report.problem(part.sheet.label, row, column, text, ctx.resolver.unknown_text(text))
        return False, None, None
    return True, m.unit_id, m.attribution


def row_unit(ctx: Context, part: Part, row: int, cells: dict, default: str | None,
             column_hint: str) -> str | None:
    """The row's unit id: its own unit column when filled, else the sheet's/--unit default;
    a problem is recorded (and None returned) when neither names a known unit."""
    if not is_blank(cells.get("unit")):
        _, uid, _ = resolve_unit(ctx, part, row, _header(part, "unit"), cells.get("unit"))
        return uid
    if default is None:
        ctx.report.problem(part.sheet.label, row, None, None,
                           f"unit unknown: give --unit or a unit column ({column_hint})")
    return default


YEAR_MIN = 2000


def year_max() -> int:
    """The last year a file may hold: next year (a budget for it can already be enacted)."""
    import datetime as _dt

    return _dt.date.today().year + 1


def year_rule(y: int) -> str | None:
    """Why a year cannot be right (None when it can)."""
    if YEAR_MIN <= y <= year_max():
        return None
    return (f"year {y} is outside the years data can cover ({YEAR_MIN}-{year_max()}): a typo "
            "or a wrong column? correct the year in the file (or give --year)")


def row_year(ctx: Context, part: Part, row: int, cells: dict, default: int | None
             ) -> int | None:
    y = _row_year(ctx, part, row, cells, default)
    if y is not None and year_rule(y):
        own = not is_blank(cells.get("year"))
        key = f"{part.sheet.label}|year|{y}"
        if own or key not in ctx.report.once:
            ctx.report.once.add(key)
            ctx.report.problem(part.sheet.label, row if own else "-",
                               _header(part, "year") if own else "year (title, sheet or file "
                               "name)", y, year_rule(y))
        return None
    return y


def _row_year(ctx: Context, part: Part, row: int, cells: dict, default: int | None
              ) -> int | None:
    raw = cells.get("year")
    if not is_blank(raw):
        if hasattr(raw, "year") and not isinstance(raw, (int, float)):
            return int(raw.year)
        y = find_year(raw)
        if y is None:
            ctx.report.problem(part.sheet.label, row, _header(part, "year"), cell_text(raw),
                               "no year (YYYY) found in this cell")
        return y
    if default is None and part.sheet.label not in ctx.report.once:
        ctx.report.once.add(part.sheet.label)
        ctx.report.problem(part.sheet.label, row, _header(part, "year") if "year" in
                           part.loc.columns else None, None,
                           "year unknown: give --year, a year column, or 'Tahun Anggaran "
                           "YYYY' in the title")
    return default


def column_styles(part: Part, rows: list[tuple[int, dict]], keys: list[str], rep: Report
                  ) -> dict[str, str | None]:
    """The number convention of each amount column (``read.column_style``); a column that
    mixes English (1,234.50) and Indonesian (1.234,50) numbers is a problem naming the rows
    written the other way, since one of the two is misread whichever rule is applied."""
    out: dict[str, str | None] = {}
    for k in keys:
        vals = [c.get(k) for _, c in rows]
        style, minority = column_style(vals)
        if style == "mixed":
            other = {"id": "Indonesian (1.234,50)", "en": "English (1,234.50)"}
            *minority, (j, w, wst) = minority
            for i, v, st in minority[:5]:
                rep.problem(part.sheet.label, rows[i][0], _header(part, k), cell_text(v),
                            f"mixed number conventions in one column: this cell is written "
                            f"the {other[st]} way, row {rows[j][0]} ({cell_text(w)!r}) the "
                            f"{other[wst]} way, so one of them would be misread; write the "
                            "whole column one way (e.g. 1.234.567,50)")
            style = None
        out[k] = style
    return out


def _source(part: Part) -> str:
    return f"user import: {part.sheet.label}"


# --------------------------------------------------------------------------------------------
# budget

_CODE = re.compile(r"^\d+(\.\d+)*$")
_ORG = re.compile(r"^\d\.\d{2}\.\d\.\d{2}\.\d\.\d{2}\.\d{2}\.\d{4}$")
_PROG_CODE = re.compile(r"^(?:\d|x)\.(?:\d{2}|xx)\.(\d{2})$", re.I)
# Permendagri 13/2006 programme: urusan.bidang.urusan.bidang.unit.NN (1.02.1.02.01.15)
_OLD_PROG = re.compile(r"^\d\.\d{2}\.\d\.\d{2}\.\d{2}\.(\d{2})$")
_OLD_DEEPER = re.compile(r"^\d\.\d{2}\.\d\.\d{2}\.\d{2}\.\d{2}\.\d+")
_PROG_PREFIX = re.compile(r"^\s*(\d\.\d{2}\.\d\.\d{2}\.\d{2}\.\d{2}|(?:\d|x)\.(?:\d{2}|xx)"
                          r"\.\d{2})(?![.\d])\s*(.*)$", re.I)
_ORG_LABEL = re.compile(r"^\s*(organisasi|unit organisasi|skpd|opd|perangkat daerah)\s*:\s*(.+)$",
                        re.I)


class BudgetRules:
    """The classification tables of ``budget_classification.toml``."""

    def __init__(self) -> None:
        raw, _ = load_toml("budget_classification")
        pc = raw["programme_class"]
        self.penunjang_segment = str(pc["penunjang_code_segment"])
        self.old_numbers = {str(n) for n in pc.get("penunjang_numbers_13_2006", [])}
        self.old_last_year = int(pc.get("last_year_13_2006", 2020))
        self.penunjang_names = [norm(n) for n in pc["penunjang_names"]]
        st = raw["spending_type"]
        self.new = sorted(st["permendagri_90_2019"].items(), key=lambda kv: -len(kv[0]))
        self.old = sorted(st["permendagri_13_2006"].items(), key=lambda kv: -len(kv[0]))
        self.text = [(re.compile(p), t) for p, t in st["uraian"].items()]
        self.headings = {norm(h) for h in raw["headings"]["uraian"]}
        self.total_words = sorted((norm(w) for w in raw["headings"]["total_words"]),
                                  key=len, reverse=True)

    def is_programme_code(self, code: str | None) -> bool:
        return bool(code and (_PROG_CODE.match(code) or _OLD_PROG.match(code)))

    def programme_class(self, code: str | None, name: str, year: int | None = None) -> str:
        """penunjang or urusan. A pre-2021 routine programme name wins over any code; then
        the full Permendagri 13/2006 code (programme number 01-06); then the short code
        X.XX.NN: the 13/2006 numbers for budgets up to 2020, segment 01 from 2021
        (Permendagri 90/2019; also when the year is unknown)."""
        n = norm(name)
        n = re.sub(r"^[\dx ]+(?=program)", "", n)
        if n and not n.startswith("program"):
            n = "program " + n
        if any(n.startswith(p) for p in self.penunjang_names):
            return "penunjang"
        if code:
            m = _OLD_PROG.match(code)
            if m:
                return "penunjang" if m[1] in self.old_numbers else "urusan"
            m = _PROG_CODE.match(code)
            if m:
                if year is not None and year <= self.old_last_year:
                    return "penunjang" if m[1] in self.old_numbers else "urusan"
                return "penunjang" if m[1] == self.penunjang_segment else "urusan"
        return "urusan"

    def spending_type(self, code: str | None, desc: str) -> str | None:
        if code:
            segs = code.split(".")
            if len(segs) >= 3:
                table = self.new if len(segs[2]) == 2 else self.old
                for prefix, t in table:
                    if code == prefix or code.startswith(prefix + "."):
                        return t
        n = norm(desc)
        for rx, t in self.text:
            if rx.search(n):
                return t
        return None

    def is_total(self, *texts: str) -> bool:
        for t in texts:
            n = norm(t)
            if any(n == w or n.startswith(w + " ") for w in self.total_words):
                return True
        return False


def _code(value: object) -> str | None:
    t = cell_text(value).replace(" ", "").rstrip(".")
    return t if t and _CODE.match(t) else None


def _is_account(code: str) -> bool:
    segs = code.split(".")
    return segs[0] in {"4", "5", "6"} and (len(segs) == 1 or len(segs[1]) == 1)


def _row_where(ctx: Context, part: Part, rno: int, cells: dict, unit_ctx: str | None,
               year_default: int | None, desc: str) -> tuple[str | None, int | None]:
    """(unit, year) of a budget row: its unit column, else the organisation row above /
    --unit / title; a problem is recorded when neither is known."""
    unit = unit_ctx
    if not is_blank(cells.get("unit")):
        ok, unit, _ = resolve_unit(ctx, part, rno, _header(part, "unit"), cells.get("unit"))
        if not ok:
            return None, None
    if unit is None:
        ctx.report.problem(part.sheet.label, rno, None, desc,
                           "unit unknown: give --unit, a unit column (OPD/SKPD) or an "
                           "organisation row above")
        return None, None
    return unit, row_year(ctx, part, rno, cells, year_default)


def convert_budget(parts: list[Part], ctx: Context) -> pd.DataFrame:
    rules = BudgetRules()
    rep = ctx.report
    programme_level = ctx.mapping.raw.get("level") == "programme"
    details: list[dict] = []
    for part in parts:
        label = part.sheet.label
        rows = list(data_rows(part))
        rep.rows_read += len(rows)
        stages = [s for s in STAGES if s in part.loc.columns]
        for s in list(stages):
            if all(is_blank(c.get(s)) for _, c in rows):
                stages.remove(s)
                rep.notes.append(f"{label}: column '{_header(part, s)}' is empty; no "
                                 f"'{s}' rows from this sheet")
        styles = column_styles(part, rows, stages, rep)
        unit_default = sheet_unit(part, ctx)
        year_default = sheet_year(part, ctx)
        unit_ctx, prog, block, last_prog = unit_default, None, 0, None
        candidates: list[dict] = []
        prog_rows: list[dict] = []   # programme rows with amounts (programme-level files)

        for rno, cells in rows:
            code = _code(cells.get("code"))
            code_text = "" if code else cell_text(cells.get("code"))
            desc = cell_text(cells.get("description"))
            amounts: dict[str, float | None] = {}
            bad = False
            for s in stages:
                try:
                    amounts[s] = parse_number(cells.get(s), style=styles.get(s),
                                              percent=False, amount=True)
                except NotANumber as exc:
                    rep.problem(label, rno, _header(part, s), cell_text(cells.get(s)),
                                exc.rule)
                    bad = True
            has_amount = any(v not in (None, 0.0) for v in amounts.values())
            if rules.is_total(code_text, desc):
                rep.subtotal_rows += 1
                continue
            if not is_blank(cells.get("programme")):
                ptext = cell_text(cells.get("programme"))
                m = _PROG_PREFIX.match(ptext)
                if ptext != last_prog:
                    block += 1
                last_prog, prog = ptext, ((m[1], m[2]) if m else (None, ptext))
            if code and not _is_account(code):
                block += 1
                if _ORG.match(code):
                    ok, uid, _ = resolve_unit(ctx, part, rno, _header(part, "description"), desc)
                    unit_ctx = uid if ok else None
                elif rules.is_programme_code(code):
                    prog = (code, desc)
                    if has_amount and not bad:
                        prog_rows.append({"row": rno, "cells": cells, "code": code,
                                          "desc": desc, "amounts": amounts,
                                          "unit_ctx": unit_ctx})
                rep.subtotal_rows += 1
                continue
            if code is None:
                om = _ORG_LABEL.match(desc) or _ORG_LABEL.match(code_text)
                if om:
                    ok, uid, _ = resolve_unit(ctx, part, rno, _header(part, "description"),
                                              om[2])
                    unit_ctx, block = (uid if ok else None), block + 1
                    rep.subtotal_rows += 1
                    continue
                if norm(desc).startswith("program") or norm(code_text).startswith("program") \
                        or (programme_level and has_amount and not bad):
                    m = _PROG_PREFIX.match(desc or code_text)
                    prog = (m[1], m[2]) if m else (None, desc or code_text)
                    if has_amount and not bad:
                        prog_rows.append({"row": rno, "cells": cells, "code": prog[0],
                                          "desc": prog[1], "amounts": amounts,
                                          "unit_ctx": unit_ctx})
                    block += 1
                    rep.subtotal_rows += 1
                    continue
                if norm(desc) in rules.headings:
                    rep.subtotal_rows += 1
                    continue
                if norm(desc).startswith(("pendapatan", "pembiayaan", "penerimaan",
                                          "pengeluaran pembiayaan")):
                    rep.non_spending_rows += 1
                    continue
                if not has_amount and not bad:
                    rep.subtotal_rows += 1   # a heading without amounts
                    continue
            elif code.split(".")[0] != "5":
                rep.non_spending_rows += 1
                continue
            if bad:
                continue
            unit, year = _row_where(ctx, part, rno, cells, unit_ctx, year_default, desc)
            if unit is None or year is None:
                continue
            candidates.append({"row": rno, "label": label, "code": code, "desc": desc,
                               "block": block, "unit_id": unit, "year": year,
                               "programme_class": rules.programme_class(*prog, year)
                               if prog else None,
                               **{s: amounts.get(s) for s in stages}, "_stages": stages})
        if not candidates and prog_rows:
            # a programme-level file (e.g. a "PK perubahan" sheet): programme, amounts per
            # stage, no account rows. Each programme row is one row of spending type
            # "unspecified"; its class comes from its code and name.
            rep.notes.append(f"{label}: no account rows; read at programme level "
                             f"({len(prog_rows)} programme rows, spending type "
                             "'unspecified')")
            rep.subtotal_rows -= len(prog_rows)
            for pr in prog_rows:
                unit, year = _row_where(ctx, part, pr["row"], pr["cells"], pr["unit_ctx"],
                                        year_default, pr["desc"])
                if unit is None or year is None:
                    continue
                details.append({"row": pr["row"], "label": label, "code": pr["code"],
                                "desc": pr["desc"], "unit_id": unit, "year": year,
                                "programme_class": rules.programme_class(pr["code"],
                                                                         pr["desc"], year),
                                "spending_type": SPENDING_TYPE_UNSPECIFIED,
                                **{s: pr["amounts"].get(s) for s in stages},
                                "_stages": stages})
            continue
        # sub-totals by code depth: an account with a deeper account below it in its block
        by_block: dict[int, list[dict]] = {}
        for c in candidates:
            by_block.setdefault(c["block"], []).append(c)
        for items in by_block.values():
            codes = [c["code"] for c in items if c["code"]]
            seen: dict[tuple, int] = {}
            for c in items:
                if c["code"] and any(o.startswith(c["code"] + ".") for o in codes):
                    rep.subtotal_rows += 1
                    continue
                key = (c["code"], norm(c["desc"]), c["unit_id"], c["year"],
                       *(c.get(s) for s in c["_stages"]))
                if key in seen:
                    rep.problem(c["label"], c["row"], _header(part, "code"), c["code"] or
                                c["desc"], f"duplicate of row {seen[key]} (same account, "
                                "description and amounts in the same programme/activity): "
                                "remove one, or distinguish them")
                    continue
                seen[key] = c["row"]
                c["spending_type"] = rules.spending_type(c["code"], c["desc"])
                if c["spending_type"] is None:
                    rep.problem(c["label"], c["row"], _header(part, "code") if c["code"] else
                                _header(part, "description"), c["code"] or c["desc"],
                                "spending type unknown: not a belanja account of "
                                "budget_classification.toml and the description names no "
                                "type")
                    continue
                if c["programme_class"] is None:
                    rep.problem(c["label"], c["row"], None, c["code"] or c["desc"],
                                "programme unknown: the file has no programme row above this "
                                "row and no Program column")
                    continue
                details.append(c)
    # the same unit, year and stage from two sheets (or files): a summary sheet next to its
    # detail sheets, or the same data twice; summing them would double the budget
    where: dict[tuple, dict[str, int]] = {}
    for c in details:
        for s in c["_stages"]:
            where.setdefault((c["unit_id"], c["year"], s), {}).setdefault(c["label"], c["row"])
    for (uid, year, s), labels in sorted(where.items()):
        if len(labels) > 1:
            (l1, _r1), (l2, r2) = list(labels.items())[:2]
            rep.problem(l2, r2, None, f"{uid} {year} {s}",
                        f"the same unit, year and stage is also in {l1}: a summary sheet "
                        "(Rekap) next to its detail sheets, or the same data twice? It would "
                        "be summed twice: import one of them (--sheet NAME) or remove the "
                        "other")
    rep.rows_kept = len(details)
    out = []
    for c in details:
        for s in c["_stages"]:
            v = c.get(s)
            out.append({"unit_id": c["unit_id"], "year": c["year"], "stage": s,
                        "programme_class": c["programme_class"],
                        "spending_type": c["spending_type"],
                        "amount_idr": 0.0 if v is None else float(v),
                        "label": c["label"], "row": c["row"]})
    if not out:
        return pd.DataFrame()
    df = pd.DataFrame(out)
    keys = ["unit_id", "year", "stage", "programme_class", "spending_type"]
    agg = df.groupby(keys, sort=True).agg(
        amount_idr=("amount_idr", "sum"),
        source=("label", lambda s: "user import: " + ", ".join(sorted(set(s)))),
        rows=("row", lambda s: ", ".join(str(r) for r in list(s)[:10]))).reset_index()
    for _, r in agg[agg["amount_idr"] < 0].iterrows():
        rep.problem(r["source"].removeprefix("user import: "), r["rows"], r["stage"],
                    r["amount_idr"], f"negative total for {r['unit_id']} {r['year']} "
                    f"{r['programme_class']}/{r['spending_type']} (amounts must sum to >= 0)")
    agg.insert(0, "region_code", ctx.region)
    agg["provenance"] = "user"
    counts = agg.groupby("programme_class")["amount_idr"].size().to_dict()
    rep.notes.append("rows per programme class: " + ", ".join(f"{k} {v}" for k, v in
                                                             sorted(counts.items())))
    return agg[["region_code", "unit_id", "year", "stage", "programme_class", "spending_type",
                "amount_idr", "provenance", "source"]]


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
    respondents kept) next to the IKM of the stored respondents, so the effect of the rule is
    visible."""
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
        by_rule = ikm.ikm_from_responses(raw).set_index(["unit_id", "year"])
    except ValueError as exc:
        rep.notes.append(f"IKM by the ikm.py rule not computable: {exc}")
        return
    stored = (ikm.ikm_from_responses(kept).set_index(["unit_id", "year"])
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
    keys = ["unit_id", "year", "indicator"]
    dup = df.duplicated(keys, keep=False)
    drop = pd.Series(False, index=df.index)
    for _, g in df[dup].groupby(keys):
        where = ", ".join(g["_where"])
        if g["value"].nunique() == 1:
            rep.duplicates.append(f"{g['unit_id'].iloc[0]} {g['year'].iloc[0]} "
                                  f"{g['indicator'].iloc[0]} given twice with the same value: "
                                  f"{where} (kept once)")
            drop[g.index[1:]] = True
        else:
            first = g.iloc[0]["_where"]
            for _, r in g.iloc[1:].iterrows():
                lab, _, row = r["_where"].rpartition(" row ")
                rep.problem(lab, row, r["indicator"], r["value"],
                            f"conflicting value for {r['unit_id']} {r['year']} "
                            f"{r['indicator']} (also given in {first})")
    df = df[~drop]
    df["n"] = pd.array(df["n"], dtype="Int64")
    return df.drop(columns="_where")


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
            if norm(cell_text(cells.get("unit"))) in REGION_WORDS:
                uid = None                  # region-wide: entity is the region code
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
            if direction is None:
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
            source = cell_text(cells.get("source")).strip()
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
    keys = ["entity", "year", "framework", "indicator_key"]
    dup = df.duplicated(keys, keep=False)
    drop = pd.Series(False, index=df.index)
    for _, g in df[dup].groupby(keys):
        where = ", ".join(g["_where"])
        same = g[["value", "target", "direction", "measure_unit"]].astype(str).nunique().max() == 1
        if same:
            rep.duplicates.append(f"{g['entity'].iloc[0]} {g['year'].iloc[0]} "
                                  f"'{g['indicator'].iloc[0]}' given twice with the same "
                                  f"values: {where} (kept once)")
            drop[g.index[1:]] = True
        else:
            first = g.iloc[0]["_where"]
            for _, r in g.iloc[1:].iterrows():
                lab, _, row = r["_where"].rpartition(" row ")
                rep.problem(lab, row, "indicator", r["indicator"],
                            f"conflicting values for {r['entity']} {r['year']} "
                            f"'{r['indicator']}' (also given in {first})")
    df = df[~drop]
    df["target"] = df["target"].astype(float)
    return df.drop(columns="_where")


CONVERTERS = {
    "budget": ("budget", convert_budget),
    "innovations": ("innovations", convert_innovations),
    "skm": ("skm_responses", convert_skm),
    "service": ("service", convert_service),
    "leadership": ("leadership", convert_leadership),
    "indicators": ("indicators", convert_indicators),
}
DEFAULT_MAPPING = {
    "budget": "sipd_lra_budget",
    "innovations": "iid_innovations",
    "skm": "skm_survey",
    "service": "service_long",     # service_wide is chosen when its header fits better
    "leadership": "leadership",
    "indicators": "indicators_long",
}
