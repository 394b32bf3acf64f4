"""Reading the regency's files: CSV (any delimiter, UTF-8 or Windows-1252) and Excel .xlsx
(one or many sheets, merged header cells), finding the header row, and parsing Indonesian
numbers and dates.

Every cell keeps the row number the spreadsheet shows (header = the row it sits on), and every
sheet a label ``file.xlsx[Sheet1]`` (CSV files: the file name), so problems can be located.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from analysis.data.schema import Problem

HEADER_SCAN_ROWS = 30

# --------------------------------------------------------------------------------------------
# text normalisation


def norm(text: object) -> str:
    """Lower-case words separated by single spaces; punctuation dropped except ``%``.
    ``"Anggaran Setelah Perubahan (Rp)"`` -> ``"anggaran setelah perubahan"``."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).lower().replace("\u00a0", " ")
    s = re.sub(r"[^0-9a-z%]+", " ", s)
    words = [w for w in s.split() if w not in {"rp", "rupiah", "idr"}]
    return " ".join(words)


def is_blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and v != v:
        return True
    return isinstance(v, str) and v.strip() in {"", "nan", "NaN", "None"}


def cell_text(v: object) -> str:
    """A cell as text: integral floats without '.0', dates as YYYY-MM-DD."""
    if isinstance(v, Uncalculated):
        return v.formula
    if is_blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    return str(v).strip()


# --------------------------------------------------------------------------------------------
# numbers

_ID_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")      # 1.234.567,50
_ID_DECIMAL = re.compile(r"^\d+(,\d+)?$")                    # 1234567,50 or 1234
_EN_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")      # 1,234,567.50
_PLAIN_DOT = re.compile(r"^\d*\.\d+$")                       # 12.5 (not 3-digit groups)


class NotANumber(ValueError):
    """A cell that is not a number; ``rule`` says why and how to fix it."""

    def __init__(self, text: str, rule: str | None = None):
        super().__init__(text)
        self.rule = rule or NUMBER_HINT


class Uncalculated:
    """An .xlsx formula cell saved without its value (the writing program did not calculate
    it): never read as blank or 0."""

    def __init__(self, formula: str):
        self.formula = formula

    def __str__(self) -> str:
        return self.formula

    def __repr__(self) -> str:
        return f"Uncalculated({self.formula!r})"


FORMULA_RULE = ("a formula saved without its value (the file was written by a program that "
                "does not calculate formulas): open the file in Excel or LibreOffice, let it "
                "calculate, save it as .xlsx and import again")
_SCALE_WORDS = re.compile(r"\b(ribu|rb|juta|jt|miliar|milyar|m|triliun|t|k|mn|bn|million|"
                          r"billion|thousand)\b\.?$", re.I)
_EN_AMBIG = re.compile(r"^[1-9]\d{0,2},\d{3}$")             # 5,000: 5000 (en) or 5 (id)?
_ID_AMBIG = re.compile(r"^[1-9]\d{0,2}\.\d{3}$")           # 5.000: 5000 (id) or 5 (en)?


def number_style(v: object) -> str | None:
    """Which convention a number cell shows unambiguously: "id" (dots group thousands, comma
    for decimals), "en" (commas group thousands, dot for decimals), or None (a plain number, a
    number stored as a number, or a cell that fits both, such as 5,000 or 5.000)."""
    if is_blank(v) or isinstance(v, (int, float, Uncalculated)):
        return None
    s = unicodedata.normalize("NFKC", str(v)).replace("\u00a0", "").replace(" ", "")
    s = re.sub(r"^\(?-?(rp\.?|idr)?", "", s, flags=re.I).strip("()-% ")
    if _EN_AMBIG.match(s) or _ID_AMBIG.match(s):
        return None
    if _ID_GROUPED.match(s) or re.match(r"^\d+,\d{1,2}$", s):
        return "id"
    if _EN_GROUPED.match(s) or re.match(r"^\d+\.\d{1,2}$", s):
        return "en"
    return None


def column_style(values) -> tuple[str | None, list]:
    """The convention of a column from its unambiguous cells: ("id" | "en" | None, []) or
    ("mixed", [(index, value, style), ...]) when both appear."""
    seen: dict[str, list] = {"id": [], "en": []}
    for i, v in enumerate(values):
        st = number_style(v)
        if st:
            seen[st].append((i, v, st))
    if seen["id"] and seen["en"]:
        minority, majority = sorted(seen.values(), key=len)
        return "mixed", minority + majority[:1]   # the last item: the other convention
    return ("id" if seen["id"] else "en" if seen["en"] else None), []


def parse_number(v: object, *, style: str | None = None, percent: bool = True,
                 amount: bool = False) -> float | None:
    """An amount as Indonesian exports write it. Returns None for a blank cell.

    Accepted: numbers stored as numbers (Excel); ``1.234.567.890,50`` (dots group thousands,
    comma for decimals); ``Rp 1.234``; ``(1.234)`` and ``-1.234`` negative; ``-`` alone is
    zero (accountants' dash). ``1,234,567.50`` (English) is accepted when unambiguous (several
    comma groups or a comma group followed by a dot). ``1.234`` is one thousand two hundred and
    thirty-four (Indonesian reading), ``12.5`` with a non-3-digit tail is twelve and a half.
    Raises :class:`NotANumber` otherwise.
    """
    if is_blank(v):
        return None
    if isinstance(v, Uncalculated):
        raise NotANumber(str(v), FORMULA_RULE)
    if isinstance(v, bool):
        raise NotANumber(str(v))
    if isinstance(v, (int, float)):
        return float(v)
    s = unicodedata.normalize("NFKC", str(v)).replace("\u00a0", " ").strip()
    if amount and _SCALE_WORDS.search(s) and re.search(r"\d", s):
        raise NotANumber(s, "an amount written with a scale word (juta, miliar, ribu, M, ...): "
                            "write the full amount in rupiah, e.g. 5.000.000 for 5 juta")
    s = re.sub(r"^(rp\.?|idr)\s*", "", s, flags=re.I).strip()
    neg = False
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1].strip()
    s = re.sub(r"^(rp\.?|idr)\s*", "", s, flags=re.I).strip()
    if s.startswith("-"):
        if s.strip("- ") == "":
            return 0.0
        neg, s = not neg, s[1:].strip()
    s = s.replace(" ", "")
    if s.endswith("%"):
        if not percent:
            raise NotANumber(str(v), "a percentage in an amount column: this column holds "
                                     "rupiah amounts; check that the header names the right "
                                     "column (the '%' column is not read)")
        s = s[:-1]
    if _EN_AMBIG.match(s) and style != "id":
        if style == "en":
            return -float(s.replace(",", "")) if neg else float(s.replace(",", ""))
        raise NotANumber(str(v), "ambiguous number: with a comma it could be thousands "
                                 "(English, 5,000 = 5000) or decimals (Indonesian, 5,000 = 5); "
                                 "nothing else in the column tells which: write 5.000 or 5000 "
                                 "(thousands) or 5 (five)")
    if _ID_AMBIG.match(s) and style == "en":
        raise NotANumber(str(v), "ambiguous number in a column written the English way "
                                 "(1,234.50): 5.000 would be five there; write 5,000 or 5000 "
                                 "or 5")
    if _ID_GROUPED.match(s) or _ID_DECIMAL.match(s):
        x = float(s.replace(".", "").replace(",", "."))
    elif _EN_GROUPED.match(s) and (s.count(",") > 1 or "." in s):
        x = float(s.replace(",", ""))
    elif _PLAIN_DOT.match(s):
        x = float(s)
    else:
        raise NotANumber(str(v))
    return -x if neg else x


# Scale words of titles and headers: "(dalam ribuan rupiah)", "dalam jutaan", "Rp 000".
_SCALE_PHRASES = [
    (re.compile(r"\(?\s*dalam\s+(?:ribuan|ribu)(?:\s+rupiah)?\s*\)?|\bribuan\s+rupiah\b", re.I),
     1e3),
    (re.compile(r"\(?\s*dalam\s+(?:jutaan|juta)(?:\s+rupiah)?\s*\)?|\bjutaan\s+rupiah\b", re.I),
     1e6),
    (re.compile(r"\(?\s*dalam\s+(?:miliaran|milyaran|miliar|milyar)(?:\s+rupiah)?\s*\)?|"
                r"\b(?:miliaran|milyaran)\s+rupiah\b", re.I), 1e9),
    (re.compile(r"\(?\s*\brp\.?\s*000\.000\s*\)?(?![.,\d])", re.I), 1e6),
    (re.compile(r"\(?\s*\brp\.?\s*000\s*\)?(?![.,\d])|\(\s*000\s*\)", re.I), 1e3),
]
SCALE_WORDS = {1e3: "thousands", 1e6: "millions", 1e9: "billions"}


def scale_in(text: object) -> tuple[float, str] | None:
    """The scale a title or header states for its amounts: (1000, "dalam ribuan rupiah") for
    "(dalam ribuan rupiah)", (1e6, ...) for "dalam jutaan", (1e9, ...) for "dalam miliar",
    (1000, "Rp 000") for "Rp 000"; None when it states none."""
    t = cell_text(text)
    for rx, factor in _SCALE_PHRASES:
        m = rx.search(t)
        if m:
            return factor, m[0].strip(" ()")
    return None


def strip_scale(text: object) -> str:
    """A header without its scale phrase ("Anggaran (Rp 000)" -> "Anggaran")."""
    t = cell_text(text)
    for rx, _ in _SCALE_PHRASES:
        t = rx.sub(" ", t)
    return " ".join(t.split())


NUMBER_HINT = "not a number (expected e.g. 1.234.567,50, Rp 1.234 or (1.234) for negatives)"

# --------------------------------------------------------------------------------------------
# dates

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3,
    "mar": 3, "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "may": 5, "august": 8, "october": 10,
    "december": 12, "january": 1, "february": 2, "march": 3, "june": 6, "july": 7,
}


def parse_date(v: object) -> dt.date | None:
    """A date as Indonesian files write it: Excel dates, ``2021-08-22``, ``22/08/2021`` or
    ``22-08-2021`` (day first), ``22 Agustus 2021``. None for blank; ValueError otherwise."""
    if is_blank(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", s)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s)
    if m:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})", s)
    if m and m[2].lower() in MONTHS:
        return dt.date(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    raise ValueError(s)


YEAR_RE = re.compile(r"(?<!\d)(19[9]\d|20\d\d)(?!\d)")


def find_year(text: object) -> int | None:
    """The one 4-digit year (1990-2099) in a text, or None if there is none or several."""
    years = set(YEAR_RE.findall(cell_text(text)))
    return int(years.pop()) if len(years) == 1 else None


# --------------------------------------------------------------------------------------------
# files and sheets


class ReadError(ValueError):
    """A file cannot be read at all (named in ``problem``)."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class Sheet:
    """The cells of one CSV file or one worksheet, with the spreadsheet's row numbers."""

    file: Path
    label: str              # "budget.xlsx[Sheet1]" or "budget.csv"
    name: str | None        # sheet name (None for CSV)
    rows: list[list]        # cell values, merged cells filled with their top-left value
    row_numbers: list[int]  # 1-based row number of each entry of ``rows``
    warnings: list[str] = field(default_factory=list)
    delimiter: str | None = None   # CSV only
    state: str = "visible"         # .xlsx: "visible", "hidden" or "veryHidden"
    chart: bool = False            # .xlsx: a chart sheet (no cells)

    def is_empty(self) -> bool:
        return not any(not is_blank(v) for r in self.rows for v in r)


def decode(path: Path, label: str) -> tuple[str, list[str]]:
    """File bytes as text. UTF-8 (with or without BOM) first; UTF-16 when it has a BOM; then
    Windows-1252 (what Excel on Indonesian Windows writes) with a warning. Anything else
    (bytes undefined in Windows-1252, or NUL bytes of a binary file) is an error naming the
    file. Latin-1 is never used as a fallback because it accepts any bytes, so it would turn a
    wrong file into garbage instead of an error."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), [f"{label}: read as UTF-16 (byte order mark found)"]
    if b"\x00" in raw:
        raise ReadError(Problem(label, "-", None, None,
                                "not a text file (binary or UTF-16 without a byte order mark; "
                                "an .xls workbook renamed to .csv?): save it as CSV UTF-8 or "
                                ".xlsx"))
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        first = exc.start
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ReadError(Problem(label, "-", None, None,
                                f"unknown text encoding: not UTF-8 (bad byte at offset {first}) "
                                f"and not Windows-1252 (byte 0x{raw[exc.start]:02x} at offset "
                                f"{exc.start}); save the file as CSV UTF-8")) from None
    line = raw[:first].count(b"\n") + 1
    return text, [f"{label}: not UTF-8 (first non-UTF-8 byte on line {line}); read as "
                  "Windows-1252 (cp1252). Check accented letters; save as CSV UTF-8 to "
                  "avoid this"]


def sniff_content(head: bytes) -> str | None:
    """What a file holds, from its first bytes, when that is not what a table export holds:
    e.g. a PDF renamed to .xlsx."""
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an Excel 97-2003 (.xls) or other old Office file"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (e.g. .xlsx or .docx)"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page (a web export saved with the wrong extension?)"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    return None


# The csv module refuses cells longer than its field limit (128 kB); such a cell is never a
# budget or survey value, so the file is refused naming the line.
CSV_FIELD_LIMIT = 131072


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter of a CSV file: the one of tab, ';', '|' and ',' that splits the most lines
    into the same number (>= 2) of cells. Title rows above the header hold no delimiter and
    count for none; a comma that is a decimal comma (1.000,50 in a tab- or semicolon-separated
    file) splits lines into varying numbers of cells, so the real delimiter wins. Ties go to
    tab, then ';', '|', ','."""
    best, best_score = ",", (0, 0)
    for d in ("\t", ";", "|", ","):
        counts = []
        for line in lines:
            if d in line:
                try:
                    counts.append(len(next(csv.reader([line], delimiter=d))))
                except (csv.Error, StopIteration):
                    continue
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (counts.count(mode), len(counts))
        if score > best_score:
            best, best_score = d, score
    return best


def read_csv(path: Path) -> Sheet:
    label = path.name
    with path.open("rb") as fh:
        what = sniff_content(fh.read(16))
    if what is not None:
        raise ReadError(Problem(label, "-", None, None,
                                f"not a CSV text file: the content is {what}; export the "
                                "table as CSV UTF-8 or .xlsx"))
    text, warnings = decode(path, label)
    delim = sniff_delimiter(text.splitlines()[:50])
    rows, numbers = [], []
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        for rec in reader:
            rows.append([c if c.strip() else None for c in rec])
            numbers.append(reader.line_num)
    except csv.Error as exc:
        line = reader.line_num
        reason = (f"a cell longer than {CSV_FIELD_LIMIT // 1024} kB (no budget, survey or "
                  "indicator value is that long: an unclosed quote or a file that is not a "
                  "table?); fix the quotes or export the table again"
                  if "field limit" in str(exc) else
                  f"not readable as CSV ({exc}); export the table again as CSV UTF-8")
        raise ReadError(Problem(label, line, None, None, reason)) from None
    return Sheet(path, label, None, rows, numbers, warnings, delim)


def read_xlsx(path: Path, sheet: str | None = None) -> list[Sheet]:
    import openpyxl

    with path.open("rb") as fh:
        what = sniff_content(fh.read(16))
    if what is not None and not what.startswith("a ZIP"):
        raise ReadError(Problem(path.name, "-", None, None,
                                f"not an .xlsx workbook: the content is {what}; open the "
                                "original in Excel and save it as .xlsx (or CSV UTF-8)"))
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
        wf = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # BadZipFile, InvalidFileException, KeyError, XML errors, ...
        raise ReadError(Problem(path.name, "-", None, None,
                                f"not a readable .xlsx workbook ({exc.__class__.__name__}: "
                                f"{' '.join(str(exc).split())[:120]}); open it in Excel and "
                                "save it as .xlsx again")) from None
    names = wb.sheetnames
    if sheet is not None:
        if sheet not in names:
            raise ReadError(Problem(path.name, "-", None, sheet,
                                    f"no sheet of that name; sheets: {', '.join(names)}"))
        names = [sheet]
    out = []
    for name in names:
        ws = wb[name]
        if not hasattr(ws, "iter_rows"):   # a chart sheet: a chart, no cells
            out.append(Sheet(path, f"{path.name}[{name}]", name, [], [], chart=True,
                             state=getattr(ws, "sheet_state", "visible")))
            continue
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        # formulas saved without a value read as None in data_only mode: mark them
        for r, frow in enumerate(wf[name].iter_rows(values_only=True)):
            for c, f in enumerate(frow):
                if isinstance(f, str) and f.startswith("=") and r < len(grid) and \
                        c < len(grid[r]) and grid[r][c] is None:
                    grid[r][c] = Uncalculated(f)
        for rng in ws.merged_cells.ranges:
            top = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                        grid[r - 1][c - 1] = top
        out.append(Sheet(path, f"{path.name}[{name}]", name, grid,
                         list(range(1, len(grid) + 1)), state=ws.sheet_state or "visible"))
    return out


def read_file(path: Path, sheet: str | None = None) -> list[Sheet]:
    """All sheets of a file (one for CSV). Errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(Problem(str(path), "-", None, None, "file not found"))
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return read_xlsx(path, sheet)
    if suffix == ".xls":
        raise ReadError(Problem(path.name, "-", None, None,
                                "Excel 97-2003 .xls is not supported: open it and save as "
                                ".xlsx (or CSV UTF-8)"))
    if suffix in {".csv", ".txt", ".tsv"}:
        if sheet is not None:
            raise ReadError(Problem(path.name, "-", None, sheet,
                                    "--sheet applies to .xlsx workbooks only"))
        return [read_csv(path)]
    raise ReadError(Problem(path.name, "-", None, suffix,
                            "unsupported file type (use .csv or .xlsx)"))
