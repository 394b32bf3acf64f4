"""Layout mappings: which source header is which canonical column.

A mapping is a TOML file in ``analysis/resources/mappings/`` (or any path given with
``--mapping``). A new export layout needs a new mapping file, not new code::

    kind = "budget"                 # which importer reads it (budget, innovations, skm,
                                    # service, leadership)
    description = "..."
    [columns]                       # canonical column = [headers as they appear, synonyms]
    code = ["Kode Rekening", "Kode"]
    [required]
    all = ["description"]           # every one of these must be found
    any = [["murni", "realisasi"]]  # at least one of each group

Headers are compared after normalisation (case, punctuation, extra spaces and a trailing
"(Rp)" ignored). Other tables in the file hold the layout's vocabularies (stage words,
indicator names, event words); the importer of the kind documents which it reads.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analysis.data.importers.read import (
    HEADER_SCAN_ROWS,
    Sheet,
    cell_text,
    is_blank,
    norm,
    strip_scale,
)
from analysis.data.schema import Problem

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "resources" / "mappings"


class MappingError(ValueError):
    pass


@dataclass
class Mapping:
    name: str
    kind: str
    description: str
    columns: dict[str, list[str]]
    required_all: list[str] = field(default_factory=list)
    required_any: list[list[str]] = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    path: str = ""

    def synonyms(self) -> dict[str, str]:
        """normalised header -> canonical column."""
        out: dict[str, str] = {}
        for canon, names in self.columns.items():
            for n in [canon, *names]:
                out.setdefault(norm(n), canon)
        return out

    def section(self, name: str) -> dict:
        return self.raw.get(name, {})


def mappings_dir() -> Path:
    return MAPPINGS_DIR


def available() -> list[str]:
    return sorted(p.stem for p in mappings_dir().glob("*.toml")
                  if p.stem != "budget_classification")


def load_toml(name_or_path: str | Path) -> tuple[dict, Path]:
    p = Path(name_or_path)
    if p.suffix != ".toml" or not p.is_file():
        p = mappings_dir() / f"{name_or_path}.toml"
    if not p.is_file():
        raise MappingError(f"mapping {name_or_path!r} not found: give a path to a .toml file "
                           f"or one of: {', '.join(available())}")
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh), p
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping {p}: not valid TOML ({exc})") from None


def load(name_or_path: str | Path) -> Mapping:
    raw, p = load_toml(name_or_path)
    for key in ("kind", "columns"):
        if key not in raw:
            raise MappingError(f"mapping {p}: missing '{key}'")
    cols = {k: [v] if isinstance(v, str) else list(v) for k, v in raw["columns"].items()}
    req = raw.get("required", {})
    return Mapping(p.stem, raw["kind"], raw.get("description", ""), cols,
                   list(req.get("all", [])), [list(g) for g in req.get("any", [])], raw, str(p))


@dataclass
class Located:
    """Where a sheet's header is and what each column means."""

    header_rows: list[int]             # indices into sheet.rows
    columns: dict[str, int]            # canonical -> column index
    headers: dict[str, str]            # canonical -> header text as in the file
    ignored: list[str]                 # headers that map to nothing
    title: list[str]                   # text of the rows above the header
    first_data: int                    # index into sheet.rows of the first data row


def _header_texts(rows: list[list], idx: list[int], width: int) -> list[str]:
    out = []
    for c in range(width):
        parts: list[str] = []
        for i in idx:
            v = cell_text(rows[i][c]) if c < len(rows[i]) else ""
            if v and v not in parts:
                parts.append(v)
        out.append(" ".join(parts))
    return out


def _match(texts: list[str], syn: dict[str, str], twice: dict | None = None
           ) -> dict[str, int]:
    """canonical -> column index of the first header that means it; ``twice`` collects
    (canonical -> [column, ...]) the columns that mean the same as an earlier one."""
    found: dict[str, int] = {}
    for c, t in enumerate(texts):
        canon = syn.get(norm(strip_scale(t))) or syn.get(norm(t))
        if canon and canon not in found:
            found[canon] = c
        elif canon and twice is not None:
            twice.setdefault(canon, [found[canon]]).append(c)
    return found


# Columns that may appear twice without harm (not read as values).
_TWICE_OK = {"percent"}


def _col_letter(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def locate(sheet: Sheet, mapping: Mapping, extra: dict[str, str] | None = None
           ) -> tuple[Located | None, list[Problem]]:
    """Find the header (one row, or two rows when a merged heading spans sub-headings) among
    the first rows of the sheet; check the required columns. ``extra`` adds header synonyms
    (normalised header -> key), e.g. the indicator columns of a wide layout."""
    syn = mapping.synonyms()
    if extra:
        syn = {**syn, **extra}
    rows = sheet.rows
    width = max((len(r) for r in rows), default=0)
    best: tuple[int, int, list[int], dict[str, int], list[str]] | None = None
    for i in range(min(len(rows), HEADER_SCAN_ROWS)):
        for span in (1, 2):
            idx = list(range(i, min(i + span, len(rows))))
            if len(idx) < span:
                continue
            texts = _header_texts(rows, idx, width)
            found = _match(texts, syn)
            score = (len(found), -span)
            if found and (best is None or score > (best[0], best[1])):
                best = (len(found), -span, idx, found, texts)
    if best is None:
        known = sorted({names[0] for names in mapping.columns.values() if names})
        return None, [Problem(sheet.label, "-", None, None,
                              f"no header row found in the first {HEADER_SCAN_ROWS} rows "
                              f"(layout '{mapping.name}' expects headers such as "
                              f"{', '.join(known[:8])})")]
    problems: list[Problem] = []
    _, _, idx, found, texts = best
    header_row = sheet.row_numbers[idx[-1]]
    twice: dict[str, list[int]] = {}
    _match(texts, syn, twice)
    for canon, cols in twice.items():
        if canon in _TWICE_OK:
            continue
        named = " and ".join(f"{texts[c]!r} (column {_col_letter(c)})" for c in cols)
        problems.append(Problem(sheet.label, header_row, texts[cols[1]], None,
                                f"two columns mean the same ({canon}): {named}; the importer "
                                "will not guess which one holds the figures: delete or "
                                "rename one of them"))
    for canon in mapping.required_all:
        if canon not in found:
            problems.append(Problem(sheet.label, header_row, _show(mapping, canon), None,
                                    "required column is missing (accepted headers: "
                                    f"{', '.join(mapping.columns.get(canon, [canon]))})"))
    for group in mapping.required_any:
        if not any(g in found for g in group):
            names = [h for g in group for h in mapping.columns.get(g, [g])[:1]]
            problems.append(Problem(sheet.label, header_row, " / ".join(names), None,
                                    "required column is missing (at least one of these)"))
    used = set(found.values())
    ignored = [t for c, t in enumerate(texts) if t and c not in used]
    title = [" ".join(cell_text(v) for v in rows[i] if not is_blank(v))
             for i in range(idx[0]) if any(not is_blank(v) for v in rows[i])]
    loc = Located(idx, found, {k: texts[c] for k, c in found.items()}, ignored, title,
                  idx[-1] + 1)
    return loc, problems


def _show(mapping: Mapping, canon: str) -> str:
    names = mapping.columns.get(canon)
    return names[0] if names else canon
