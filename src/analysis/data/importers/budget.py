"""Budget files (SIPD / LRA account-level, or programme-level): rows of ``budget``; the
programme classification (penunjang or urusan, post-2021 and Permendagri 13/2006 codes and
the old routine programme names) and the spending type of each account."""

from __future__ import annotations

import re

import pandas as pd

from analysis.data.importers.mapping import load_toml
from analysis.data.importers.read import (
    SCALE_WORDS,
    NotANumber,
    cell_text,
    is_blank,
    norm,
    parse_number,
    scale_in,
)
from analysis.data.importers.rows import (
    Context,
    Part,
    _header,
    column_styles,
    data_rows,
    resolve_unit,
    row_year,
    sheet_unit,
    sheet_year,
    unit_against_title,
)
from analysis.data.schema import SPENDING_TYPE_UNSPECIFIED, STAGES

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
        if not ok or not unit_against_title(ctx, part, rno, unit):
            return None, None
    if unit is None:
        ctx.report.problem(part.sheet.label, rno, None, desc,
                           "unit unknown: give --unit, a unit column (OPD/SKPD) or an "
                           "organisation row above")
        return None, None
    return unit, row_year(ctx, part, rno, cells, year_default)


# Total rows that state the whole sheet's total (checked against the rows read).
GRAND_TOTALS = {"jumlah", "total", "jumlah total", "grand total", "total keseluruhan",
                "jumlah keseluruhan", "jumlah belanja", "total belanja", "jumlah belanja daerah",
                "total belanja daerah", "jumlah seluruhnya"}


def _rp(x: float) -> str:
    """12345678.5 -> '12.345.678,50' (integers without decimals)."""
    if float(x).is_integer():
        return f"{x:,.0f}".replace(",", ".")
    return f"{x:,.2f}".replace(",", "x").replace(".", ",").replace("x", ".")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(1.0, 1e-9 * max(abs(a), abs(b)))


def _rows_text(rows: list[int]) -> str:
    rows = sorted(rows)
    if len(rows) > 6:
        return f"rows {rows[0]}-{rows[-1]} ({len(rows)} rows)"
    return "rows " + ", ".join(str(r) for r in rows)


def sheet_scales(part: Part, stages: list[str], rep) -> dict[str, float] | None:
    """The scale of each amount column: a scale phrase in the title rows ("(dalam ribuan
    rupiah)", "dalam jutaan", "Rp 000") applies to every column, one in a header to its column.
    Two different scales (title and header) are a problem naming both; None then."""
    label = part.sheet.label
    title = next(((sc, line) for line in part.loc.title if (sc := scale_in(line))), None)
    out: dict[str, float] = {}
    ok = True
    for s in stages:
        head = part.loc.headers.get(s, "")
        hs = scale_in(head)
        if hs and title and hs[0] != title[0][0]:
            rep.problem(label, part.sheet.row_numbers[part.loc.header_rows[-1]], head,
                        hs[1], f"the header says {hs[1]!r} ({SCALE_WORDS[hs[0]]}) but the "
                        f"title says {title[0][1]!r} ({SCALE_WORDS[title[0][0]]}) in "
                        f"{title[1]!r}: which scale is right? correct one of them")
            ok = False
            continue
        sc = hs or (title[0] if title else None)
        out[s] = sc[0] if sc else 1.0
        if sc:
            where = f"header {head!r}" if hs else f"title {title[1]!r}"
            rep.notes.append(f"{label}: column '{head}' in {SCALE_WORDS[sc[0]]} of rupiah "
                             f"({sc[1]!r} in the {where}): amounts multiplied by "
                             f"{_rp(sc[0])}")
    return out if ok else None


def _check_total(rep, label: str, header: str, total: dict | None, items: list[dict],
                 stages: list[str], what: str) -> None:
    """The sheet's own total row against the sum of the rows read: a mismatch is a problem
    naming both numbers and the rows."""
    if total is None or not items:
        return
    if len({(c["unit_id"], c["year"]) for c in items}) > 1:
        return   # a total over several units or years is not one of ours to check
    for s in stages:
        t = total["amounts"].get(s)
        if t is None:
            continue
        got = sum(c.get(s) or 0.0 for c in items)
        if not _close(got, t):
            rep.problem(label, total["row"], header.get(s, s) if isinstance(header, dict)
                        else header, _rp(t),
                        f"the file's own total ({total['desc']!r}, row {total['row']}) is "
                        f"{_rp(t)} but the {what} read sum to {_rp(got)} "
                        f"({_rows_text([c['row'] for c in items])}): a row counted twice "
                        "(an activity or sub-total read as one more item) or a row missing; "
                        "check the rows (or the total) and import again")


def _programme_level(prog_rows: list[dict], rules, stages: list[str], rep, label: str,
                     headers: dict) -> list[dict]:
    """One level of a programme-level sheet: programme rows, with the activity (kegiatan) and
    sub-activity rows under them recognised and not counted again. A programme's amount is its
    own row's; a programme row without amounts takes the sum of its activities (or, without
    those, of its sub-activities). A programme row whose activities sum to another amount is a
    problem naming both. Code-less rows that are neither "Program ..." nor "Kegiatan ..." are
    activities when the programme row above them holds exactly their sum, else programmes."""
    items = [dict(r) for r in prog_rows]
    # undetermined names: activities of the programme above when it holds exactly their sum
    i = 0
    while i < len(items):
        if items[i]["kind"] != "programme":
            i += 1
            continue
        j = i + 1
        while j < len(items) and items[j]["kind"] == "name":
            j += 1
        names = items[i + 1:j]
        p = items[i]
        if names:
            own = {s: p["amounts"].get(s) for s in stages if p["amounts"].get(s) is not None}
            sums = {s: sum(n["amounts"].get(s) or 0.0 for n in names) for s in own}
            children = bool(own) and all(_close(sums[s], own[s]) for s in own)
            for n in names:
                n["kind"], n["depth"] = ("activity", 1) if children else ("programme", 0)
        i = j
    for it in items:
        if it["kind"] == "name":
            it["kind"] = "programme"
    out: list[dict] = []
    k = 0
    while k < len(items):
        p = items[k]
        k += 1
        if p["kind"] != "programme":
            continue   # an activity without a programme above: the programme row holds it
        kids = []
        while k < len(items) and items[k]["kind"] == "activity":
            kids.append(items[k])
            k += 1
        amounts = dict(p["amounts"])
        for depth in (1, 2):
            level = [c for c in kids if c["depth"] == depth and
                     any(c["amounts"].get(s) is not None for s in stages)]
            if not level:
                continue
            for s in stages:
                got = sum(c["amounts"].get(s) or 0.0 for c in level)
                if all(c["amounts"].get(s) is None for c in level):
                    continue
                if amounts.get(s) is None:
                    amounts[s] = got
                elif not _close(got, amounts[s]):
                    rep.problem(label, p["row"], headers.get(s, s), _rp(amounts[s]),
                                f"programme {p['desc']!r} (row {p['row']}) has "
                                f"{_rp(amounts[s])} but its {'activities' if depth == 1 else 'sub-activities'} "
                                f"sum to {_rp(got)} ({_rows_text([c['row'] for c in level])}): "
                                "which is right? correct the rows and import again")
            break
        if not any(v not in (None, 0.0) for v in amounts.values()):
            continue   # a heading without amounts and without activities with amounts
        out.append({**p, "amounts": amounts, "kids": len(kids)})
    n_act = sum(1 for it in items if it["kind"] == "activity")
    if n_act:
        rep.notes.append(f"{label}: {n_act} activity (kegiatan) rows under the programmes "
                         "recognised and not counted again (one level summed: programmes)")
    return out


def _codeless_subtotals(items: list[dict], stages: list[str], rep, label: str,
                        headers: dict) -> set[int]:
    """Code-less rows with amounts ("Belanja Pegawai" with its amount) above coded accounts of
    the same programme/activity: sub-totals of the coded accounts up to the next code-less
    row, never added to them. Their amount must equal the accounts' sum (a problem naming both
    otherwise). Returns the ids of those rows."""
    out: set[int] = set()
    for i, c in enumerate(items):
        if c["code"]:
            continue
        below = []
        for o in items[i + 1:]:
            if not o["code"]:
                break
            below.append(o)
        codes = [o["code"] for o in below]
        leaves = [o for o in below if not any(x.startswith(o["code"] + ".") for x in codes)]
        if not leaves:
            continue
        out.add(id(c))
        for s in stages:
            if c.get(s) is None:
                continue
            got = sum(o.get(s) or 0.0 for o in leaves)
            if not _close(got, c[s]):
                rep.problem(label, c["row"], headers.get(s, s), _rp(c[s]),
                            f"the sub-total row {c['desc']!r} (row {c['row']}, no account "
                            f"code) has {_rp(c[s])} but the accounts under it sum to "
                            f"{_rp(got)} ({_rows_text([o['row'] for o in leaves])}): which is "
                            "right? correct the rows and import again")
    return out


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
        scales = sheet_scales(part, stages, rep)
        if scales is None:
            continue
        headers = {s: _header(part, s) for s in stages}
        total_row: dict | None = None
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
                    if amounts[s] is not None and scales.get(s, 1.0) != 1.0:
                        amounts[s] *= scales[s]
                except NotANumber as exc:
                    rep.problem(label, rno, _header(part, s), cell_text(cells.get(s)),
                                exc.rule)
                    bad = True
            has_amount = any(v not in (None, 0.0) for v in amounts.values())
            if rules.is_total(code_text, desc):
                rep.subtotal_rows += 1
                if norm(desc or code_text) in GRAND_TOTALS and has_amount and not bad:
                    total_row = {"row": rno, "desc": desc or code_text, "amounts": amounts}
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
                    if (has_amount or programme_level) and not bad:
                        prog_rows.append({"row": rno, "cells": cells, "code": code,
                                          "desc": desc, "amounts": amounts,
                                          "unit_ctx": unit_ctx, "kind": "programme",
                                          "depth": 0})
                elif prog and prog[0] and code.startswith(prog[0] + ".") and not bad:
                    # an activity (kegiatan) or sub-activity code under the programme
                    depth = 1 if len(code.split(".")) - len(prog[0].split(".")) <= 1 or \
                        len(code.split(".")) <= 5 else 2
                    prog_rows.append({"row": rno, "cells": cells, "code": code, "desc": desc,
                                      "amounts": amounts, "unit_ctx": unit_ctx,
                                      "kind": "activity", "depth": depth})
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
                nd = norm(desc or code_text)
                is_prog = nd.startswith("program") or \
                    rules.programme_class(None, desc or code_text) == "penunjang"
                if programme_level and not bad and (has_amount or nd) and not is_prog and (
                        nd.startswith(("kegiatan", "sub kegiatan", "subkegiatan"))
                        or (prog is not None and prog[0] and has_amount)
                        or (prog is not None and has_amount)):
                    kind = ("activity" if nd.startswith(("kegiatan", "sub kegiatan",
                                                         "subkegiatan"))
                            or (prog is not None and prog[0]) else "name")
                    prog_rows.append({"row": rno, "cells": cells, "code": None, "desc": desc,
                                      "amounts": amounts, "unit_ctx": unit_ctx, "kind": kind,
                                      "depth": 2 if nd.startswith(("sub kegiatan",
                                                                   "subkegiatan")) else 1})
                    rep.subtotal_rows += 1
                    continue
                if nd.startswith("program") or (programme_level and has_amount and not bad):
                    m = _PROG_PREFIX.match(desc or code_text)
                    prog = (m[1], m[2]) if m else (None, desc or code_text)
                    if (has_amount or programme_level) and not bad:
                        prog_rows.append({"row": rno, "cells": cells, "code": prog[0],
                                          "desc": prog[1], "amounts": amounts,
                                          "unit_ctx": unit_ctx, "kind": "programme",
                                          "depth": 0})
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
        if not candidates and any(p["kind"] != "programme" or
                                  any(v not in (None, 0.0) for v in p["amounts"].values())
                                  for p in prog_rows):
            # a programme-level file (e.g. a "PK perubahan" sheet): programme, amounts per
            # stage, no account rows. Each programme row is one row of spending type
            # "unspecified"; its class comes from its code and name.
            n0 = len(rep.problems)
            prog_rows = _programme_level(prog_rows, rules, stages, rep, label, headers)
            if len(rep.problems) > n0:
                continue
            rep.notes.append(f"{label}: no account rows; read at programme level "
                             f"({len(prog_rows)} programme rows, spending type "
                             "'unspecified')")
            rep.subtotal_rows -= len(prog_rows)
            sheet_items: list[dict] = []
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
                sheet_items.append(details[-1])
            _check_total(rep, label, headers, total_row, sheet_items, stages, "programmes")
            continue
        # sub-totals by code depth: an account with a deeper account below it in its block
        by_block: dict[int, list[dict]] = {}
        for c in candidates:
            by_block.setdefault(c["block"], []).append(c)
        sheet_items = []
        for items in by_block.values():
            codes = [c["code"] for c in items if c["code"]]
            seen: dict[tuple, int] = {}
            heads = _codeless_subtotals(items, stages, rep, label, headers)
            for c in items:
                if c["code"] and any(o.startswith(c["code"] + ".") for o in codes):
                    rep.subtotal_rows += 1
                    continue
                if id(c) in heads:
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
                sheet_items.append(c)
        _check_total(rep, label, headers, total_row, sheet_items, stages, "accounts")
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
