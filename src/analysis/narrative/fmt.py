"""Numbers, percentages and Rupiah, written the Indonesian way (default) or the English way.

Conventions (one style everywhere, tables and figures alike):

* Indonesian (``id``): decimal comma, dot as thousands separator: ``1.234,56``.
  English (``en``): ``1,234.56``.
* Negative numbers take the typographic minus sign U+2212 (``−``) in both languages, the
  same sign matplotlib puts on axis ticks, so a figure and its table read alike.
  A value that rounds to zero is written without a sign (``0,00``, never ``−0,00``).
* Percent: no space before the sign in both languages (``−12,3%`` / ``−12.3%``), as in
  Indonesian official writing (PUEBI). :func:`percent` takes a *fraction* by default
  (``0.123`` -> ``12,3%``); pass ``fraction=False`` for values already in percent points.
* Rounding is half-up on the decimal value as written (``1.005`` -> ``1,01``), as spreadsheets
  and published tables do, not Python's binary round-half-even (which gives ``1.00``).
* Missing values (None, NaN, pd.NA, NaT) are written as an en dash ``–``.
* Signed numbers (changes, effects): :func:`signed` writes an explicit ``+`` (``+1,4``,
  ``−6,5``; zero after rounding has no sign). :func:`general` writes a plain machine number
  (``.6g``) the page's way (the index table); :func:`pvalue` writes ``< 0,001`` or 3 decimals.
* Rupiah: ``Rp 1,23 miliar``, ``Rp 1,88 triliun``, ``Rp 950,00 juta``; below one juta, whole
  rupiah: ``Rp 12.345``. English: ``IDR 1.23 billion`` / ``trillion`` / ``million``,
  ``IDR 12,345``. The scale is chosen after rounding, so 999.999 miliar is ``Rp 1,00 triliun``.
"""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from matplotlib.ticker import FuncFormatter

from analysis.narrative.catalog import check_lang

MISSING = "–"
"""What a missing value is written as (en dash)."""

MINUS = "−"
"""The minus sign used for negative values (U+2212)."""

_SCALES: dict[str, tuple[Decimal, str, str]] = {
    # key: (factor, Indonesian word, English word)
    "triliun": (Decimal(10) ** 12, "triliun", "trillion"),
    "miliar": (Decimal(10) ** 9, "miliar", "billion"),
    "juta": (Decimal(10) ** 6, "juta", "million"),
}
_UNIT_ALIASES = {"trillion": "triliun", "billion": "miliar", "million": "juta"}
_CURRENCY = {"id": "Rp", "en": "IDR"}


def is_missing(x: object) -> bool:
    """True for None, NaN, pd.NA and NaT (scalars only)."""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def to_decimal(x: float | int | Decimal) -> Decimal:
    """Exact decimal of ``x`` as written (floats through their shortest repr: 0.1 -> 0.1)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, numbers.Integral):
        return Decimal(int(x))
    return Decimal(repr(float(x)))


def round_half_up(x: float | int | Decimal, digits: int = 0) -> Decimal:
    """Round half-up (away from zero) on the decimal value as written."""
    return to_decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _group(d: Decimal, digits: int, lang: str) -> str:
    """``|d|`` rounded and grouped in ``lang``'s separators (no sign)."""
    text = f"{abs(round_half_up(d, digits)):,.{digits}f}"
    if lang == "id":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def _sign(d: Decimal, digits: int) -> str:
    return MINUS if d < 0 and round_half_up(d, digits) != 0 else ""


def _infinite(x: object) -> str | None:
    if isinstance(x, float | int) and not isinstance(x, bool) and math.isinf(x):
        return f"{MINUS}∞" if x < 0 else "∞"
    return None


def number(x: float | int | None, lang: str = "id", digits: int = 2) -> str:
    """A number with ``digits`` decimals: ``1.234,56`` (id) or ``1,234.56`` (en)."""
    check_lang(lang)
    if is_missing(x):
        return MISSING
    if (inf := _infinite(x)) is not None:
        return inf
    d = to_decimal(x)
    return _sign(d, digits) + _group(d, digits, lang)


def signed(x: float | None, lang: str = "id", digits: int = 1, suffix: str = "") -> str:
    """A number with an explicit sign: ``+1,4`` / ``−6,5`` (id), ``+1.4`` (en); a value that
    rounds to zero has none (``0,0``). ``suffix`` is appended (``"%"``)."""
    check_lang(lang)
    if is_missing(x):
        return MISSING
    text = number(x, lang, digits)
    if not text.startswith((MINUS, "∞")) and round_half_up(abs(to_decimal(x)), digits) != 0:
        text = "+" + text
    elif text == "∞":
        text = "+∞"
    return text + suffix


def compact(x: float | None, lang: str = "id", digits: int = 1) -> str:
    """A number with at most ``digits`` decimals, trailing zeros dropped: ``10``, ``12,5``."""
    text = number(x, lang, digits)
    dec = "," if lang == "id" else "."
    if dec in text:
        text = text.rstrip("0").rstrip(dec)
    return text


def general(x: float | int, lang: str = "id") -> str:
    """A plain number as Python's ``.6g`` writes it (ints in full), with the page's decimal
    sign and the true minus: ``81,25`` / ``81.25``, ``−3``."""
    check_lang(lang)
    text = f"{x}" if isinstance(x, numbers.Integral) else f"{x:.6g}"
    return text.replace("-", MINUS).replace(".", ",") if lang == "id" else text


def pvalue(p: float | None, lang: str = "id") -> str:
    """A p-value: ``< 0,001`` below 0.001, else three decimals (``0,012``)."""
    check_lang(lang)
    if is_missing(p):
        return MISSING
    if p < 0.001:
        return "< 0,001" if lang == "id" else "< 0.001"
    return number(p, lang, 3)


def percent(x: float | None, lang: str = "id", digits: int = 1, fraction: bool = True) -> str:
    """A percentage: ``percent(-0.123)`` -> ``−12,3%`` (id) / ``−12.3%`` (en).

    ``fraction=True`` (default) reads ``x`` as a share (0.123 = 12.3 %); ``fraction=False``
    reads it as percent points already.
    """
    check_lang(lang)
    if is_missing(x):
        return MISSING
    if (inf := _infinite(x)) is not None:
        return inf + "%"
    d = to_decimal(x) * (100 if fraction else 1)
    return number(d, lang, digits) + "%"


def rupiah(x: float | int | None, lang: str = "id", digits: int = 2) -> str:
    """Rupiah in words for large amounts: ``Rp 1,23 miliar`` / ``IDR 1.23 billion``.

    From one juta (million) up, the amount is scaled to juta, miliar or triliun with ``digits``
    decimals; below that it is written in whole rupiah (``Rp 12.345``). Negative amounts take
    the minus before the currency: ``−Rp 1,23 miliar``.
    """
    check_lang(lang)
    if is_missing(x):
        return MISSING
    if (inf := _infinite(x)) is not None:
        return f"{MINUS if inf.startswith(MINUS) else ''}{_CURRENCY[lang]} ∞"
    d = to_decimal(x)
    for factor, word_id, word_en in _SCALES.values():
        scaled = d / factor
        if abs(round_half_up(scaled, digits)) >= 1:
            word = word_id if lang == "id" else word_en
            return f"{_sign(scaled, digits)}{_CURRENCY[lang]} {_group(scaled, digits, lang)} {word}"
    return f"{_sign(d, 0)}{_CURRENCY[lang]} {_group(d, 0, lang)}"


def _unit_key(unit: str) -> str:
    key = _UNIT_ALIASES.get(unit, unit)
    if key not in _SCALES:
        choices = ", ".join([*_SCALES, *_UNIT_ALIASES])
        raise ValueError(f"unknown Rupiah unit {unit!r}; use one of: {choices}")
    return key


def rupiah_unit_label(lang: str = "id", unit: str = "miliar") -> str:
    """The unit for an axis label: ``Rp miliar`` (id) / ``IDR billion`` (en)."""
    check_lang(lang)
    _factor, word_id, word_en = _SCALES[_unit_key(unit)]
    return f"{_CURRENCY[lang]} {word_id if lang == 'id' else word_en}"


def rupiah_axis_formatter(lang: str = "id", unit: str = "miliar", digits: int = 2) -> FuncFormatter:
    """A matplotlib tick formatter for an axis plotted in rupiah, shown in ``unit``.

    Tick values are divided by the unit (juta / miliar / triliun, or million / billion /
    trillion) and written with up to ``digits`` decimals, trailing zeros dropped
    (``1.500``, ``2,5``). Put the unit in the axis label with :func:`rupiah_unit_label`.
    """
    check_lang(lang)
    factor = _SCALES[_unit_key(unit)][0]
    dec = "," if lang == "id" else "."

    def _fmt(value: float, _pos: object = None) -> str:
        text = number(to_decimal(value) / factor, lang, digits)
        if dec in text:
            text = text.rstrip("0").rstrip(dec)
        return "0" if text == MINUS + "0" else text

    return FuncFormatter(_fmt)
