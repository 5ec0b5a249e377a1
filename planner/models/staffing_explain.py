"""Explanations for the staffing plan: why a scenario is infeasible, and what the runner-up post would cost.

Marginal values (duals of the minimum-headcount rows) are read in planner.models.staffing right
after the solve, since they live on the solved LP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..messages import message, with_vietnamese
from ..errors import PlanInfeasible
from .. import vocab
from ..norms import total_field
from ..solver import ArraySession, usable

if TYPE_CHECKING:
    from .staffing import StaffingInputs

STAGE = "staffing"


def _commune_label(inputs: StaffingInputs, code) -> str:
    names = inputs.communes.set_index("commune_code")["commune_name"]
    code = int(code)
    return f"{names.get(code, 'unknown commune')} ({code})"


def pin_problems(inputs: StaffingInputs, arcs: pd.DataFrame) -> list[dict]:
    """Pinned officials with no allowed post at all, with the reason in plain words."""
    off = inputs.officials
    placed = np.zeros(len(off), dtype=bool)
    placed[arcs["off"].to_numpy()] = True
    codes = set(inputs.communes["commune_code"].tolist())
    banned = set(map(tuple, inputs.pair_costs.loc[inputs.pair_costs["forbidden"], ["off", "commune_code"]].to_numpy().tolist()))
    problems = []
    for i in np.flatnonzero(off["pinned"].to_numpy() & ~placed):
        row = off.iloc[i]
        code = int(row["fixed_commune"])
        who = f"{row['name']} ({row['official_id']})"
        where = _commune_label(inputs, code) if code in codes else f"commune {code}"
        position = row["fixed_position"]
        if code not in codes:
            why = message("pin_unknown_commune", who=who, code=code)
        elif (i, code) in banned:
            why = message("pin_forbidden_pair", where=where, who=who)
        elif position in vocab.role_codes("positions", "leadership") and not row["eligible"]:
            why = message("pin_not_eligible", where=where, who=who, position=position)
        else:
            fields = [f for f in (row["field"], row["secondary_field"]) if f]  # '' = none
            fields = message("field_or_field", field=fields[0], other_field=fields[1]) if len(fields) == 2 else "".join(fields)
            why = (message("pin_no_position_post", where=where, who=who, position=position, field=fields) if position
                   else message("pin_no_post", where=where, who=who, field=fields))
        problems.append({"commune_code": code, "commune_name": where, "field": row["field"], "position": position or "",
                         "limit": "pin", "limit_value": 0, "pinned": 1, "over": 1, "line": why})
    return problems


def explain_infeasible(inputs: StaffingInputs, arcs: pd.DataFrame, options, solver_options,
                       problems: list[dict], build_model) -> PlanInfeasible:
    """Elastic re-solve: priced slack on ceilings and slot maxima shows which limits the pins break, and by how much.

    `build_model` is planner.models.staffing.build_model (passed in: that module imports this one)."""
    model = build_model(inputs, arcs, options, stage="elastic")
    session = ArraySession(model.arrays, solver_options, presolve=False)
    info = session.solve("staffing_elastic", model.build_seconds)
    rows = list(problems)
    # a time limit without an answer raises SolveTimeLimit, unless the pin problems already explain the conflict
    if (info.has_solution or not problems) and usable(info, STAGE):
        chosen = session.x[model.x] > 0.5
        pinned = inputs.officials["pinned"].to_numpy()[arcs["off"].to_numpy()]
        slots = inputs.slots.set_index("slot")
        for code, column in model.over_ceiling.items():
            over = round(session.x[column])
            if over > 0:
                in_commune = chosen & (arcs["commune_code"].to_numpy() == code)
                n_pinned, ceiling = int((in_commune & pinned).sum()), int(inputs.ceilings[code])
                label = _commune_label(inputs, code)
                rows.append({"commune_code": code, "commune_name": label, "field": total_field(), "position": vocab.role_code("positions", "any"),
                             "limit": "headcount ceiling", "limit_value": ceiling, "pinned": n_pinned, "over": over,
                             "line": message("pins_over_ceiling", commune=label, pinned=n_pinned, ceiling=ceiling,
                                             over=over)})
        for s, column in model.over_slot.items():
            over = round(session.x[column])
            if over > 0:
                slot = slots.loc[s]
                in_slot = chosen & (arcs["slot"].to_numpy() == s)
                n_pinned, limit = int((in_slot & pinned).sum()), int(slot["required_max"])
                label = _commune_label(inputs, slot["commune_code"])
                rows.append({"commune_code": int(slot["commune_code"]), "commune_name": label, "field": slot["field"],
                             "position": slot["position"], "limit": "slot maximum", "limit_value": limit,
                             "pinned": n_pinned, "over": over,
                             "line": message("pins_over_slot", commune=label, field=slot["field"],
                                             position=slot["position"], pinned=n_pinned, limit=limit, over=over)})
    if not rows:
        rows.append({"commune_code": pd.NA, "commune_name": "", "field": "", "position": "", "limit": "solver",
                     "limit_value": 0, "pinned": 0, "over": 0,
                     "line": message("staffing_unsolved", status=info.status)})
    lines = [row["line"] for row in rows]
    conflicts = with_vietnamese(pd.DataFrame(rows), "line", lines)
    return PlanInfeasible(stage=STAGE, lines=lines, conflicts=conflicts)


def runner_ups(arcs: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    """Cheapest candidate in another commune for each placed official, and how much more it costs."""
    taken = arcs.loc[chosen, ["off", "commune_code", "total_cost"]]
    other = arcs[["off", "commune_code", "total_cost"]].merge(taken, on="off", suffixes=("", "_taken"))
    other = other[other["commune_code"] != other["commune_code_taken"]]
    best = other.sort_values(["off", "total_cost"]).drop_duplicates("off")
    return pd.DataFrame({"off": best["off"].to_numpy(), "runner_up_commune": best["commune_code"].to_numpy(),
                         "runner_up_extra_cost": (best["total_cost"] - best["total_cost_taken"]).to_numpy()})
