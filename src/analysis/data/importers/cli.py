"""``python -m analysis import``: the one command for the regency's own files."""

from __future__ import annotations

import sys

from analysis import config
from analysis.data.importers.mapping import MappingError, available
from analysis.data.schema import InputError


def _cmd_import(args) -> int:
    from analysis.data.importers.commit import describe_problems, import_files

    try:
        if args.kind == "iid-pemda":
            from analysis.data.importers.iid_pemda import import_iid

            report = import_iid(args.files, data_dir=args.data_dir, dry_run=args.dry_run,
                                rebuild=args.rebuild, sheet=args.sheet)
        elif args.kind.startswith("apbd-"):
            from analysis.data.importers.apbd import import_apbd

            report = import_apbd(args.kind, args.files, data_dir=args.data_dir,
                                 dry_run=args.dry_run, rebuild=args.rebuild)
        else:
            report = import_files(args.kind, args.files, region=args.region, unit=args.unit,
                                  year=args.year, mapping=args.mapping, sheet=args.sheet,
                                  dry_run=args.dry_run, data_dir=args.data_dir,
                                  rebuild=args.rebuild)
    except InputError as exc:
        rep = getattr(exc, "report", None)
        if rep is not None:
            print(rep.format())
        print(describe_problems(exc), file=sys.stderr)
        print("Nothing was imported; the processed tables are unchanged.", file=sys.stderr)
        return 1
    except (MappingError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.format())
    if args.fit and not args.dry_run and getattr(report, "written", False):
        from analysis.data import build as data_build
        from analysis.data import store

        man = store.load_manifest(args.data_dir)
        if data_build.fits_note(man):
            print("refitting the models now (--fit; ~30 s) ...", flush=True)
            res = args.rebuild(args.data_dir, **data_build.settings_of(man))
            print(f"models refitted in {res.seconds:.1f} s")
    return 0


def register_cli(sub, rebuild=None) -> None:
    """The ``import`` command; ``rebuild``: the whole build (``analysis.pipeline`` registers
    this command with ``pipeline.build``)."""
    p = sub.add_parser(
        "import", help="import the regency's own files (budget, innovations, skm, service, "
                       "leadership, indicators) as user data and rebuild",
        description="Validate CSV/XLSX files, write data/user/<table>.parquet (provenance "
                    "user; same unit-year rows replaced) and rebuild the processed tables; "
                    "all or nothing. Mappings: " + ", ".join(available()) + ".")
    p.add_argument("kind", choices=["budget", "innovations", "skm", "service", "leadership",
                                    "indicators", "apbd-kabkota", "apbd-provinsi", "iid-pemda"],
                   help="what the files hold")
    p.add_argument("files", nargs="+", metavar="FILE", help=".csv or .xlsx files")
    p.add_argument("--region", default=config.REGION_BATANG,
                   help=f"Kemendagri region code (default {config.REGION_BATANG})")
    p.add_argument("--unit", default=None,
                   help="unit of every row without its own unit column (id, name or "
                        "abbreviation, e.g. dinkes)")
    p.add_argument("--year", type=int, default=None,
                   help="year of every row without its own year column")
    p.add_argument("--mapping", default=None,
                   help="layout mapping name or path to a .toml (default: the kind's layout)")
    p.add_argument("--sheet", default=None, help="read only this sheet of .xlsx files")
    p.add_argument("--dry-run", action="store_true",
                   help="check and show what would change; write nothing")
    p.add_argument("--data-dir", default=None, help="data folder (default: the project's data/)")
    p.add_argument("--fit", action="store_true",
                   help="refit the models right after the import (~30 s); by default an import "
                        "rebuilds the tables in seconds and the models refit at the next "
                        "render, present or build")
    p.set_defaults(func=_cmd_import, rebuild=rebuild)
