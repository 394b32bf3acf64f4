"""The import report: what was read, kept, dropped by a stated rule, and rejected."""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.data.schema import Problem


@dataclass
class Report:
    kind: str
    table: str
    mapping: str
    files: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    rows_read: int = 0            # non-blank data rows under the header
    rows_kept: int = 0            # data rows that went into the table
    subtotal_rows: int = 0        # budget: headings, sub-totals and totals dropped
    non_spending_rows: int = 0    # budget: pendapatan / pembiayaan accounts dropped
    blank_values: int = 0         # service: blank indicator cells skipped
    invalid_answers: int = 0      # skm: answers blank or outside 1-4 (cells)
    respondents_dropped: int = 0  # skm: respondents with at least one invalid answer
    duplicates: list[str] = field(default_factory=list)
    unknown_units: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_out: int = 0             # rows of the canonical table produced
    changes: list[dict] = field(default_factory=list)   # per unit-year: added/replaced
    written: bool = False
    dry_run: bool = False
    data: object = field(default=None, repr=False)
    once: set = field(default_factory=set, repr=False)    # problems reported once per sheet   # the imported rows (canonical table)

    def problem(self, file: str, row: object, column: str | None, value: object,
                rule: str) -> None:
        self.problems.append(Problem(file, row, column, value, rule))

    def format(self) -> str:
        lines = [f"Import report: {self.kind} -> table '{self.table}' (mapping "
                 f"'{self.mapping}')",
                 f"  files: {', '.join(self.files)}",
                 f"  sheets read: {', '.join(self.sheets) or '-'}",
                 f"  rows read: {self.rows_read}",
                 f"  rows kept: {self.rows_kept}"]
        if self.kind == "budget":
            lines += [f"  subtotal/total/heading rows dropped: {self.subtotal_rows}",
                      f"  non-spending rows dropped (pendapatan, pembiayaan): "
                      f"{self.non_spending_rows}"]
        if self.kind == "skm":
            lines += [f"  invalid answers (blank or not 1-4): {self.invalid_answers}",
                      f"  respondents dropped (any invalid answer): "
                      f"{self.respondents_dropped}"]
        if self.kind == "service":
            lines.append(f"  blank indicator values skipped: {self.blank_values}")
        lines.append(f"  duplicates: {len(self.duplicates)}")
        lines += [f"    - {d}" for d in self.duplicates[:20]]
        if len(self.duplicates) > 20:
            lines.append(f"    ... and {len(self.duplicates) - 20} more")
        lines.append(f"  unknown units: {len(self.unknown_units)}")
        for name, sug in self.unknown_units.items():
            lines.append(f"    - {name!r}" + (f" -> did you mean: {'; '.join(sug)}"
                                                if sug else ""))
        lines.append(f"  rows in table '{self.table}': {self.rows_out}")
        for w in self.warnings:
            lines.append(f"  WARNING: {w}")
        for n in self.notes:
            lines.append(f"  note: {n}")
        if self.changes:
            verb = "would change" if self.dry_run else "changes"
            lines.append(f"  {verb} (user data, per unit and year):")
            for c in self.changes:
                lines.append(f"    - {c['unit_id']} {c['year']}: {c['action']} "
                             f"({c['rows']} rows; previously imported: {c['before']})")
        if self.problems:
            lines.append(f"  REJECTED: {len(self.problems)} problem(s); nothing was written")
        elif self.dry_run:
            lines.append("  dry run: nothing was written")
        elif self.written:
            lines.append("  written and processed tables rebuilt")
        return "\n".join(lines)
