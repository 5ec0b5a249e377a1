"""Command line: planner validate | template | sample | solve | norms | dictionary | plans | compare | nation | sweep | version.

Exit codes: 0 done, 2 invalid input (nothing written), 3 infeasible scenario (explanation printed and written),
1 anything else (e.g. the solver reached solver.time_limit_s before finding a plan), 130 interrupted (Ctrl-C);
nation and sweep: 4 when some provinces or combinations have no plan (the national or sweep workbook is written).
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_INFEASIBLE = 0, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as a shell reports it


def _cmd_validate(args) -> int:
    from contextlib import nullcontext

    from .side import start_side_process  # the standard library only, as in _cmd_solve

    # reads a big workbook's largest sheets meanwhile (planner.validate._Elsewhere); closed on leaving
    with start_side_process() or nullcontext() as side:
        return _validate(args, side)


def _validate(args, side) -> int:
    from .validate import load_dataset
    from .errors import InputError
    from .messages import translated

    try:
        ds = load_dataset(args.file, stages=args.stages, side=side)
    except InputError as err:
        print(err.report(lang=args.lang), file=sys.stderr)
        return EXIT_INVALID
    from .schema import load_schema

    specs = load_schema()
    counts = ", ".join(f"{specs[name].label(args.lang) if name in specs else name}: {len(df):,}".replace(",", "." if args.lang == "vi" else ",")
                       for name, df in ds.tables.items() if len(df))
    print(f"{args.file}: {'hợp lệ' if args.lang == 'vi' else 'valid'} ({counts})")
    for note in ds.notes:
        print(translated(note, args.lang))
    return EXIT_OK


def _cmd_template(args) -> int:
    from .sample import resolve_province
    from .template import write_input_workbook

    province = None
    if args.province:
        try:
            province = resolve_province(args.province)[1]
        except KeyError as err:  # an unknown province
            print(f"template: {err.args[0]}", file=sys.stderr)
            return EXIT_INVALID
    path = write_input_workbook(Path(args.out), None, lang=args.lang, stages=args.stages, province=args.province)
    if args.lang == "vi":
        print(f"đã ghi bảng nhập liệu {'của ' + province if province else 'trống'}: {path}")
    else:
        print(f"{'input workbook for ' + province if province else 'blank input workbook'} written: {path}")
    return EXIT_OK


def _cmd_import_roster(args) -> int:
    """A staff roster (Excel, as the Department of Home Affairs keeps it) -> staffing-ready input workbook + mapping sheet."""
    from .errors import InputError, OutputError
    from .files import check_output_path
    from .labels import error_text, text
    from .roster import import_roster, tr, write_roster_workbook

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        print(f"import-roster: {tr('out_not_xlsx', args.lang, name=out.name)}", file=sys.stderr)
        return EXIT_INVALID
    try:
        check_output_path(out, inputs=[args.roster])
        result = import_roster(args.roster, args.province, lang=args.lang, titles=args.titles, columns=args.columns)
        path = write_roster_workbook(result, out)
    except KeyError as err:  # unknown province
        print(f"import-roster: {err.args[0]}", file=sys.stderr)
        return EXIT_INVALID
    except InputError as err:
        print(err.report(lang=args.lang), file=sys.stderr)
        return EXIT_INVALID
    except OutputError as err:
        print(f"import-roster: {error_text(err, args.lang)}", file=sys.stderr)
        return EXIT_INVALID
    print(result.summary(path))
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

    from .side import start_side_process  # the standard library only: nothing of the planner's weight yet

    # a second process that reads the input's largest sheets, then plans the equipment and draws the summary's map;
    # started first, so that it imports the planner on the other core while this process does; closed on leaving
    wanted = args.stages is None or {"staffing", "equipment"} & set(args.stages)
    ours = gc.get_freeze_count() == 0  # objects a caller froze itself are left as they are
    with (start_side_process() if wanted else None) or nullcontext() as side:
        try:
            return _solve(args, side, freeze=ours)
        finally:
            if ours:
                gc.unfreeze()  # _solve's freeze undone, for a caller that goes on


def _solve(args, side, freeze: bool) -> int:
    """`planner solve` with its side process (None: everything here); see _cmd_solve. freeze: gc.freeze() once the
    planner is imported."""
    from contextlib import nullcontext

    from .validate import load_dataset
    from .messages import time_limit_message, translated
    from .errors import InputError, OutputError, PlanInconsistent, PlanInfeasible, ScenarioError, SolveTimeLimit
    from .files import NewOutputs, StagedFolder, check_output_path
    from .pipeline import run_plan
    from .report import print_summary, write_infeasibility, write_plan_workbook
    from .report.anonymize import Anonymizer
    from .report.plan_workbook import EarlyMap, EarlyWorkbook
    from .labels import error_text, text
    from .scenario import Scenario

    if freeze:  # the imported modules' objects outlive the solve: the garbage collector's full passes skip them
        gc.freeze()  # (3 passes of 0.03 s each on Lào Cai)

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
        return refuse_text(error_text(err, args.lang))
    if args.status != "draft":  # only the plan register moves a plan's status, recording who and when
        return refuse("status_flag_refused", status=args.status)
    register = None
    if args.save is not None:  # refuse a taken or approved name before solving, not after
        from .errors import RegisterError
        from .register import check_name

        try:
            register = _open_register(args)
            args.save = check_name(args.save)
            register.check_can_save(args.save, overwrite=args.overwrite)
        except RegisterError as err:
            return refuse_text(err.text(args.lang))
    made = NewOutputs()
    try:
        try:
            scenario = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
            if args.previous_plan:
                scenario.staffing.previous_plan = args.previous_plan
            if args.disruption_weight is not None:
                scenario.staffing.disruption_weight = args.disruption_weight
            ds = load_dataset(source, stages=args.stages, side=side)
            if side is not None:
                side.warm()
        except ScenarioError as err:
            print(f"invalid scenario {err.source}:\n  " + "\n  ".join(err.problems), file=sys.stderr)
            return EXIT_INVALID
        except InputError as err:
            print(err.report(lang=args.lang), file=sys.stderr)
            return EXIT_INVALID
        try:
            # reads the previous plan too: an unreadable one is an InputError
            early_map = EarlyMap(side, ds, args.lang)
            # the finished stages' sheets are written while the side process plans the equipment
            early_book = EarlyWorkbook(ds, scenario.name, args.lang, args.status) if side is not None else None
            plan = run_plan(ds, scenario, stages=ds.stages, side=side, on_result=early_map,
                            while_waiting=early_book.prepare if early_book is not None else None)
        except InputError as err:
            print(err.report(lang=args.lang), file=sys.stderr)
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
                path = write_plan_workbook(plan, ds, out, lang=args.lang, anonymize=args.anonymize,
                                           embedded=_anonymized(plan, Anonymizer.build(ds, plan.tables)) if args.anonymize else plan,
                                           map_png=early_map.png, side=side, early=early_book)
                if staged is not None:
                    staged.commit()
        except OutputError as err:
            made.remove()
            return refuse_text(error_text(err, args.lang))
        except OSError as err:
            made.remove()
            return refuse("out_write_failed", error=err)
    except KeyboardInterrupt:
        made.remove()
        print(f"solve: {text('interrupted', args.lang)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_summary(plan, path, csv_dir=args.csv_dir, lang=args.lang)
    if register is not None:
        from .errors import RegisterError

        try:
            record = register.save(args.save, plan, workbook=path, by=args.by, overwrite=args.overwrite)
        except RegisterError as err:  # e.g. saved or approved meanwhile by someone else
            return refuse("save_not_done", error=err.text(args.lang), path=path)
        print(text("plan_saved", args.lang).format(name=record["name"], version=record["version"], url=register.url))
    return EXIT_OK


def _anonymized(plan, anonymizer):
    """The plan with officials' names replaced in its tables and notes (what an anonymized workbook may embed)."""
    from .plan import Plan

    return Plan(tables={k: anonymizer.frame(v) for k, v in plan.tables.items()}, kpis=plan.kpis, solves=plan.solves,
                provenance=plan.provenance, notes=[anonymizer.text(n) for n in plan.notes], status=plan.status)


def _open_register(args):
    """The plan register of --db, else PLANNER_DB, else the default SQLite file (planner.register)."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from .errors import RegisterUnavailable
    from .register import PlanRegister

    try:
        return PlanRegister(args.db)
    except (ArgumentError, NoSuchModuleError, OperationalError, OSError) as err:
        raise RegisterUnavailable(args.db or "PLANNER_DB", error=str(err).splitlines()[0]) from None


def _cmd_plans(args) -> int:
    """planner plans list | show | compare | review | approve | draft | history | export | delete: the plan register."""
    from .errors import RegisterError

    try:
        register = _open_register(args)
        return _PLAN_ACTIONS[args.action](register, args)
    except RegisterError as err:
        print(f"plans: {err.text(args.lang)}", file=sys.stderr)
        return EXIT_INVALID


def _plans_list(register, args) -> int:
    from .labels import text

    plans = register.list()
    if plans.empty:
        print(text("register_empty", args.lang).format(url=register.url))
        return EXIT_OK
    print(text("register_at", args.lang).format(url=register.url))
    shown = plans.drop(columns=["reviewed_at", "input_hash"])  # in `planner plans show NAME`
    print(_console_table(shown.rename(columns={"name": "plan_name", "status": "plan_status", "version": "plan_version"}),
                         args.lang))
    return EXIT_OK


def _plans_show(register, args) -> int:
    from . import labels as L
    from .kpis import kpi_label

    record = register.record(args.name)
    plan = register.load(args.name)
    lang = args.lang
    print(f"{L.column_label('plan_name', lang)}: {record['name']}")
    for key in ("status", "version", "province", "scenario_name", "saved_at", "saved_by", "reviewed_by", "reviewed_at",
                "approved_by", "approved_at", "input_hash", "scenario_digest"):
        column = {"status": "plan_status", "version": "plan_version", "input_hash": "data_hash"}.get(key, key)
        value = record[key]
        if key == "status":
            value = L.value_label("plan_status", value, lang)
        if value is not None:
            print(f"  {L.column_label(column, lang)}: {value}")
    for key, value in record["headline"].items():
        if value is not None:
            print(f"  {kpi_label(key, lang)}: {_number(value, lang)}")
    print(f"{L.text('plan_tables', lang)}: " + ", ".join(f"{L.sheet_label(t, lang)} ({len(df):,})"
                                                           for t, df in plan.tables.items()))
    print(f"{L.text('plan_history', lang)}:")
    print(_console_table(_history_frame(register.history(args.name)), lang, indent="  "))
    return EXIT_OK


def _plans_history(register, args) -> int:
    print(_console_table(_history_frame(register.history(args.name)), args.lang))
    return EXIT_OK


def _history_frame(history):
    return history.rename(columns={"from": "from_status", "to": "to_status"})


def _plans_move(register, args) -> int:
    from . import labels as L

    if args.action == "review":
        record = register.review(args.name, by=args.by, note=args.note)
    elif args.action == "approve":
        record = register.approve(args.name, by=args.by, note=args.note)
    else:
        record = register.back_to_draft(args.name, by=args.by, reason=args.reason)
    at = record["approved_at"] or record["reviewed_at"] or register.history(args.name)["at"].iloc[-1]
    print(L.text("plan_moved", args.lang).format(name=record["name"], by=args.by.strip(), at=at,
                                                 status=L.value_label("plan_status", record["status"], args.lang)))
    return EXIT_OK


def _plans_delete(register, args) -> int:
    from .labels import text

    register.delete(args.name)
    print(text("plan_deleted", args.lang).format(name=args.name))
    return EXIT_OK


def _plans_export(register, args) -> int:
    """The workbook saved with the plan, written to --out (as it was when saved)."""
    from .errors import OutputError
    from .files import save_atomic
    from .labels import error_text, text

    data = register.workbook(args.name)
    if data is None:
        print(f"plans: {text('no_saved_workbook', args.lang).format(name=args.name)}", file=sys.stderr)
        return EXIT_INVALID
    out = Path(args.out)
    try:
        _check_xlsx_output(out, args.lang)
        save_atomic(out, lambda tmp: Path(tmp).write_bytes(data))
    except OutputError as err:
        print(f"plans: {error_text(err, args.lang)}", file=sys.stderr)
        return EXIT_INVALID
    print(f"-> {out}")
    return EXIT_OK


def _plans_compare(register, args) -> int:
    plans = {name: register.load(name) for name in args.names}
    return _write_comparison(plans, args, inputs=[], command="plans")


_PLAN_ACTIONS = {"list": _plans_list, "show": _plans_show, "history": _plans_history, "review": _plans_move,
                 "approve": _plans_move, "draft": _plans_move, "delete": _plans_delete, "compare": _plans_compare,
                 "export": _plans_export}


def _cmd_compare(args) -> int:
    """planner compare A.xlsx B.xlsx ... --out diff.xlsx: plans read back from result workbooks (their hidden
    planner_data sheet) or CSV folders written by planner solve."""
    from .labels import text
    from .messages import translated
    from .payload import read_plan_file

    plans = {}
    for item in args.files:
        path = Path(item)
        label = path.stem if path.suffix else path.name
        if label in plans:
            label = f"{label} ({len(plans) + 1})"
        try:
            plans[label] = read_plan_file(path)
        except Exception as err:  # noqa: BLE001 - any unreadable or hostile file is refused with its reason
            reason = translated(err.args[0], args.lang) if err.args and isinstance(err.args[0], str) else err
            print(f"compare: {text('compare_unreadable', args.lang).format(path=path, error=reason)}", file=sys.stderr)
            return EXIT_INVALID
        if plans[label].kpis.empty:
            print(f"compare: {text('compare_no_kpis', args.lang).format(path=path)}", file=sys.stderr)
    return _write_comparison(plans, args, inputs=[Path(f) for f in args.files], command="compare")


def _check_xlsx_output(out: Path, lang: str, inputs: list = ()) -> None:
    """Raise OutputError unless `out` is an .xlsx file that may be written (planner.files.check_output_path)."""
    from .errors import OutputError
    from .files import check_output_path
    from .labels import text

    if out.suffix.lower() != ".xlsx":
        raise OutputError(text("out_not_xlsx", lang).format(name=out.name))
    check_output_path(out, inputs=list(inputs))


def _write_comparison(plans: dict, args, inputs: list, command: str) -> int:
    from .compare import compare_plans
    from .errors import OutputError
    from .labels import error_text, text
    from .report import write_comparison_workbook

    if len(plans) < 2:
        print(f"{command}: {text('compare_needs_two', args.lang)}", file=sys.stderr)
        return EXIT_INVALID
    out = Path(args.out)
    try:
        _check_xlsx_output(out, args.lang, inputs)
        cmp = compare_plans(plans)
        path = write_comparison_workbook(cmp, out, lang=args.lang, anonymize=args.anonymize)
    except OutputError as err:
        print(f"{command}: {error_text(err, args.lang)}", file=sys.stderr)
        return EXIT_INVALID
    kpis = cmp["kpis"]
    deltas = kpis[[c for c in kpis.columns if c.startswith("delta [")]]
    differ = int((deltas.fillna(0).abs() > 1e-9).any(axis=1).sum()) if deltas.shape[1] else 0
    print(text("comparison_written", args.lang).format(path=path, kpis=differ, moved=len(cmp["moved_officials"])))
    return EXIT_OK


def _console_table(frame, lang: str, indent: str = "") -> str:
    """A register table for the console: labelled headers, statuses and events in words, numbers grouped."""
    from . import labels as L
    from .kpis import kpi_label
    from .register import HEADLINE_KPIS

    shown = frame.copy()
    for col in shown.columns:
        kind = L.VALUE_KIND.get(col)
        if kind in ("plan_status", "register_event"):
            shown[col] = shown[col].map(lambda v: L.value_label(kind, v, lang), na_action="ignore")
        elif col in HEADLINE_KPIS:
            shown[col] = shown[col].map(lambda v: _number(v, lang), na_action="ignore")
    shown = shown.astype(object).where(shown.notna(), "")
    shown.columns = [kpi_label(c, lang) if c in HEADLINE_KPIS else L.column_label(c, lang) for c in shown.columns]
    text = shown.to_string(index=False)
    return "\n".join(indent + line for line in text.splitlines())


def _number(value, lang: str) -> str:
    """1234567.8 -> '1.234.568' (vi) or '1,234,568' (en)."""
    text = f"{float(value):,.0f}"
    return text.replace(",", ".") if lang == "vi" else text


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
            print(err.report(lang=args.lang), file=sys.stderr)
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


def _cmd_nation(args) -> int:
    """Every province of a data folder (or every sample province) on Dask: planner.nation.nation_command."""
    from .nation import nation_command

    provinces = [p.strip() for p in args.provinces.split(",") if p.strip()] if args.provinces else None
    return nation_command(args.data_dir, args.out, sample=args.sample, provinces=provinces, seed=args.seed,
                          per_commune=args.officials_per_commune, scenario_path=args.scenario, csv_dir=args.csv_dir,
                          scheduler=args.scheduler, workers=args.workers, lang=args.lang, stages=args.stages)


def _cmd_sweep(args) -> int:
    """The cross product of scenario values on one province, on Dask: planner.nation.sweep_command."""
    from .nation import sweep_command

    return sweep_command(args.file, args.vary, args.out, scenario_path=args.scenario, scheduler=args.scheduler,
                         workers=args.workers, lang=args.lang, stages=args.stages)


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


def _stages(text: str) -> tuple[str, ...]:
    """argparse type of --stages: stage codes separated by commas (planner/schema/vocab/stages.csv)."""
    from . import vocab

    known = vocab.codes("stages")
    chosen = tuple(s.strip() for s in text.replace(";", ",").split(",") if s.strip())
    unknown = [s for s in chosen if s not in known]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown stage(s) {', '.join(unknown) or text!r}; stages are {', '.join(known)}")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planner", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check an input workbook or CSV folder and list every problem")
    p.add_argument("file", help="input .xlsx workbook or folder of CSVs")
    p.add_argument("--stages", type=_stages, help="only check what these stages need, e.g. staffing "
                                                  "(default: the stages the workbook declares, else all)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="messages in Vietnamese (default) or English")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("template", help="write an input workbook with descriptions and drop-downs, blank or pre-filled "
                                        "with a province's communes and old units")
    p.add_argument("out", help="path of the .xlsx to write")
    p.add_argument("--province", help='pre-fill the communes and old units of this province, e.g. "Cao Bằng"')
    p.add_argument("--stages", type=_stages, help="only the tables these stages need, e.g. staffing")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="sheets and headers in Vietnamese (default) or English")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("import-roster", help="turn a staff roster (Excel) into a staffing-ready input workbook with a "
                                             "sheet showing how every roster column and row was read")
    p.add_argument("roster", help="the roster .xlsx (title rows, one- or two-row header, STT, group and subtotal rows)")
    p.add_argument("--province", required=True, help='province name (with or without accents) or code, e.g. "Cao Bằng"')
    p.add_argument("--out", required=True, help="input workbook to write (.xlsx); then: planner solve OUT --stages staffing")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="messages and sheets in Vietnamese (default) or English")
    p.add_argument("--titles", help="your own CSV of title/office/training patterns (columns of "
                                    "planner/reference/roster_titles.csv), read before the bundled one")
    p.add_argument("--columns", help="your own CSV of header variants (columns of planner/reference/roster_columns.csv)")
    p.set_defaults(func=_cmd_import_roster)

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
    p.add_argument("--stages", type=_stages, help="run only these stages, e.g. staffing (only their tables are needed; "
                                                  "default: the stages the workbook declares, else all)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="labels in Vietnamese (default) or English")
    p.add_argument("--anonymize", action="store_true", help="replace names of officials with their ids")
    p.add_argument("--status", choices=["draft", "reviewed", "approved"], default="draft",
                   help="only draft: a plan is reviewed and approved in the plan register (planner plans review / "
                        "approve), which records who and when")
    p.add_argument("--save", metavar="NAME", help="also save the plan and its workbook in the plan register as NAME (a draft)")
    p.add_argument("--by", metavar="WHO", help="who saves the plan (with --save)")
    p.add_argument("--overwrite", action="store_true", help="with --save: replace a saved draft or reviewed plan of that "
                                                            "name (an approved plan is never replaced)")
    p.add_argument("--db", metavar="URL", help="plan register: SQLAlchemy URL or SQLite file (default: PLANNER_DB, else "
                                               "~/.local/share/commune-planner/plans.sqlite)")
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

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="plan register: SQLAlchemy URL or SQLite file (default: PLANNER_DB, "
                                                    "else ~/.local/share/commune-planner/plans.sqlite)")
    common.add_argument("--lang", choices=["vi", "en"], default="vi", help="labels in Vietnamese (default) or English")
    p = sub.add_parser("plans", help="the plan register: saved plans, their review and approval, comparisons")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", parents=[common], help="every saved plan with its status and key figures")
    a = actions.add_parser("show", parents=[common], help="one plan: provenance, key figures, tables, history")
    a.add_argument("name")
    a = actions.add_parser("history", parents=[common], help="every save and status change of a plan: who, when, note")
    a.add_argument("name")
    a = actions.add_parser("review", parents=[common], help="draft -> reviewed")
    a.add_argument("name")
    a.add_argument("--by", required=True, metavar="WHO", help="who reviewed it")
    a.add_argument("--note", help="remark recorded with the review")
    a = actions.add_parser("approve", parents=[common], help="reviewed -> approved (the plan is then read-only)")
    a.add_argument("name")
    a.add_argument("--by", required=True, metavar="WHO", help="who approved it")
    a.add_argument("--note", help="remark recorded with the approval")
    a = actions.add_parser("draft", parents=[common], help="reviewed -> back to draft, with the reason")
    a.add_argument("name")
    a.add_argument("--by", required=True, metavar="WHO", help="who sends it back")
    a.add_argument("--reason", required=True, help="why it goes back to draft")
    a = actions.add_parser("delete", parents=[common], help="remove a draft or reviewed plan (never an approved one)")
    a.add_argument("name")
    a = actions.add_parser("export", parents=[common], help="write the workbook saved with a plan")
    a.add_argument("name")
    a.add_argument("--out", required=True, help="where to write it (.xlsx)")
    a = actions.add_parser("compare", parents=[common], help="compare saved plans into a workbook")
    a.add_argument("names", nargs="+", metavar="NAME", help="two or more saved plans; the first is the reference")
    a.add_argument("--out", required=True, help="comparison workbook (.xlsx)")
    a.add_argument("--anonymize", action="store_true", help="replace names of officials with their ids")
    p.set_defaults(func=_cmd_plans)

    p = sub.add_parser("compare", help="compare result workbooks (or CSV folders) written by planner solve")
    p.add_argument("files", nargs="+", metavar="FILE", help="two or more result .xlsx files or --csv-dir folders; "
                                                            "the first is the reference")
    p.add_argument("--out", required=True, help="comparison workbook (.xlsx)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="labels in Vietnamese (default) or English")
    p.add_argument("--anonymize", action="store_true", help="replace names of officials with their ids")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("nation", help="plan every province of a folder (or every sample province) on Dask; "
                                      "national workbook and one plan per province")
    p.add_argument("data_dir", nargs="?", help="folder of province input workbooks (*.xlsx); other files are skipped")
    p.add_argument("--sample", action="store_true", help="instead of DATA_DIR: a seeded sample of each province, "
                                                         "generated on the workers")
    p.add_argument("--provinces", help="with --sample: only these provinces (names or codes, comma separated)")
    p.add_argument("--seed", type=int, default=7, help="with --sample: random seed (same seed, same data)")
    p.add_argument("--officials-per-commune", type=float, help="with --sample: staff per commune (default 42.4)")
    p.add_argument("--scenario", help="scenario YAML (overrides on top of the defaults), the same for every province")
    p.add_argument("--out", required=True, help="national workbook (.xlsx); each province's plan goes to <name>_tinh/")
    p.add_argument("--csv-dir", help="also write national.csv, runs.csv and <dir>/<province>/<table>.csv")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler (tcp://HOST:8786); "
                                       "default: a local cluster on this machine")
    p.add_argument("--workers", type=int, help="local cluster: worker processes (default: one per core)")
    p.add_argument("--stages", help="only these stages, comma separated (default all)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="labels in Vietnamese (default) or English")
    p.set_defaults(func=_cmd_nation)

    p = sub.add_parser("sweep", help="plan one province for every combination of scenario values (on Dask) "
                                     "and tabulate the KPIs")
    p.add_argument("file", help="province input .xlsx workbook or folder of CSVs")
    p.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2",
                   help="a scenario key (dotted, e.g. staffing.shortage_penalty.it_digital) and its values; repeat "
                        "for more keys (every combination is planned)")
    p.add_argument("--scenario", help="base scenario YAML (the varied keys are set on top of it)")
    p.add_argument("--out", required=True, help="sweep workbook (.xlsx)")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler (tcp://HOST:8786)")
    p.add_argument("--workers", type=int, help="local cluster: worker processes (default: one per core)")
    p.add_argument("--stages", help="only these stages, comma separated (default all)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="labels in Vietnamese (default) or English")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("version", help="print versions of the planner and the solvers")
    p.set_defaults(func=_cmd_version)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:  # Ctrl-C before a command could answer it itself (e.g. while importing): one line
        from .labels import text

        print(f"{args.command}: {text('interrupted', getattr(args, 'lang', 'vi'))}", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> None:
    """The `planner` command: main(), then the process ends. What is left in memory is frozen first (gc.freeze), so
    that the interpreter's last garbage collections skip a solved plan's many objects (Lào Cai: 0.17 s -> 0.04 s);
    main() itself stays fit for calling in a process that goes on (tests, notebooks)."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
