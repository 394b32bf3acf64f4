"""Unit ids and the files they become: the checks made before anything runs or is written.

A unit id is a file name (``<id>.html``, ``<id>.hash``), so it must be a lowercase slug
(:data:`UNIT_ID_RE`) and, when a registry is given, a known unit; every output path is
resolved and must lie directly in the output folder."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

UNIT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
"""Unit ids become file names: lowercase slug, 2-41 characters, no dots or slashes."""

HTML_SUFFIX = ".html"
HASH_SUFFIX = ".hash"


class InvalidUnitError(ValueError):
    """A unit id is malformed or unknown; raised before anything runs or is written."""


def validate_unit_ids(unit_ids: Iterable[str], registry: Iterable[str] | None = None) -> list[str]:
    """Return the ids (deduplicated, in order) or raise InvalidUnitError naming every bad one."""
    if isinstance(unit_ids, str):
        unit_ids = [unit_ids]
    known = set(registry) if registry is not None else None
    ids: list[str] = []
    bad: list[str] = []
    for uid in unit_ids:
        if not isinstance(uid, str) or not UNIT_ID_RE.match(uid):
            bad.append(f"{uid!r} (must match {UNIT_ID_RE.pattern})")
        elif known is not None and uid not in known:
            bad.append(f"{uid!r} (not in the unit registry)")
        elif uid not in ids:
            ids.append(uid)
    if bad:
        raise InvalidUnitError("invalid unit id(s): " + "; ".join(bad))
    if not ids:
        raise InvalidUnitError("no unit ids to render")
    return ids


def safe_output_path(out_dir: Path, unit_id: str, suffix: str = HTML_SUFFIX) -> Path:
    """``out_dir/<unit_id><suffix>``, checked to resolve inside ``out_dir``."""
    if not UNIT_ID_RE.match(unit_id):
        raise InvalidUnitError(f"invalid unit id {unit_id!r}")
    root = Path(out_dir).resolve()
    path = (root / f"{unit_id}{suffix}").resolve()
    if path.parent != root:
        raise InvalidUnitError(f"output path for {unit_id!r} escapes {root}")
    return path


def unit_paths(out_dir: Path, ids: Iterable[str]) -> dict[str, tuple[Path, Path]]:
    """``{unit id: (report path, hash sidecar path)}``, every path checked."""
    return {uid: (safe_output_path(out_dir, uid), safe_output_path(out_dir, uid, HASH_SUFFIX))
            for uid in ids}
