"""Command line: planner validate | template | sample | solve | norms | dictionary | version.

Exit codes: 0 done, 2 invalid input (nothing written), 3 infeasible scenario (explanation printed and written),
1 anything else (e.g. the solver reached solver.time_limit_s before finding a plan), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_INFEASIBLE = 0, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as a shell reports it


def _cmd_validate(args) -> int:
    from .validate import load_dataset
    from .errors import InputError

    try:
        ds = load_dataset(args.file)
    except InputError as err:
        print(err.report(), file=sys.stderr)
        return EXIT_INVALID
    counts = ", ".join(f"{name} {len(df)}" for name, df in ds.tables.items() if len(df))
    print(f"{args.file}: valid ({counts})")
    return EXIT_OK


def _cmd_template(args) -> int:
    from .template import write_input_workbook

    path = write_input_workbook(Path(args.out), None)
    print(f"blank input workbook written: {path}")
    return EXIT_OK


def _cmd_dictionary(args) -> int:
    from .docs import KPIS_START, update_outputs, update_readme, write_data_dictionary, write_scenario_reference

    path = write_data_dictionary(Path(args.out))
    scenario_path = write_scenario_reference(Path(args.out).with_name("scenario.md"))
    print(f"data dictionary written: {path}\nscenario reference written: {scenario_path}")
    outputs = Path(args.out).with_name("outputs.md")  # its KPI table, when the file beside the dictionary has one
    if outputs.exists() and KPIS_START in outputs.read_text(encoding="utf-8"):
        print(f"KPI table updated: {update_outputs(outputs)}")
    if args.readme:
        print(f"README data model updated: {update_readme(Path(args.readme))}")
    return EXIT_OK


def _cmd_sample(args) -> int:
    from .sample import build_sample, province_names
    from .template import write_input_workbook

    if args.list:
        print("\n".join(province_names()))
        return EXIT_OK
    if not args.province or not args.out:
        print("sample: --province and --out are required (or --list)", file=sys.stderr)
        return EXIT_INVALID
    try:
        ds = build_sample(args.province, seed=args.seed)
    except KeyError as err:
        print(f"sample: {err.args[0]}", file=sys.stderr)
        return EXIT_INVALID
    out = Path(args.out)
    if out.suffix.lower() == ".xlsx":
        write_input_workbook(out, ds)
    else:
        ds.save_csv(out)
    print(f"{ds.province}: {len(ds['communes'])} communes, {len(ds['old_units'])} old units, "
          f"{len(ds['officials'])} officials, {len(ds['buildings'])} buildings -> {out}")
    return EXIT_OK


def _cmd_solve(args) -> int:
    """Solve and write the outputs. Every output path is checked before the solve (exit 2, nothing written); the
    CSV tables are staged in a temporary folder, the workbook is written only once they are, then the folder is
    moved into place; a failure or Ctrl-C (exit 130, one line) removes whatever this run had made."""
    from contextlib import nullcontext

    from .validate import load_dataset
    from .messages import time_limit_message, translated
    from .errors import InputError, OutputError, PlanInconsistent, PlanInfeasible, ScenarioError, SolveTimeLimit
    from .files import NewOutputs, StagedFolder, check_output_path
    from .pipeline import run_plan
    from .report import print_summary, write_infeasibility, write_plan_workbook
    from .report.anonymize import Anonymizer
    from .labels import text
    from .scenario import Scenario

    def refuse(key: str, **params) -> int:
        return refuse_text(text(key, args.lang).format(**params))

    def refuse_text(message) -> int:
        print(f"solve: {message}", file=sys.stderr)
        return EXIT_INVALID

    source = Path(args.file)
    out = Path(args.out) if args.out else Path("out") / f"{source.stem}_plan.xlsx"
    csv_dir = Path(args.csv_dir) if args.csv_dir else None
    if out.suffix.lower() != ".xlsx":
        return refuse("out_not_xlsx", name=out.name)
    try:
        check_output_path(out, inputs=[source])
        check_output_path(out.with_suffix(".txt"), inputs=[source])  # the explanation of an infeasible scenario
        if csv_dir is not None:
            check_output_path(csv_dir, folder=True, inputs=[source, out])
    except OutputError as err:
        return refuse(err.key, **err.params) if hasattr(err, "key") else refuse_text(err)
    made = NewOutputs()
    try:
        try:
            scenario = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
            if args.previous_plan:
                scenario.staffing.previous_plan = args.previous_plan
            if args.disruption_weight is not None:
                scenario.staffing.disruption_weight = args.disruption_weight
            ds = load_dataset(source)
        except ScenarioError as err:
            print(f"invalid scenario {err.source}:\n  " + "\n  ".join(err.problems), file=sys.stderr)
            return EXIT_INVALID
        except InputError as err:
            print(err.report(), file=sys.stderr)
            return EXIT_INVALID
        try:
            plan = run_plan(ds, scenario)  # reads the previous plan too: an unreadable one is an InputError
        except InputError as err:
            print(err.report(), file=sys.stderr)
            return EXIT_INVALID
        except PlanInfeasible as err:
            made.add(out)
            made.add(out.with_suffix(".txt"))
            path = write_infeasibility(err, out, scenario=scenario, dataset=ds, lang=args.lang)
            print(f"{text('infeasible_title', args.lang)}:\n  " + "\n  ".join(translated(line, args.lang) for line in err.lines),
                  file=sys.stderr)
            print(f"explanation written: {path}", file=sys.stderr)
            return EXIT_INFEASIBLE
        except PlanInconsistent as err:
            print(f"solver answer failed the re-check in {err.stage}; nothing exported:\n  " + "\n  ".join(err.violations[:20]),
                  file=sys.stderr)
            return 1
        except SolveTimeLimit as err:  # not an infeasible scenario: the solver ran out of time
            print(translated(time_limit_message(err), args.lang), file=sys.stderr)
            return err.exit_code
        plan.status = args.status
        made.add(out)
        if csv_dir is not None:
            made.add(csv_dir, tree=True)
        try:
            staging = StagedFolder(csv_dir, refuse_overwrite_of=[source]) if csv_dir is not None else nullcontext()
            with staging as staged:
                if staged is not None:  # the CSVs first: if they fail, no workbook is written
                    plan.write_csv_files(staged.tmp, Anonymizer.build(ds, plan.tables) if args.anonymize else None)
                path = write_plan_workbook(plan, ds, out, lang=args.lang, anonymize=args.anonymize)
                if staged is not None:
                    staged.commit()
        except OutputError as err:
            made.remove()
            return refuse(err.key, **err.params) if hasattr(err, "key") else refuse_text(err)
        except OSError as err:
            made.remove()
            return refuse("out_write_failed", error=err)
    except KeyboardInterrupt:
        made.remove()
        print(f"solve: {text('interrupted', args.lang)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_summary(plan, path, csv_dir=args.csv_dir, lang=args.lang)
    return EXIT_OK


def _cmd_norms(args) -> int:
    """The quota and staffing norms of every commune, with their sources: of a bundled province (--province, the
    reference norms) or of a province input workbook (FILE: its communes and staffing_norms)."""
    import pandas as pd

    from .dataset import Dataset
    from .errors import InputError, OutputError
    from .norms_used import REFERENCE_DIR, norms_by_commune, norms_by_field, norms_used
    from .report import norms_text, write_norms_workbook
    from .sample import resolve_province, sample_geography
    from .validate import load_dataset

    if bool(args.file) == bool(args.province):
        print("norms: give a province input workbook (FILE) or --province NAME, not both", file=sys.stderr)
        return EXIT_INVALID
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
        print(f"norms: --out must name an .xlsx workbook or a .csv file, not {out.name}", file=sys.stderr)
        return EXIT_INVALID
    try:
        codes = {int(c) for c in (args.mountainous_codes or "").replace(";", ",").split(",") if c.strip()}
    except ValueError:
        print(f"norms: --mountainous-codes must be commune codes separated by commas, not {args.mountainous_codes!r}",
              file=sys.stderr)
        return EXIT_INVALID
    if args.province:
        try:
            code, name = resolve_province(args.province)
        except KeyError as err:
            print(f"norms: {err.args[0]}", file=sys.stderr)
            return EXIT_INVALID
        communes, _ = sample_geography(code)
        ds = Dataset.from_frames({"communes": communes, "staffing_norms": pd.read_csv(REFERENCE_DIR / "staffing_norms.csv"),
                                  "info": pd.DataFrame({"key": ["province_name", "province_code"], "value": [name, str(code)]})},
                                 source=f"reference:{name}")
    else:
        try:
            ds = load_dataset(args.file)
        except InputError as err:
            print(err.report(), file=sys.stderr)
            return EXIT_INVALID
    communes = ds["communes"]
    unknown = sorted(codes - set(communes["code"].astype(int)))
    if unknown:
        print(f"norms: --mountainous-codes names no commune of {ds.province}: {', '.join(map(str, unknown))}",
              file=sys.stderr)
        return EXIT_INVALID
    if codes:
        flag = communes["mountainous"].fillna(False).astype(bool) if "mountainous" in communes else False
        communes["mountainous"] = (communes["code"].astype(int).isin(codes) | flag).astype("boolean")
    tables = {"norms_by_commune": norms_by_commune(ds), "norms_used": norms_used(ds)}
    tables["norms_by_field"] = norms_by_field(ds, used=tables["norms_used"])
    tables["norms_used"] = tables["norms_used"][tables["norms_used"]["kind"].isin(("staffing_quota", "staffing_norm"))]
    print(norms_text(ds.province, tables["norms_by_commune"], tables["norms_used"], lang=args.lang))
    if out is None:
        return EXIT_OK
    try:
        if out.suffix.lower() == ".xlsx":
            path = write_norms_workbook(tables, ds, out, lang=args.lang, province=ds.province,
                                        protected=[args.file] if args.file else [])
        else:
            if args.file and out.resolve() == Path(args.file).resolve():
                raise OutputError(f"refusing to overwrite the input {out}")
            out.parent.mkdir(parents=True, exist_ok=True)
            tables["norms_by_field"].to_csv(out, index=False, encoding="utf-8")
            path = out
    except OutputError as err:
        print(f"norms: {err}", file=sys.stderr)
        return EXIT_INVALID
    print(f"-> {path}")
    return EXIT_OK


def _cmd_version(_args) -> int:
    import pulp

    from . import __version__
    from .solver import solver_version

    print(f"planner {__version__}; PuLP {pulp.__version__}; {solver_version('highs')}; {solver_version('cbc')}")
    return EXIT_OK


def _non_negative(text: str) -> float:
    """argparse type of --disruption-weight: a number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planner", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check an input workbook or CSV folder and list every problem")
    p.add_argument("file", help="input .xlsx workbook or folder of CSVs")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("template", help="write a blank input workbook with descriptions and drop-downs")
    p.add_argument("out", help="path of the .xlsx to write")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("dictionary", help="write the data dictionary and the scenario reference (Markdown) from the code")
    p.add_argument("out", nargs="?", default="docs/data_dictionary.md",
                   help="data dictionary path; scenario.md is written next to it")
    p.add_argument("--readme", help="also regenerate the data-model overview in this README (between its markers)")
    p.set_defaults(func=_cmd_dictionary)

    p = sub.add_parser("sample", help="generate a sample province on real geography (synthetic staff and assets)")
    p.add_argument("--province", help='province name, e.g. "Lào Cai" (see --list)')
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    p.add_argument("--out", help=".xlsx workbook or folder for CSVs")
    p.add_argument("--list", action="store_true", help="list the 34 province names")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("solve", help="run every model and write the leadership workbook")
    p.add_argument("file", help="input .xlsx workbook or folder of CSVs")
    p.add_argument("--scenario", help="scenario YAML (overrides on top of the defaults)")
    p.add_argument("--out", help="result workbook (default out/<input name>_plan.xlsx)")
    p.add_argument("--csv-dir", help="also write every result table as <dir>/<table>.csv")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="labels in Vietnamese (default) or English")
    p.add_argument("--anonymize", action="store_true", help="replace names of officials with their ids")
    p.add_argument("--status", choices=["draft", "reviewed", "approved"], default="draft", help="plan status shown on the Summary")
    p.add_argument("--previous-plan", help="earlier result workbook: moving people away from it costs disruption_weight")
    p.add_argument("--disruption-weight", type=_non_negative, metavar="W",
                   help="cost points of moving an official away from the previous plan's commune "
                        "(default: staffing.disruption_weight, which is 50 when a previous plan is given)")
    p.set_defaults(func=_cmd_solve)

    p = sub.add_parser("norms", help="the staff quota and staffing norms of every commune, with their legal sources")
    p.add_argument("file", nargs="?", help="province input workbook or folder of CSVs (its communes and staffing_norms)")
    p.add_argument("--province", help='a bundled province by name or code, e.g. "Lạng Sơn" (its communes, the reference norms)')
    p.add_argument("--mountainous-codes", help="commune codes that are mountainous (miền núi, vùng cao), comma separated")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="labels in Vietnamese (default) or English")
    p.add_argument("--out", help=".xlsx workbook (quota by commune, norms by field, sources) or .csv (every row)")
    p.set_defaults(func=_cmd_norms)

    p = sub.add_parser("version", help="print versions of the planner and the solvers")
    p.set_defaults(func=_cmd_version)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
