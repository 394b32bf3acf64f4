"""What every converter shares: the import context, located sheet parts, data rows, and
how a row's unit and year are found and checked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from analysis.data.importers.mapping import Located, Mapping
from analysis.data.importers.read import (
    Sheet,
    cell_text,
    column_style,
    find_year,
    is_blank,
)
from analysis.data.importers.report import Report
from analysis.data.importers.units import UnitResolver


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


def title_unit(part: Part, ctx: Context) -> tuple[str, str] | None:
    """(unit id, title line) of the unit the title rows name, if any."""
    for line in part.loc.title:
        uid = ctx.resolver.find_in(line)
        if uid:
            return uid, line
    return None


_TITLE_YEAR = re.compile(r"(?:tahun|ta|t\.a\.?)\s*(?:anggaran\s*)?(19[9]\d|20\d\d)", re.I)


def title_year(part: Part) -> tuple[int, str] | None:
    """(year, title line) of "TAHUN ANGGARAN 2022" in the title rows, if any."""
    for line in part.loc.title:
        m = _TITLE_YEAR.search(line)
        if m:
            return int(m[1]), line
    return None


def unit_against_title(ctx: Context, part: Part, row: int, uid: str | None) -> bool:
    """False (and a problem naming both) when a row's unit column names another unit than the
    title rows do: which of the two is right cannot be told from the file."""
    t = title_unit(part, ctx)
    if uid is None or t is None or t[0] == uid:
        return True
    key = f"{part.sheet.label}|unit-vs-title|{uid}"
    if key not in ctx.report.once:
        ctx.report.once.add(key)
        ctx.report.problem(part.sheet.label, row, _header(part, "unit"), uid,
                           f"the unit column names {uid} but the title says {t[1]!r} "
                           f"({t[0]}): which one is right? correct the title or the column")
    return False


def sheet_year(part: Part, ctx: Context) -> int | None:
    """--year, else a year in the title rows ("TAHUN ANGGARAN 2022"), the sheet name, or the
    file name (only when exactly one year appears there)."""
    if ctx.year:
        return ctx.year
    t = title_year(part)
    if t:
        return t[0]
    for text in (part.sheet.name, part.sheet.file.stem):
        if text and find_year(text):
            return find_year(text)
    return None


def resolve_unit(ctx: Context, part: Part, row: int, column: str, value: object
                 ) -> tuple[bool, str | None, str | None]:
    """(ok, unit_id, attribution) of a unit cell; an unknown name is a problem with
    suggestions."""
    text = cell_text(value)
    amb = ctx.resolver.ambiguous(text)
    if amb:
        ctx.report.problem(part.sheet.label, row, column, text,
                           "ambiguous unit name: it could be " + "; ".join(amb)
                           + ". Write the full name (or the unit id)")
        return False, None, None
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
        return uid if unit_against_title(ctx, part, row, uid) else None
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
        t = title_year(part)
        if y is not None and t is not None and t[0] != y and ctx.year is None:
            key = f"{part.sheet.label}|year-vs-title|{y}"
            if key not in ctx.report.once:
                ctx.report.once.add(key)
                ctx.report.problem(part.sheet.label, row, _header(part, "year"), y,
                                   f"the year column says {y} but the title says {t[1]!r} "
                                   f"({t[0]}): which one is right? correct the title or the "
                                   "column")
            return None
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
