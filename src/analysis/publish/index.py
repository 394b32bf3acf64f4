"""The index page of a batch of reports: banner, counts, a sortable (and optionally filtered)
table of every report with its status, summary columns and failure message."""

from __future__ import annotations

import html
import io
from typing import Any

_LABELS = {
    "id": {
        "title": "Laporan per OPD",
        "unit": "Kode",
        "name": "Nama unit",
        "status": "Status",
        "seconds": "Detik",
        "message": "Pesan",
        "ok": "berhasil",
        "failed": "gagal",
        "skipped": "tidak berubah",
        "generated": "Dibuat",
        "sort": "Klik judul kolom untuk mengurutkan.",
        "summary": "{ok} berhasil, {skipped} tidak berubah, {failed} gagal, dari {n} laporan",
        "cell": "sel",
        "stale": "laporan lama (terakhir berhasil {when}); render terakhir gagal",
    },
    "en": {
        "title": "Unit reports",
        "unit": "Id",
        "name": "Unit name",
        "status": "Status",
        "seconds": "Seconds",
        "message": "Message",
        "ok": "ok",
        "failed": "failed",
        "skipped": "unchanged",
        "generated": "Generated",
        "sort": "Click a column header to sort.",
        "summary": "{ok} ok, {skipped} unchanged, {failed} failed, of {n} reports",
        "cell": "cell",
        "stale": "stale: last good report ({when}); the latest render failed",
    },
}

_INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2327}
h1{font-size:1.5rem;margin:0 0 .5rem}
.banner{background:#b3261e;color:#fff;font-weight:700;padding:.6rem 1rem;margin:0 0 1rem;
 border-radius:4px;letter-spacing:.03em}
.meta{color:#555;font-size:.9rem;margin:.25rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f4f6;cursor:pointer;user-select:none;white-space:nowrap;position:sticky;top:0}
th:focus{outline:2px solid #2563eb}
th[aria-sort=ascending]::after{content:" \\25B2"} th[aria-sort=descending]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failed td{background:#fdecea}
.st-ok{color:#137333}.st-skipped{color:#555}.st-failed{color:#b3261e;font-weight:700}
.msg{white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem;
 max-width:40rem}
"""

# Inline vanilla JS: sort the table by the clicked header (numbers numerically, text by locale).
_INDEX_JS = """
(function(){
  function key(td){
    var v = td.getAttribute('data-sort');
    if (v === null) v = td.textContent.trim();
    var n = Number(v);
    return (v !== '' && isFinite(n)) ? n : v.toLowerCase();
  }
  function cmp(x, y){
    if (typeof x === typeof y) return x < y ? -1 : (x > y ? 1 : 0);
    return typeof x === 'number' ? -1 : 1;
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function(th, col){
      function sort(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function(h){ h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var r = cmp(key(a.cells[col]), key(b.cells[col]));
          return asc ? r : -r;
        });
        rows.forEach(function(r){ body.appendChild(r); });
      }
      th.tabIndex = 0;
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function(e){ if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
  });
})();
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _local(text: str, lang: str) -> str:
    """A plain number as Bahasa Indonesia writes it: decimal comma, true minus sign."""
    return text.replace("-", "\u2212").replace(".", ",") if lang == "id" else text


def _fmt_value(value: Any, lang: str = "en") -> tuple[str, str | None]:
    """(display text in the page's language, numeric sort key or None)."""
    if isinstance(value, bool) or value is None:
        return ("" if value is None else str(value)), None
    if isinstance(value, int):
        return _local(f"{value}", lang), str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return "", None
        return _local(f"{value:.6g}", lang), repr(value)
    return str(value), None


def build_index_html(
    rows: list[dict],
    *,
    lang: str = "id",
    banner: str | None = None,
    title: str | None = None,
    generated: str | None = None,
    filter_column: str | None = None,
) -> str:
    """The index page: banner, counts, and a sortable table of every report. Every value
    from data (titles, messages, summary cells, column names) is HTML-escaped. With
    ``filter_column`` (a summary column, e.g. the province of a pemda) a drop-down above the
    table shows only the rows with the chosen value."""
    lab = _LABELS.get(lang, _LABELS["id"])
    summary_cols: list[str] = []
    for r in rows:
        for k in r.get("summary") or {}:
            if k not in summary_cols:
                summary_cols.append(k)
    counts = {"ok": 0, "failed": 0, "skipped": 0}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    heads = [lab["unit"], lab["name"], lab["status"], *summary_cols, lab["seconds"], lab["message"]]
    out = io.StringIO()
    w = out.write
    page_title = title or lab["title"]
    w(f'<!DOCTYPE html>\n<html lang="{_esc(lang)}">\n<head>\n<meta charset="utf-8">\n')
    w('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    w(f"<title>{_esc(page_title)}</title>\n<style>{_INDEX_CSS}</style>\n</head>\n<body>\n")
    if banner:
        w(f'<div class="banner" role="alert">{_esc(banner)}</div>\n')
    w(f"<h1>{_esc(page_title)}</h1>\n")
    w(f'<p class="meta">{_esc(lab["summary"].format(n=len(rows), **counts))}. ')
    if generated:
        w(f"{_esc(lab['generated'])}: {_esc(generated)}. ")
    w(f"{_esc(lab['sort'])}</p>\n")
    if filter_column and filter_column in summary_cols:
        col = heads.index(filter_column)
        values = sorted({str((r.get("summary") or {}).get(filter_column) or "") for r in rows})
        w(f'<p><label>{_esc(filter_column)}: <select id="rowfilter" data-col="{col}">'
          '<option value="">*</option>')
        for v in values:
            w(f'<option value="{_esc(v)}">{_esc(v)}</option>')
        w("</select></label></p>\n<script>document.getElementById('rowfilter')."
          "addEventListener('change', function(e){var c=+e.target.dataset.col, v=e.target.value;"
          "document.querySelectorAll('table.sortable tbody tr').forEach(function(tr){"
          "tr.style.display=(!v||tr.cells[c].textContent.trim()===v)?'':'none';});});"
          "</script>\n")
    w('<table class="sortable">\n<thead><tr>')
    for h in heads:
        w(f'<th scope="col">{_esc(h)}</th>')
    w("</tr></thead>\n<tbody>\n")
    for r in rows:
        status = r["status"]
        w(f'<tr class="{_esc(status)}">')
        uid = r["unit_id"]
        stale = status == "failed" and bool(r.get("stale")) and r.get("html")
        href = r.get("html") if status in ("ok", "skipped") or stale else None
        if href:
            w(f'<td><a href="{_esc(href)}">{_esc(uid)}</a></td>')
            w(f'<td><a href="{_esc(href)}">{_esc(r.get("title") or uid)}</a></td>')
        else:
            w(f"<td>{_esc(uid)}</td><td>{_esc(r.get('title') or uid)}</td>")
        w(f'<td class="st-{_esc(status)}">{_esc(lab.get(status, status))}</td>')
        summ = r.get("summary") or {}
        for col in summary_cols:
            text, key = _fmt_value(summ.get(col), lang)
            attr = f' data-sort="{_esc(key)}"' if key is not None else ""
            cls = ' class="num"' if key is not None else ""
            w(f"<td{cls}{attr}>{_esc(text)}</td>")
        secs = r.get("seconds")
        if isinstance(secs, int | float) and status != "skipped":
            w(f'<td class="num" data-sort="{secs!r}">{_local(f"{secs:.1f}", lang)}</td>')
        else:
            w("<td></td>")
        msg = ""
        if status == "failed":
            where = ""
            if r.get("cell_index") is not None:
                where = f" [{lab['cell']} {r['cell_index']}, In [{r.get('exec_count')}]]"
            msg = f"{r.get('ename') or 'Error'}{where}: {r.get('evalue') or ''}"
            if stale:
                msg = lab["stale"].format(when=r.get("rendered_at") or "?") + ". " + msg
        w(f'<td class="msg">{_esc(msg)}</td>')
        w("</tr>\n")
    w("</tbody>\n</table>\n")
    w(f"<script>{_INDEX_JS}</script>\n</body>\n</html>\n")
    return out.getvalue()

