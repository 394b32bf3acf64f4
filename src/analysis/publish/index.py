"""The index page of a batch of reports: banner, counts, a sortable (and optionally filtered)
table of every report with its status, summary columns and failure message; and
:class:`UnitTable`, the units of a batch as a report kind's loader gives them (ids and titles,
the index page's banner, summary columns and filter column).

The page is ``templates/index.html.j2`` (with ``index.css`` and ``index.js``), rendered with
autoescape by :mod:`analysis.publish.markup`; its words are the catalog's ``index.*`` entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.narrative import fmt
from analysis.narrative.catalog import LANGS, text
from analysis.publish import markup

STATUSES = ("ok", "failed", "skipped")
"""The statuses the index names in words (catalog ``index.<status>``)."""


@dataclass
class UnitTable:
    """What the renderer needs from a kind's units table: ids in order with their display
    names, and for the index page an optional banner, summary columns per unit and the
    column of its drop-down filter (``analysis.publish.render.kinds``)."""

    names: dict[str, str]
    banner: str | None = None
    summary: dict[str, dict[str, Any]] | None = None
    filter_column: str | None = None


def _fmt_value(value: Any, lang: str = "en") -> tuple[str, str | None]:
    """(display text in the page's language, numeric sort key or None)."""
    if isinstance(value, bool) or value is None:
        return ("" if value is None else str(value)), None
    if isinstance(value, int):
        return fmt.general(value, lang), str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return "", None
        return fmt.general(value, lang), repr(value)
    return str(value), None


def build_index_html(
    rows: list[dict],
    *,
    lang: str = "id",
    banner: str | None = None,
    title: str | None = None,
    generated: str | None = None,
    filter_column: str | None = None,
    name_head: str | None = None,
    highlight: tuple[str, ...] | list[str] = (),
    hub: str | None = "../index.html",
) -> str:
    """The index page: banner, counts, and a sortable table of every report. Every value
    from data (titles, messages, summary cells, column names) is HTML-escaped (autoescape).
    With ``filter_column`` (a summary column, e.g. the province of a pemda) a drop-down above
    the table shows only the rows with the chosen value. ``name_head`` is the name column's
    heading (default the catalog's ``index.name``), ``highlight`` the unit ids whose rows are
    highlighted (and listed above the table), ``hub`` the link back to the start page
    (``reports/index.html``; None: no link)."""
    lang = lang if lang in LANGS else LANGS[0]
    summary_cols: list[str] = []
    for r in rows:
        for k in r.get("summary") or {}:
            if k not in summary_cols:
                summary_cols.append(k)
    counts = {"ok": 0, "failed": 0, "skipped": 0}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    heads = [text("index.unit", lang), name_head or text("index.name", lang),
             text("index.status", lang),
             *summary_cols, text("index.seconds", lang), text("index.message", lang)]
    filt = None
    if filter_column and filter_column in summary_cols:
        filt = {"column": filter_column, "index": heads.index(filter_column),
                "values": sorted({str((r.get("summary") or {}).get(filter_column) or "")
                                  for r in rows})}
    return str(markup.render(
        "index.html.j2", lang=lang, title=title or text("index.title", lang),
        banner=markup.banner(lang, text=banner) if banner else "",
        counts={"n": len(rows), "ok": counts["ok"], "skipped": counts["skipped"],
                "failed": counts["failed"]},
        generated=generated, filter=filt, heads=heads, hub=hub,
        rows=[_row(r, summary_cols, lang, set(highlight)) for r in rows],
        highlighted=[r for r in rows if r["unit_id"] in set(highlight)],
        css=markup.safe(markup.asset("index.css")), js=markup.safe(markup.asset("index.js"))))


def _row(r: dict, summary_cols: list[str], lang: str, highlight: set[str] = frozenset()
         ) -> dict:
    """One report's row of the index table, as the template shows it."""
    status = r["status"]
    uid = r["unit_id"]
    stale = status == "failed" and bool(r.get("stale")) and r.get("html")
    href = r.get("html") if status in ("ok", "skipped") or stale else None
    summ = r.get("summary") or {}
    cells = []
    for col in summary_cols:
        shown, key = _fmt_value(summ.get(col), lang)
        cells.append({"text": shown, "key": key})
    secs = r.get("seconds")
    timed = isinstance(secs, int | float) and status != "skipped"
    msg = ""
    if status == "failed":
        where = ""
        if r.get("cell_index") is not None:
            where = f" [{text('index.cell', lang)} {r['cell_index']}, In [{r.get('exec_count')}]]"
        msg = f"{r.get('ename') or 'Error'}{where}: {r.get('evalue') or ''}"
        if stale:
            msg = text("index.stale", lang, when=r.get("rendered_at") or "?") + ". " + msg
    return {"status": status, "unit_id": uid, "title": r.get("title") or uid, "href": href,
            "status_text": text(f"index.{status}", lang) if status in STATUSES else status,
            "highlight": uid in highlight, "cells": cells, "seconds": fmt.number(secs, lang, 1) if timed else None,
            "seconds_key": repr(secs) if timed else None, "message": msg}
