"""The run's record: one manifest row per unit, and the files written at the end of a run.

Rows (docs/rendering.md, *Output folder and manifest*): :func:`skipped_row` for an unchanged
report, :func:`store_result` for a unit that ran (it writes ``<uid>.html`` and ``<uid>.hash``
atomically, or keeps an earlier report marked stale on failure), :func:`carried_rows` for
reports of earlier runs that this run did not ask for. :func:`write_run_files` writes
``manifest.json``, ``manifest.csv`` and ``index.html``."""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from analysis.data.store import atomic_write
from analysis.publish.index import build_index_html
from analysis.publish.render.units import UNIT_ID_RE, InvalidUnitError, safe_output_path

MANIFEST_SCHEMA = 1
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
INDEX_HTML = "index.html"

CSV_FIELDS = [
    "unit_id",
    "title",
    "status",
    "seconds",
    "started",
    "html",
    "content_hash",
    "attempts",
    "cell_index",
    "exec_count",
    "ename",
    "evalue",
    "html_bytes",
    "in_run",
]

STATUSES = ("ok", "failed", "skipped")


def now() -> str:
    """The manifest's timestamps: UTC, ISO 8601, whole seconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def count_statuses(rows: Iterable[Mapping]) -> dict[str, int]:
    """``{"ok": n, "failed": n, "skipped": n}`` over ``rows``."""
    out = dict.fromkeys(STATUSES, 0)
    for r in rows:
        out[r["status"]] = out.get(r["status"], 0) + 1
    return out


def load_previous_manifest(out_dir: Path) -> dict[str, dict]:
    """The rows of the last run's ``manifest.json`` by unit id (empty when none is readable)."""
    try:
        data = json.loads((out_dir / MANIFEST_JSON).read_text(encoding="utf-8"))
        return {
            r["unit_id"]: r
            for r in data.get("units", [])
            if isinstance(r, dict)
            and isinstance(r.get("unit_id"), str)
            and UNIT_ID_RE.match(r["unit_id"])
        }
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return {}


def skipped_row(uid: str, title: str, content_hash: str, html_path: Path, prev: Mapping) -> dict:
    """The row of a unit whose report is unchanged (nothing ran)."""
    return {
        "unit_id": uid,
        "title": title,
        "status": "skipped",
        "seconds": 0.0,
        "started": None,
        "html": html_path.name,
        "content_hash": content_hash,
        "attempts": 0,
        "cell_index": None,
        "exec_count": None,
        "ename": None,
        "evalue": None,
        "html_bytes": html_path.stat().st_size,
        "rendered_at": prev.get("rendered_at"),
        "in_run": True,
    }


def store_result(task: dict, res: dict, paths: tuple[Path, Path]) -> dict:
    """Write one finished unit's files (parent side) and return its manifest row."""
    html_path, hash_path = paths
    uid = task["unit_id"]
    row = {
        "unit_id": uid,
        "title": task["title"],
        "status": res.get("status", "failed"),
        "seconds": res.get("seconds"),
        "started": res.get("started"),
        "html": None,
        "content_hash": task["content_hash"],
        "attempts": res.get("attempts"),
        "cell_index": res.get("cell_index"),
        "exec_count": res.get("exec_count"),
        "ename": res.get("ename"),
        "evalue": res.get("evalue"),
        "html_bytes": None,
        "rendered_at": None,
        "in_run": True,
    }
    if row["status"] == "ok" and res.get("html"):
        try:
            data = res["html"].encode("utf-8")
            atomic_write(html_path, data)
            atomic_write(hash_path, task["content_hash"] + "\n")
            row.update(html=html_path.name, html_bytes=len(data), rendered_at=now())
            return row
        except OSError as exc:
            row.update(status="failed", ename=type(exc).__name__, evalue=str(exc))
    elif row["status"] == "ok":
        row.update(status="failed", ename="EmptyReport", evalue="the conversion returned no HTML")
    row["status"] = "failed"
    row["traceback"] = res.get("traceback")
    # A failed unit keeps the last good report of an earlier run, marked stale (the index
    # links it with the error and when it was rendered); its hash sidecar goes, so the next
    # run tries again.
    with contextlib.suppress(OSError):
        hash_path.unlink()
    if html_path.is_file():
        with contextlib.suppress(OSError):
            st = html_path.stat()
            when = _dt.datetime.fromtimestamp(st.st_mtime, _dt.UTC).isoformat(
                timespec="seconds")
            row.update(html=html_path.name, html_bytes=st.st_size, rendered_at=when,
                       stale=True)
    return row


def jsonable(v: Any) -> Any:
    """A summary value as JSON: numbers, text, booleans and None as they are, NaN as None,
    numpy scalars as Python numbers, anything else as its text."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return None if v != v else v
    if hasattr(v, "item"):  # numpy scalars
        with contextlib.suppress(Exception):
            return jsonable(v.item())
    return str(v)


def attach_summaries(rows: dict[str, dict], ids: Iterable[str],
                     summary: Mapping[str, Mapping[str, Any]],
                     previous: Mapping[str, dict]) -> None:
    """Give each row of this run its index columns: from ``summary``, or for an unchanged
    report the columns it had in the last run."""
    for uid in ids:
        if uid in summary:
            rows[uid]["summary"] = {str(k): jsonable(v) for k, v in summary[uid].items()}
        elif previous.get(uid, {}).get("summary") and rows[uid]["status"] == "skipped":
            rows[uid]["summary"] = previous[uid]["summary"]


def carried_rows(previous: Mapping[str, dict], rows: Mapping[str, dict], out: Path,
                 registry: Iterable[str] | None = None) -> list[dict]:
    """Rows of earlier runs' reports this run did not ask for (``in_run: false``), so
    ``--units x`` does not drop the other units from the index: only units still in the
    registry whose report still exists (a failed unit's row is kept, without its link when
    the stale report is gone)."""
    known = set(registry) if registry is not None else None
    carried = []
    for uid, prev in previous.items():
        if uid in rows or (known is not None and uid not in known):
            continue
        try:
            html_path = safe_output_path(out, uid)
        except InvalidUnitError:
            continue
        if prev.get("status") in ("ok", "skipped") and not html_path.is_file():
            continue
        if prev.get("stale") and not html_path.is_file():
            prev = {**prev, "stale": False, "html": None}
        carried.append({**prev, "in_run": False})
    return carried


def manifest_csv(rows: list[dict]) -> str:
    """The unit rows, flat (no traceback or summary)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CSV_FIELDS})
    return buf.getvalue()


def write_run_files(out: Path, manifest: dict, *, lang: str, banner: str | None,
                    title: str | None = None, filter_column: str | None = None,
                    name_head: str | None = None, highlight: tuple[str, ...] = ()
                    ) -> tuple[Path, Path]:
    """Write ``manifest.json``, ``manifest.csv`` and ``index.html`` (each atomically) from
    the manifest document; return the paths of the manifest and the index."""
    rows = manifest["units"]
    manifest_path = out / MANIFEST_JSON
    index_path = out / INDEX_HTML
    atomic_write(manifest_path, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    atomic_write(out / MANIFEST_CSV, manifest_csv(rows))
    atomic_write(
        index_path, build_index_html(rows, lang=lang, banner=banner, title=title,
                                     generated=manifest["generated"],
                                     filter_column=filter_column, name_head=name_head,
                                     highlight=highlight)
    )
    return manifest_path, index_path
