"""Unit names as the regency's files write them -> unit ids of the registry.

Accepted for a unit: its id (``dinkes``), full name, abbreviation(s), any alias of
``unit_aliases.csv`` (with or without the abbreviation in brackets), and the IID account
labels and handles seen in the public IID 2021 profiles (``Badan Kepegawaian Daerah
( BKD.batang )``, ``BKD.batang``, ``capil``). Matching ignores case, punctuation and the
words "Kab. Batang" / "Kabupaten Batang". A name that matches nothing is never guessed: it
is reported with the closest known names (difflib).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.data import public
from analysis.data.importers.read import norm

UNATTRIBUTED = "unattributed"
_ACCOUNT = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<handle>[^()]*?)\s*\)\s*$")


def _key(text: object) -> str:
    s = norm(text)
    s = re.sub(r"\b(kab|kabupaten) batang\b", " ", s)
    return " ".join(s.split())


def split_account(text: str) -> tuple[str, str | None]:
    """``"Dinas X ( dinasx.batang )"`` -> ``("Dinas X", "dinasx")``."""
    m = _ACCOUNT.match(str(text).strip())
    if not m:
        return str(text).strip(), None
    handle = m["handle"].strip()
    handle = re.sub(r"\.batang$", "", handle, flags=re.I)
    return m["name"].strip(), handle or None


@dataclass
class Match:
    unit_id: str | None
    attribution: str       # opd, kecamatan, bumd, unattributed


class UnitResolver:
    def __init__(self, units: pd.DataFrame, aliases: pd.DataFrame,
                 accounts: pd.DataFrame | None = None):
        self.units = units
        kind = units.set_index("unit_id")["kind"]
        self._attr = {u: ("kecamatan" if k in ("kecamatan", "kelurahan") else
                          "bumd" if k == "bumd" else "opd") for u, k in kind.items()}
        self._keys: dict[str, str | None] = {}
        self._display: dict[str, str] = {}
        self._alias_attr: dict[str, str] = {}
        self._stripped: set[str] = set()   # keys made by dropping "Kabupaten Batang"
        self._name = dict(zip(units["unit_id"], units["name"], strict=True))
        for _, u in units.iterrows():
            self._add(u["unit_id"], u["unit_id"], u["name"])
            self._add(u["name"], u["unit_id"], u["name"])
            for ab in re.split(r"\s*/\s*", str(u["abbreviation"] or "")):
                ab = re.sub(r"\(.*?\)", "", ab).strip()
                if ab and ab.lower() != "nan":
                    self._add(ab, u["unit_id"], u["name"])
        for _, a in aliases.iterrows():
            uid = a["unit_id"] if isinstance(a["unit_id"], str) and a["unit_id"] else None
            self._add(a["alias"], uid, a["alias"])
            m = re.match(r"^(.*?)\s*\((.*?)\)\s*$", a["alias"])
            if m and uid:
                self._add(m[1], uid, a["alias"])
                if " " not in m[2].strip() or m[2].startswith("Disperindagkop"):
                    self._add(m[2], uid, a["alias"])
            if uid is None:
                self._alias_attr[_key(a["alias"])] = a["attribution"]
        if accounts is not None:
            for printed, normalized in accounts.itertuples(index=False):
                if _key(normalized) not in self._keys:
                    continue
                uid = self._keys[_key(normalized)]
                name, handle = split_account(printed)
                for text in (printed, name, handle):
                    if text and _key(text) not in self._keys:
                        self._keys[_key(text)] = uid
                        self._display[_key(text)] = printed

    def _add(self, text: object, uid: str | None, display: str) -> None:
        k = _key(text)
        if k and k != norm(text):
            self._stripped.add(k)
        if k and k not in self._keys:
            self._keys[k] = uid
            self._display[k] = display

    @classmethod
    def from_external(cls, ext: Path, region_code: str) -> UnitResolver:
        units = public.load_units(ext, region_code)
        aliases = public.load_aliases(ext)
        accounts = None
        path = ext / public.INNOVATIONS_FILE
        if path.is_file():
            df = pd.read_csv(path, dtype=str, usecols=["created_by_as_printed",
                                                       "opd_normalized"])
            accounts = df.drop_duplicates().dropna()
        return cls(units, aliases, accounts)

    def resolve(self, text: object) -> Match | None:
        """The unit a name refers to; None when nothing matches. Unattributed accounts
        (``null``, ``iga2020.kabupaten.batang``) give ``Match(None, 'unattributed')``."""
        name, handle = split_account(str(text))
        candidates = [text, name, handle, re.sub(r"\.batang$", "", str(text).strip(), flags=re.I)]
        for c in candidates:
            if not c:
                continue
            k = _key(c)
            if k in self._keys:
                uid = self._keys[k]
                if uid is None:
                    return Match(None, UNATTRIBUTED)
                return Match(uid, self._attr.get(uid, "opd"))
        return None

    def ambiguous(self, text: object) -> list[str]:
        """The units a short name could mean when it is not the name of one unit: "RSUD" is
        "RSUD Kabupaten Batang" without the region words, and "RSUD Limpung" exists too.
        Empty when the name is unambiguous (or unknown)."""
        k = _key(text)
        if not k or k not in self._keys or k != norm(text) or k not in self._stripped:
            return []
        uids = {self._keys[k]} | {uid for kk, uid in self._keys.items()
                                  if uid and kk.startswith(k + " ")}
        uids.discard(None)
        if len(uids) < 2:
            return []
        return [f"{self._name.get(u, u)} ({u})" for u in sorted(uids)]

    def find_in(self, text: str) -> str | None:
        """The unit whose full name (longest first) occurs in a title line, if exactly one."""
        k = f" {_key(text)} "
        names = sorted(((kk, uid) for kk, uid in self._keys.items()
                        if uid and kk.count(" ") >= 1), key=lambda t: -len(t[0]))
        for kk, uid in names:
            if f" {kk} " in k:
                return uid
        return None

    def suggest(self, text: object, n: int = 3) -> list[str]:
        """The closest known names, as ``"Dinas Kesehatan (dinkes)"``."""
        k = _key(text)
        contains = [c for c in self._keys if len(k) >= 4 and (f" {k} " in f" {c} ")]
        close = contains + difflib.get_close_matches(k, list(self._keys), n=n * 3, cutoff=0.5)
        out: dict[str | None, str] = {}
        for c in close:
            uid = self._keys[c]
            if uid not in out:
                name = self._name.get(uid, self._display[c]) if uid else self._display[c]
                out[uid] = f"{name} ({uid or 'unattributed'})"
        return list(out.values())[:n]

    def unknown_text(self, text: object) -> str:
        sug = self.suggest(text)
        hint = f"; closest known: {'; '.join(sug)}" if sug else ""
        return ("unknown unit (not in the unit registry, its abbreviations or "
                f"unit_aliases.csv){hint}")
