"""The one id/en word catalog: every caption, label, heading and sentence template of the
reports, the index page, the deck, the brief and the figures, in Bahasa Indonesia (``id``)
and English (``en``).

The words live in TOML files shipped with the package (``analysis/narrative/words/*.toml``).
A leaf is a table with exactly one string per language::

    [report.section.budget]
    id = "Anggaran dan pemotongan 2020"
    en = "Budget and the 2020 cut"

and is addressed by its dotted path (``"report.section.budget"``). Top-level leaves of
``terms.toml`` keep the plain keys of the data (``murni``, ``uji_coba``, ``ikm``), so
:func:`analysis.narrative.labels.label` reads them unchanged.

Templates take ``{name}`` placeholders filled by :func:`text` (``str.format`` rules; numbers
are formatted by the caller with :mod:`analysis.narrative.fmt`, so the catalog never decides
how a number is written). Both languages of an entry must use the same placeholders;
:func:`check` lists every entry that breaks a rule, and a test keeps the list empty.

Category values that come from the data (sector, unit kind, verdict ...) are looked up with
:func:`category`: ``category("sector", "health", "id")`` -> ``"Kesehatan"``.

>>> text("report.section.budget", "en")
'Budget and the 2020 cut'
>>> text("index.summary", "en", ok=3, skipped=0, failed=1, n=4)
'3 ok, 0 unchanged, 1 failed, of 4 reports'
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path

LANGS: tuple[str, ...] = ("id", "en")
"""Supported languages; the first is the default."""

WORDS_DIR = Path(__file__).resolve().parent / "words"
"""The folder of the catalog files (package data)."""


class CatalogError(ValueError):
    """A catalog file is malformed (not a leaf with id and en, or a key defined twice)."""


def _flatten(node: dict, prefix: str, fname: str, out: dict, where: dict) -> None:
    for key, val in node.items():
        path = f"{prefix}{key}"
        if not isinstance(val, dict):
            raise CatalogError(f"{fname}: {path!r} is a bare value; write a table with "
                               f"id = ... and en = ...")
        leaf = {k: v for k, v in val.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in val.items() if isinstance(v, dict)}
        if leaf:
            if path in out:
                raise CatalogError(f"catalog key {path!r} is defined twice: in {where[path]} "
                                   f"and in {fname}")
            out[path] = leaf
            where[path] = fname
        if subs:
            _flatten(subs, path + ".", fname, out, where)


@cache
def _load() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    entries: dict[str, dict[str, str]] = {}
    where: dict[str, str] = {}
    for f in sorted(WORDS_DIR.glob("*.toml")):
        with f.open("rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise CatalogError(f"{f.name}: not valid TOML: {exc}") from None
        _flatten(data, "", f.name, entries, where)
    return entries, where


def entries() -> dict[str, dict[str, str]]:
    """Every catalog entry: ``{dotted key: {"id": ..., "en": ...}}`` (a copy)."""
    return {k: dict(v) for k, v in _load()[0].items()}


def source(key: str) -> str:
    """The file a key is defined in (``report.toml``), or ``""``."""
    return _load()[1].get(key, "")


def has(key: object) -> bool:
    """Whether ``key`` is in the catalog."""
    return isinstance(key, str) and key in _load()[0]


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise ValueError listing the choices."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of: {', '.join(LANGS)}")
    return lang


def _fields(template: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name}


def text(key: str, lang: str = LANGS[0], /, **values: object) -> str:
    """The catalog text of ``key`` in ``lang``, its ``{placeholders}`` filled from ``values``.

    An unknown key raises KeyError naming it and the catalog folder; a placeholder without a
    value raises KeyError naming the key, its file and the placeholder.
    """
    check_lang(lang)
    found, where = _load()
    entry = found.get(key)
    if entry is None:
        close = _close(key, found)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise KeyError(f"no catalog entry {key!r} in {_rel(WORDS_DIR)}/*.toml{hint}; add it "
                       f"to the file of its layer with id = ... and en = ...")
    template = entry[lang]
    try:
        return template.format_map(values) if values or "{" in template else template
    except KeyError as exc:
        raise KeyError(f"catalog entry {key!r} ({_rel(WORDS_DIR)}/{where[key]}) needs a value "
                       f"for {{{exc.args[0]}}}") from None


def category(field: str, value: object, lang: str = LANGS[0]) -> str:
    """The words for a category value from the data: ``category("sector", "health", "id")``.

    Looks up ``<field>.<value>``, then the plain term ``<value>`` (``murni``, ``uji_coba``).
    A value the catalog does not know (a user's own category) is returned as it is."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    v = str(value)
    for key in (f"{field}.{v}", v):
        if has(key):
            return text(key, lang)
    check_lang(lang)
    return v


def check() -> list[str]:
    """Every rule the catalog breaks, one line each (empty when it is sound): each entry has
    exactly the languages of :data:`LANGS`, non-empty strings, and the same placeholders in
    every language."""
    problems = []
    found, where = _load()
    for key, entry in found.items():
        f = where[key]
        if set(entry) != set(LANGS):
            problems.append(f"{f}: {key!r} has languages {sorted(entry)}, needs {list(LANGS)}")
            continue
        if not all(isinstance(v, str) and v.strip() for v in entry.values()):
            problems.append(f"{f}: {key!r} has an empty or non-string text")
            continue
        try:
            fields = {lang: _fields(entry[lang]) for lang in LANGS}
        except ValueError as exc:
            problems.append(f"{f}: {key!r} has a broken placeholder: {exc}")
            continue
        if len({frozenset(v) for v in fields.values()}) > 1:
            problems.append(f"{f}: {key!r} uses different placeholders per language: {fields}")
    return problems


def _close(key: str, found: dict) -> list[str]:
    import difflib

    return difflib.get_close_matches(key, list(found), n=3)


def _rel(p: Path) -> str:
    parts = p.parts
    return "/".join(parts[parts.index("analysis"):]) if "analysis" in parts else str(p)
